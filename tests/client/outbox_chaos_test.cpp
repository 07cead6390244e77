// The outbox under chaos: alice, bob and carol, each a ChatClient with a store of their own, make
// 2,000 actions of every kind between them in six shared channels (sends, edits, deletions,
// reactions, read marks, pins, partial updates, and their own settings: hiding, muting, pinning
// and archiving channels, muting and blocking each other, drafts, channel and own-user updates)
// and in channels they make along the way (adding, inviting and removing members, answering
// invites, leaving, truncating, deleting) while chatkeep-server refuses 10% of
// requests with a 5xx, carries out another 10% but loses their answers, answers 200 ms late,
// sends every event twice and drops every socket now and then. Once the faults stop and the
// outboxes are empty: the server holds what the actions imply (every message once, in each
// author's order, with its final text, deletion, reactions, pin and custom field; each user's
// mutes, blocks and memberships), and each user's store is what the server shows that user.

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "support/client_fixture.hpp"

namespace chatkeep::testing {
namespace {

namespace json = boost::json;

const std::vector<std::string> kUsers = {"alice", "bob", "carol"};
const std::vector<std::string> kReactions = {"like", "love", "haha"};
constexpr int kChannels = 6;
constexpr int kActions = 2000;
constexpr unsigned kMorePercent = 16;  // of the actions: the kinds of act_on_more

// What the actions imply for one message.
struct ExpectedMessage {
  std::string cid;
  std::string author;
  std::string text;
  bool deleted = false;
  bool kept = false;  // never deleted, so others may react to it
  std::map<std::string, std::set<std::string>> reactions;  // by user
  bool pinned = false;
  bool truncated = false;            // its channel was truncated after it was sent
  std::optional<std::string> mood;   // a custom field set by partial updates
  std::vector<std::string> history;  // the actions on it, for failures
};

// What a user's settings should be at the end.
struct ExpectedSettings {
  std::set<std::string> muted_users, blocked_users, muted_channels;
  std::map<std::string, std::pair<bool, bool>> membership;  // cid: pinned, archived
  std::map<std::string, std::string> drafts;                // cid: the channel draft's text
  std::optional<std::string> status;                        // a custom field of the own user
};

// A channel a user made during the run with one other: only its creator writes in it. The third
// user may be invited, and answers; the others may leave it.
struct MadeChannel {
  std::string creator, outsider;
  enum class Invite { none, pending, answered } invite = Invite::none;  // of the outsider
  std::set<std::string> left;
  enum class Dave { out, member, invited } dave = Dave::out;  // who never writes
  bool deleted = false;

  bool is_member(const std::string& user) const {
    return !left.contains(user) && (user != outsider || invite != Invite::none);
  }
};

std::string history(const ExpectedMessage& m) {
  std::string out;
  for (const auto& h : m.history)
    out += "\n  " + h;
  return out;
}

// The settings an own user shows (memberships aside).
ExpectedSettings settings_of(const OwnUser& own) {
  ExpectedSettings settings;
  for (const auto& m : own.mutes.value_or(std::vector<Mute>{}))
    settings.muted_users.insert(m.target->id);
  for (const auto& m : own.channel_mutes.value_or(std::vector<ChannelMute>{}))
    settings.muted_channels.insert(m.channel->cid);
  for (const auto& id : own.blocked_user_ids.value_or(std::vector<std::string>{}))
    settings.blocked_users.insert(id);
  return settings;
}

// A client's last log lines at info and above (its reconnects, catch-ups, refusals): printed with
// a failure, so that a store that differs from the server says what its connection went through.
class RecentLog {
 public:
  LogOptions options() {
    return {.level = LogLevel::info, .sink = [this](LogLevel level, std::string_view line) {
              std::lock_guard lock(mutex_);
              lines_.push_back(std::string(to_string(level)) + " " + std::string(line));
              if (lines_.size() > kKept) lines_.pop_front();
            }};
  }
  std::string tail() {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& line : lines_)
      out += "  " + line + "\n";
    return out;
  }

 private:
  static constexpr std::size_t kKept = 80;
  std::mutex mutex_;
  std::deque<std::string> lines_;
};

class OutboxChaosTest : public ClientTest {
 public:
  std::unique_ptr<ChatClient> make_chaos_client(RecentLog& log) {
    ClientOptions options = client_options();
    options.outbox = {.first_retry_delay = 100ms, .max_retry_delay = 1s};
    options.log = log.options();
    return std::make_unique<ChatClient>(kKey, std::move(options));
  }
};

TEST_F(OutboxChaosTest, ThreeUsersTwoThousandActionsAFailingServerAndAllAgree) {
  std::vector<std::string> cids;
  for (int c = 0; c < kChannels; ++c)
    cids.push_back(create("chaos" + std::to_string(c), R"("alice","bob","carol")"));

  {
    HttpClient admin(port_);
    auto r = admin.send(verb::post, std::string("/users?api_key=") + kKey,
                        R"({"users":{"dave":{"id":"dave","name":"Dave"}}})",
                        {{"Authorization", make_server_token(kSecret)}});
    ASSERT_EQ(r.status, 200u) << r.text;
  }
  std::map<std::string, RecentLog> logs;  // before the clients, which log into them until gone
  std::map<std::string, std::unique_ptr<ChatClient>> clients;
  for (const auto& user : kUsers) {
    auto client = make_chaos_client(logs[user]);
    Recorder events(*client);
    ASSERT_TRUE(connect(*client, user));
    query_all(*client, user);
    ASSERT_TRUE(events.wait(EventType::connection_recovered)) << user;
    clients[user] = std::move(client);
  }

  chaos(R"({"fail_rate":10,"fail_after_rate":10,"fail_status":503,"latency_ms":200,
            "duplicate_events":true,"seed":2026})");
  // Every socket dropped every 1.5 s or so while the users act.
  std::atomic<bool> acting = true;
  // Joined however the test ends (a failed assertion returns early).
  std::jthread dropper([&](std::stop_token stop) {
    std::mt19937 random(7);
    while (acting && !stop.stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1000 + random() % 1000));
      if (acting && !stop.stop_requested()) chaos(R"({"drop_sockets":true})");
    }
  });

  std::mt19937 random(2026);
  std::map<std::string, ExpectedMessage> expected;                              // by message id
  std::map<std::string, std::map<std::string, std::vector<std::string>>> sent;  // cid, user
  std::map<std::string, std::vector<std::string>> kept;  // cid: kept message ids
  auto pick = [&](const auto& list) { return list[random() % list.size()]; };
  std::map<std::string, int> counts;
  std::map<std::string, ExpectedSettings> settings;  // by user
  std::map<std::string, MadeChannel> made;           // by cid
  std::map<std::string, std::string> topics;         // cid: the topic bob, the owner, set last
  auto live_made = [&](const std::string& by) {
    std::vector<std::string> out;
    for (const auto& [cid, m] : made)
      if (!m.deleted && m.creator == by) out.push_back(cid);
    return out;
  };
  auto made_channel = [&](ChatClient& client, const std::string& cid) {
    return client.channel("messaging", cid.substr(cid.find(':') + 1));
  };

  // The kinds of issue 20 beyond messages and settings: drafts, a channel's data, the own user,
  // and channels' lives. True when the action was taken.
  auto act_on_more = [&](int i, const std::string& user, const std::string& cid) {
    ChatClient& client = *clients[user];
    ChatChannel channel = made_channel(client, cid);
    ExpectedSettings& mine = settings[user];
    const auto roll = random() % 100;
    if (roll < 20) {
      if (mine.drafts.contains(cid) && random() % 3 == 0) {
        channel.delete_draft();
        mine.drafts.erase(cid);
      } else {
        mine.drafts[cid] = user + " drafts " + std::to_string(i);
        channel.save_draft(Message{.text = mine.drafts[cid]});
      }
      ++counts["draft"];
    } else if (roll < 35) {
      // Only bob owns the shared channels: the others' updates are refused and given back.
      const std::string topic = user + " topic " + std::to_string(i);
      channel.update_partial({{"topic", topic}});
      if (user == "bob") topics[cid] = topic;
      ++counts["channel update"];
    } else if (roll < 45) {
      mine.status = user + " status " + std::to_string(i);
      client.update_own_user({{"status", *mine.status}});
      ++counts["own user update"];
    } else if (roll < 58) {
      if (live_made(user).size() >= 3) return false;
      const std::string made_cid = "messaging:made-" + std::to_string(i);
      std::vector<std::string> others;
      for (const auto& u : kUsers)
        if (u != user) others.push_back(u);
      if (random() % 2) std::swap(others[0], others[1]);
      made_channel(client, made_cid).create({{"name", "made " + std::to_string(i)}}, {others[0]});
      made[made_cid] = MadeChannel{.creator = user, .outsider = others[1]};
      ++counts["create channel"];
    } else if (roll < 72) {
      const auto mine_made = live_made(user);
      if (mine_made.empty()) return false;
      const std::string target = pick(mine_made);
      MadeChannel& t = made[target];
      ChatChannel there = made_channel(client, target);
      if (t.invite == MadeChannel::Invite::none) {
        there.invite({t.outsider});
        t.invite = MadeChannel::Invite::pending;
        ++counts["invite"];
      } else if (t.dave != MadeChannel::Dave::out) {
        there.remove_members({"dave"});
        t.dave = MadeChannel::Dave::out;
      } else if (random() % 2) {
        there.add_members({"dave"});
        t.dave = MadeChannel::Dave::member;
      } else {
        there.invite({"dave"});
        t.dave = MadeChannel::Dave::invited;
      }
      ++counts["members"];
    } else if (roll < 82) {
      const auto mine_made = live_made(user);
      if (mine_made.empty()) return false;
      const std::string target = pick(mine_made);
      made_channel(client, target).truncate();
      for (auto& [id, e] : expected)
        if (e.cid == target) e.truncated = true;
      ++counts["truncate"];
    } else if (roll < 91) {
      // An invite the user has heard of is answered; else a channel of another's is left.
      std::vector<std::string> invited, others;
      for (const auto& [made_cid, m] : made) {
        if (m.deleted || m.creator == user || !m.is_member(user)) continue;
        const auto state = client.persistence().channel_state(made_cid, {});
        if (!state) continue;
        if (m.outsider == user && m.invite == MadeChannel::Invite::pending && state->membership &&
            state->membership->invited.value_or(false)) {
          invited.push_back(made_cid);
        } else {
          others.push_back(made_cid);
        }
      }
      if (!invited.empty()) {
        const std::string target = pick(invited);
        random() % 3 ? made_channel(client, target).accept_invite()
                     : made_channel(client, target).reject_invite();
        made[target].invite = MadeChannel::Invite::answered;
        ++counts["answer invite"];
      } else if (!others.empty()) {
        const std::string target = pick(others);
        made_channel(client, target).leave();
        made[target].left.insert(user);
        ++counts["leave"];
      } else {
        return false;
      }
    } else {
      const auto mine_made = live_made(user);
      if (mine_made.empty()) return false;
      const std::string target = pick(mine_made);
      made_channel(client, target).delete_channel();
      made[target].deleted = true;
      ++counts["delete channel"];
    }
    return true;
  };

  for (int i = 0; i < kActions; ++i) {
    const std::string& user = pick(kUsers);
    std::string cid = pick(cids);
    if (kMorePercent > 0 && random() % 100 < kMorePercent && act_on_more(i, user, cid)) {
      std::this_thread::sleep_for(5ms);
      continue;
    }
    // Now and then in a channel the user made, where only they write: messages only.
    const bool in_made = random() % 4 == 0 && !live_made(user).empty();
    if (in_made) cid = pick(live_made(user));
    ChatClient& client = *clients[user];
    ChatChannel channel = client.channel("messaging", cid.substr(cid.find(':') + 1));
    std::vector<std::string> own_live;
    for (const auto& id : sent[cid][user]) {
      if (!expected[id].deleted && !expected[id].truncated) own_live.push_back(id);
    }
    std::vector<std::string> own_deletable;
    for (const auto& id : own_live) {
      if (!expected[id].kept) own_deletable.push_back(id);
    }
    // Others' messages this user may react to: kept ones already in the user's store.
    std::vector<std::string> reactable = own_live;
    for (int tries = 0; tries < 3 && !kept[cid].empty(); ++tries) {
      const std::string& id = pick(kept[cid]);
      if (expected[id].author != user && client.persistence().message(id)) reactable.push_back(id);
    }
    std::vector<std::string> reacted;
    for (const auto& id : reactable) {
      if (!expected[id].reactions[user].empty()) reacted.push_back(id);
    }

    ExpectedSettings& mine = settings[user];
    const std::string& other = pick(kUsers);
    auto toggle = [](std::set<std::string>& set, const std::string& key) {
      return set.erase(key) == 0 && set.insert(key).second;
    };
    const auto roll = random() % 100;
    if (roll < 34 || own_live.empty()) {
      const std::string text = user + " says " + std::to_string(i);
      const Message echo = channel.send_message(Message{.text = text});
      const bool keep = random() % 2 == 0;
      expected[echo.id] = {.cid = cid, .author = user, .text = text, .kept = keep};
      expected[echo.id].history.push_back(std::to_string(i) + " sent by " + user);
      sent[cid][user].push_back(echo.id);
      if (keep && !in_made) kept[cid].push_back(echo.id);
      mine.drafts.erase(cid);  // sending takes the draft away
      ++counts["send"];
    } else if (roll < 46) {
      const std::string& id = pick(own_live);
      const std::string text = user + " edits " + std::to_string(i);
      channel.update_message(Message{.id = id, .text = text});
      expected[id].text = text;
      expected[id].mood.reset();  // a full update: custom fields it leaves out are gone
      expected[id].history.push_back(std::to_string(i) + " edited");
      ++counts["edit"];
    } else if (roll < 52 && !own_deletable.empty()) {
      const std::string& id = pick(own_deletable);
      channel.delete_message(id);
      expected[id].deleted = true;
      expected[id].history.push_back(std::to_string(i) + " deleted");
      ++counts["delete"];
    } else if (roll < 66 && !reactable.empty()) {
      const std::string& id = pick(reactable);
      const std::string& type = pick(kReactions);
      channel.send_reaction(id, Reaction{.type = type});
      expected[id].reactions[user].insert(type);
      expected[id].history.push_back(std::to_string(i) + " " + user + " reacts " + type);
      ++counts["react"];
    } else if (roll < 71 && !reacted.empty()) {
      const std::string& id = pick(reacted);
      const std::string type = pick(std::vector<std::string>(expected[id].reactions[user].begin(),
                                                             expected[id].reactions[user].end()));
      channel.delete_reaction(id, type);
      expected[id].reactions[user].erase(type);
      expected[id].history.push_back(std::to_string(i) + " " + user + " unreacts " + type);
      ++counts["unreact"];
    } else if (roll < 79) {
      const std::string& id = pick(own_live);
      ExpectedMessage& m = expected[id];
      m.pinned ? channel.unpin_message(id) : channel.pin_message(id);
      m.pinned = !m.pinned;
      m.history.push_back(std::to_string(i) + (m.pinned ? " pinned" : " unpinned"));
      ++counts["pin"];
    } else if (roll < 83) {
      const std::string& id = pick(own_live);
      ExpectedMessage& m = expected[id];
      if (m.mood && random() % 2 == 0) {
        channel.partial_update_message(id, {}, {"mood"});
        m.mood.reset();
      } else {
        m.mood = "mood " + std::to_string(i);
        channel.partial_update_message(id, {{"mood", *m.mood}});
      }
      m.history.push_back(std::to_string(i) + " mood " + m.mood.value_or("unset"));
      ++counts["partial update"];
    } else if (in_made) {
      channel.mark_read();
      ++counts["read"];
    } else if (roll < 86) {
      // Whether it ends hidden depends on messages the server orders, so only the stores'
      // agreement with the server is checked.
      random() % 2 ? channel.hide() : channel.show();
      ++counts["hide or show"];
    } else if (roll < 89) {
      toggle(mine.muted_channels, cid) ? channel.mute() : channel.unmute();
      ++counts["channel mute"];
    } else if (roll < 92) {
      auto& [pinned, archived] = mine.membership[cid];
      if (random() % 2) {
        pinned = !pinned;
        pinned ? channel.pin() : channel.unpin();
      } else {
        archived = !archived;
        archived ? channel.archive() : channel.unarchive();
      }
      ++counts["membership"];
    } else if (roll < 96) {
      // Of dave, who never writes: a muted user's messages are not unread for the muter, by a
      // rule of the muter's private settings that no other store can follow, so muting a writer
      // would leave the others' counts of the muter's unread apart from the server's.
      toggle(mine.muted_users, "dave") ? client.mute_user("dave") : client.unmute_user("dave");
      ++counts["user mute"];
    } else if (roll < 100 && other != user) {
      toggle(mine.blocked_users, other) ? client.block_user(other) : client.unblock_user(other);
      ++counts["block"];
    } else {
      channel.mark_read();
      ++counts["read"];
    }
    std::this_thread::sleep_for(5ms);
  }
  // Invites still unanswered are answered once their invitees have heard of them (the
  // creators' outboxes deliver them late under these faults), the faults still on. One told
  // while the invitee's socket was down stays unheard: only a listing of her channels would
  // find it, and listings race the events (see the issue's note).
  for (auto& [cid, m] : made) {
    if (m.deleted || m.invite != MadeChannel::Invite::pending || !m.is_member(m.outsider)) continue;
    ChatClient& client = *clients[m.outsider];
    if (!eventually([&] {
          auto state = client.persistence().channel_state(cid, {});
          return state && state->membership && state->membership->invited.value_or(false);
        })) {
      ++counts["invite unheard"];
      continue;
    }
    random() % 3 ? made_channel(client, cid).accept_invite()
                 : made_channel(client, cid).reject_invite();
    m.invite = MadeChannel::Invite::answered;
    ++counts["answer invite"];
  }
  acting = false;
  dropper.join();
  for (const auto& [kind, n] : counts)
    std::cout << kind << ": " << n << "\n";

  // Quiescence: the faults stop, and every outbox empties without a failure.
  chaos(R"({"fail_rate":0,"fail_after_rate":0,"latency_ms":0,"duplicate_events":false})");
  for (const auto& [user, client] : clients) {
    EXPECT_TRUE(eventually([&] { return client->outbox().empty(); }, 120s))
        << user << " still has " << client->outbox().size() << " entries";
    // What holds each channel's lane: its first entry.
    std::set<std::string> told;
    for (const auto& e : client->outbox()) {
      if (!told.insert(e.cid).second) continue;
      ADD_FAILURE() << user << ": " << to_string(e.kind) << " " << e.cid << " " << e.message_id
                    << " " << to_string(e.state) << " after " << e.attempts << " attempts "
                    << e.error.value_or("");
    }
  }

  // The server holds what the actions imply, as each member sees it.
  std::vector<std::string> all_cids = cids;
  for (const auto& [cid, m] : made)
    if (!m.deleted) all_cids.push_back(cid);
  for (const auto& user : kUsers) {
    for (const auto& cid : all_cids) {
      if (made.contains(cid) && !made[cid].is_member(user)) continue;
      auto r = query(user, cid, R"({"state":true,"messages":{"limit":300}})");
      ASSERT_EQ(r.status, 200u) << r.text;
      const auto messages =
          from_json<ChannelState>(r.json).messages.value_or(std::vector<Message>{});
      std::set<std::string> seen;
      std::map<std::string, std::vector<std::string>> order;  // by author
      for (const auto& m : messages) {
        ASSERT_TRUE(seen.insert(m.id).second) << "twice: " << m.id;
        auto want = expected.find(m.id);
        ASSERT_NE(want, expected.end()) << "never sent: " << m.id;
        const ExpectedMessage& e = want->second;
        EXPECT_EQ(e.cid, cid);
        EXPECT_FALSE(e.truncated) << m.id << " was sent before its channel's truncation";
        EXPECT_EQ(m.user->id, e.author);
        order[e.author].push_back(m.id);
        if (e.deleted) {
          EXPECT_TRUE(m.deleted_at) << m.id << " should be deleted";
          continue;
        }
        EXPECT_FALSE(m.deleted_at) << m.id;
        EXPECT_EQ(m.text, e.text) << m.id;
        EXPECT_EQ(m.pinned.value_or(false), e.pinned) << m.id << history(e);
        const auto* mood = m.extra.if_contains("mood");
        EXPECT_EQ(mood ? std::optional<std::string>(mood->as_string()) : std::nullopt, e.mood)
            << m.id << history(e);
        std::map<std::string, std::int64_t> counts_wanted;
        for (const auto& [who, types] : e.reactions) {
          for (const auto& type : types)
            ++counts_wanted[type];
        }
        auto counts_seen = m.reaction_counts.value_or(std::map<std::string, std::int64_t>{});
        std::erase_if(counts_seen, [](const auto& kv) { return kv.second == 0; });
        EXPECT_EQ(counts_seen, counts_wanted) << m.id << history(e);
        std::set<std::string> own;
        for (const auto& reaction : m.own_reactions.value_or(std::vector<Reaction>{}))
          own.insert(reaction.type);
        auto mine = e.reactions.find(user);
        EXPECT_EQ(own, mine == e.reactions.end() ? std::set<std::string>{} : mine->second)
            << user << " on " << m.id << history(e);
      }
      // Every message not deleted is there; each author's in the order they were sent.
      for (const auto& author : kUsers) {
        std::vector<std::string> live_sent;
        for (const auto& id : sent[cid][author]) {
          if ((!expected[id].deleted && !expected[id].truncated) || seen.count(id)) {
            live_sent.push_back(id);
          }
        }
        EXPECT_EQ(order[author], live_sent) << cid << " by " << author;
      }
    }
  }

  // Each user's settings, on the server and in their store.
  for (const auto& user : kUsers) {
    const ExpectedSettings& want = settings[user];
    auto r = call(user, verb::post, "/moderation/unmute", R"({"target_ids":["nobody"]})");
    ASSERT_EQ(r.status, 200u) << r.text;
    const ExpectedSettings on_server = settings_of(from_json<OwnUser>(r.json.at("own_user")));
    EXPECT_EQ(on_server.muted_users, want.muted_users) << user;
    EXPECT_EQ(on_server.muted_channels, want.muted_channels) << user;
    EXPECT_EQ(on_server.blocked_users, want.blocked_users) << user;
    for (const auto& cid : cids) {
      auto state = from_json<ChannelState>(query(user, cid).json);
      const auto found = want.membership.find(cid);
      const auto [pinned, archived] =
          found == want.membership.end() ? std::pair(false, false) : found->second;
      EXPECT_EQ(state.membership->pinned_at.has_value(), pinned) << user << " " << cid;
      EXPECT_EQ(state.membership->archived_at.has_value(), archived) << user << " " << cid;
    }
    EXPECT_TRUE(eventually([&] {
      auto info = clients[user]->persistence().connection_info();
      if (!info) return false;
      const ExpectedSettings stored = settings_of(info->own_user);
      return stored.muted_users == on_server.muted_users &&
             stored.muted_channels == on_server.muted_channels &&
             stored.blocked_users == on_server.blocked_users;
    })) << user
        << "'s own user differs from the server's";
  }

  // Drafts, the shared channels' topics, each user's status, on the server and in the stores.
  for (const auto& user : kUsers) {
    const ExpectedSettings& want = settings[user];
    for (const auto& cid : cids) {
      auto r =
          call(user, verb::get, "/channels/messaging/" + cid.substr(cid.find(':') + 1) + "/draft");
      const auto found = want.drafts.find(cid);
      if (found == want.drafts.end()) {
        EXPECT_EQ(r.status, 404u) << user << "'s draft in " << cid << ": " << r.text;
      } else {
        ASSERT_EQ(r.status, 200u) << r.text;
        EXPECT_EQ(r.json.at("draft").at("message").at("text"), json::value(found->second))
            << user << cid;
      }
      EXPECT_TRUE(eventually([&] {
        auto stored = clients[user]->persistence().draft(cid, std::nullopt);
        return found == want.drafts.end() ? !stored
                                          : stored && stored->message.text == found->second;
      })) << user
          << "'s stored draft in " << cid;
    }
    if (want.status) {
      EXPECT_EQ(server_user(user).at("status"), json::value(*want.status)) << user;
      EXPECT_TRUE(eventually([&] {
        auto info = clients[user]->persistence().connection_info();
        const auto* status = info ? info->own_user.extra.if_contains("status") : nullptr;
        return status && status->is_string() && status->as_string() == *want.status;
      })) << user
          << "'s stored status";
    }
  }
  for (const auto& cid : cids) {
    const auto channel = from_json<ChannelState>(query("bob", cid).json).channel;
    const auto* topic = channel.extra.if_contains("topic");
    const auto found = topics.find(cid);
    EXPECT_EQ(topic ? std::optional<std::string>(topic->as_string()) : std::nullopt,
              found == topics.end() ? std::nullopt : std::optional(found->second))
        << cid;
  }
  // The channels made: gone when deleted; else their members as their lives left them.
  for (const auto& [cid, m] : made) {
    auto r = call(m.creator, verb::post,
                  "/channels/messaging/" + cid.substr(cid.find(':') + 1) + "/query",
                  R"({"state":true})");
    if (m.deleted) {
      EXPECT_NE(r.status, 200u) << cid << " was deleted";
      continue;
    }
    ASSERT_EQ(r.status, 200u) << r.text;
    std::map<std::string, bool> members;  // id: invited
    for (const auto& member :
         from_json<ChannelState>(r.json).members.value_or(std::vector<Member>{}))
      members[member.id()] = member.invited.value_or(false);
    std::map<std::string, bool> want;
    for (const auto& user : kUsers)
      if (m.is_member(user)) want[user] = user == m.outsider;
    if (m.dave != MadeChannel::Dave::out) want["dave"] = m.dave == MadeChannel::Dave::invited;
    EXPECT_EQ(members, want) << cid;
  }

  // And every store is what the server shows its user, once the app has listed its channels
  // again (as its channel list does after a reconnect): a channel the user was added to while
  // her socket was down is known only to such a query.
  for (const auto& user : kUsers) {
    query_all(*clients[user], user);
    Views v;
    eventually([&] {
      v = views(*this, clients[user]->persistence(), user);
      return v.store == v.server;
    });
    if (v.store == v.server) continue;
    std::string report = difference(v.store, v.server);
    for (const auto& [id, m] : expected) {
      if (report.find(id) != std::string::npos) report += id + history(m) + "\n";
    }
    ADD_FAILURE() << user << "'s store and the server differ:\n"
                  << report << user << "'s last log lines:\n"
                  << logs[user].tail();
  }
}

}  // namespace
}  // namespace chatkeep::testing

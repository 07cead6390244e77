// Every user action works offline (issue 20), through ChatClient against a real chatkeep-server:
// each shows in the store at once, reaches the server once when it is back, and one the server
// refuses gives back the state as the server has it.

#include <algorithm>

#include <gtest/gtest.h>

#include <functional>

#include "chatkeep/sqlite_persistence.hpp"
#include "support/client_fixture.hpp"
#include "support/live_state.hpp"

namespace chatkeep::testing {
namespace {

using namespace std::chrono_literals;

class ActionsTest : public ClientTest {
 public:
  // alice's client, connected, with every channel of hers stored and the socket up.
  std::unique_ptr<ChatClient> connected_alice(Recorder*& events) {
    auto client = make_client();
    recorder_ = std::make_unique<Recorder>(*client);
    events = recorder_.get();
    EXPECT_TRUE(connect(*client, "alice"));
    query_all(*client, "alice");
    EXPECT_TRUE(events->wait(EventType::connection_recovered));
    return client;
  }

  // Takes the server away for `ms` and waits until the client has noticed.
  void go_offline(Recorder& events, int ms = 2500) {
    chaos(R"({"offline_ms":)" + std::to_string(ms) + "}");
    ASSERT_TRUE(eventually([&] {
      auto all = events.all();
      return std::any_of(all.begin(), all.end(), [](const Event& e) {
        return e.kind == EventType::connection_changed && e.online == false;
      });
    }));
  }

  // The message as `user` gets it from the server.
  Message server_message(const std::string& user, const std::string& id) {
    auto r = call(user, verb::get, "/messages/" + id);
    EXPECT_EQ(r.status, 200u) << r.text;
    return from_json<Message>(r.json.at("message"));
  }

 private:
  std::unique_ptr<Recorder> recorder_;
};

TEST_F(ActionsTest, PinsAndPartialUpdatesMadeOfflineShowAtOnceAndReachTheServerOnce) {
  const std::string cid = create("pins");
  send_text("alice", cid, "a1", "pin me");
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  ASSERT_TRUE(eventually([&] { return client->persistence().message("a1").has_value(); }));
  ChatChannel channel = client->channel("messaging", "pins");
  ASSERT_NO_FATAL_FAILURE(go_offline(*events));

  const auto expires = Timestamp::from_unix_micros(Timestamp::now().unix_micros() + 3'600'000'000);
  channel.pin_message("a1", expires);
  Message shown = *client->persistence().message("a1");
  EXPECT_TRUE(shown.pinned.value_or(false));
  ASSERT_TRUE(shown.pinned_by);
  EXPECT_EQ(shown.pinned_by->id, "alice");
  EXPECT_TRUE(shown.pinned_at);
  EXPECT_EQ(shown.pin_expires, expires);
  EXPECT_EQ(shown.local_state, LocalState::queued);
  ASSERT_EQ(client->persistence().pinned_messages(cid, {}).size(), 1u);

  channel.partial_update_message("a1", {{"text", "pinned, edited"}, {"mood", "calm"}});
  channel.unpin_message("a1");
  EXPECT_FALSE(client->persistence().message("a1")->pinned.value_or(false));
  EXPECT_TRUE(client->persistence().pinned_messages(cid, {}).empty());
  channel.pin_message("a1", expires);
  // The unpin cancelled the untried pin, and the second pin the unpin: the text update and one
  // pin are left.
  EXPECT_EQ(client->outbox().size(), 2u);
  shown = *client->persistence().message("a1");
  EXPECT_EQ(shown.text, "pinned, edited");
  EXPECT_EQ(shown.extra.at("mood"), "calm");
  EXPECT_TRUE(shown.pinned.value_or(false));

  ASSERT_TRUE(events->wait(EventType::outbox_delivered, 2)) << client->outbox().size();
  EXPECT_TRUE(eventually([&] { return client->outbox().empty(); }));
  const Message on_server = server_message("bob", "a1");
  EXPECT_EQ(on_server.text, "pinned, edited");
  EXPECT_EQ(on_server.extra.at("mood"), "calm");
  EXPECT_TRUE(on_server.pinned.value_or(false));
  EXPECT_EQ(on_server.pin_expires, expires);
  ASSERT_TRUE(on_server.pinned_by);
  EXPECT_EQ(on_server.pinned_by->id, "alice");
  EXPECT_TRUE(eventually([&] { return !client->persistence().message("a1")->local_state; }));
  EXPECT_EQ(client->persistence().message("a1")->pinned_at, on_server.pinned_at);

  channel.partial_update_message("a1", {}, {"mood"});
  ASSERT_TRUE(events->wait(EventType::outbox_delivered, 3));
  EXPECT_FALSE(server_message("bob", "a1").extra.contains("mood"));
  expect_converged(*client, "alice");
}

TEST_F(ActionsTest, AnExpiredPinIsNoLongerListedAnywhere) {
  const std::string cid = create("brief");
  send_text("alice", cid, "a1", "briefly pinned");
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  ASSERT_TRUE(eventually([&] { return client->persistence().message("a1").has_value(); }));
  const auto expires = Timestamp::from_unix_micros(Timestamp::now().unix_micros() + 1'500'000);
  client->channel("messaging", "brief").pin_message("a1", expires);
  ASSERT_TRUE(events->wait(EventType::outbox_delivered));
  EXPECT_EQ(client->persistence().pinned_messages(cid, {}).size(), 1u);
  auto pinned_on_server = [&] {
    auto r = query("bob", cid, R"({"state":true})");
    return from_json<ChannelState>(r.json).pinned_messages.value_or(std::vector<Message>{}).size();
  };
  EXPECT_EQ(pinned_on_server(), 1u);
  std::this_thread::sleep_until(expires.time_point() + 100ms);
  EXPECT_TRUE(client->persistence().pinned_messages(cid, {}).empty());
  EXPECT_EQ(pinned_on_server(), 0u);
  EXPECT_TRUE(client->persistence().message("a1")->pinned.value_or(false))
      << "the message still says it was pinned, until when";
}

// Only the author or the channel's owner pins. alice's pin of bob's message in carol's channel
// is refused: the entry leaves the outbox with the server's reason and the message is the
// server's again.
TEST_F(ActionsTest, ARefusedPinLeavesTheOutboxAndGivesBackTheServersMessage) {
  auto r = query("carol", "messaging:carols", R"({"data":{"members":["alice","bob","carol"]}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  send_text("bob", "messaging:carols", "b1", "bob's");
  OutboxHold hold(data_.path());  // while the echo is checked
  ASSERT_TRUE(hold.held);
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  ASSERT_TRUE(eventually([&] { return client->persistence().message("b1").has_value(); }));
  client->channel("messaging", "carols").pin_message("b1");
  EXPECT_TRUE(client->persistence().message("b1")->pinned.value_or(false));
  hold.release();
  ASSERT_TRUE(events->wait(EventType::outbox_failed));
  const Event failed = [&] {
    for (const auto& e : events->all())
      if (e.kind == EventType::outbox_failed) return e;
    return Event{};
  }();
  EXPECT_NE(failed.extra.at("outbox_entry").at("error").as_string().find("may not pin"),
            std::string::npos);
  ASSERT_TRUE(eventually([&] {
    auto m = client->persistence().message("b1");
    return client->outbox().empty() && !m->pinned.value_or(false) && !m->local_state;
  }));
  EXPECT_FALSE(server_message("bob", "b1").pinned.value_or(false));
  expect_converged(*client, "alice");
}

TEST_F(ActionsTest, AQuotedReplyShowsTheQuotedMessageInItsEchoAndASilentOneCountsAsNobodysUnread) {
  const std::string cid = create("quotes");
  send_text("bob", cid, "b1", "quote me");
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  ASSERT_TRUE(eventually([&] { return client->persistence().message("b1").has_value(); }));
  ChatChannel channel = client->channel("messaging", "quotes");
  ASSERT_NO_FATAL_FAILURE(go_offline(*events));
  const Message echo = channel.send_message(Message{.text = "quoting", .quoted_message_id = "b1"});
  ASSERT_TRUE(echo.quoted_message);
  EXPECT_EQ(echo.quoted_message->text, "quote me");
  auto stored = client->persistence().message(echo.id);
  ASSERT_TRUE(stored && stored->quoted_message);
  EXPECT_EQ(stored->quoted_message->id, "b1");
  channel.send_message(Message{.text = "shh", .silent = true});
  ASSERT_TRUE(events->wait(EventType::outbox_delivered, 2));

  const Message on_server = server_message("bob", echo.id);
  ASSERT_TRUE(on_server.quoted_message);
  EXPECT_EQ(on_server.quoted_message->text, "quote me");
  auto state = from_json<ChannelState>(query("bob", cid, R"({"state":true})").json);
  for (const auto& read : state.read.value_or(std::vector<Read>{})) {
    if (read.user.id == "bob") {
      EXPECT_EQ(read.unread_messages, 1) << "the silent one is not";
    }
  }
  expect_converged(*client, "alice");
}

// The server's view of `user`'s own settings: the own user an unmute of nobody answers with.
OwnUser server_own_user(ClientTest& t, const std::string& user) {
  auto r = t.call(user, verb::post, "/moderation/unmute", R"({"target_ids":["nobody"]})");
  EXPECT_EQ(r.status, 200u) << r.text;
  return from_json<OwnUser>(r.json.at("own_user"));
}

bool has_mute_of(const std::optional<ConnectionInfo>& info, const std::string& user) {
  if (!info || !info->own_user.mutes) return false;
  const auto& mutes = *info->own_user.mutes;
  return std::any_of(mutes.begin(), mutes.end(),
                     [&](const Mute& m) { return m.target && m.target->id == user; });
}

// Settings made offline show at once, and stay shown while the server's older copies arrive (the
// greeting's own user, a query's channels and memberships) before they are delivered: another
// process holding the outbox's lease keeps them from going until it lets go.
TEST_F(ActionsTest, SettingsMadeOfflineShowAtOnceAndOutliveTheServersOlderCopies) {
  const std::string hidden = create("hidden"), muted = create("muted"), pinned = create("pinned");
  {
    auto client = make_client();
    ASSERT_TRUE(connect(*client, "alice"));
    ASSERT_EQ(query_all(*client, "alice").size(), 3u);
  }
  OutboxHold hold(data_.path());
  ASSERT_TRUE(hold.held);
  auto shown = [&](ChatPersistenceClient& store) {
    auto info = store.connection_info();
    auto pinned_state = store.channel_state(pinned, {});
    auto hidden_state = store.channel_state(hidden, {});
    return info && has_mute_of(info, "bob") && info->own_user.channel_mutes &&
           info->own_user.channel_mutes->size() == 1 &&
           info->own_user.channel_mutes->at(0).channel->cid == muted &&
           info->own_user.blocked_user_ids == std::vector<std::string>{"carol"} && hidden_state &&
           hidden_state->channel.hidden == true && pinned_state && pinned_state->membership &&
           pinned_state->membership->pinned_at && pinned_state->membership->archived_at;
  };
  {
    auto offline = make_client(closed_port());
    ASSERT_TRUE(connect(*offline, "alice"));
    offline->channel("messaging", "hidden").hide();
    offline->channel("messaging", "muted").mute(std::chrono::hours(1));
    offline->channel("messaging", "pinned").pin();
    offline->channel("messaging", "pinned").archive();
    offline->mute_user("bob", std::chrono::minutes(30));
    offline->block_user("carol");
    EXPECT_TRUE(shown(offline->persistence()));
    EXPECT_EQ(offline->outbox().size(), 6u);
  }

  // Online: the greeting and the answers below say none of it, and change nothing shown.
  auto client = make_client();
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_TRUE(events.wait(EventType::connection_recovered));
  query_all(*client, "alice");
  client->settle();
  auto& store = client->persistence();
  EXPECT_TRUE(shown(store));
  EXPECT_EQ(client->outbox().size(), 6u);

  hold.release();
  ASSERT_TRUE(eventually([&] { return client->outbox().empty(); })) << client->outbox().size();
  const OwnUser on_server = server_own_user(*this, "alice");
  ASSERT_EQ(on_server.mutes->size(), 1u);
  EXPECT_EQ(on_server.mutes->at(0).target->id, "bob");
  EXPECT_TRUE(on_server.mutes->at(0).expires);
  ASSERT_EQ(on_server.channel_mutes->size(), 1u);
  EXPECT_EQ(on_server.channel_mutes->at(0).channel->cid, muted);
  EXPECT_EQ(on_server.blocked_user_ids, std::vector<std::string>{"carol"});
  const auto state = from_json<ChannelState>(query("alice", pinned).json);
  ASSERT_TRUE(state.membership);
  EXPECT_TRUE(state.membership->pinned_at);
  EXPECT_TRUE(state.membership->archived_at);
  EXPECT_TRUE(from_json<ChannelState>(query("alice", hidden).json).channel.hidden.value_or(false));
  client->settle();
  EXPECT_TRUE(shown(store));

  // Undone online: the server's events bring the same.
  client->channel("messaging", "hidden").show();
  client->unmute_user("bob");
  client->unblock_user("carol");
  ASSERT_TRUE(eventually([&] { return client->outbox().empty(); }));
  const OwnUser undone = server_own_user(*this, "alice");
  EXPECT_TRUE(undone.mutes->empty());
  EXPECT_TRUE(undone.blocked_user_ids->empty());
  EXPECT_FALSE(from_json<ChannelState>(query("alice", hidden).json).channel.hidden.value_or(true));
  ASSERT_TRUE(eventually([&] {
    auto info = store.connection_info();
    return !has_mute_of(info, "bob") && info->own_user.blocked_user_ids->empty() &&
           store.channel_state(hidden, {})->channel.hidden == false;
  }));
}

// A setting the server refuses leaves the outbox and gives the state back as the server has it:
// a mute of a user who does not exist, a hide the server answers with 403. Another process holds
// the outbox's lease while each echo is checked (a connected client keeps it, so the lease is
// taken before each client starts), or delivery could refuse the setting first.
TEST_F(ActionsTest, ARefusedSettingLeavesTheOutboxAndGivesBackTheServersState) {
  const std::string cid = create("refused");
  Recorder* events = nullptr;
  {
    OutboxHold hold(data_.path());
    ASSERT_TRUE(hold.held);
    auto client = connected_alice(events);
    EXPECT_THROW(client->mute_user("bob", std::chrono::hours(24 * 366 * 10)), ChatError);
    EXPECT_THROW(client->channel("messaging", "refused").mute(std::chrono::milliseconds(0)),
                 ChatError);
    EXPECT_TRUE(client->outbox().empty());
    client->mute_user("ghost");
    EXPECT_TRUE(has_mute_of(client->persistence().connection_info(), "ghost"));
    hold.release();
    ASSERT_TRUE(events->wait(EventType::outbox_failed));
    ASSERT_TRUE(eventually([&] {
      return client->outbox().empty() &&
             !has_mute_of(client->persistence().connection_info(), "ghost");
    }));
  }

  OutboxHold hold(data_.path());
  ASSERT_TRUE(hold.held);
  auto client = connected_alice(events);
  client->channel("messaging", "refused").hide();
  EXPECT_EQ(client->persistence().channel_state(cid, {})->channel.hidden, true);
  chaos(R"({"fail_next":1,"fail_status":403})");
  hold.release();
  ASSERT_TRUE(events->wait(EventType::outbox_failed));
  ASSERT_TRUE(eventually([&] {
    return client->outbox().empty() &&
           client->persistence().channel_state(cid, {})->channel.hidden == false;
  }));
}

// The unread count of a user's own read follows the server's mutes, not the ones shown while
// they wait in the outbox: a message from a user whose mute has not reached the server counts
// (the server counts it), and one from a user whose unmute has not reached it does not. The
// socket tells when the server's mutes change, in order with the messages it sends.
TEST_F(ActionsTest, UnreadCountsFollowTheServersMutesNotThoseWaitingInTheOutbox) {
  const std::string cid = create("counted");
  Recorder* events = nullptr;
  auto own_unread = [&](ChatClient& client) -> std::optional<std::int64_t> {
    auto state = client.persistence().channel_state(cid, {});
    if (!state || !state->read) return std::nullopt;
    for (const auto& read : *state->read)
      if (read.user.id == "alice") return read.unread_messages.value_or(0);
    return std::nullopt;
  };
  auto server_unread = [&] {
    const auto state = from_json<ChannelState>(query("alice", cid).json);
    for (const auto& read : state.read.value_or(std::vector<Read>{}))
      if (read.user.id == "alice") return read.unread_messages.value_or(0);
    return std::int64_t{-1};
  };
  auto heard = [&](ChatClient& client, const std::string& id) {
    return eventually([&] { return client.persistence().message(id).has_value(); });
  };

  // Makes the setting while another process holds the outbox, and has bob send `id` meanwhile:
  // the server, without the setting yet, counts it as before. Then lets the setting go.
  std::unique_ptr<ChatClient> client;
  auto while_held = [&](const std::function<void(ChatClient&)>& setting, const std::string& id) {
    OutboxHold hold(data_.path());
    ASSERT_TRUE(hold.held);
    client = connected_alice(events);
    setting(*client);
    send_text("bob", cid, id, id);
    ASSERT_TRUE(heard(*client, id));
    EXPECT_EQ(server_unread(), 1);
    EXPECT_EQ(own_unread(*client), 1);
    hold.release();
    ASSERT_TRUE(eventually([&] { return client->outbox().empty(); }));
  };

  ASSERT_NO_FATAL_FAILURE(while_held(
      [](ChatClient& c) {
        c.mute_user("bob");
        EXPECT_TRUE(has_mute_of(c.persistence().connection_info(), "bob"));
      },
      "before-mute"));
  ASSERT_TRUE(eventually([&] { return server_own_user(*this, "alice").mutes->size() == 1; }));
  // The socket's notification.mutes_updated comes before this message: not counted.
  send_text("bob", cid, "muted", "not counted");
  ASSERT_TRUE(heard(*client, "muted"));
  EXPECT_EQ(server_unread(), 1);
  EXPECT_EQ(own_unread(*client), 1);
  client.reset();

  ASSERT_NO_FATAL_FAILURE(while_held(
      [](ChatClient& c) {
        c.unmute_user("bob");
        EXPECT_FALSE(has_mute_of(c.persistence().connection_info(), "bob"));
      },
      "before-unmute"));
  ASSERT_TRUE(eventually([&] { return server_own_user(*this, "alice").mutes->empty(); }));
  send_text("bob", cid, "unmuted", "counted again");
  ASSERT_TRUE(heard(*client, "unmuted"));
  EXPECT_EQ(server_unread(), 2);
  EXPECT_EQ(own_unread(*client), 2);
  expect_converged(*client, "alice");
}

// Drafts saved while the outbox waits show at once, reach the server once, follow the user's
// other devices (the server's draft.updated), and go when a message is sent from them.
TEST_F(ActionsTest, DraftsShowAtOnceFollowOtherDevicesAndGoWhenSent) {
  const std::string cid = create("drafts");
  send_text("bob", cid, "root", "a thread");
  OutboxHold hold(data_.path());
  ASSERT_TRUE(hold.held);
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  ChatChannel channel = client->channel("messaging", "drafts");
  ASSERT_TRUE(eventually([&] { return client->persistence().message("root").has_value(); }));

  channel.save_draft(Message{.text = "first thoughts"});
  channel.save_draft(Message{.text = "second thoughts"});
  channel.save_draft(Message{.text = "in the thread", .parent_id = "root"});
  ASSERT_TRUE(channel.draft());
  EXPECT_EQ(channel.draft()->message.text, "second thoughts");
  EXPECT_EQ(channel.draft("root")->message.text, "in the thread");
  EXPECT_EQ(client->outbox().size(), 2u) << "the first save is replaced";
  hold.release();
  ASSERT_TRUE(eventually([&] { return client->outbox().empty(); }));
  auto on_server = [&](const std::string& query) {
    return call("alice", verb::get, "/channels/messaging/drafts/draft" + query);
  };
  auto r = on_server("");
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(r.json.at("draft").at("message").at("text"), "second thoughts");
  EXPECT_EQ(on_server("?parent_id=root").json.at("draft").at("message").at("text"),
            "in the thread");

  // Another device of alice's writes the draft: this one follows.
  ASSERT_EQ(call("alice", verb::post, "/channels/messaging/drafts/draft",
                 R"({"message":{"text":"from the phone"}})")
                .status,
            200u);
  ASSERT_TRUE(eventually([&] {
    auto d = channel.draft();
    return d && d->message.text == "from the phone";
  }));
  // Sending takes the draft away, here and on the server; deleting the thread's takes it away.
  channel.send_message(Message{.text = "sent"});
  EXPECT_FALSE(channel.draft());
  channel.delete_draft("root");
  EXPECT_FALSE(channel.draft("root"));
  ASSERT_TRUE(eventually([&] { return client->outbox().empty(); }));
  EXPECT_EQ(on_server("").status, 404u);
  EXPECT_EQ(on_server("?parent_id=root").status, 404u);
  client->settle();
  EXPECT_FALSE(channel.draft());
}

// A channel created while the outbox waits is there at once with its members, and what is done
// in it (a message, an update, another member) waits for its creation and follows it.
TEST_F(ActionsTest, AChannelCreatedOfflineComesFirstAndWhatIsDoneInItFollows) {
  create("elsewhere");
  OutboxHold hold(data_.path());
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  ChatChannel channel = client->channel("messaging", "fresh");
  channel.create({{"name", "Fresh"}, {"color", "green"}}, {"bob"});
  channel.send_message(Message{.id = "hello", .text = "hello"});
  channel.update_partial({{"topic", "news"}}, {"color"});
  channel.add_members({"carol"});
  auto& store = client->persistence();
  auto state = store.channel_state("messaging:fresh", {});
  ASSERT_TRUE(state);
  EXPECT_EQ(state->channel.name, "Fresh");
  EXPECT_EQ(state->channel.extra.at("topic"), "news");
  EXPECT_FALSE(state->channel.extra.contains("color"));
  EXPECT_EQ(state->channel.created_by->id, "alice");
  ASSERT_TRUE(state->members);
  EXPECT_EQ(state->members->size(), 3u);
  ASSERT_TRUE(state->membership);
  ASSERT_EQ(state->messages.value_or(std::vector<Message>{}).size(), 1u);
  EXPECT_THROW(client->channel("messaging", "nowhere").truncate(), ChatError);

  hold.release();
  ASSERT_TRUE(eventually([&] { return client->outbox().empty(); })) << [&] {
    std::string all;
    for (const auto& e : client->outbox())
      all += std::string(to_string(e.kind)) + " " + std::string(to_string(e.state)) + " " +
             e.error.value_or("") + "\n";
    return all;
  }();
  const auto on_server = from_json<ChannelState>(query("bob", "messaging:fresh").json);
  EXPECT_EQ(on_server.channel.name, "Fresh");
  EXPECT_EQ(on_server.channel.extra.at("topic"), "news");
  EXPECT_FALSE(on_server.channel.extra.contains("color"));
  EXPECT_EQ(on_server.channel.created_by->id, "alice");
  EXPECT_EQ(on_server.members->size(), 3u);
  ASSERT_EQ(on_server.messages.value_or(std::vector<Message>{}).size(), 1u);
  EXPECT_EQ(on_server.messages->at(0).id, "hello");

  // Online: a full update, a truncation, a deletion, each shown at once and done on the server.
  channel.update({{"name", "Renamed"}});
  EXPECT_EQ(store.channel_state("messaging:fresh", {})->channel.name, "Renamed");
  EXPECT_FALSE(store.channel_state("messaging:fresh", {})->channel.extra.contains("topic"));
  channel.truncate();
  EXPECT_TRUE(store.channel_state("messaging:fresh", {})
                  ->messages.value_or(std::vector<Message>{})
                  .empty());
  ASSERT_TRUE(eventually([&] { return client->outbox().empty(); }));
  const auto renamed = from_json<ChannelState>(query("bob", "messaging:fresh").json);
  EXPECT_EQ(renamed.channel.name, "Renamed");
  EXPECT_TRUE(renamed.messages.value_or(std::vector<Message>{}).empty());
  channel.delete_channel();
  EXPECT_FALSE(store.channel_state("messaging:fresh", {}));
  ASSERT_TRUE(eventually([&] { return client->outbox().empty(); }));
  // Gone on the server: a query makes it anew, empty.
  auto anew = query("bob", "messaging:fresh", R"({"data":{"members":["bob"]}})");
  ASSERT_EQ(anew.status, 200u) << anew.text;
  EXPECT_FALSE(from_json<ChannelState>(anew.json).channel.name);
}

// A creation the server refuses stays failed with what waits in its channel, until the app
// discards it, which takes the channel away with all of it.
TEST_F(ActionsTest, ARefusedCreationHoldsItsChannelUntilDiscarded) {
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  ChatChannel channel = client->channel("messaging", "doomed");
  chaos(R"({"fail_next":1,"fail_status":403})");
  channel.create({}, {"bob"});
  channel.send_message(Message{.id = "waits", .text = "waits"});
  ASSERT_TRUE(events->wait(EventType::outbox_failed));
  client->settle();
  auto entries = client->outbox();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].state, OutboxState::failed);
  EXPECT_EQ(entries[1].state, OutboxState::queued) << "waits for the creation";
  EXPECT_EQ(entries[1].attempts, 0);
  client->discard(entries[0].id);
  EXPECT_TRUE(client->outbox().empty());
  EXPECT_FALSE(client->persistence().channel_state("messaging:doomed", {}));
  EXPECT_FALSE(client->persistence().message("waits"));
  EXPECT_EQ(call("alice", verb::get, "/messages/waits").status, 404u);
}

// Invites, answers and leaving, each shown at once; a change the server refuses (a member who
// is not the owner removing another) gives the channel back as the server has it.
TEST_F(ActionsTest, InvitesAnswersAndLeavingShowAtOnceAndRefusalsGiveTheChannelBack) {
  const std::string cid = create("club");
  ASSERT_EQ(call("bob", verb::post, "/channels/messaging/club", R"({"invites":["carol"]})").status,
            200u);
  auto carol = make_client();
  Recorder carol_events(*carol);
  ASSERT_TRUE(connect(*carol, "carol"));
  query_all(*carol, "carol");
  auto invited = carol->persistence().channel_state(cid, {});
  ASSERT_TRUE(invited && invited->membership);
  EXPECT_TRUE(invited->membership->invited.value_or(false));
  carol->channel("messaging", "club").accept_invite();
  EXPECT_TRUE(carol->persistence().channel_state(cid, {})->membership->invite_accepted_at);
  ASSERT_TRUE(eventually([&] { return carol->outbox().empty(); }));
  const auto accepted = from_json<ChannelState>(query("carol", cid).json);
  EXPECT_TRUE(accepted.membership->invite_accepted_at);

  OutboxHold hold(data_.path());  // while the echo is checked
  ASSERT_TRUE(hold.held);
  Recorder* events = nullptr;
  auto alice = connected_alice(events);
  ChatChannel club = alice->channel("messaging", "club");
  club.remove_members({"carol"});  // alice is no owner
  EXPECT_EQ(alice->persistence().channel_state(cid, {})->members->size(), 2u);
  hold.release();
  ASSERT_TRUE(events->wait(EventType::outbox_failed));
  ASSERT_TRUE(eventually([&] {
    auto state = alice->persistence().channel_state(cid, {});
    return alice->outbox().empty() && state && state->members && state->members->size() == 3u;
  }));
  club.leave();
  EXPECT_FALSE(alice->persistence().channel_state(cid, {}));
  ASSERT_TRUE(eventually([&] { return alice->outbox().empty(); }));
  const auto left = from_json<ChannelState>(query("bob", cid).json);
  EXPECT_EQ(left.members->size(), 2u);
  alice->settle();
  EXPECT_FALSE(alice->persistence().channel_state(cid, {})) << "the answer does not bring it back";
}

// The creator watches the channel she makes: what its members do reaches her store.
TEST_F(ActionsTest, TheCreatorHearsOfHerChannel) {
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  client->channel("messaging", "hers").create({}, {"bob", "carol"});
  ASSERT_TRUE(eventually([&] { return client->outbox().empty(); }));
  ASSERT_EQ(call("carol", verb::post, "/channels/messaging/hers", R"({"remove_members":["carol"]})")
                .status,
            200u);
  ASSERT_TRUE(eventually([&] {
    auto state = client->persistence().channel_state("messaging:hers", {});
    return state && state->members && state->members->size() == 2u;
  }));
}

// Events about a channel the user has left, sent before the server has her leave (a message
// bob sends meanwhile), do not bring it back.
TEST_F(ActionsTest, LateNewsOfAChannelLeftDoesNotBringItBack) {
  const std::string cid = create("left");
  OutboxHold hold(data_.path());
  ASSERT_TRUE(hold.held);
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  ASSERT_TRUE(client->persistence().channel_state(cid, {}));
  client->channel("messaging", "left").leave();
  EXPECT_FALSE(client->persistence().channel_state(cid, {}));
  send_text("bob", cid, "late", "are you there?");
  ASSERT_TRUE(events->wait(EventType::message_new));
  client->settle();
  EXPECT_FALSE(client->persistence().channel_state(cid, {}));
  EXPECT_FALSE(client->persistence().message("late"));
  hold.release();
  ASSERT_TRUE(eventually([&] { return client->outbox().empty(); }));
  client->settle();
  EXPECT_FALSE(client->persistence().channel_state(cid, {}));
}

// The own user's partial update shows at once in the own user and the users table, and reaches
// the server; fields the server owns are refused before anything is queued.
TEST_F(ActionsTest, TheOwnUsersUpdateShowsAtOnceAndReachesTheServer) {
  OutboxHold hold(data_.path());
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  EXPECT_THROW(client->update_own_user({{"role", "admin"}}), ChatError);
  EXPECT_THROW(client->update_own_user({}, {"banned"}), ChatError);
  EXPECT_THROW(client->update_own_user({{"name", 5}}), ChatError);
  EXPECT_TRUE(client->outbox().empty());
  client->update_own_user({{"name", "Alicia"}, {"mood", "sunny"}});
  auto info = client->persistence().connection_info();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->own_user.name, "Alicia");
  EXPECT_EQ(info->own_user.extra.at("mood"), "sunny");
  hold.release();
  ASSERT_TRUE(eventually([&] { return client->outbox().empty(); }));
  const auto on_server = server_user("alice");
  EXPECT_EQ(on_server.at("name"), "Alicia");
  EXPECT_EQ(on_server.at("mood"), "sunny");
  client->settle();
  EXPECT_EQ(client->persistence().connection_info()->own_user.name, "Alicia");
}

// Another user's update reaches those who share a channel with them, live: the store shows it
// wherever that user appears.
TEST_F(ActionsTest, AnotherUsersUpdateReachesThoseWhoShareAChannel) {
  const std::string cid = create("shared");
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  auto r = call("bob", verb::patch, "/users", R"({"users":[{"id":"bob","set":{"name":"Bobby"}}]})");
  ASSERT_EQ(r.status, 200u) << r.text;
  ASSERT_TRUE(events->wait(EventType::user_updated));
  client->settle();
  const auto state = client->persistence().channel_state(cid, {});
  ASSERT_TRUE(state && state->members);
  const auto bob = std::find_if(state->members->begin(), state->members->end(),
                                [](const Member& m) { return m.id() == "bob"; });
  ASSERT_NE(bob, state->members->end());
  ASSERT_TRUE(bob->user);
  EXPECT_EQ(bob->user->name, "Bobby");
}

}  // namespace
}  // namespace chatkeep::testing

// The outbox across crashes: a child process plays 500 offline actions of every kind across 5
// channels while the server is unreachable, and is SIGKILLed at random moments and restarted,
// over 100 times; then it runs online until its outbox is empty. Every acknowledged action must
// be on the server exactly once, in each channel's sending order, with the script's final text,
// deletions, reactions, pins and custom fields, and the user's settings as the script left them
// (hidden, muted and pinned channels, muted and blocked users, drafts, status, an invite's answer,
// a channel left) and the channels it made (their topics, members, truncations and deletions); the
// client's database must pass SQLite's integrity check.

#include <gtest/gtest.h>

#include <iostream>
#include <random>

#include "chatkeep/sqlite_persistence.hpp"
#include "support/client_fixture.hpp"
#include "support/driver_process.hpp"
#include "support/outbox_script.hpp"
#include "support/sqlite_peek.hpp"

namespace chatkeep::testing {
namespace {

constexpr std::size_t kActions = 500;
constexpr int kMinKills = 100;

TEST_F(ClientTest, OutboxActionsSurviveHundredsOfKillsAndArriveExactlyOnce) {
  TempDir server_data;
  const std::string db = (server_data.path() / "server.sqlite").string();
  auto server = start_file_server(db);
  const std::uint16_t port = port_;
  std::vector<std::string> cids;
  for (int c = 0; c < 5; ++c)
    cids.push_back(create("c" + std::to_string(c)));
  create(kLeavingCid.substr(10));
  ASSERT_EQ(query("bob", kInvitedCid, R"({"data":{"members":["bob"]}})").status, 200u);
  ASSERT_EQ(
      call("bob", verb::post, "/channels/messaging/invited", R"({"invites":["alice"]})").status,
      200u);
  {
    // Alice has used the app before: her own user and her channels are cached.
    auto client = make_client(port);
    ASSERT_TRUE(connect(*client, "alice"));
    ASSERT_EQ(query_all(*client, "alice").size(), 7u);
    client->disconnect_user();
  }
  server.reset();  // unreachable from here on

  const std::uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OutboxScript script(seed, kActions, cids);
  std::mt19937 random(seed);
  const DriverScript driver{.binary = CHATKEEP_OUTBOX_DRIVER,
                            .port = port,
                            .dir = data_.path().string(),
                            .seed = seed,
                            .length = kActions};
  // Up to 7 acknowledgements, then up to 3 ms more.
  const auto [acked, kills] = kill_repeatedly(driver, random, 8, 3000us, [](const Killed& k) {
    return k.acked >= kActions && k.kills >= kMinKills;
  });
  std::size_t expected_messages = script.final_messages().size();
  std::cout << "[ crash    ] " << kills << " kills; " << acked << " actions acknowledged; "
            << expected_messages << " messages expected on the server\n";
  EXPECT_GE(kills, kMinKills);
  EXPECT_EQ(acked, kActions);

  server = start_file_server(db, port);
  DriverProcess online = start_driver(driver, kActions, true);
  ASSERT_EQ(online.wait_exit(), 0) << "the outbox did not empty";

  std::vector<std::string> all_cids = cids;
  for (const auto& [cid, made] : script.made()) {
    auto r = query("alice", cid, R"({"state":true})");
    if (made.deleted) {
      EXPECT_NE(r.status, 200u) << cid << " was deleted";
      continue;
    }
    all_cids.push_back(cid);
    ASSERT_EQ(r.status, 200u) << r.text;
    const ChannelState state = from_json<ChannelState>(r.json);
    const auto* topic = state.channel.extra.if_contains("topic");
    EXPECT_EQ(topic ? std::string(topic->as_string()) : std::string(), made.topic) << cid;
    std::set<std::string> members;
    for (const auto& m : state.members.value_or(std::vector<Member>{}))
      members.insert(m.id());
    const std::set<std::string> want = made.carol ? std::set<std::string>{"alice", "bob", "carol"}
                                                  : std::set<std::string>{"alice", "bob"};
    EXPECT_EQ(members, want) << cid;
  }
  for (const auto& cid : all_cids) {
    auto draft =
        call("alice", verb::get, "/channels/messaging/" + cid.substr(cid.find(':') + 1) + "/draft");
    const auto want = script.settings().drafts.find(cid);
    if (want == script.settings().drafts.end()) {
      EXPECT_EQ(draft.status, 404u) << cid << ": " << draft.text;
    } else {
      ASSERT_EQ(draft.status, 200u) << draft.text;
      EXPECT_EQ(draft.json.at("draft").at("message").at("text"), boost::json::value(want->second))
          << cid;
    }
  }
  {
    const auto invited = from_json<ChannelState>(query("alice", kInvitedCid).json);
    ASSERT_TRUE(invited.membership);
    const auto accepted = script.settings().accepted;
    EXPECT_EQ(invited.membership->invite_accepted_at.has_value(), accepted.value_or(false));
    EXPECT_EQ(invited.membership->invite_rejected_at.has_value(), accepted == false);
    EXPECT_EQ(query("alice", kLeavingCid).status == 200u, !script.settings().left);
  }
  if (!script.settings().status.empty()) {
    EXPECT_EQ(server_user("alice").at("status"), boost::json::value(script.settings().status));
  }
  for (const auto& cid : all_cids) {
    auto r = query("alice", cid, R"({"state":true,"messages":{"limit":300}})");
    const auto messages = from_json<ChannelState>(r.json).messages.value_or(std::vector<Message>{});
    std::vector<std::string> ids;
    for (const auto& m : messages) {
      ids.push_back(m.id);
      auto expected = script.final_messages().find(m.id);
      ASSERT_NE(expected, script.final_messages().end()) << m.id << " should not be there";
      EXPECT_EQ(m.text, expected->second.text) << m.id;
      std::set<std::string> reactions;
      for (const auto& [type, count] :
           m.reaction_counts.value_or(std::map<std::string, std::int64_t>{})) {
        if (count > 0) reactions.insert(type);
      }
      EXPECT_EQ(reactions, expected->second.reactions) << m.id;
      EXPECT_EQ(m.pinned.value_or(false), expected->second.pinned) << m.id;
      const auto* mood = m.extra.if_contains("mood");
      EXPECT_EQ(mood ? std::string(mood->as_string()) : std::string(), expected->second.mood)
          << m.id;
    }
    const ChannelState state = from_json<ChannelState>(r.json);
    const ScriptedSettings& settings = script.settings();
    EXPECT_EQ(state.channel.hidden.value_or(false), settings.hidden.contains(cid)) << cid;
    EXPECT_EQ(state.membership->pinned_at.has_value(), settings.pinned_channels.contains(cid))
        << cid;
    auto order = script.order().find(cid);
    EXPECT_EQ(ids, order == script.order().end() ? std::vector<std::string>{} : order->second)
        << cid << ": every message once, in sending order";
  }
  auto r = call("alice", verb::post, "/moderation/unmute", R"({"target_ids":["nobody"]})");
  ASSERT_EQ(r.status, 200u) << r.text;
  const OwnUser own = from_json<OwnUser>(r.json.at("own_user"));
  std::set<std::string> muted, blocked, muted_channels;
  for (const auto& m : *own.mutes)
    muted.insert(m.target->id);
  for (const auto& m : *own.channel_mutes)
    muted_channels.insert(m.channel->cid);
  blocked.insert(own.blocked_user_ids->begin(), own.blocked_user_ids->end());
  EXPECT_EQ(muted, script.settings().muted_users);
  EXPECT_EQ(blocked, script.settings().blocked_users);
  EXPECT_EQ(muted_channels, script.settings().muted_channels);
  EXPECT_EQ(peek_column(SqlitePersistenceClient::database_path(data_.path(), "alice"),
                        "PRAGMA integrity_check"),
            std::vector<std::string>{"ok"});
}

}  // namespace
}  // namespace chatkeep::testing

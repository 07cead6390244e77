// Unread counts on chatkeep-server: per member, totals over a user's channels, the totals that
// ride on events, and marking one or every channel read.

#include <gtest/gtest.h>

#include "chatkeep/channel_state.hpp"
#include "support/server_fixture.hpp"

namespace chatkeep {
namespace {

using testing::verb;

class UnreadTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    for (const char* cid : {"messaging:general", "messaging:random"}) {
      ASSERT_EQ(query("alice", cid, R"({"data":{"members":["alice","bob"]}})").status, 200u);
    }
  }

  std::int64_t unread(const std::string& user, const std::string& cid) {
    auto state = from_json<ChannelState>(query(user, cid).json);
    for (const auto& read : *state.read) {
      if (read.user.id == user) return read.unread_messages.value_or(-1);
    }
    return -1;
  }

  void say(const std::string& user, const std::string& cid, const std::string& id,
           const std::string& extra = "") {
    auto r = send(user, cid, R"({"id":")" + id + R"(","text":"x")" + extra + "}");
    ASSERT_EQ(r.status, 200u) << r.text;
  }
};

TEST_F(UnreadTest, EventsCarryEachRecipientsOwnTotals) {
  std::string alice_connection, bob_connection;
  auto alice = open("alice", &alice_connection);
  auto bob = open("bob", &bob_connection);
  watch_general("alice", alice_connection);
  watch_general("bob", bob_connection);
  say("bob", "messaging:random", "r1");  // bob watches nothing there: alice is notified
  say("bob", "messaging:general", "g1");
  say("bob", "messaging:general", "g2", R"(,"silent":true)");  // silent: not unread

  auto seen = drain(*alice);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].kind, EventType::notification_message_new);
  EXPECT_EQ(seen[0].total_unread_count, 1);
  EXPECT_EQ(seen[1].kind, EventType::message_new);
  EXPECT_EQ(seen[1].total_unread_count, 2);
  EXPECT_EQ(seen[1].unread_channels, 2);
  EXPECT_EQ(seen[2].total_unread_count, 2);
  seen = drain(*bob);
  ASSERT_EQ(seen.size(), 3u);  // his own: notified elsewhere, told here, all at zero
  for (const auto& event : seen)
    EXPECT_EQ(event.total_unread_count, 0);
  EXPECT_EQ(unread("alice", "messaging:general"), 1);
}

TEST_F(UnreadTest, ReadingUpToAMessageLeavesTheLaterOnesUnread) {
  for (const char* id : {"a", "b", "c"})
    say("bob", "messaging:general", id);
  say("alice", "messaging:general", "mine");
  EXPECT_EQ(unread("alice", "messaging:general"), 3);
  auto r = call("alice", verb::post, "/channels/messaging/general/read", R"({"message_id":"a"})");
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(r.json.at("event").at("last_read_message_id"), "a");
  EXPECT_EQ(unread("alice", "messaging:general"), 2);
  say("bob", "messaging:general", "d");
  EXPECT_EQ(unread("alice", "messaging:general"), 3);
  ASSERT_EQ(call("alice", verb::post, "/channels/messaging/general/read", "{}").status, 200u);
  EXPECT_EQ(unread("alice", "messaging:general"), 0);
}

TEST_F(UnreadTest, MarkAllReadZeroesEveryChannelAndTellsEveryConnection) {
  ASSERT_EQ(query("alice", "messaging:quiet", R"({"data":{"members":["alice","bob"]}})").status,
            200u);
  say("bob", "messaging:general", "g1");
  say("bob", "messaging:random", "r1");
  say("bob", "messaging:random", "r2");
  std::string first_connection, second_connection;
  Event hello;
  auto first = open("alice", &first_connection, &hello);
  auto second = open("alice", &second_connection);
  EXPECT_EQ(hello.me->total_unread_count, 3);
  EXPECT_EQ(hello.me->unread_channels, 2);
  watch_general("alice", first_connection);

  auto r = call("alice", verb::post, "/channels/read", "{}");
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(unread("alice", "messaging:general"), 0);
  EXPECT_EQ(unread("alice", "messaging:random"), 0);
  auto seen = drain(*first);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].kind, EventType::message_read);  // it watches general
  EXPECT_EQ(seen[1].kind, EventType::notification_mark_read);
  EXPECT_FALSE(seen[1].cid);  // every channel
  EXPECT_EQ(seen[1].total_unread_count, 0);
  EXPECT_EQ(seen[1].unread_channels, 0);
  // Every channel's read has the notification's time, those with nothing unread too (a client
  // marks all its reads with it) and general's event the same.
  EXPECT_EQ(seen[0].created_at, seen[1].created_at);
  for (const char* cid : {"messaging:general", "messaging:random", "messaging:quiet"}) {
    const auto state = from_json<ChannelState>(query("alice", cid).json);
    for (const auto& read : *state.read) {
      if (read.user.id == "alice") {
        EXPECT_EQ(read.last_read, seen[1].created_at) << cid;
      }
    }
  }
  seen = drain(*second);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventType::notification_mark_read);

  // One channel read: the reader's connections hear of it with that cid.
  say("bob", "messaging:random", "r3");
  drain(*second);
  ASSERT_EQ(call("alice", verb::post, "/channels/messaging/random/read", "{}").status, 200u);
  seen = drain(*second);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventType::notification_mark_read);
  EXPECT_EQ(seen[0].cid, "messaging:random");
  expect_error(call("alice", verb::post, "/channels/read", "[]"), 400, 4);
}

}  // namespace
}  // namespace chatkeep

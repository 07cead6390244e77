// Each user's own settings on chatkeep-server: a membership's pin and archive, mutes of users
// and channels with their expiry, blocks. Private to the user: only their connections hear of a
// change, and only what they may use can be set.

#include <gtest/gtest.h>

#include "chatkeep/channel_state.hpp"
#include "support/server_fixture.hpp"

namespace chatkeep {
namespace {

using testing::verb;

class SettingsTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_EQ(query("alice", "messaging:general", R"({"data":{"members":["alice","bob"]}})").status,
              200u);
  }

  OwnUser own(const std::string& user, const std::string& path, const std::string& body) {
    auto r = call(user, verb::post, path, body);
    EXPECT_EQ(r.status, 200u) << r.text;
    return from_json<OwnUser>(r.json.at("own_user"));
  }
};

TEST_F(SettingsTest, AMembershipIsPinnedAndArchivedForItsUserAlone) {
  std::string alice_connection, bob_connection;
  auto alice = open("alice", &alice_connection);
  auto bob = open("bob", &bob_connection);
  auto r = call("alice", verb::patch, "/channels/messaging/general/member",
                R"({"set":{"pinned":true,"archived":true}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  const Member member = from_json<Member>(r.json.at("channel_member"));
  ASSERT_TRUE(member.pinned_at);
  EXPECT_TRUE(member.archived_at);
  // Pinned again: the first pin's time stays. Unset: gone.
  r = call("alice", verb::patch, "/channels/messaging/general/member",
           R"({"set":{"pinned":true},"unset":["archived"]})");
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(from_json<Member>(r.json.at("channel_member")).pinned_at, member.pinned_at);
  const ChannelState state = from_json<ChannelState>(query("alice", "messaging:general").json);
  EXPECT_EQ(state.membership->pinned_at, member.pinned_at);
  EXPECT_FALSE(state.membership->archived_at);
  EXPECT_FALSE(
      from_json<ChannelState>(query("bob", "messaging:general").json).membership->pinned_at);
  auto seen = drain(*alice);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].kind, EventType::member_updated);
  EXPECT_TRUE(drain(*bob).empty()) << "private to alice";

  expect_error(call("alice", verb::patch, "/channels/messaging/general/member",
                    R"({"set":{"channel_role":"admin"}})"),
               400, 4);
  expect_error(call("alice", verb::patch, "/channels/messaging/general/member",
                    R"({"set":{"pinned":"yes"}})"),
               400, 4);
  expect_error(call("carol", verb::patch, "/channels/messaging/general/member",
                    R"({"set":{"pinned":true}})"),
               403, 17);
}

TEST_F(SettingsTest, MutesAreTheUsersOwnAndEndWhenTheyExpire) {
  std::string alice_connection, bob_connection;
  auto alice = open("alice", &alice_connection);
  auto bob = open("bob", &bob_connection);
  OwnUser me = own("alice", "/moderation/mute", R"({"target_ids":["bob"]})");
  ASSERT_EQ(me.mutes->size(), 1u);
  EXPECT_EQ(me.mutes->at(0).target->id, "bob");
  EXPECT_FALSE(me.mutes->at(0).expires);
  me = own("alice", "/moderation/mute/channel",
           R"({"channel_cids":["messaging:general"],"expiration":1000})");
  ASSERT_EQ(me.channel_mutes->size(), 1u);
  EXPECT_EQ(me.channel_mutes->at(0).channel->cid, "messaging:general");
  ASSERT_TRUE(me.channel_mutes->at(0).expires);

  auto seen = drain(*alice);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].kind, EventType::notification_mutes_updated);
  ASSERT_TRUE(seen[0].me);
  EXPECT_EQ(seen[0].me->mutes->size(), 1u);
  EXPECT_EQ(seen[1].kind, EventType::notification_channel_mutes_updated);
  EXPECT_TRUE(drain(*bob).empty()) << "private to alice";

  // A greeting carries them.
  Event hello;
  std::string again;
  auto second = open("alice", &again, &hello);
  ASSERT_TRUE(hello.me);
  EXPECT_EQ(hello.me->mutes->size(), 1u);
  EXPECT_EQ(hello.me->channel_mutes->size(), 1u);

  std::this_thread::sleep_until(me.channel_mutes->at(0).expires->time_point() +
                                std::chrono::milliseconds(50));
  EXPECT_TRUE(own("alice", "/moderation/unmute", R"({"target_id":"bob"})").mutes->empty());
  EXPECT_TRUE(
      own("alice", "/moderation/unmute", R"({"target_ids":["nobody"]})").channel_mutes->empty())
      << "expired";

  expect_error(call("alice", verb::post, "/moderation/mute", R"({"target_ids":["ghost"]})"), 404,
               16);
  expect_error(call("alice", verb::post, "/moderation/mute", R"({"target_ids":["alice"]})"), 400,
               4);
  expect_error(call("alice", verb::post, "/moderation/mute", R"({"target_ids":"bob"})"), 400, 4);
  expect_error(call("alice", verb::post, "/moderation/mute", R"({"target_id":"bob","timeout":-1})"),
               400, 4);
  // Ten years at most, in each one's unit: a timeout in minutes as large as the bound on an
  // expiration in milliseconds overflowed when made a time.
  expect_error(call("alice", verb::post, "/moderation/mute",
                    R"({"target_id":"bob","timeout":315360000000})"),
               400, 4);
  expect_error(call("alice", verb::post, "/moderation/mute/channel",
                    R"({"channel_cid":"messaging:general","expiration":315360000001})"),
               400, 4);
  ASSERT_EQ(query("bob", "messaging:bobs", R"({"data":{"members":["bob"]}})").status, 200u);
  expect_error(call("alice", verb::post, "/moderation/mute/channel",
                    R"({"channel_cids":["messaging:bobs"]})"),
               403, 17);
  expect_error(call("alice", verb::post, "/moderation/mute/channel", R"({"channel_cids":["x"]})"),
               400, 4);
}

TEST_F(SettingsTest, BlocksAreKeptForTheBlockerAlone) {
  auto r = call("alice", verb::post, "/users/block", R"({"blocked_user_id":"bob"})");
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(r.json.at("blocked_user_id"), "bob");
  EXPECT_EQ(own("alice", "/moderation/unmute", R"({"target_id":"nobody"})").blocked_user_ids,
            std::vector<std::string>{"bob"});
  EXPECT_TRUE(
      own("bob", "/moderation/unmute", R"({"target_id":"nobody"})").blocked_user_ids->empty());
  ASSERT_EQ(call("alice", verb::post, "/users/unblock", R"({"blocked_user_id":"bob"})").status,
            200u);
  EXPECT_TRUE(
      own("alice", "/moderation/unmute", R"({"target_id":"nobody"})").blocked_user_ids->empty());
  expect_error(call("alice", verb::post, "/users/block", R"({"blocked_user_id":"ghost"})"), 404,
               16);
  expect_error(call("alice", verb::post, "/users/block", "{}"), 400, 4);
}

// Stream's rule, which a store's own count follows too: a muted user's messages are not unread.
TEST_F(SettingsTest, AMutedUsersMessagesAreNotUnread) {
  auto unread = [&](const std::string& user) {
    const ChannelState state = from_json<ChannelState>(query(user, "messaging:general").json);
    std::int64_t n = -1;
    for (const auto& read : state.read.value_or(std::vector<Read>{}))
      if (read.user.id == user) n = read.unread_messages.value_or(-1);
    return n;
  };
  own("alice", "/moderation/mute", R"({"target_id":"bob"})");
  ASSERT_EQ(send("bob", "messaging:general", R"({"text":"muted"})").status, 200u);
  EXPECT_EQ(unread("alice"), 0);
  own("alice", "/moderation/unmute", R"({"target_id":"bob"})");
  ASSERT_EQ(send("bob", "messaging:general", R"({"text":"heard"})").status, 200u);
  EXPECT_EQ(unread("alice"), 1);
}

}  // namespace
}  // namespace chatkeep

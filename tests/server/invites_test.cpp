// Invites and the own user's partial update on chatkeep-server: an owner invites, only the
// invited member answers, once; a user updates only themselves, and only what a user may set.

#include <gtest/gtest.h>

#include "chatkeep/channel_state.hpp"
#include "chatkeep/json.hpp"
#include "support/server_fixture.hpp"

namespace chatkeep {
namespace {

using testing::verb;

class InvitesTest : public testing::ServerTest {};

TEST_F(InvitesTest, AnInvitedMemberAcceptsOrRejectsOnce) {
  std::string alice_connection, carol_connection;
  auto alice = open("alice", &alice_connection);
  auto carol = open("carol", &carol_connection);
  watch_general("alice", alice_connection);
  drain(*alice);
  // Only the owner invites; bob is a member but not its owner.
  expect_error(call("bob", verb::post, "/channels/messaging/general", R"({"invites":["carol"]})"),
               403, 17);
  auto r = call("alice", verb::post, "/channels/messaging/general", R"({"invites":["carol"]})");
  ASSERT_EQ(r.status, 200u) << r.text;
  auto seen = drain(*carol);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventType::notification_invited);
  ASSERT_TRUE(seen[0].member);
  EXPECT_TRUE(seen[0].member->invited.value_or(false));
  seen = drain(*alice);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventType::member_added);

  // Bob has no invite to answer; dave is no member at all.
  expect_error(call("bob", verb::post, "/channels/messaging/general", R"({"accept_invite":true})"),
               400, 4);
  expect_error(call("dave", verb::post, "/channels/messaging/general", R"({"accept_invite":true})"),
               403, 17);
  expect_error(call("carol", verb::post, "/channels/messaging/general",
                    R"({"accept_invite":true,"reject_invite":true})"),
               400, 4);
  expect_error(call("carol", verb::post, "/channels/messaging/general", R"({"accept_invite":1})"),
               400, 4);
  r = call("carol", verb::post, "/channels/messaging/general", R"({"accept_invite":true})");
  ASSERT_EQ(r.status, 200u) << r.text;
  const ChannelState state = from_json<ChannelState>(query("carol", "messaging:general").json);
  ASSERT_TRUE(state.membership);
  EXPECT_TRUE(state.membership->invite_accepted_at);
  seen = drain(*carol);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventType::notification_invite_accepted);
  seen = drain(*alice);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventType::member_updated);
  // Answered already.
  expect_error(
      call("carol", verb::post, "/channels/messaging/general", R"({"reject_invite":true})"), 400,
      4);
}

TEST_F(InvitesTest, AUserUpdatesOnlyThemselvesAndOnlyWhatAUserMaySet) {
  std::string alice_connection, bob_connection, carol_connection;
  auto alice = open("alice", &alice_connection);
  auto bob = open("bob", &bob_connection);
  auto carol = open("carol", &carol_connection);
  watch_general("bob", bob_connection);
  drain(*bob);
  drain(*alice);
  drain(*carol);
  auto r = call("alice", verb::patch, "/users",
                R"({"users":[{"id":"alice","set":{"name":"Alicia","mood":"sunny"}}]})");
  ASSERT_EQ(r.status, 200u) << r.text;
  User user = from_json<User>(r.json.at("users").at("alice"));
  EXPECT_EQ(user.name, "Alicia");
  EXPECT_EQ(user.extra.at("mood"), "sunny");
  auto seen = drain(*alice);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].kind, EventType::user_updated);
  EXPECT_EQ(seen[0].user->name, "Alicia");
  seen = drain(*bob);
  ASSERT_EQ(seen.size(), 1u) << "told to whoever shares a channel with alice";
  EXPECT_EQ(seen[0].kind, EventType::user_updated);
  EXPECT_EQ(seen[0].user->name, "Alicia");
  EXPECT_FALSE(seen[0].cid) << "about no channel, as Stream's";
  EXPECT_TRUE(drain(*carol).empty()) << "carol shares no channel with alice";

  r = call("alice", verb::patch, "/users", R"({"users":[{"id":"alice","unset":["mood"]}]})");
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_FALSE(from_json<User>(r.json.at("users").at("alice")).extra.contains("mood"));

  for (const char* field : {"role", "banned", "created_at", "mutes", "id"}) {
    expect_error(call("alice", verb::patch, "/users",
                      std::string(R"({"users":[{"id":"alice","set":{")") + field + R"(":"x"}}]})"),
                 400, 4);
  }
  expect_error(
      call("alice", verb::patch, "/users", R"({"users":[{"id":"bob","set":{"name":"Bobby"}}]})"),
      403, 17);
  expect_error(call("alice", verb::patch, "/users", R"({"users":[{"id":"alice","set":5}]})"), 400,
               4);
  expect_error(call("alice", verb::patch, "/users", R"({"users":[]})"), 400, 4);
}

}  // namespace
}  // namespace chatkeep

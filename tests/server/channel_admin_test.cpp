// Changing channels as a whole on chatkeep-server: partial update, delete, truncate, hide and
// show, and distinct channels.

#include <gtest/gtest.h>

#include "chatkeep/channel_state.hpp"
#include "support/server_fixture.hpp"

namespace chatkeep {
namespace {

using testing::verb;

class ChannelAdminTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    auto r = query("alice", "messaging:general",
                   R"({"data":{"members":["alice","bob"],"name":"General","topic":"x"}})");
    ASSERT_EQ(r.status, 200u) << r.text;
    for (const char* id : {"m1", "m2"}) {
      ASSERT_EQ(
          send("bob", "messaging:general", R"({"id":")" + std::string(id) + R"(","text":"hi"})")
              .status,
          200u);
    }
  }

  ChannelState state(const std::string& user) {
    auto r = query(user, "messaging:general");
    EXPECT_EQ(r.status, 200u) << r.text;
    return from_json<ChannelState>(r.json);
  }

  std::vector<std::string> listed(const std::string& user, const std::string& filter) {
    auto r = call(user, verb::post, "/channels", R"({"filter_conditions":)" + filter + "}");
    EXPECT_EQ(r.status, 200u) << r.text;
    std::vector<std::string> cids;
    for (const auto& c : r.json.at("channels").as_array())
      cids.emplace_back(c.at("channel").at("cid").as_string());
    return cids;
  }
};

TEST_F(ChannelAdminTest, PatchSetsAndUnsetsTheChannelsOwnData) {
  std::string connection;
  auto bob = open("bob", &connection);
  watch_general("bob", connection);
  auto r = call("alice", verb::patch, "/channels/messaging/general",
                R"({"set":{"name":"Renamed","color":"blue"},"unset":["topic"]})");
  ASSERT_EQ(r.status, 200u) << r.text;
  Channel channel = from_json<Channel>(r.json.at("channel"));
  EXPECT_EQ(channel.name, "Renamed");
  EXPECT_EQ(channel.extra.at("color"), "blue");
  EXPECT_FALSE(channel.extra.contains("topic"));
  EXPECT_EQ(channel.message_count, 2);  // what the server keeps is not the caller's to set
  EXPECT_EQ(r.json.at("members").as_array().size(), 2u);
  auto seen = drain(*bob);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventType::channel_updated);
  EXPECT_EQ(seen[0].channel->name, "Renamed");

  expect_error(call("alice", verb::patch, "/channels/messaging/general", R"({"set":1})"), 400, 4);
  expect_error(call("alice", verb::patch, "/channels/messaging/general", "{}"), 400, 4);
  expect_error(call("carol", verb::patch, "/channels/messaging/general", R"({"set":{"a":1}})"), 403,
               17);
  EXPECT_EQ(state("alice").channel.name, "Renamed");
}

TEST_F(ChannelAdminTest, OnlyTheCreatorDeletesAndItTakesEverything) {
  std::string connection;
  auto bob = open("bob", &connection);
  watch_general("bob", connection);
  expect_error(call("bob", verb::delete_, "/channels/messaging/general"), 403, 17);
  auto r = call("alice", verb::delete_, "/channels/messaging/general");
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_TRUE(from_json<Channel>(r.json.at("channel")).deleted_at);
  auto seen = drain(*bob);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventType::channel_deleted);
  expect_error(call("alice", verb::get, "/messages/m1"), 404, 16);
  expect_error(call("alice", verb::post, "/channels/messaging/general", R"({"data":{}})"), 404, 16);
  EXPECT_TRUE(listed("bob", R"({"members":{"$in":["bob"]}})").empty());
  // The same id makes a new, empty channel.
  EXPECT_TRUE(from_json<ChannelState>(
                  query("alice", "messaging:general", R"({"data":{"members":["alice"]}})").json)
                  .messages->empty());
  expect_error(call("alice", verb::delete_, "/channels/messaging/nowhere"), 404, 16);
}

TEST_F(ChannelAdminTest, TruncateRemovesEveryMessageAndEveryUnread) {
  expect_error(call("bob", verb::post, "/channels/messaging/general/truncate", "{}"), 403, 17);
  EXPECT_EQ(state("alice").read->size(), 2u);
  auto r = call("alice", verb::post, "/channels/messaging/general/truncate", "{}");
  ASSERT_EQ(r.status, 200u) << r.text;
  Channel truncated = from_json<Channel>(r.json.at("channel"));
  EXPECT_TRUE(truncated.truncated_at);
  EXPECT_EQ(truncated.message_count, 0);
  ChannelState after = state("alice");
  EXPECT_TRUE(after.messages->empty());
  for (const auto& read : *after.read)
    EXPECT_EQ(read.unread_messages, 0);
  expect_error(call("alice", verb::get, "/messages/m1"), 404, 16);
  ASSERT_EQ(send("bob", "messaging:general", R"({"id":"m3","text":"again"})").status, 200u);
  EXPECT_EQ(state("alice").messages->size(), 1u);
  EXPECT_TRUE(state("alice").channel.truncated_at);  // a later edit does not forget it
}

TEST_F(ChannelAdminTest, HiddenChannelsLeaveQueriesUntilShownOrANewMessage) {
  std::string alice_connection, bob_connection;
  auto alice = open("alice", &alice_connection);
  auto bob = open("bob", &bob_connection);
  const Timestamp start = Timestamp::now();
  const std::string mine = R"({"members":{"$in":["alice"]}})";
  ASSERT_EQ(call("alice", verb::post, "/channels/messaging/general/hide", "{}").status, 200u);
  EXPECT_TRUE(listed("alice", mine).empty());
  EXPECT_EQ(listed("alice", R"({"members":{"$in":["alice"]},"hidden":true})"),
            std::vector<std::string>{"messaging:general"});
  EXPECT_EQ(listed("bob", R"({"members":{"$in":["bob"]}})").size(), 1u);  // hers alone
  EXPECT_TRUE(state("alice").channel.hidden.value());
  auto seen = drain(*alice);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventType::channel_hidden);
  EXPECT_TRUE(drain(*bob).empty());
  // /sync gives the hide to her, not to bob.
  const std::string sync_body =
      R"({"channel_cids":["messaging:general"],"last_sync_at":")" + start.to_string() + R"("})";
  EXPECT_EQ(call("alice", verb::post, "/sync", sync_body).json.at("events").as_array().size(), 1u);
  EXPECT_TRUE(call("bob", verb::post, "/sync", sync_body).json.at("events").as_array().empty());

  ASSERT_EQ(call("alice", verb::post, "/channels/messaging/general/show", "{}").status, 200u);
  EXPECT_EQ(listed("alice", mine).size(), 1u);
  EXPECT_EQ(drain(*alice).at(0).kind, EventType::channel_visible);

  ASSERT_EQ(call("alice", verb::post, "/channels/messaging/general/hide", "{}").status, 200u);
  ASSERT_EQ(send("bob", "messaging:general", R"({"id":"m3","text":"are you there?"})").status,
            200u);
  EXPECT_EQ(listed("alice", mine).size(), 1u);  // the new message brought it back

  expect_error(call("carol", verb::post, "/channels/messaging/general/hide", "{}"), 403, 17);
  expect_error(
      call("alice", verb::post, "/channels/messaging/general/hide", R"({"clear_history":"y"})"),
      400, 4);
}

TEST_F(ChannelAdminTest, ClearHistoryHidesTheOldMessagesFromThatUserOnly) {
  ASSERT_EQ(
      call("alice", verb::post, "/channels/messaging/general/hide", R"({"clear_history":true})")
          .status,
      200u);
  EXPECT_TRUE(state("alice").messages->empty());
  EXPECT_EQ(state("bob").messages->size(), 2u);
  ASSERT_EQ(send("bob", "messaging:general", R"({"id":"m3","text":"fresh"})").status, 200u);
  auto messages = state("alice").messages.value();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].id, "m3");
}

TEST_F(ChannelAdminTest, DistinctChannelsAreFoundByTheirMembers) {
  auto r = call("alice", verb::post, "/channels/messaging/query",
                R"({"data":{"members":["bob","alice"]}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  const std::string cid(r.json.at("channel").at("cid").as_string());
  EXPECT_TRUE(cid.starts_with("messaging:!members-")) << cid;
  r = call("bob", verb::post, "/channels/messaging/query",
           R"({"data":{"members":["alice","bob","bob"]}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(r.json.at("channel").at("cid").as_string(), cid);
  r = call("alice", verb::post, "/channels/messaging/query",
           R"({"data":{"members":["alice","carol"]}})");
  EXPECT_NE(r.json.at("channel").at("cid").as_string(), cid);
  expect_error(call("alice", verb::post, "/channels/messaging/query", R"({"data":{}})"), 400, 4);
  expect_error(call("carol", verb::post, "/channels/messaging/query",
                    R"({"data":{"members":["alice","bob"]}})"),
               403, 17);
}

}  // namespace
}  // namespace chatkeep

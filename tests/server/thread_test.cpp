// Thread replies and pinned messages on chatkeep-server.

#include <gtest/gtest.h>

#include "chatkeep/channel_state.hpp"
#include "support/server_fixture.hpp"

namespace chatkeep {
namespace {

using testing::verb;

class ThreadTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    start_ = Timestamp::now();
    ASSERT_EQ(query("alice", "messaging:general", R"({"data":{"members":["alice","bob"]}})").status,
              200u);
    auto r = send("alice", "messaging:general", R"({"id":"parent","text":"a question"})");
    ASSERT_EQ(r.status, 200u) << r.text;
  }

  Message message(const std::string& user, const std::string& id) {
    auto r = call(user, verb::get, "/messages/" + id);
    EXPECT_EQ(r.status, 200u) << r.text;
    return from_json<Message>(r.json.at("message"));
  }

  std::vector<std::string> channel_ids(const std::string& user) {
    auto r = query(user, "messaging:general");
    std::vector<std::string> ids;
    const ChannelState state = from_json<ChannelState>(r.json);
    for (const auto& m : state.messages.value())
      ids.push_back(m.id);
    return ids;
  }

  Timestamp start_;

  std::vector<std::string> reply_ids(const std::string& user, const std::string& query_string) {
    auto r = call(user, verb::get, "/messages/parent/replies" + query_string);
    EXPECT_EQ(r.status, 200u) << r.text;
    std::vector<std::string> ids;
    for (const auto& m : r.json.at("messages").as_array())
      ids.emplace_back(m.at("id").as_string());
    return ids;
  }
};

TEST_F(ThreadTest, RepliesLiveInTheirThreadAndCountOnTheParent) {
  ASSERT_EQ(
      send("bob", "messaging:general", R"({"id":"r1","text":"one","parent_id":"parent"})").status,
      200u);
  auto r = send("alice", "messaging:general",
                R"({"id":"r2","text":"two","parent_id":"parent","show_in_channel":true})");
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(r.json.at("message").at("type"), "regular");  // shown in the channel too
  ASSERT_EQ(
      send("bob", "messaging:general", R"({"id":"r3","text":"three","parent_id":"parent"})").status,
      200u);
  EXPECT_EQ(message("bob", "r1").type, "reply");
  EXPECT_EQ(message("bob", "parent").reply_count, 3);

  EXPECT_EQ(channel_ids("alice"), (std::vector<std::string>{"parent", "r2"}));
  EXPECT_EQ(reply_ids("alice", ""), (std::vector<std::string>{"r1", "r2", "r3"}));
  EXPECT_EQ(reply_ids("alice", "?limit=2"), (std::vector<std::string>{"r2", "r3"}));
  EXPECT_EQ(reply_ids("alice", "?id_lt=r3&limit=1"), (std::vector<std::string>{"r2"}));
  EXPECT_EQ(reply_ids("alice", "?id_gt=r1"), (std::vector<std::string>{"r2", "r3"}));
  expect_error(call("alice", verb::get, "/messages/parent/replies?limit=lots"), 400, 4);
  expect_error(call("carol", verb::get, "/messages/parent/replies"), 404, 16);
  expect_error(call("alice", verb::get, "/messages/nothing/replies"), 404, 16);

  // Each reply tells the channel's watchers of its parent's new count, after the reply itself.
  auto sync = call(
      "alice", verb::post, "/sync",
      R"({"channel_cids":["messaging:general"],"last_sync_at":")" + start_.to_string() + R"("})");
  ASSERT_EQ(sync.status, 200u) << sync.text;
  std::vector<std::string> seen;
  for (const auto& e : sync.json.at("events").as_array()) {
    const Event event = from_json<Event>(e);
    if (event.kind == EventType::message_new) seen.push_back("new " + event.message->id);
    if (event.kind == EventType::message_updated) {
      seen.push_back(event.message->id + " " +
                     std::to_string(event.message->reply_count.value_or(0)));
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"new parent", "new r1", "parent 1", "new r2",
                                            "parent 2", "new r3", "parent 3"}));

  // Only thread-only replies stay out of the unread count: bob's r3 is not unread for alice,
  // and r1 was bob's.
  auto state = from_json<ChannelState>(query("alice", "messaging:general").json);
  for (const auto& read : state.read.value()) {
    EXPECT_EQ(read.unread_messages, read.user.id == "bob" ? 2 : 0);  // bob: parent and r2
  }
}

TEST_F(ThreadTest, AParentMustBeATopLevelMessageOfTheSameChannel) {
  ASSERT_EQ(query("alice", "messaging:other", R"({"data":{"members":["alice"]}})").status, 200u);
  expect_error(send("alice", "messaging:other", R"({"text":"x","parent_id":"parent"})"), 400, 4);
  expect_error(send("alice", "messaging:general", R"({"text":"x","parent_id":"ghost"})"), 400, 4);
  ASSERT_EQ(
      send("bob", "messaging:general", R"({"id":"r1","text":"one","parent_id":"parent"})").status,
      200u);
  expect_error(send("alice", "messaging:general", R"({"text":"x","parent_id":"r1"})"), 400, 4);
  EXPECT_EQ(message("alice", "parent").reply_count, 1);  // refused replies counted nothing
}

TEST_F(ThreadTest, PartialUpdateSetsAndUnsetsAndTheAuthorOrTheOwnerPins) {
  auto r = call("alice", verb::put, "/messages/parent",
                R"({"set":{"text":"a better question","mood":"curious"}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  Message edited = from_json<Message>(r.json.at("message"));
  EXPECT_EQ(edited.text, "a better question");
  EXPECT_EQ(edited.extra.at("mood"), "curious");
  EXPECT_TRUE(edited.message_text_updated_at);
  r = call("alice", verb::put, "/messages/parent", R"({"unset":["mood"]})");
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_FALSE(from_json<Message>(r.json.at("message")).extra.contains("mood"));
  EXPECT_EQ(message("bob", "parent").text, "a better question");

  // Bob may neither edit nor pin alice's message; the owner pins bob's, and alice her own.
  expect_error(call("bob", verb::put, "/messages/parent", R"({"set":{"text":"mine now"}})"), 403,
               17);
  expect_error(call("bob", verb::put, "/messages/parent", R"({"set":{"pinned":true}})"), 403, 17);
  ASSERT_EQ(send("bob", "messaging:general", R"({"id":"bobs","text":"pin me"})").status, 200u);
  r = call("alice", verb::put, "/messages/bobs", R"({"set":{"pinned":true}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(from_json<Message>(r.json.at("message")).pinned_by->id, "alice");
  ASSERT_EQ(call("bob", verb::put, "/messages/bobs", R"({"set":{"pinned":false}})").status, 200u);
  r = call("alice", verb::put, "/messages/parent", R"({"set":{"pinned":true}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  Message pinned = from_json<Message>(r.json.at("message"));
  EXPECT_EQ(pinned.pinned, true);
  EXPECT_EQ(pinned.pinned_by->id, "alice");
  ASSERT_TRUE(pinned.pinned_at);
  auto state = from_json<ChannelState>(query("alice", "messaging:general").json);
  ASSERT_EQ(state.pinned_messages->size(), 1u);
  EXPECT_EQ(state.pinned_messages->at(0).id, "parent");

  // A full update by the author keeps the pin; unpinning forgets who and when.
  ASSERT_EQ(
      call("alice", verb::post, "/messages/parent", R"({"message":{"text":"edited"}})").status,
      200u);
  EXPECT_EQ(message("alice", "parent").pinned_by->id, "alice");
  r = call("alice", verb::put, "/messages/parent", R"({"set":{"pinned":false}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  Message unpinned = message("alice", "parent");
  EXPECT_EQ(unpinned.pinned, false);
  EXPECT_FALSE(unpinned.pinned_at);
  EXPECT_FALSE(unpinned.pinned_by);
  EXPECT_TRUE(
      from_json<ChannelState>(query("alice", "messaging:general").json).pinned_messages->empty());

  expect_error(call("alice", verb::put, "/messages/parent", R"({"set":{"user":{"id":"bob"}}})"),
               400, 4);
  expect_error(call("alice", verb::put, "/messages/parent", R"({"set":[]})"), 400, 4);
  expect_error(call("alice", verb::put, "/messages/parent", "{}"), 400, 4);
  expect_error(call("alice", verb::put, "/messages/ghost", R"({"set":{"text":"x"}})"), 404, 16);
  EXPECT_EQ(message("alice", "parent").text, "edited");  // refused changes changed nothing
}

}  // namespace
}  // namespace chatkeep

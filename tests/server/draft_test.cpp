// Drafts on chatkeep-server: one per user, channel and thread, the user's alone, checked like a
// sent message, told to the user's connections as draft.updated and draft.deleted, and taken
// away when the user sends a message there.

#include <gtest/gtest.h>

#include "support/server_fixture.hpp"

namespace chatkeep {
namespace {

using testing::verb;

class DraftTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_EQ(query("alice", "messaging:general", R"({"data":{"members":["alice","bob"]}})").status,
              200u);
    ASSERT_EQ(send("bob", "messaging:general", R"({"id":"root","text":"a question"})").status,
              200u);
  }

  static constexpr const char* kPath = "/channels/messaging/general/draft";
};

TEST_F(DraftTest, OnePerChannelAndThreadForItsUserAlone) {
  std::string alice_connection, bob_connection;
  auto alice = open("alice", &alice_connection);
  auto bob = open("bob", &bob_connection);
  auto r = call("alice", verb::post, kPath,
                R"({"message":{"text":"half a thought","quoted_message_id":"root"}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(r.json.at("draft").at("channel_cid"), "messaging:general");
  EXPECT_EQ(r.json.at("draft").at("message").at("text"), "half a thought");
  EXPECT_EQ(r.json.at("draft").at("quoted_message").at("id"), "root");
  ASSERT_EQ(call("alice", verb::post, kPath, R"({"message":{"text":"a whole thought"}})").status,
            200u);
  ASSERT_EQ(
      call("alice", verb::post, kPath, R"({"message":{"text":"in the thread","parent_id":"root"}})")
          .status,
      200u);
  r = call("alice", verb::get, kPath);
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(r.json.at("draft").at("message").at("text"), "a whole thought");
  r = call("alice", verb::get, std::string(kPath) + "?parent_id=root");
  EXPECT_EQ(r.json.at("draft").at("message").at("text"), "in the thread");
  EXPECT_EQ(r.json.at("draft").at("parent_id"), "root");
  r = call("alice", verb::post, "/drafts/query", "{}");
  ASSERT_EQ(r.json.at("drafts").as_array().size(), 2u);
  EXPECT_EQ(r.json.at("drafts").at(0).at("message").at("text"), "in the thread") << "newest first";
  expect_error(call("bob", verb::get, kPath), 404, 16);
  EXPECT_TRUE(call("bob", verb::post, "/drafts/query", "{}").json.at("drafts").as_array().empty());

  auto seen = drain(*alice);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].type, "draft.updated");
  EXPECT_EQ(seen[0].extra.at("draft").at("message").at("text"), "half a thought");
  EXPECT_TRUE(drain(*bob).empty()) << "alice's alone";

  ASSERT_EQ(call("alice", verb::delete_, std::string(kPath) + "?parent_id=root").status, 200u);
  seen = drain(*alice);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].type, "draft.deleted");
  expect_error(call("alice", verb::get, std::string(kPath) + "?parent_id=root"), 404, 16);
}

TEST_F(DraftTest, SendingTakesTheDraftAwayAndBadDraftsAreRefused) {
  std::string alice_connection;
  auto alice = open("alice", &alice_connection);
  ASSERT_EQ(call("alice", verb::post, kPath, R"({"message":{"text":"soon"}})").status, 200u);
  ASSERT_EQ(
      call("alice", verb::post, kPath, R"({"message":{"text":"t","parent_id":"root"}})").status,
      200u);
  ASSERT_EQ(send("alice", "messaging:general", R"({"text":"now"})").status, 200u);
  expect_error(call("alice", verb::get, kPath), 404, 16);
  EXPECT_EQ(call("alice", verb::get, std::string(kPath) + "?parent_id=root").status, 200u)
      << "the thread's stays";
  std::size_t deleted = 0;
  for (const auto& e : drain(*alice))
    deleted += e.type == "draft.deleted";
  EXPECT_EQ(deleted, 1u);

  expect_error(call("alice", verb::post, kPath, R"({"message":"text"})"), 400, 4);
  expect_error(call("alice", verb::post, kPath, R"({"message":{"parent_id":"ghost"}})"), 400, 4);
  expect_error(call("alice", verb::post, kPath, R"({"message":{"quoted_message_id":"ghost"}})"),
               400, 4);
  expect_error(call("carol", verb::post, kPath, R"({"message":{"text":"not mine"}})"), 403, 17);
  expect_error(call("alice", verb::post, "/drafts/query", R"({"limit":0})"), 400, 4);
}

}  // namespace
}  // namespace chatkeep

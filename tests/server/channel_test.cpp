// Channels and messages on chatkeep-server: get-or-create, membership rules, sending with
// client-generated ids, reading back. Responses are also decoded with the client's model.

#include <gtest/gtest.h>

#include "chatkeep/json.hpp"
#include "chatkeep/uuid.hpp"
#include "support/server_fixture.hpp"

namespace chatkeep {
namespace {

using boost::beast::http::verb;

using ChannelTest = testing::ServerTest;
using testing::HttpClient;

TEST_F(ChannelTest, CreateAndReadAChannelsState) {
  auto r =
      query("alice", "messaging:general",
            R"({"data":{"name":"General","members":["alice","bob"],"topic":"x"},"state":true})");
  ASSERT_EQ(r.status, 200u) << r.text;
  ChannelState state = from_json<ChannelState>(r.json);
  EXPECT_EQ(state.channel.cid, "messaging:general");
  EXPECT_EQ(state.channel.name, "General");
  EXPECT_EQ(state.channel.extra.at("topic"), "x");
  EXPECT_EQ(state.channel.created_by->name, "Alice");
  EXPECT_EQ(state.channel.member_count, 2);
  EXPECT_EQ(state.channel.config->max_message_length, 5000);
  EXPECT_TRUE(std::count(state.channel.own_capabilities->begin(),
                         state.channel.own_capabilities->end(), "send-message"));
  ASSERT_EQ(state.members->size(), 2u);
  EXPECT_EQ((*state.members)[1].user->name, "Bob");
  ASSERT_TRUE(state.membership);
  EXPECT_EQ(state.membership->id(), "alice");
  EXPECT_TRUE(state.messages->empty());
  // Querying again finds the same channel; its data is not replaced.
  r = query("bob", "messaging:general", R"({"data":{"name":"Renamed","members":["bob"]}})");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.json.at("channel").at("name"), "General");
}

TEST_F(ChannelTest, MessagingChannelsAreForMembersOnly) {
  ASSERT_EQ(query("alice", "messaging:private", R"({"data":{"members":["alice","bob"]}})").status,
            200u);
  expect_error(query("carol", "messaging:private"), 403, 17);
  // Creating without joining is refused, and leaves nothing behind.
  expect_error(query("carol", "messaging:elsewhere", R"({"data":{"members":["alice"]}})"), 403, 17);
  auto r = query("alice", "messaging:elsewhere", R"({"data":{"members":["alice"]}})");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.json.at("channel").at("created_by").at("id"), "alice");
  // Other types are open.
  ASSERT_EQ(query("alice", "livestream:stage", R"({"data":{"members":["alice"]}})").status, 200u);
  EXPECT_EQ(query("carol", "livestream:stage").status, 200u);
}

TEST_F(ChannelTest, SendWithTheClientsIdOnceOnly) {
  ASSERT_EQ(query("alice", "messaging:general", R"({"data":{"members":["alice","bob"]}})").status,
            200u);
  const std::string id = make_uuid_v4();
  auto r = send("alice", "messaging:general",
                R"({"id":")" + id + R"(","text":"hello","mentioned_users":["bob"],"mood":"up"})");
  ASSERT_EQ(r.status, 200u) << r.text;
  Message sent = from_json<Message>(r.json.at("message"));
  EXPECT_EQ(sent.id, id);
  EXPECT_EQ(sent.cid, "messaging:general");
  EXPECT_EQ(sent.type, "regular");
  EXPECT_EQ(sent.user->name, "Alice");
  EXPECT_EQ(sent.mentioned_users->at(0).name, "Bob");
  EXPECT_EQ(sent.extra.at("mood"), "up");
  EXPECT_TRUE(sent.created_at);

  // The same id again: Stream's duplicate error, which clients count as delivered.
  r = send("alice", "messaging:general", R"({"id":")" + id + R"(","text":"hello again"})");
  expect_error(r, 400, 4);
  EXPECT_NE(r.json.at("message").as_string().find("a message with ID " + id + " already exists"),
            std::string::npos);

  r = call("bob", verb::get, "/messages/" + id);
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.json.at("message").at("text"), "hello");
  // A message where carol cannot look is as missing as one that never was.
  expect_error(call("carol", verb::get, "/messages/" + id), 404, 16);
  expect_error(call("bob", verb::get, "/messages/nope"), 404, 16);

  // Without an id the server makes one.
  r = send("bob", "messaging:general", R"({"text":"no id"})");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.json.at("message").at("id").as_string().size(), 36u);
}

TEST_F(ChannelTest, SendingIsCheckedBeforeAnythingIsStored) {
  ASSERT_EQ(query("alice", "messaging:general", R"({"data":{"members":["alice","bob"]}})").status,
            200u);
  expect_error(send("carol", "messaging:general", R"({"text":"let me in"})"), 403, 17);
  expect_error(send("alice", "messaging:nowhere", R"({"text":"?"})"), 404, 16);
  expect_error(
      send("alice", "messaging:general", R"({"text":")" + std::string(5001, 'x') + R"("})"), 400,
      20);
  auto r = send("alice", "messaging:general", R"({"text":5})");
  expect_error(r, 400, 4);
  EXPECT_EQ(r.json.at("message"), "message.text: expected string");
  expect_error(call("alice", verb::post, "/channels/messaging/general/message", "{}"), 400, 4);
  r = query("alice", "messaging:general");
  EXPECT_TRUE(r.json.at("messages").as_array().empty());
}

TEST_F(ChannelTest, MessagesComeBackInOrderAndPage) {
  ASSERT_EQ(query("alice", "messaging:general", R"({"data":{"members":["alice","bob"]}})").status,
            200u);
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) {
    ids.push_back(make_uuid_v4());
    ASSERT_EQ(send(i % 2 ? "bob" : "alice", "messaging:general",
                   R"({"id":")" + ids.back() + R"(","text":"m)" + std::to_string(i) + R"("})")
                  .status,
              200u);
  }
  auto r = query("alice", "messaging:general");
  auto latest = from_json<ChannelState>(r.json);
  auto page = latest.messages.value();
  ASSERT_EQ(page.size(), 25u);  // the latest 25, ascending
  EXPECT_EQ(page.front().text, "m5");
  EXPECT_EQ(page.back().text, "m29");
  EXPECT_EQ(latest.channel.last_message_at, page.back().created_at);
  r = query("alice", "messaging:general",
            R"({"messages":{"limit":3,"id_lt":")" + ids[10] + R"("}})");
  page = from_json<ChannelState>(r.json).messages.value();
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].text, "m7");
  EXPECT_EQ(page[2].text, "m9");
  EXPECT_EQ(r.json.at("channel").at("message_count"), 30);

  // Around a message: it in the middle; more before it when fewer follow.
  auto around = [&](int limit, int at) {
    auto answer = query("alice", "messaging:general",
                        R"({"messages":{"limit":)" + std::to_string(limit) + R"(,"id_around":")" +
                            ids[static_cast<std::size_t>(at)] + R"("}})");
    const auto state = from_json<ChannelState>(answer.json);
    std::vector<std::string> texts;
    for (const auto& m : state.messages.value())
      texts.push_back(m.text.value_or(""));
    return texts;
  };
  EXPECT_EQ(around(5, 10), (std::vector<std::string>{"m8", "m9", "m10", "m11", "m12"}));
  EXPECT_EQ(around(5, 28), (std::vector<std::string>{"m25", "m26", "m27", "m28", "m29"}));
  EXPECT_EQ(around(4, 0), (std::vector<std::string>{"m0", "m1", "m2", "m3"}));
  EXPECT_TRUE(around(0, 10).empty());

  // A cursor is a message of this channel: another channel's (even one the reader is in) tells
  // nothing, not even when it was written.
  ASSERT_EQ(query("bob", "messaging:other", R"({"data":{"members":["bob"]}})").status, 200u);
  ASSERT_EQ(send("bob", "messaging:other", R"({"id":"elsewhere","text":"private"})").status, 200u);
  for (const char* cursor : {"id_lt", "id_gt", "id_around"}) {
    auto answer = query("alice", "messaging:general",
                        std::string(R"({"messages":{"limit":5,")") + cursor + R"(":"elsewhere"}})");
    ASSERT_EQ(answer.status, 200u) << answer.text;
    EXPECT_TRUE(answer.json.at("messages").as_array().empty()) << cursor;
  }
}

}  // namespace
}  // namespace chatkeep

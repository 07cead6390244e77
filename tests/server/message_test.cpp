// Editing, deleting and reacting on chatkeep-server, and catching up through /sync from the event
// log those changes write.

#include <gtest/gtest.h>

#include "chatkeep/json.hpp"
#include "chatkeep/uuid.hpp"
#include "support/server_fixture.hpp"
#include "support/ws_client.hpp"

namespace chatkeep {
namespace {

using testing::HttpResponse;
using testing::verb;

class MessageTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_EQ(query("alice", "messaging:general", R"({"data":{"members":["alice","bob"]}})").status,
              200u);
    start_ = Timestamp::now();
    id_ = make_uuid_v4();
    ASSERT_EQ(
        send("alice", "messaging:general", R"({"id":")" + id_ + R"(","text":"first"})").status,
        200u);
  }

  HttpResponse react(const std::string& user, const std::string& body) {
    return call(user, verb::post, "/messages/" + id_ + "/reaction", body);
  }

  std::vector<Event> sync(const std::string& user, Timestamp since,
                          std::string cids = R"(["messaging:general"])") {
    auto r =
        call(user, verb::post, "/sync",
             R"({"channel_cids":)" + cids + R"(,"last_sync_at":")" + since.to_string() + R"("})");
    EXPECT_EQ(r.status, 200u) << r.text;
    std::vector<Event> events;
    for (const auto& e : r.json.at("events").as_array())
      events.push_back(from_json<Event>(e));
    return events;
  }

  Timestamp start_;
  std::string id_;
};

TEST_F(MessageTest, OnlyTheAuthorEditsAndDeletes) {
  auto r =
      call("alice", verb::post, "/messages/" + id_, R"({"message":{"text":"edited","tag":1}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  Message edited = from_json<Message>(r.json.at("message"));
  EXPECT_EQ(edited.text, "edited");
  EXPECT_EQ(edited.user->id, "alice");
  EXPECT_TRUE(edited.message_text_updated_at);
  EXPECT_EQ(edited.extra.at("tag"), 1);
  expect_error(call("bob", verb::post, "/messages/" + id_, R"({"message":{"text":"mine now"}})"),
               403, 17);
  expect_error(call("bob", verb::delete_, "/messages/" + id_), 403, 17);
  expect_error(call("alice", verb::post, "/messages/" + id_, R"({"message":{"id":"other"}})"), 400,
               4);
  expect_error(call("alice", verb::post, "/messages/nope", R"({"message":{"text":"x"}})"), 404, 16);

  r = call("alice", verb::delete_, "/messages/" + id_);
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.json.at("message").at("type"), "deleted");
  EXPECT_EQ(call("bob", verb::get, "/messages/" + id_).json.at("message").at("type"), "deleted");
  r = call("alice", verb::delete_, "/messages/" + id_ + "?hard=true");
  ASSERT_EQ(r.status, 200u);
  expect_error(call("bob", verb::get, "/messages/" + id_), 404, 16);
}

TEST_F(MessageTest, ReactionsKeepCountsScoresAndGroupsRight) {
  ASSERT_EQ(react("alice", R"({"reaction":{"type":"like"}})").status, 200u);
  auto custom = react("bob", R"({"reaction":{"type":"like","score":3,"vibe":"good"}})");
  ASSERT_EQ(custom.status, 200u);
  EXPECT_EQ(custom.json.at("reaction").at("vibe"), "good");  // custom fields kept
  auto r = react("bob", R"({"reaction":{"type":"love"}})");
  ASSERT_EQ(r.status, 200u);
  Message m = from_json<Message>(r.json.at("message"));
  EXPECT_EQ(m.reaction_counts->at("like"), 2);
  EXPECT_EQ(m.reaction_scores->at("like"), 4);
  EXPECT_EQ(m.reaction_counts->at("love"), 1);
  EXPECT_EQ(m.reaction_groups->at("like").sum_scores, 4);
  EXPECT_EQ(m.latest_reactions->size(), 3u);
  EXPECT_EQ(m.own_reactions->size(), 2u);  // bob's
  EXPECT_EQ(r.json.at("reaction").at("type"), "love");

  // The same (message, user, type) again replaces, never duplicates.
  r = react("bob", R"({"reaction":{"type":"like","score":1}})");
  EXPECT_EQ(from_json<Message>(r.json.at("message")).reaction_counts->at("like"), 2);
  // enforce_unique: bob's other reactions go.
  r = react("bob", R"({"reaction":{"type":"wow"},"enforce_unique":true})");
  m = from_json<Message>(r.json.at("message"));
  EXPECT_EQ(m.reaction_counts->count("love"), 0u);
  EXPECT_EQ(m.reaction_counts->at("like"), 1);  // alice's
  EXPECT_EQ(m.own_reactions->size(), 1u);

  // Every change moves the message's updated_at, as Stream's does: clients order copies by it.
  const Timestamp before_removal = *m.updated_at;
  r = call("alice", verb::delete_, "/messages/" + id_ + "/reaction/like");
  ASSERT_EQ(r.status, 200u);
  const Message removed = from_json<Message>(r.json.at("message"));
  EXPECT_EQ(removed.reaction_counts->count("like"), 0u);
  EXPECT_GT(*removed.updated_at, before_removal);
  EXPECT_GT(before_removal, *removed.created_at);
  expect_error(call("alice", verb::delete_, "/messages/" + id_ + "/reaction/like"), 404, 16);
  expect_error(react("carol", R"({"reaction":{"type":"like"}})"), 404, 16);
  expect_error(react("bob", R"({"reaction":{"score":1}})"), 400, 4);
}

TEST_F(MessageTest, SyncReplaysWhatHappenedInOrder) {
  ASSERT_EQ(
      call("alice", verb::post, "/messages/" + id_, R"({"message":{"text":"edited"}})").status,
      200u);
  ASSERT_EQ(react("bob", R"({"reaction":{"type":"like"}})").status, 200u);
  ASSERT_EQ(send("bob", "messaging:general", R"({"text":"second"})").status, 200u);
  ASSERT_EQ(call("alice", verb::delete_, "/messages/" + id_ + "?hard=true").status, 200u);
  auto events = sync("bob", start_);
  std::vector<std::string> types;
  for (const auto& e : events)
    types.push_back(e.type);
  EXPECT_EQ(types, (std::vector<std::string>{"message.new", "message.updated", "reaction.new",
                                             "message.new", "message.deleted"}));
  EXPECT_EQ(events[1].message->text, "edited");
  EXPECT_EQ(events[2].reaction->user_id, "bob");
  EXPECT_TRUE(events[2].message->own_reactions->empty());  // nobody's in an event
  EXPECT_EQ(events[4].hard_delete, true);
  for (std::size_t i = 1; i < events.size(); ++i)
    EXPECT_LE(*events[i - 1].created_at, *events[i].created_at);
  // From a checkpoint in the middle, only what came after it.
  EXPECT_EQ(sync("bob", *events[2].created_at).size(), 2u);
}

TEST_F(MessageTest, ReadMarksAndUnreadCounts) {
  auto unread_of = [&](const std::string& user, const std::string& who) {
    auto state = from_json<ChannelState>(query(user, "messaging:general").json);
    for (const auto& read : *state.read) {
      if (read.user.id == who) return read.unread_messages.value_or(-1);
    }
    return std::int64_t{-1};
  };
  EXPECT_EQ(unread_of("alice", "bob"), 1);    // alice's message
  EXPECT_EQ(unread_of("alice", "alice"), 0);  // her own do not count

  auto r = call("bob", verb::post, "/channels/messaging/general/read", "{}");
  ASSERT_EQ(r.status, 200u) << r.text;
  Event read = from_json<Event>(r.json.at("event"));
  EXPECT_EQ(read.kind, EventType::message_read);
  EXPECT_EQ(read.user->id, "bob");
  EXPECT_EQ(read.last_read_message_id, id_);
  EXPECT_EQ(unread_of("bob", "bob"), 0);
  // The event names the read's own time: a client orders the copies of a read by it, and a
  // copy that differs by a microsecond from the event it stored would lose to it.
  const auto state = from_json<ChannelState>(query("alice", "messaging:general").json);
  for (const auto& bobs : *state.read) {
    if (bobs.user.id == "bob") {
      EXPECT_EQ(bobs.last_read, read.created_at);
    }
  }

  ASSERT_EQ(send("alice", "messaging:general", R"({"text":"two"})").status, 200u);
  ASSERT_EQ(send("alice", "messaging:general", R"({"text":"three"})").status, 200u);
  EXPECT_EQ(unread_of("bob", "bob"), 2);
  // The socket's first frame carries the totals.
  testing::WsClient ws(port_, "/connect?api_key=" + std::string(testing::kKey) +
                                  "&authorization=" + make_user_token(testing::kSecret, "bob") +
                                  "&stream-auth-type=jwt");
  Event hello = from_json<Event>(ws.read());
  EXPECT_EQ(hello.me->total_unread_count, 2);
  EXPECT_EQ(hello.me->unread_channels, 1);

  auto events = sync("alice", start_);
  EXPECT_TRUE(std::any_of(events.begin(), events.end(),
                          [](const Event& e) { return e.kind == EventType::message_read; }));
  expect_error(call("carol", verb::post, "/channels/messaging/general/read", "{}"), 403, 17);
  expect_error(
      call("bob", verb::post, "/channels/messaging/general/read", R"({"message_id":"nope"})"), 400,
      4);
}

TEST_F(MessageTest, SyncRefusesWhatStreamRefuses) {
  std::string many = "[";
  for (int i = 0; i < 256; ++i)
    many += std::string(i ? "," : "") + "\"messaging:c" + std::to_string(i) + "\"";
  many += "]";
  auto r =
      call("alice", verb::post, "/sync",
           R"({"channel_cids":)" + many + R"(,"last_sync_at":")" + start_.to_string() + R"("})");
  expect_error(r, 400, 4);
  const Timestamp old =
      Timestamp::from_unix_micros(start_.unix_micros() - 31LL * 24 * 3600 * 1'000'000);
  r = call("alice", verb::post, "/sync",
           R"({"channel_cids":["messaging:general"],"last_sync_at":")" + old.to_string() + R"("})");
  expect_error(r, 400, 4);
  EXPECT_NE(r.json.at("message").as_string().find("Too old last_sync_at"), std::string::npos);
  expect_error(call("carol", verb::post, "/sync",
                    R"({"channel_cids":["messaging:general"],"last_sync_at":")" +
                        start_.to_string() + R"("})"),
               403, 17);
  expect_error(call("alice", verb::post, "/sync", R"({"channel_cids":"messaging:general"})"), 400,
               4);
}

}  // namespace
}  // namespace chatkeep

namespace chatkeep {
namespace {

using DeleteForMeTest = testing::ServerTest;

TEST_F(DeleteForMeTest, HidesAMessageFromOneUserOnly) {
  std::string alice_connection, bob_connection;
  auto alice = open("alice", &alice_connection);
  auto bob = open("bob", &bob_connection);
  watch_general("alice", alice_connection);
  watch_general("bob", bob_connection);
  ASSERT_EQ(send("alice", "messaging:general", R"({"id":"m1","text":"for everyone"})").status,
            200u);
  drain(*alice);
  drain(*bob);
  const Timestamp since = Timestamp::now();

  expect_error(call("bob", verb::delete_, "/messages/m1?delete_for_me=true&hard=true"), 400, 4);
  auto r =
      call("bob", verb::delete_, "/messages/m1?delete_for_me=true");  // not his, still his view
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(r.json.at("message").at("type"), "deleted");
  EXPECT_EQ(r.json.at("message").at("deleted_for_me"), true);

  auto ids = [&](const std::string& user) {
    std::vector<std::string> out;
    const auto state = query(user, "messaging:general");
    for (const auto& m : state.json.at("messages").as_array())
      out.emplace_back(m.at("id").as_string());
    return out;
  };
  EXPECT_TRUE(ids("bob").empty());
  EXPECT_EQ(ids("alice"), std::vector<std::string>{"m1"});
  auto seen = drain(*bob);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventType::message_deleted);
  EXPECT_EQ(seen[0].extra.at("deleted_for_me"), true);
  EXPECT_TRUE(drain(*alice).empty());
  const std::string sync_body =
      R"({"channel_cids":["messaging:general"],"last_sync_at":")" + since.to_string() + R"("})";
  EXPECT_TRUE(call("alice", verb::post, "/sync", sync_body).json.at("events").as_array().empty());
  EXPECT_EQ(call("bob", verb::post, "/sync", sync_body).json.at("events").as_array().size(), 1u);
  expect_error(call("carol", verb::delete_, "/messages/m1?delete_for_me=true"), 404, 16);
}

}  // namespace
}  // namespace chatkeep

// The WebSocket of chatkeep-server: the first frame, refusals, health checks, and events pushed
// to the sockets watching a channel.

#include <thread>

#include <gtest/gtest.h>

#include "chatkeep/json.hpp"
#include "chatkeep/uuid.hpp"
#include "support/server_fixture.hpp"
#include "support/ws_client.hpp"

namespace chatkeep {
namespace {

using testing::verb;
using testing::WsClient;

using SocketTest = testing::ServerTest;

TEST_F(SocketTest, FirstFrameCarriesTheOwnUserAndConnectionId) {
  WsClient ws(port_, connect_target("alice", make_user_token(testing::kSecret, "alice"),
                                    R"({"id":"alice","name":"Alice A.","pet":"cat"})"));
  Event hello = from_json<Event>(ws.read());
  ASSERT_EQ(hello.kind, EventType::health_check);
  ASSERT_TRUE(hello.me);
  EXPECT_EQ(hello.me->id, "alice");
  EXPECT_EQ(hello.me->name, "Alice A.");  // user_details are upserted
  EXPECT_EQ(hello.me->extra.at("pet"), "cat");
  EXPECT_EQ(hello.me->total_unread_count, 0);
  EXPECT_EQ(hello.connection_id->size(), 36u);
  // A client health check is answered, without `me`.
  ws.write(R"({"type":"health.check","client_id":"alice--1"})");
  Event reply = from_json<Event>(ws.read());
  EXPECT_EQ(reply.kind, EventType::health_check);
  EXPECT_EQ(reply.connection_id, hello.connection_id);
  EXPECT_FALSE(reply.me);
  // Garbage frames are ignored; the socket stays usable.
  ws.write("not json");
  ws.write(R"({"type":"health.check"})");
  EXPECT_EQ(from_json<Event>(ws.read()).kind, EventType::health_check);
}

// Defects: a connect's user_details replaced the whole user (one `chatkeep query` wiped name and
// custom fields), and a user could make themselves admin, unban themselves or join teams. Now
// a connect updates only what it carries, and only what a user may set about themselves.
TEST_F(SocketTest, AConnectUpdatesOnlyWhatAUserMaySetAboutThemselves) {
  testing::HttpClient admin(port_);
  auto made = admin.send(verb::post, std::string("/users?api_key=") + testing::kKey,
                         R"({"users":{"dave":{"id":"dave","name":"Dave","title":"captain",
                                             "role":"user","teams":["blue"]}}})",
                         {{"Authorization", make_server_token(testing::kSecret)}});
  ASSERT_EQ(made.status, 200u) << made.text;
  const std::string token = make_user_token(testing::kSecret, "dave");
  {
    WsClient ws(port_, connect_target("dave", token, R"({"id":"dave"})"));
    Event hello = from_json<Event>(ws.read());
    ASSERT_TRUE(hello.me);
    EXPECT_EQ(hello.me->name, "Dave");
    EXPECT_EQ(hello.me->extra.at("title"), "captain");
  }
  WsClient ws(port_, connect_target("dave", token,
                                    R"({"id":"dave","name":"D.","role":"admin","banned":false,
                                        "teams":["red"],"shadow_banned":false,"pet":"dog"})"));
  Event hello = from_json<Event>(ws.read());
  ASSERT_TRUE(hello.me);
  EXPECT_EQ(hello.me->name, "D.");
  EXPECT_EQ(hello.me->extra.at("pet"), "dog");
  EXPECT_EQ(hello.me->extra.at("title"), "captain");
  EXPECT_EQ(hello.me->role, "user");
  EXPECT_EQ(hello.me->teams, std::vector<std::string>{"blue"});
  EXPECT_FALSE(hello.me->extra.contains("shadow_banned"));
  // Others see the same.
  auto seen = call("alice", verb::get,
                   "/users?payload=" + boost::urls::encode(R"({"filter_conditions":{"id":"dave"}})",
                                                           boost::urls::unreserved_chars));
  ASSERT_EQ(seen.status, 200u) << seen.text;
  EXPECT_EQ(seen.json.at("users").at(0).at("role"), "user");
  EXPECT_EQ(seen.json.at("users").at(0).at("name"), "D.");
}

// Defect: a socket that never read grew the server's queue without limit (10 such sockets and
// 2,000 messages: 93 MB). A socket too far behind is dropped; /sync has what it missed.
TEST_F(SocketTest, ASocketThatNeverReadsIsDroppedNotBuffered) {
  std::string connection;
  auto alice = open("alice", &connection);
  ASSERT_EQ(
      call("alice", verb::post, "/channels/messaging/general/query?connection_id=" + connection,
           R"({"data":{"members":["alice","bob"]},"watch":true})")
          .status,
      200u);
  // Enough to fill the loopback's socket buffers several times over, and the 4 MB backlog.
  constexpr int kMessages = 3000;
  const std::string text(4000, 'x');
  testing::HttpClient bob(port_);
  for (int i = 0; i < kMessages; ++i) {
    auto r = bob.send(
        verb::post,
        std::string("/channels/messaging/general/message?user_id=bob&api_key=") + testing::kKey,
        R"({"message":{"text":")" + text + R"("}})",
        {{"Authorization", make_user_token(testing::kSecret, "bob")}, {"stream-auth-type", "jwt"}});
    ASSERT_EQ(r.status, 200u) << r.text;
  }
  // Reading now finds the connection cut before all of it arrived.
  int frames = 0;
  try {
    for (;;) {
      (void)alice->read();
      ++frames;
    }
  } catch (const std::exception&) {
    // cut, or (before the fix) nothing more after everything
  }
  EXPECT_LT(frames, kMessages);
}

TEST_F(SocketTest, RefusalIsConnectionErrorThenClose1000) {
  WsClient ws(port_, connect_target("alice", make_user_token("wrong-secret", "alice")));
  auto frame = ws.read();
  EXPECT_EQ(frame.at("type"), "connection.error");
  EXPECT_EQ(frame.at("error").at("code"), 43);
  EXPECT_EQ(frame.at("error").at("StatusCode"), 401);
  EXPECT_EQ(ws.read_until_closed(), 1000);

  WsClient other(port_, connect_target("alice", make_user_token(testing::kSecret, "bob")));
  EXPECT_EQ(other.read().at("error").at("code"), 5);  // the token is not alice's
}

TEST_F(SocketTest, WatchersGetTheChannelsEventsInOrder) {
  std::string alice_connection, bob_connection;
  auto alice = open("alice", &alice_connection);
  auto bob = open("bob", &bob_connection);
  // Alice watches through her socket; bob only queries.
  auto r = call("alice", verb::post,
                "/channels/messaging/general/query?connection_id=" + alice_connection,
                R"({"data":{"members":["alice","bob"]},"watch":true})");
  ASSERT_EQ(r.status, 200u) << r.text;
  ASSERT_EQ(query("bob", "messaging:general").status, 200u);

  const std::string id = make_uuid_v4();
  ASSERT_EQ(send("bob", "messaging:general", R"({"id":")" + id + R"(","text":"hi alice"})").status,
            200u);
  ASSERT_EQ(
      call("bob", verb::post, "/messages/" + id + "/reaction", R"({"reaction":{"type":"like"}})")
          .status,
      200u);

  auto events = drain(*alice);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, EventType::message_new);
  EXPECT_EQ(events[0].message->id, id);
  EXPECT_EQ(events[0].user->id, "bob");
  EXPECT_EQ(events[1].kind, EventType::reaction_new);
  EXPECT_EQ(events[1].message->reaction_counts->at("like"), 1);
  // Bob is a member but not watching: told of the channel alice made with him (she, its creator,
  // is not), then only notification.message_new, with his unread totals.
  events = drain(*bob);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, EventType::notification_added_to_channel);
  EXPECT_EQ(events[0].channel->cid, "messaging:general");
  EXPECT_EQ(events[0].member->id(), "bob");
  EXPECT_EQ(events[0].user->id, "alice");
  EXPECT_EQ(events[1].kind, EventType::notification_message_new);
  EXPECT_EQ(events[1].channel->cid, "messaging:general");
  EXPECT_EQ(events[1].message->id, id);
  EXPECT_EQ(events[1].total_unread_count, 0);  // his own message
}

TEST_F(SocketTest, AFailedRequestSendsNoEvent) {
  std::string connection;
  auto alice = open("alice", &connection);
  watch_general("alice", connection);
  const std::string id = make_uuid_v4();
  ASSERT_EQ(send("alice", "messaging:general", R"({"id":")" + id + R"(","text":"one"})").status,
            200u);
  expect_error(send("alice", "messaging:general", R"({"id":")" + id + R"(","text":"again"})"), 400,
               4);
  auto events = drain(*alice);
  ASSERT_EQ(events.size(), 1u);  // the duplicate made no event
  EXPECT_EQ(events[0].message->text, "one");
}

TEST_F(SocketTest, MembershipChangesReachWatchersAndTheUserConcerned) {
  std::string alice_connection, carol_connection, bob_connection;
  auto alice = open("alice", &alice_connection);
  auto carol = open("carol", &carol_connection);
  auto bob = open("bob", &bob_connection);
  watch_general("alice", alice_connection);
  EXPECT_EQ(drain(*bob).at(0).kind, EventType::notification_added_to_channel);  // created with him
  auto r = call("alice", verb::post, "/channels/messaging/general", R"({"add_members":["carol"]})");
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(r.json.at("members").as_array().size(), 3u);
  auto seen = drain(*alice);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventType::member_added);
  EXPECT_EQ(seen[0].member->id(), "carol");
  seen = drain(*carol);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventType::notification_added_to_channel);
  EXPECT_EQ(seen[0].channel->cid, "messaging:general");
  EXPECT_TRUE(drain(*bob).empty());
  EXPECT_EQ(query("carol", "messaging:general").status, 200u);

  r = call("alice", verb::post, "/channels/messaging/general",
           R"({"data":{"name":"New name","topic":"y"}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  Channel renamed = from_json<Channel>(r.json.at("channel"));
  EXPECT_EQ(renamed.name, "New name");
  EXPECT_EQ(renamed.extra.at("topic"), "y");
  EXPECT_EQ(renamed.created_by->id, "alice");  // the channel's own fields stay
  EXPECT_EQ(renamed.config->max_message_length, 5000);
  seen = drain(*alice);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventType::channel_updated);
  EXPECT_EQ(seen[0].channel->name, "New name");

  ASSERT_EQ(
      call("alice", verb::post, "/channels/messaging/general", R"({"remove_members":["carol"]})")
          .status,
      200u);
  EXPECT_EQ(drain(*alice).at(0).kind, EventType::member_removed);
  EXPECT_EQ(drain(*carol).at(0).kind, EventType::notification_removed_from_channel);
  expect_error(query("carol", "messaging:general"), 403, 17);

  expect_error(
      call("alice", verb::post, "/channels/messaging/general", R"({"add_members":"carol"})"), 400,
      4);
  expect_error(call("alice", verb::post, "/channels/messaging/general", "{}"), 400, 4);
  expect_error(
      call("carol", verb::post, "/channels/messaging/general", R"({"add_members":["carol"]})"), 403,
      17);
  expect_error(
      call("alice", verb::post, "/channels/messaging/nowhere", R"({"add_members":["bob"]})"), 404,
      16);
}

TEST_F(SocketTest, TypingIsPushedButNeverStoredAndStopWatchingStops) {
  const Timestamp start = Timestamp::now();
  std::string connection;
  auto alice = open("alice", &connection);
  watch_general("alice", connection);
  auto r = call("bob", verb::post, "/channels/messaging/general/event",
                R"({"event":{"type":"typing.start","parent_id":"p1"}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  auto seen = drain(*alice);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, EventType::typing_start);
  EXPECT_EQ(seen[0].user->id, "bob");
  EXPECT_EQ(seen[0].parent_id, "p1");
  auto synced = call(
      "alice", verb::post, "/sync",
      R"({"channel_cids":["messaging:general"],"last_sync_at":")" + start.to_string() + R"("})");
  EXPECT_TRUE(synced.json.at("events").as_array().empty());  // transient
  expect_error(call("bob", verb::post, "/channels/messaging/general/event",
                    R"({"event":{"type":"message.new"}})"),
               400, 18);

  ASSERT_EQ(call("alice", verb::post,
                 "/channels/messaging/general/stop-watching?connection_id=" + connection, "{}")
                .status,
            200u);
  ASSERT_EQ(send("bob", "messaging:general", R"({"text":"unseen"})").status, 200u);
  seen = drain(*alice);
  ASSERT_EQ(seen.size(), 1u);  // a member no longer watching: the notification only
  EXPECT_EQ(seen[0].kind, EventType::notification_message_new);
  EXPECT_EQ(seen[0].total_unread_count, 1);
}

// Truncating and deleting a channel reach its watchers as channel.truncated and channel.deleted,
// and the members who do not watch it as notification.channel_truncated and _deleted, with their
// unread totals (Stream's rule; without them a member's client would keep a deleted channel).
TEST_F(SocketTest, TruncationAndDeletionReachMembersWhoDoNotWatch) {
  std::string alice_connection, bob_connection, carol_connection;
  auto alice = open("alice", &alice_connection);
  auto bob = open("bob", &bob_connection);
  auto carol = open("carol", &carol_connection);
  watch_general("alice", alice_connection);
  ASSERT_EQ(send("alice", "messaging:general", R"({"text":"soon gone"})").status, 200u);
  drain(*alice);
  drain(*bob);
  ASSERT_EQ(call("alice", verb::post, "/channels/messaging/general/truncate", "{}").status, 200u);
  ASSERT_EQ(call("alice", verb::delete_, "/channels/messaging/general", "").status, 200u);

  auto seen = drain(*alice);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].kind, EventType::channel_truncated);
  EXPECT_EQ(seen[1].kind, EventType::channel_deleted);
  seen = drain(*bob);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].kind, EventType::notification_channel_truncated);
  EXPECT_EQ(seen[0].channel->cid, "messaging:general");
  EXPECT_EQ(seen[0].total_unread_count, 0);
  EXPECT_EQ(seen[1].kind, EventType::notification_channel_deleted);
  EXPECT_EQ(seen[1].channel->cid, "messaging:general");
  EXPECT_TRUE(drain(*carol).empty()) << "not a member";
}

TEST_F(SocketTest, AnotherUsersConnectionIdWatchesNothing) {
  std::string alice_connection;
  auto alice = open("alice", &alice_connection);
  watch_general("bob", alice_connection);
  ASSERT_EQ(send("bob", "messaging:general", R"({"text":"sneaky"})").status, 200u);
  auto seen = drain(*alice);
  ASSERT_EQ(seen.size(), 2u);  // her socket watches nothing: she is only notified
  EXPECT_EQ(seen[0].kind, EventType::notification_added_to_channel);
  EXPECT_EQ(seen[1].kind, EventType::notification_message_new);
}

}  // namespace
}  // namespace chatkeep

namespace chatkeep {
namespace {

// The HTTP request deadline ends with the upgrade: a socket outlives it, quiet or not.
TEST(SocketLifetime, ASocketOutlivesTheRequestTimeout) {
  server::Server server({.api_key = testing::kKey,
                         .api_secret = testing::kSecret,
                         .request_timeout = std::chrono::milliseconds(100)});
  const std::uint16_t port = server.start();
  testing::WsClient ws(port, std::string("/connect?api_key=") + testing::kKey +
                                 "&authorization=" + make_user_token(testing::kSecret, "alice") +
                                 "&stream-auth-type=jwt");
  EXPECT_EQ(from_json<Event>(ws.read()).kind, EventType::health_check);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ws.write(R"({"type":"health.check","client_id":"alice--1"})");
  EXPECT_EQ(from_json<Event>(ws.read()).kind, EventType::health_check);
}

}  // namespace
}  // namespace chatkeep

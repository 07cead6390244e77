// Fault injection on chatkeep-server (/_chaos): exact, because the client's tests depend on it.

#include <thread>

#include <gtest/gtest.h>

#include "chatkeep/json.hpp"
#include "chatkeep/uuid.hpp"
#include "support/server_fixture.hpp"
#include "support/ws_client.hpp"

namespace chatkeep {
namespace {

using testing::HttpClient;
using testing::verb;
using testing::WsClient;
using Clock = std::chrono::steady_clock;

class ChaosTest : public testing::ServerTest {
 protected:
  testing::HttpResponse chaos(verb method, const std::string& body = "") {
    HttpClient client(port_);
    return client.send(method, std::string("/_chaos?api_key=") + testing::kKey, body,
                       {{"Authorization", make_server_token(testing::kSecret)}});
  }

  // Alice's socket, watching messaging:general (alice and bob are members).
  std::unique_ptr<WsClient> watcher() {
    auto ws = std::make_unique<WsClient>(
        port_, "/connect?api_key=" + std::string(testing::kKey) + "&authorization=" +
                   make_user_token(testing::kSecret, "alice") + "&stream-auth-type=jwt");
    const std::string connection(from_json<Event>(ws->read()).connection_id.value());
    watch_general("alice", connection);
    return ws;
  }

  static std::vector<std::string> texts_until_health(WsClient& ws) {
    ws.write(R"({"type":"health.check"})");
    std::vector<std::string> texts;
    for (;;) {
      Event e = from_json<Event>(ws.read());
      if (e.kind == EventType::health_check) return texts;
      texts.push_back(e.message->text.value_or(""));
    }
  }
};

TEST_F(ChaosTest, OnlyTheServerTokenAndOnlyWhenEnabled) {
  HttpClient client(port_);
  auto r =
      client.send(verb::post, std::string("/_chaos?api_key=") + testing::kKey, R"({"fail_next":1})",
                  {{"Authorization", make_user_token(testing::kSecret, "alice")}});
  expect_error(r, 403, 17);
  EXPECT_EQ(chaos(verb::get).json.at("fail_next"), 0);

  server::Server closed({.api_key = testing::kKey, .api_secret = testing::kSecret, .chaos = false});
  HttpClient other(closed.start());
  expect_error(other.send(verb::get, std::string("/_chaos?api_key=") + testing::kKey, "",
                          {{"Authorization", make_server_token(testing::kSecret)}}),
               404, 16);
}

TEST_F(ChaosTest, FailTheNextRequestsExactly) {
  ASSERT_EQ(query("alice", "messaging:general", R"({"data":{"members":["alice","bob"]}})").status,
            200u);
  ASSERT_EQ(chaos(verb::post, R"({"fail_next":2,"fail_status":503})").status, 200u);
  const std::string id = make_uuid_v4();
  expect_error(send("alice", "messaging:general", R"({"id":")" + id + R"(","text":"lost?"})"), 503,
               -1);
  expect_error(query("alice", "messaging:general"), 503, -1);
  // The third goes through, and the failed send stored nothing.
  ASSERT_EQ(send("alice", "messaging:general", R"({"id":")" + id + R"(","text":"again"})").status,
            200u);
  ASSERT_EQ(chaos(verb::post, R"({"fail_next":1,"fail_status":429})").status, 200u);
  expect_error(query("alice", "messaging:general"), 429, 9);
  EXPECT_EQ(query("alice", "messaging:general").status, 200u);
}

TEST_F(ChaosTest, FailAShareOfRequestsBeforeOrAfterTheyTakeEffect) {
  ASSERT_EQ(query("alice", "messaging:general", R"({"data":{"members":["alice","bob"]}})").status,
            200u);
  expect_error(chaos(verb::post, R"({"fail_rate":101})"), 400, 4);

  // Refused before: nothing stored.
  ASSERT_EQ(chaos(verb::post, R"({"fail_rate":100,"fail_status":502})").status, 200u);
  expect_error(send("alice", "messaging:general", R"({"id":"refused","text":"x"})"), 502, -1);
  ASSERT_EQ(chaos(verb::post, R"({"fail_rate":0,"fail_after_rate":100})").status, 200u);
  // Carried out, the answer lost: the message is there, and sending it again says so.
  expect_error(send("alice", "messaging:general", R"({"id":"kept","text":"x"})"), 502, -1);
  ASSERT_EQ(chaos(verb::delete_).status, 200u);
  auto messages = query("alice", "messaging:general").json.at("messages").as_array();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].at("id"), "kept");
  expect_error(send("alice", "messaging:general", R"({"id":"kept","text":"x"})"), 400, 4);

  // A share, drawn from a seeded generator: about half of 200.
  ASSERT_EQ(chaos(verb::post, R"({"fail_rate":50,"seed":7})").status, 200u);
  int failed = 0;
  for (int i = 0; i < 200; ++i)
    failed += query("alice", "messaging:general").status == 500 ? 1 : 0;
  EXPECT_GT(failed, 60);
  EXPECT_LT(failed, 140);
}

TEST_F(ChaosTest, AddedLatency) {
  ASSERT_EQ(chaos(verb::post, R"({"latency_ms":250})").status, 200u);
  const auto start = Clock::now();
  EXPECT_EQ(query("alice", "messaging:general", R"({"data":{"members":["alice"]}})").status, 200u);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(250));
  ASSERT_EQ(chaos(verb::delete_).json.at("latency_ms"), 0);
}

TEST_F(ChaosTest, EventsTwiceAndReordered) {
  auto ws = watcher();
  ASSERT_EQ(chaos(verb::post, R"({"duplicate_events":true})").status, 200u);
  ASSERT_EQ(send("bob", "messaging:general", R"({"text":"one"})").status, 200u);
  EXPECT_EQ(texts_until_health(*ws), (std::vector<std::string>{"one", "one"}));

  ASSERT_EQ(chaos(verb::post, R"({"duplicate_events":false,"reorder_events":true})").status, 200u);
  ASSERT_EQ(send("bob", "messaging:general", R"({"text":"two"})").status, 200u);
  ASSERT_EQ(send("bob", "messaging:general", R"({"text":"three"})").status, 200u);
  ASSERT_EQ(send("bob", "messaging:general", R"({"text":"four"})").status, 200u);
  // Swapped in pairs; the one held back comes out before the health check's answer.
  EXPECT_EQ(texts_until_health(*ws), (std::vector<std::string>{"three", "two", "four"}));
}

TEST_F(ChaosTest, DropSocketsAndGoOffline) {
  auto ws = watcher();
  auto r = chaos(verb::post, R"({"drop_sockets":true})");
  EXPECT_EQ(r.status, 200u);  // the answer arrives before the drop
  EXPECT_THROW((void)ws->read(), boost::system::system_error);

  r = chaos(verb::post, R"({"offline_ms":400})");
  EXPECT_EQ(r.status, 200u);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_THROW(HttpClient refused(port_), boost::system::system_error);  // connection refused
  // Back after the offline time, on the same port.
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    try {
      back =
          query("alice", "messaging:general", R"({"data":{"members":["alice"]}})").status == 200u;
    } catch (const boost::system::system_error&) {
    }
  }
  EXPECT_TRUE(back);
}

}  // namespace
}  // namespace chatkeep

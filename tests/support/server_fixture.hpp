#pragma once

// An in-process chatkeep-server on loopback with alice, bob and carol, and calls as any of them.

#include <gtest/gtest.h>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "chatkeep/json.hpp"
#include "chatkeep/token.hpp"
#include "chatkeep/uuid.hpp"
#include "server.hpp"
#include "support/http_client.hpp"
#include "support/ws_client.hpp"

namespace chatkeep::testing {

using boost::beast::http::verb;

constexpr const char* kKey = "test-key";
constexpr const char* kSecret = "test-secret";

class ServerTest : public ::testing::Test {
 public:
  ServerTest() : ServerTest(server::ServerOptions{}) {}
  // A server with these options, and the test's key and secret.
  explicit ServerTest(server::ServerOptions options) : server_(with_keys(std::move(options))) {}

  static server::ServerOptions with_keys(server::ServerOptions options) {
    options.api_key = kKey;
    options.api_secret = kSecret;
    return options;
  }

  void SetUp() override {
    port_ = server_.start();
    add_users();
  }

  // Alice, Bob and Carol, on the server at port_.
  void add_users() {
    HttpClient admin(port_);
    auto r = admin.send(verb::post, std::string("/users?api_key=") + kKey,
                        R"({"users":{"alice":{"id":"alice","name":"Alice"},
                                     "bob":{"id":"bob","name":"Bob"},
                                     "carol":{"id":"carol","name":"Carol"}}})",
                        {{"Authorization", make_server_token(kSecret)}});
    ASSERT_EQ(r.status, 200u) << r.text;
  }

  HttpResponse call(const std::string& user, verb method, const std::string& path,
                    const std::string& body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpClient client(port_);
    headers.emplace_back("Authorization", make_user_token(kSecret, user));
    headers.emplace_back("stream-auth-type", "jwt");
    return client.send(method,
                       path + (path.find('?') == std::string::npos ? "?" : "&") +
                           "api_key=" + kKey + "&user_id=" + user,
                       body, headers);
  }

  // The user `id` as the server has it (GET /users), as an object; empty when there is none.
  boost::json::object server_user(const std::string& id) {
    const std::string payload = R"({"filter_conditions":{"id":")" + id + R"("}})";
    auto r = call(id, verb::get,
                  "/users?payload=" + boost::urls::encode(payload, boost::urls::unreserved_chars));
    EXPECT_EQ(r.status, 200u) << r.text;
    const auto* users = r.json.is_object() ? r.json.as_object().if_contains("users") : nullptr;
    if (!users || !users->is_array() || users->as_array().empty()) return {};
    return users->as_array().front().as_object();
  }

  HttpResponse query(const std::string& user, const std::string& cid,
                     const std::string& body = "{}") {
    const auto colon = cid.find(':');
    return call(user, verb::post,
                "/channels/" + cid.substr(0, colon) + "/" + cid.substr(colon + 1) + "/query", body);
  }

  HttpResponse send(const std::string& user, const std::string& cid, const std::string& message) {
    const auto colon = cid.find(':');
    return call(user, verb::post,
                "/channels/" + cid.substr(0, colon) + "/" + cid.substr(colon + 1) + "/message",
                R"({"message":)" + message + "}");
  }

  // `user` creates messaging:general with alice and bob, watching it through the socket
  // `connection_id`.
  void watch_general(const std::string& user, const std::string& connection_id) {
    auto r =
        call(user, verb::post, "/channels/messaging/general/query?connection_id=" + connection_id,
             R"({"data":{"members":["alice","bob"]},"watch":true})");
    ASSERT_EQ(r.status, 200u) << r.text;
  }

  // The /connect target of protocol.md for this user and token.
  std::string connect_target(const std::string& user, const std::string& token,
                             const std::string& details = "") {
    const std::string json = R"({"user_id":")" + user + R"(","user_details":)" +
                             (details.empty() ? R"({"id":")" + user + R"("})" : details) +
                             R"(,"client_request_id":")" + make_uuid_v4() + R"("})";
    return "/connect?json=" + boost::urls::encode(json, boost::urls::unreserved_chars) +
           "&api_key=" + kKey + "&authorization=" + token + "&stream-auth-type=jwt";
  }

  // The user's event socket, open; its first frame read.
  std::unique_ptr<WsClient> open(const std::string& user, std::string* connection_id,
                                 Event* hello = nullptr) {
    auto ws =
        std::make_unique<WsClient>(port_, connect_target(user, make_user_token(kSecret, user)));
    Event first = from_json<Event>(ws->read());
    EXPECT_EQ(first.kind, EventType::health_check);
    *connection_id = first.connection_id.value_or("");
    if (hello) *hello = std::move(first);
    return ws;
  }

  // Reads frames up to the answer to a health check, returning what came before it.
  static std::vector<Event> drain(WsClient& ws) {
    ws.write(R"({"type":"health.check","client_id":"test"})");
    std::vector<Event> before;
    for (;;) {
      Event frame = from_json<Event>(ws.read());
      if (frame.kind == EventType::health_check) return before;
      before.push_back(std::move(frame));
    }
  }

  static void expect_error(const HttpResponse& r, unsigned status, int code) {
    EXPECT_EQ(r.status, status) << r.text;
    ASSERT_TRUE(r.json.is_object()) << r.text;
    EXPECT_EQ(r.json.at("code"), code) << r.text;
  }

  server::Server server_;
  std::uint16_t port_ = 0;
};

}  // namespace chatkeep::testing

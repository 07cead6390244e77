// net::WebSocket against a real chatkeep-server on loopback (keep-alive, dead connections,
// refusals, drops) and over TLS against an endpoint with a certificate made in the test.

#include <gtest/gtest.h>

#include <mutex>

#include <boost/json.hpp>

#include "chatkeep/testing/temp_dir.hpp"
#include "chatkeep/token.hpp"
#include "net/http_client.hpp"
#include "net/websocket.hpp"
#include "server.hpp"
#include "support/io_thread.hpp"
#include "support/tls_server.hpp"

namespace chatkeep {
namespace {

using net::WebSocket;

constexpr const char* kKey = "net-key";
constexpr const char* kSecret = "net-secret";

// What a socket received, safe to read from the test's thread.
struct Received {
  std::mutex mutex;
  std::vector<std::string> frames;
  testing::Eventually<std::pair<boost::system::error_code, int>> closed;

  WebSocket::Handlers handlers() {
    return {.frame =
                [this](std::string frame) {
                  std::lock_guard lock(mutex);
                  frames.push_back(std::move(frame));
                },
            .closed =
                [setter = closed.setter()](boost::system::error_code ec, int code) {
                  setter({ec, code});
                }};
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return frames.size();
  }
  std::string type_of(std::size_t i) {
    std::lock_guard lock(mutex);
    return std::string(boost::json::parse(frames.at(i)).at("type").as_string());
  }
};

class WebSocketTest : public ::testing::Test {
 protected:
  std::string target(const std::string& token) {
    return std::string("/connect?api_key=") + kKey + "&authorization=" + token +
           "&stream-auth-type=jwt";
  }

  boost::system::error_code open(WebSocket& ws, Received& received, const std::string& token) {
    testing::Eventually<boost::system::error_code> opened;
    ws.open(target(token), received.handlers(), opened.setter());
    return opened.get();
  }

  static bool wait_until(const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return done();
  }

  server::Server server_{{.api_key = kKey, .api_secret = kSecret}};
  std::uint16_t port_ = server_.start();
  testing::IoThread io_;
  net::Endpoint endpoint_ = net::Endpoint::parse("ws://127.0.0.1:" + std::to_string(port_));
};

TEST_F(WebSocketTest, PingsKeepItAliveAndAnswersArrive) {
  WebSocket ws(io_.executor(), endpoint_, nullptr,
               {.ping_interval = std::chrono::milliseconds(50),
                .dead_after = std::chrono::milliseconds(400),
                .ping = [] { return std::string(R"({"type":"health.check"})"); }});
  Received received;
  ASSERT_FALSE(open(ws, received, make_user_token(kSecret, "alice")));
  // The first frame, then the server's answers to the pings; the socket outlives dead_after.
  ASSERT_TRUE(wait_until([&] { return received.count() >= 10; }));
  EXPECT_EQ(received.type_of(0), "health.check");
  EXPECT_FALSE(received.closed.ready());
  ws.close();
  EXPECT_EQ(received.closed.get().first, boost::asio::error::operation_aborted);
}

TEST_F(WebSocketTest, SilenceMeansDead) {
  WebSocket ws(io_.executor(), endpoint_, nullptr,
               {.dead_after = std::chrono::milliseconds(200)});  // no pings: nothing comes back
  Received received;
  ASSERT_FALSE(open(ws, received, make_user_token(kSecret, "alice")));
  const auto [error, code] = received.closed.get();
  EXPECT_EQ(error, boost::asio::error::timed_out);
  EXPECT_EQ(received.count(), 1u);  // the first frame only
}

TEST_F(WebSocketTest, ARefusalEndsWithTheServersCloseCode) {
  WebSocket ws(io_.executor(), endpoint_, nullptr, {});
  Received received;
  ASSERT_FALSE(open(ws, received, make_user_token("wrong-secret", "alice")));
  const auto [error, code] = received.closed.get();
  EXPECT_EQ(code, 1000);
  ASSERT_EQ(received.count(), 1u);
  EXPECT_EQ(received.type_of(0), "connection.error");
}

TEST_F(WebSocketTest, ADroppedConnectionIsReportedOnceAndSendsAfterwardsAreHarmless) {
  WebSocket ws(io_.executor(), endpoint_, nullptr, {});
  Received received;
  ASSERT_FALSE(open(ws, received, make_user_token(kSecret, "alice")));
  ASSERT_TRUE(wait_until([&] { return received.count() == 1; }));
  net::HttpClient admin(io_.executor(), endpoint_, nullptr, std::chrono::seconds(5));
  testing::Eventually<net::HttpResult> dropped;
  admin.send(boost::beast::http::verb::post, std::string("/_chaos?api_key=") + kKey,
             {{"Authorization", make_server_token(kSecret)}}, R"({"drop_sockets":true})",
             dropped.setter());
  ASSERT_EQ(dropped.get().status, 200u);
  EXPECT_TRUE(received.closed.get().first);
  ws.send(R"({"type":"health.check"})");  // nowhere to go; no crash, no second report
  ws.close();
}

TEST_F(WebSocketTest, NothingListeningIsAnOpenError) {
  server_.stop();
  WebSocket ws(io_.executor(), endpoint_, nullptr, {});
  Received received;
  EXPECT_EQ(open(ws, received, "x"), boost::asio::error::connection_refused);
}

TEST(WebSocketTls, EchoOverAVerifiedConnection) {
  testing::TempDir dir;
  testing::TestCertificate certificate;
  testing::TlsServer server(certificate);
  testing::IoThread io;
  const auto endpoint = net::Endpoint::parse("wss://127.0.0.1:" + std::to_string(server.port()));
  WebSocket ws(io.executor(), endpoint,
               net::make_tls_context(certificate.write_ca_file(dir.path() / "ca.pem")), {});
  Received received;
  testing::Eventually<boost::system::error_code> opened;
  ws.open("/connect", received.handlers(), opened.setter());
  const boost::system::error_code open_error = opened.get();
  ASSERT_FALSE(open_error) << open_error.message();
  ws.send(R"({"type":"echo"})");
  for (int i = 0; i < 500 && received.count() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(received.count(), 1u);
  EXPECT_EQ(received.type_of(0), "echo");

  WebSocket untrusted(io.executor(), endpoint, net::make_tls_context(), {});
  Received nothing;
  testing::Eventually<boost::system::error_code> refused;
  untrusted.open("/connect", nothing.handlers(), refused.setter());
  EXPECT_TRUE(refused.get());
}

}  // namespace
}  // namespace chatkeep

// net::HttpClient against a real chatkeep-server on loopback, and over TLS against an endpoint
// with a certificate made in the test.

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include <boost/beast/core/error.hpp>
#include <boost/json.hpp>

#include "chatkeep/error.hpp"
#include "chatkeep/testing/temp_dir.hpp"
#include "chatkeep/token.hpp"
#include "net/http_client.hpp"
#include "server.hpp"
#include "support/eventually.hpp"
#include "support/holding_server.hpp"
#include "support/io_thread.hpp"
#include "support/tls_server.hpp"

namespace chatkeep {
namespace {

using boost::beast::http::verb;
using net::HttpClient;
using net::HttpResult;

constexpr const char* kKey = "net-key";
constexpr const char* kSecret = "net-secret";

net::Headers server_auth() {
  return {{"Authorization", make_server_token(kSecret)}, {"stream-auth-type", "jwt"}};
}

HttpResult send(HttpClient& client, verb method, const std::string& target,
                const std::string& body = "", net::Headers headers = server_auth()) {
  testing::Eventually<HttpResult> result;
  client.send(method, target, std::move(headers), body, result.setter());
  return result.get();
}

class HttpClientTest : public ::testing::Test {
 protected:
  server::Server server_{
      {.api_key = kKey, .api_secret = kSecret, .request_timeout = std::chrono::milliseconds(300)}};
  std::uint16_t port_ = server_.start();
  testing::IoThread io_;
  std::string base_ = "http://127.0.0.1:" + std::to_string(port_);
};

TEST_F(HttpClientTest, EveryRequestGetsItsOwnAnswer) {
  HttpClient client(io_.executor(), net::Endpoint::parse(base_), nullptr, std::chrono::seconds(5));
  std::vector<testing::Eventually<HttpResult>> results(20);
  for (int i = 0; i < 20; ++i) {
    client.send(
        verb::post, std::string("/users?api_key=") + kKey, server_auth(),
        R"({"users":{"u)" + std::to_string(i) + R"(":{"id":"u)" + std::to_string(i) + R"("}}})",
        results[static_cast<std::size_t>(i)].setter());
  }
  for (int i = 0; i < 20; ++i) {
    HttpResult r = results[static_cast<std::size_t>(i)].get();
    ASSERT_FALSE(r.error) << r.error.message();
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_TRUE(
        boost::json::parse(r.body).at("users").as_object().contains("u" + std::to_string(i)));
  }
  // Errors in Stream's body are answers, not transport failures.
  HttpResult missing = send(client, verb::get, std::string("/nowhere?api_key=") + kKey);
  EXPECT_FALSE(missing.error);
  EXPECT_EQ(missing.status, 404u);
}

// Whether the server has accepted a connection within 10 s.
bool eventually_accepted(const testing::HoldingServer& server) {
  return testing::eventually([&] { return server.accepted() > 0; });
}

TEST(HttpClientPool, RequestsShareUpToMaxConnectionsKeptAlive) {
  testing::HoldingServer server(3);
  testing::IoThread io;
  HttpClient client(io.executor(),
                    net::Endpoint::parse("http://127.0.0.1:" + std::to_string(server.port())),
                    nullptr, std::chrono::seconds(5), 3);
  // Two rounds of three: each round is answered only once three connections carry it.
  std::vector<testing::Eventually<HttpResult>> results(6);
  for (std::size_t i = 0; i < results.size(); ++i)
    client.send(verb::get, "/r" + std::to_string(i), {}, "", results[i].setter());
  std::set<std::string> answered;
  for (auto& result : results) {
    HttpResult r = result.get();
    ASSERT_FALSE(r.error) << r.error.message();
    answered.insert(r.body);
  }
  EXPECT_EQ(answered, (std::set<std::string>{"/r0", "/r1", "/r2", "/r3", "/r4", "/r5"}));
  EXPECT_EQ(server.accepted(), 3u) << "the second round reused the first round's connections";
}

TEST_F(HttpClientTest, AConnectionTheServerClosedWhileIdleIsReopened) {
  HttpClient client(io_.executor(), net::Endpoint::parse(base_), nullptr, std::chrono::seconds(5));
  const std::string target = std::string("/users?api_key=") + kKey;
  const std::string body = R"({"users":{"a":{"id":"a"}}})";
  EXPECT_EQ(send(client, verb::post, target, body).status, 200u);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // past the server's timeout
  HttpResult again = send(client, verb::post, target, body);
  EXPECT_FALSE(again.error) << again.error.message();
  EXPECT_EQ(again.status, 200u);
}

TEST_F(HttpClientTest, TimeoutsAndRefusedConnectionsAreTransportErrors) {
  HttpClient admin(io_.executor(), net::Endpoint::parse(base_), nullptr, std::chrono::seconds(5));
  HttpClient slow(io_.executor(), net::Endpoint::parse(base_), nullptr,
                  std::chrono::milliseconds(150));
  ASSERT_EQ(
      send(admin, verb::post, std::string("/_chaos?api_key=") + kKey, R"({"latency_ms":1000})")
          .status,
      200u);
  HttpResult late = send(slow, verb::get, std::string("/_chaos?api_key=") + kKey);
  EXPECT_EQ(late.error, boost::beast::error::timeout) << late.error.message();

  server_.stop();
  HttpClient nowhere(io_.executor(), net::Endpoint::parse(base_), nullptr, std::chrono::seconds(2));
  HttpResult refused = send(nowhere, verb::get, "/users");
  EXPECT_EQ(refused.error, boost::asio::error::connection_refused) << refused.error.message();
}

TEST(HttpClientPool, CloseFailsWhatIsInFlightAndWhatIsQueued) {
  // One connection, to a server that never answers it (it waits for two): the first request
  // stays in flight and the second queued until close() fails both.
  testing::HoldingServer server(2);
  testing::IoThread io;
  HttpClient client(io.executor(),
                    net::Endpoint::parse("http://127.0.0.1:" + std::to_string(server.port())),
                    nullptr, std::chrono::seconds(5), 1);
  testing::Eventually<HttpResult> in_flight;
  testing::Eventually<HttpResult> queued;
  client.send(verb::get, "/first", {}, "", in_flight.setter());
  client.send(verb::get, "/second", {}, "", queued.setter());
  ASSERT_TRUE(eventually_accepted(server));
  client.close();
  EXPECT_EQ(in_flight.get().error, boost::asio::error::operation_aborted);
  EXPECT_EQ(queued.get().error, boost::asio::error::operation_aborted);
  EXPECT_EQ(server.accepted(), 1u);
}

TEST(HttpClientTls, VerifiesTheServerCertificate) {
  testing::TempDir dir;
  testing::TestCertificate certificate;
  testing::TlsServer server(certificate);
  testing::IoThread io;
  const std::string base = "https://127.0.0.1:" + std::to_string(server.port()) + "/base";

  HttpClient trusted(io.executor(), net::Endpoint::parse(base),
                     net::make_tls_context(certificate.write_ca_file(dir.path() / "ca.pem")),
                     std::chrono::seconds(5));
  HttpResult r = send(trusted, verb::get, "/hello?x=1", "", {});
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(boost::json::parse(r.body).at("target"), "/base/hello?x=1");
  EXPECT_EQ(send(trusted, verb::get, "/again", "", {}).status, 200u);  // kept alive

  // The system's trust store does not know the test's certificate.
  HttpClient untrusted(io.executor(), net::Endpoint::parse(base), net::make_tls_context(),
                       std::chrono::seconds(5));
  HttpResult refused = send(untrusted, verb::get, "/hello", "", {});
  EXPECT_TRUE(refused.error);
  EXPECT_EQ(refused.status, 0u);

  // A trusted certificate for another name is refused too.
  testing::TestCertificate other("DNS:other.example");
  testing::TlsServer impostor(other);
  HttpClient misnamed(io.executor(),
                      net::Endpoint::parse("https://127.0.0.1:" + std::to_string(impostor.port())),
                      net::make_tls_context(other.write_ca_file(dir.path() / "other.pem")),
                      std::chrono::seconds(5));
  EXPECT_TRUE(send(misnamed, verb::get, "/hello", "", {}).error);
}

TEST(HttpClientTls, ConnectToOpensConnectionsElsewhereButChecksTheUrlsHost) {
  testing::TempDir dir;
  testing::TestCertificate certificate("DNS:chat.example");
  testing::TlsServer server(certificate);
  testing::IoThread io;
  const std::string relay = "127.0.0.1:" + std::to_string(server.port());
  auto tls = net::make_tls_context(certificate.write_ca_file(dir.path() / "ca.pem"));

  // chat.example does not resolve; the connection goes to the server, which is chat.example.
  HttpClient named(io.executor(), net::Endpoint::parse("https://chat.example/v1", relay), tls,
                   std::chrono::seconds(5));
  HttpResult r = send(named, verb::get, "/hello", "", {});
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(boost::json::parse(r.body).at("target"), "/v1/hello");

  // The same server under another name fails the certificate check.
  HttpClient misnamed(io.executor(), net::Endpoint::parse("https://other.example", relay), tls,
                      std::chrono::seconds(5));
  EXPECT_TRUE(send(misnamed, verb::get, "/hello", "", {}).error);
}

TEST(Endpoint, ParsesBaseUrlsAndRefusesOthers) {
  auto e = net::Endpoint::parse("https://chat.example.com");
  EXPECT_TRUE(e.tls);
  EXPECT_EQ(e.host, "chat.example.com");
  EXPECT_EQ(e.port, 443);
  EXPECT_EQ(e.base_path, "");
  e = net::Endpoint::parse("ws://127.0.0.1:3030/api/");
  EXPECT_FALSE(e.tls);
  EXPECT_EQ(e.port, 3030);
  EXPECT_EQ(e.base_path, "/api");
  for (const char* bad :
       {"chat.example.com", "ftp://x", "http://", "http://x:0", "http://x:99999"}) {
    EXPECT_THROW(net::Endpoint::parse(bad), ChatError) << bad;
  }

  e = net::Endpoint::parse("https://chat.example.com", "[::1]:8443");
  EXPECT_EQ(e.host, "chat.example.com");
  EXPECT_EQ(e.port, 443);
  EXPECT_EQ(e.connect_host, "::1");
  EXPECT_EQ(e.connect_port, 8443);
  for (const char* bad : {"127.0.0.1", ":80", "127.0.0.1:0", "127.0.0.1:x"}) {
    EXPECT_THROW(net::Endpoint::parse("http://x", bad), ChatError) << bad;
  }
}

}  // namespace
}  // namespace chatkeep

// chatkeep-server over real sockets on loopback: auth, errors in Stream's shape, limits, bad
// input, keep-alive and restart.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "chatkeep/error.hpp"
#include "chatkeep/testing/temp_dir.hpp"
#include "chatkeep/token.hpp"
#include "server.hpp"
#include "sqlite/database.hpp"
#include "support/http_client.hpp"

namespace chatkeep {
namespace {

using boost::beast::http::verb;
using testing::HttpClient;
using testing::HttpResponse;

constexpr const char* kKey = "test-key";
constexpr const char* kSecret = "test-secret";

server::ServerOptions options(std::string db = ":memory:") {
  return {.api_key = kKey, .api_secret = kSecret, .db = std::move(db)};
}

std::vector<std::pair<std::string, std::string>> auth(const std::string& token) {
  return {{"Authorization", token}, {"stream-auth-type", "jwt"}};
}

HttpResponse post_users(HttpClient& client, const std::string& token, const std::string& body,
                        const std::string& query = std::string("?api_key=") + kKey) {
  return client.send(verb::post, "/users" + query, body, auth(token));
}

// The error body Stream sends, with the code and status expected.
void expect_error(const HttpResponse& r, unsigned status, int code) {
  EXPECT_EQ(r.status, status) << r.text;
  ASSERT_TRUE(r.json.is_object()) << r.text;
  const auto& body = r.json.as_object();
  EXPECT_EQ(body.at("code"), code) << r.text;
  EXPECT_EQ(body.at("StatusCode"), static_cast<int>(status));
  EXPECT_TRUE(body.at("message").is_string());
  EXPECT_TRUE(body.at("duration").is_string());
  EXPECT_TRUE(body.contains("more_info"));
  EXPECT_TRUE(body.at("details").is_array());
}

TEST(ServerHttp, UsersAreUpsertedWithTheServerToken) {
  server::Server server(options());
  HttpClient client(server.start());
  auto r = post_users(client, make_server_token(kSecret),
                      R"({"users":{"alice":{"id":"alice","name":"Alice","mood":"calm"}}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  const auto& alice = r.json.at("users").at("alice");
  EXPECT_EQ(alice.at("name"), "Alice");
  EXPECT_EQ(alice.at("mood"), "calm");  // custom fields kept
  EXPECT_TRUE(Timestamp::parse(std::string(alice.at("created_at").as_string())));
  EXPECT_TRUE(r.json.at("duration").is_string());
  // Keep-alive: a second request on the same connection.
  r = post_users(client, make_server_token(kSecret), R"({"users":{"bob":{"id":"bob"}}})");
  EXPECT_EQ(r.status, 200u);
}

TEST(ServerHttp, AuthenticationFailuresHaveStreamsCodes) {
  server::Server server(options());
  const auto port = server.start();
  const std::string body = R"({"users":{"a":{"id":"a"}}})";
  const Timestamp now = Timestamp::now();
  struct Case {
    std::string name, token, query;
    unsigned status;
    int code;
  } cases[] = {
      {"bad api key", make_server_token(kSecret), "?api_key=wrong", 401, 2},
      {"no api key", make_server_token(kSecret), "", 401, 2},
      {"no token", "", std::string("?api_key=") + kKey, 401, 5},
      {"wrong secret", make_server_token("another"), std::string("?api_key=") + kKey, 401, 43},
      {"expired",
       make_user_token(kSecret, "a", Timestamp::from_unix_micros(now.unix_micros() - 60'000'000)),
       std::string("?api_key=") + kKey + "&user_id=a", 401, 40},
      {"issued in the future",
       make_user_token(kSecret, "a", std::nullopt,
                       Timestamp::from_unix_micros(now.unix_micros() + 3'600'000'000)),
       std::string("?api_key=") + kKey + "&user_id=a", 401, 42},
      {"development token not allowed", make_dev_token("a"),
       std::string("?api_key=") + kKey + "&user_id=a", 401, 43},
      {"token of another user", make_user_token(kSecret, "mallory"),
       std::string("?api_key=") + kKey + "&user_id=alice", 401, 5},
      {"user token on an admin call", make_user_token(kSecret, "a"),
       std::string("?api_key=") + kKey + "&user_id=a", 403, 17},
      {"malformed token", "not-a-token", std::string("?api_key=") + kKey, 401, 5},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    HttpClient client(port);
    expect_error(post_users(client, c.token, body, c.query), c.status, c.code);
  }
}

TEST(ServerHttp, DevelopmentTokensWhenAllowed) {
  auto opts = options();
  opts.allow_dev_tokens = true;
  server::Server server(opts);
  HttpClient client(server.start());
  // A development token names a user; the admin call still needs the server token.
  expect_error(
      post_users(client, make_dev_token("a"), "{}", std::string("?api_key=") + kKey + "&user_id=a"),
      403, 17);
}

TEST(ServerHttp, BadInputGetsAClearErrorAndLosesNothing) {
  server::Server server(options());
  const auto port = server.start();
  const std::string token = make_server_token(kSecret);
  struct Case {
    std::string name, body;
    std::string message;  // part of the message
  } cases[] = {
      {"malformed JSON", R"({"users":)", "invalid JSON"},
      {"not an object", R"([1,2])", "must be a JSON object"},
      {"users missing", R"({})", "users"},
      {"wrong type deep inside", R"({"users":{"a":{"id":"a","name":5}}})",
       "user.name: expected string"},
      {"id not its key", R"({"users":{"a":{"id":"b"}}})", "users.a: id does not match its key"},
      {"invalid UTF-8", "{\"users\":{\"a\":{\"id\":\"a\",\"name\":\"\xff\"}}}", "invalid JSON"},
      {"deep nesting", std::string(5000, '[') + std::string(5000, ']'), "invalid JSON"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    HttpClient client(port);
    auto r = post_users(client, token, c.body);
    expect_error(r, 400, 4);
    EXPECT_NE(r.json.at("message").as_string().find(c.message), std::string::npos) << r.text;
  }
  // None of it was stored: a good request sees a fresh user.
  HttpClient client(port);
  auto r = post_users(client, token, R"({"users":{"a":{"id":"a"}}})");
  ASSERT_EQ(r.status, 200u);
  EXPECT_FALSE(r.json.at("users").at("a").as_object().contains("name"));
}

TEST(ServerHttp, UnknownRoutesAndMethods) {
  server::Server server(options());
  HttpClient client(server.start());
  expect_error(client.send(verb::get, std::string("/nowhere?api_key=") + kKey), 404, 16);
  expect_error(client.send(verb::put, std::string("/users?api_key=") + kKey), 405, 4);
}

TEST(ServerHttp, OversizedBodyIs413WithCode22) {
  auto opts = options();
  opts.max_body_bytes = 1024;
  server::Server server(opts);
  HttpClient client(server.start());
  const std::string big = R"({"users":{"a":{"id":"a","bio":")" + std::string(4000, 'x') + R"("}}})";
  auto r = post_users(client, make_server_token(kSecret), big);
  expect_error(r, 413, 22);
  EXPECT_TRUE(client.closed_by_server());
}

TEST(ServerHttp, ARequestThatDoesNotArriveInFullIsDropped) {
  auto opts = options();
  opts.request_timeout = std::chrono::milliseconds(200);
  server::Server server(opts);
  HttpClient client(server.start());
  client.write_raw(
      "POST /users?api_key=test-key HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(ServerHttp, GarbageIsA400) {
  server::Server server(options());
  HttpClient client(server.start());
  client.write_raw("THIS IS NOT HTTP\r\n\r\n");
  expect_error(client.receive(), 400, 4);
}

// Defect: tokens in the query string were accepted on REST routes, where URLs end up in logs.
// They stay accepted on the socket's upgrade, where clients need them.
TEST(ServerHttp, ATokenInARestUrlIsNotAccepted) {
  server::Server server(options());
  const auto port = server.start();
  HttpClient client(port);
  const HttpResponse r = client.send(verb::get, std::string("/users?api_key=") + kKey +
                                                    "&authorization=" + make_server_token(kSecret) +
                                                    "&stream-auth-type=jwt");
  EXPECT_EQ(r.status, 401u) << r.text;
  EXPECT_EQ(r.json.at("code"), 5);
}

// Defect: with no file descriptors left, the accept loop failed and retried at once, spinning
// a core. It pauses and logs instead.
TEST(ServerHttp, NoFileDescriptorsLeftDoesNotSpin) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // A sanitizer's runtime needs descriptors of its own (UBSan's vptr check reads
  // /proc/self/maps) and misreports without them; the plain build's pass runs this test.
  GTEST_SKIP() << "needs the process's descriptors to itself";
#endif
  server::Server server(options());
  const auto port = server.start();
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  std::size_t open = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++open;
  rlimit tight = old;
  tight.rlim_cur = open + 8;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
  // Every descriptor taken, then one given back for the client's socket: none is left for the
  // server to accept it with.
  std::vector<int> fillers;
  for (int filler; (filler = ::dup(0)) >= 0;)
    fillers.push_back(filler);
  ::close(fillers.back());
  fillers.pop_back();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected =
      fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  auto cpu = [] {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  };
  const double before = cpu();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double used = cpu() - before;
  for (int filler : fillers)
    ::close(filler);
  setrlimit(RLIMIT_NOFILE, &old);
  ASSERT_TRUE(connected);
  // A spinning accept loop takes the whole second; a paused one almost none of it.
  EXPECT_LT(used, 0.5);
  // With descriptors back, the queued connection is served.
  HttpClient client(port);
  EXPECT_EQ(client.send(verb::get, "/nothing").status, 404u);
  ::close(fd);
}

TEST(ServerHttp, ARestartKeepsTheData) {
  testing::TempDir dir;
  const std::string db = (dir.path() / "server.sqlite").string();
  const auto as_a = auth(make_user_token(kSecret, "a"));
  const std::string since = Timestamp::now().to_string();
  std::string created;
  {
    server::Server server(options(db));
    HttpClient client(server.start());
    auto r = post_users(client, make_server_token(kSecret), R"({"users":{"a":{"id":"a"}}})");
    created = std::string(r.json.at("users").at("a").at("created_at").as_string());
    r = client.send(verb::post, std::string("/channels/messaging/c/query?api_key=") + kKey,
                    R"({"data":{"members":["a"]}})", as_a);
    ASSERT_EQ(r.status, 200u) << r.text;
    r = client.send(verb::post, std::string("/channels/messaging/c/message?api_key=") + kKey,
                    R"({"message":{"id":"m1","text":"kept"}})", as_a);
    ASSERT_EQ(r.status, 200u) << r.text;
  }
  server::Server server(options(db));
  HttpClient client(server.start());
  auto r =
      post_users(client, make_server_token(kSecret), R"({"users":{"a":{"id":"a","name":"A"}}})");
  EXPECT_EQ(r.json.at("users").at("a").at("created_at").as_string(), created);  // known from before
  r = client.send(verb::get, std::string("/messages/m1?api_key=") + kKey, "", as_a);
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(r.json.at("message").at("text"), "kept");
  r = client.send(verb::post, std::string("/sync?api_key=") + kKey,
                  R"({"channel_cids":["messaging:c"],"last_sync_at":")" + since + R"("})", as_a);
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(r.json.at("events").as_array().size(), 1u);  // the log too
}

TEST(ServerHttp, ADatabaseOfANewerSchemaIsRefused) {
  testing::TempDir dir;
  const std::string db = (dir.path() / "server.sqlite").string();
  {
    sqlite::Database file(db, sqlite::Database::Access::create);
    file.exec("PRAGMA user_version = 99");
  }
  try {
    server::Server server(options(db));
    FAIL() << "opened a database of schema 99";
  } catch (const ChatError& e) {
    EXPECT_EQ(e.code(), ErrorCode::storage);
    EXPECT_NE(e.message().find("newer"), std::string::npos) << e.message();
  }
}

TEST(ServerHttp, StopsCleanlyWithConnectionsOpen) {
  server::Server server(options());
  HttpClient idle(server.start());
  HttpClient half(server.port());
  half.write_raw("POST /users HTTP/1.1\r\n");
  server.stop();
  server.stop();  // harmless twice
  EXPECT_TRUE(half.closed_by_server());
}

}  // namespace
}  // namespace chatkeep

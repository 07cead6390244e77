#pragma once

// ChatClient tests' common ground: an in-process chatkeep-server (ServerTest) and clients of it
// with their data in a temporary directory, and ways to wait for what they do.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "chatkeep/client.hpp"
#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/testing/temp_dir.hpp"
#include "support/convergence.hpp"
#include "support/eventually.hpp"
#include "support/io_thread.hpp"
#include "support/server_fixture.hpp"

namespace chatkeep::testing {

using namespace std::chrono_literals;

// The events a client's listeners saw, for waiting on them.
class Recorder {
 public:
  explicit Recorder(ChatClient& client)
      : subscription_(client.on_any([this](const Event& e) {
          std::lock_guard lock(mutex_);
          events_.push_back(e);
        })) {}
  std::size_t count(EventType kind) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count_if(events_.begin(), events_.end(),
                                                  [&](const Event& e) { return e.kind == kind; }));
  }
  bool wait(EventType kind, std::size_t at_least = 1) {
    return eventually([&] { return count(kind) >= at_least; });
  }
  std::vector<Event> all() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::vector<Event> events_;
  Subscription subscription_;
};

// Both answers of an offline-first call.
template <class T>
class Answers {
 public:
  AnswerCallback<T> callback() {
    return [this](Answer<T> a) {
      std::lock_guard lock(mutex_);
      (a.source == Source::cache ? cache_ : server_) = std::move(a);
    };
  }
  // The server's answer (waiting for it), and the cache's if there was one.
  Answer<T> server() {
    EXPECT_TRUE(eventually([&] {
      std::lock_guard lock(mutex_);
      return server_.has_value();
    }));
    std::lock_guard lock(mutex_);
    return server_.value_or(Answer<T>{});
  }
  std::optional<Answer<T>> cache() {
    server();
    std::lock_guard lock(mutex_);
    return cache_;
  }

 private:
  std::mutex mutex_;
  std::optional<Answer<T>> cache_;
  std::optional<Answer<T>> server_;
};

// Another process's hold on the outbox's lease, which keeps `user`'s client (data in
// `directory`) from delivering until release(): taken before that client starts (a connected
// client keeps it).
struct OutboxHold {
  explicit OutboxHold(const std::filesystem::path& directory, const std::string& user = "alice")
      : store({.directory = directory}) {
    store.connect(user);
    const Timestamp now = Timestamp::now();
    held = store.acquire_lease("outbox", "another process", now,
                               Timestamp::from_unix_micros(now.unix_micros() + 60'000'000));
  }
  void release() { store.release_lease("outbox", "another process"); }
  SqlitePersistenceClient store;
  bool held = false;
};

class ClientTest : public ServerTest {
 public:
  ClientTest() = default;
  explicit ClientTest(server::ServerOptions options) : ServerTest(std::move(options)) {}

  // A client's options for the fixture's server (or the one on `port`), data in data_.
  ClientOptions client_options(std::uint16_t port = 0) {
    ClientOptions options;
    options.base_url = "http://127.0.0.1:" + std::to_string(port ? port : port_);
    options.data_directory = data_.path();
    options.request_timeout = 3s;
    options.connect_timeout = 3s;
    return options;
  }

  std::unique_ptr<ChatClient> make_client(std::uint16_t port = 0) {
    return std::make_unique<ChatClient>(kKey, client_options(port));
  }

  static Result<OwnUser> connect(ChatClient& client, const std::string& user,
                                 std::string token = "") {
    Eventually<Result<OwnUser>> done;
    client.connect_user(User{.id = user}, token.empty() ? make_user_token(kSecret, user) : token,
                        done.setter());
    return done.get();
  }

  static std::vector<ChannelState> query_all(ChatClient& client, const std::string& user) {
    Answers<std::vector<ChannelState>> answers;
    client.query_channels({.filter = Filter::in("members", {boost::json::value(user)}),
                           .sort = {{"created_at", SortDirection::ascending}},
                           .limit = 30},
                          answers.callback());
    auto a = answers.server();
    EXPECT_TRUE(a.value) << (a.error ? a.error->what() : "");
    return a.value.value_or(std::vector<ChannelState>{});
  }

  // Creates channel `id` by bob with alice (and `others`), returning its cid.
  std::string create(const std::string& id, const std::string& members = R"("alice","bob")") {
    auto r = query("bob", "messaging:" + id,
                   R"({"data":{"name":")" + id + R"(","members":[)" + members + "]}}");
    EXPECT_EQ(r.status, 200u) << r.text;
    return "messaging:" + id;
  }

  std::string send_text(const std::string& user, const std::string& cid, const std::string& id,
                        const std::string& text) {
    auto r = send(user, cid, R"({"id":")" + id + R"(","text":")" + text + R"("})");
    EXPECT_EQ(r.status, 200u) << r.text;
    return id;
  }

  // Waits until alice's store and the server agree, then checks that they do.
  void expect_converged(ChatClient& client, const std::string& user) {
    Views v;
    eventually([&] {
      v = views(*this, client.persistence(), user);
      return v.store == v.server;
    });
    EXPECT_TRUE(v.store == v.server) << user << "'s store and the server differ:\n"
                                     << difference(v.store, v.server);
    EXPECT_FALSE(v.server.empty());
  }

  // A server of the test's own, its data in the file `db` so that it can be stopped and started
  // again on the same port; the fixture's calls go to it from now on.
  std::unique_ptr<server::Server> start_file_server(const std::string& db, std::uint16_t port = 0) {
    auto server = std::make_unique<server::Server>(
        server::ServerOptions{.port = port, .api_key = kKey, .api_secret = kSecret, .db = db});
    port_ = server->start();
    add_users();
    return server;
  }

  // Alice's tokens: the first is short-lived, later ones are good for an hour. A token's expiry
  // counts whole seconds, so the first one expires at the second whole second from now (between
  // two and three seconds of life, enough to connect under a sanitizer on a busy machine), and
  // a test sleeps past that moment rather than for a fixed time.
  class ShortLivedFirstToken {
   public:
    TokenProvider provider() {
      return [this](Callback<std::string> done) {
        const std::int64_t now = Timestamp::now().unix_seconds();
        const bool first = ++calls_ == 1;
        const std::int64_t expires = first ? now + 3 : now + 3600;
        if (first) first_expires_ = expires;
        done(Result<std::string>{
            .value = make_user_token(kSecret, "alice",
                                     Timestamp::from_unix_micros(expires * 1'000'000))});
      };
    }
    int calls() const { return calls_; }
    void sleep_until_the_first_expired() const {
      std::this_thread::sleep_until(
          std::chrono::system_clock::time_point(std::chrono::seconds(first_expires_)) + 100ms);
    }

   private:
    std::atomic<int> calls_{0};
    std::atomic<std::int64_t> first_expires_{0};
  };

  void chaos(const std::string& body) {
    HttpClient admin(port_);
    auto r = admin.send(verb::post, std::string("/_chaos?api_key=") + kKey, body,
                        {{"Authorization", make_server_token(kSecret)}});
    ASSERT_EQ(r.status, 200u) << r.text;
  }

  TempDir data_;
};

}  // namespace chatkeep::testing

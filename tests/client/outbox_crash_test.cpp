// The outbox across crashes: a child process plays 500 offline actions across 5 channels while the
// server is unreachable, and is SIGKILLed at random moments and restarted, over 100 times; then it
// runs online until its outbox is empty. Every acknowledged action must be on the server exactly
// once, in each channel's sending order, with the script's final text, deletions and reactions,
// and the client's database must pass SQLite's integrity check.

#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>
#include <random>

#include "chatkeep/sqlite_persistence.hpp"
#include "support/client_fixture.hpp"
#include "support/outbox_script.hpp"
#include "support/sqlite_peek.hpp"

namespace chatkeep::testing {
namespace {

constexpr std::size_t kActions = 500;
constexpr int kMinKills = 100;

// One run of the driver, its stdout read line by line.
class Driver {
 public:
  Driver(std::uint16_t port, const std::string& dir, std::uint32_t seed, std::size_t from,
         bool online) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      const std::string port_arg = std::to_string(port), seed_arg = std::to_string(seed),
                        length_arg = std::to_string(kActions), from_arg = std::to_string(from);
      execl(CHATKEEP_OUTBOX_DRIVER, CHATKEEP_OUTBOX_DRIVER, "--port", port_arg.c_str(), "--dir",
            dir.c_str(), "--seed", seed_arg.c_str(), "--length", length_arg.c_str(), "--from",
            from_arg.c_str(), online ? "--online" : nullptr, nullptr);
      _exit(127);
    }
    close(fds[1]);
    out_ = fds[0];
  }
  ~Driver() {
    if (pid_ > 0) kill_now();
    close(out_);
  }

  // The next line, or "" when the driver ended or said nothing for `limit`.
  std::string line(std::chrono::milliseconds limit = 20s) {
    for (;;) {
      if (auto eol = buffer_.find('\n'); eol != std::string::npos) {
        std::string l = buffer_.substr(0, eol);
        buffer_.erase(0, eol + 1);
        return l;
      }
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(limit.count())) <= 0) return "";
      char chunk[256];
      const auto n = read(out_, chunk, sizeof chunk);
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  void kill_now() {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int wait_exit() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

TEST_F(ClientTest, OutboxActionsSurviveHundredsOfKillsAndArriveExactlyOnce) {
  TempDir server_data;
  const std::string db = (server_data.path() / "server.sqlite").string();
  auto server = start_file_server(db);
  const std::uint16_t port = port_;
  std::vector<std::string> cids;
  for (int c = 0; c < 5; ++c)
    cids.push_back(create("c" + std::to_string(c)));
  {
    // Alice has used the app before: her own user and her channels are cached.
    auto client = make_client(port);
    ASSERT_TRUE(connect(*client, "alice"));
    ASSERT_EQ(query_all(*client, "alice").size(), 5u);
    client->disconnect_user();
  }
  server.reset();  // unreachable from here on

  const std::uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const OutboxScript script(seed, kActions, cids);
  std::mt19937 random(seed);
  std::size_t acked = 0;
  int kills = 0;
  while (acked < kActions || kills < kMinKills) {
    Driver driver(port, data_.path().string(), seed, acked, false);
    const std::size_t target = random() % 8;  // acknowledgements to wait for before the kill
    for (std::size_t seen = 0; seen < target;) {
      const std::string l = driver.line();
      if (l.rfind("ack ", 0) == 0) {
        EXPECT_EQ(std::stoul(l.substr(4)), acked) << "acknowledged out of order";
        ++acked;
        ++seen;
      } else {
        ASSERT_EQ(l, "done") << "the driver ended early";
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 3000));
    driver.kill_now();
    ++kills;
    // Whatever it acknowledged in the moment before the kill counts too.
    for (std::string l = driver.line(0ms); !l.empty(); l = driver.line(0ms)) {
      if (l.rfind("ack ", 0) == 0) acked = std::stoul(l.substr(4)) + 1;
    }
  }
  std::size_t expected_messages = script.final_messages().size();
  std::cout << "[ crash    ] " << kills << " kills; " << acked << " actions acknowledged; "
            << expected_messages << " messages expected on the server\n";
  EXPECT_GE(kills, kMinKills);
  EXPECT_EQ(acked, kActions);

  server = start_file_server(db, port);
  Driver online(port, data_.path().string(), seed, kActions, true);
  ASSERT_EQ(online.wait_exit(), 0) << "the outbox did not empty";

  for (const auto& cid : cids) {
    auto r = query("alice", cid, R"({"state":true,"messages":{"limit":300}})");
    const auto messages = from_json<ChannelState>(r.json).messages.value_or(std::vector<Message>{});
    std::vector<std::string> ids;
    for (const auto& m : messages) {
      ids.push_back(m.id);
      auto expected = script.final_messages().find(m.id);
      ASSERT_NE(expected, script.final_messages().end()) << m.id << " should not be there";
      EXPECT_EQ(m.text, expected->second.text) << m.id;
      std::set<std::string> reactions;
      for (const auto& [type, count] :
           m.reaction_counts.value_or(std::map<std::string, std::int64_t>{})) {
        if (count > 0) reactions.insert(type);
      }
      EXPECT_EQ(reactions, expected->second.reactions) << m.id;
    }
    auto order = script.order().find(cid);
    EXPECT_EQ(ids, order == script.order().end() ? std::vector<std::string>{} : order->second)
        << cid << ": every message once, in sending order";
  }
  EXPECT_EQ(peek_column(SqlitePersistenceClient::database_path(data_.path(), "alice"),
                        "PRAGMA integrity_check"),
            std::vector<std::string>{"ok"});
}

}  // namespace
}  // namespace chatkeep::testing

// `chatkeep agent` beside the app, two real processes on one database against `chatkeep serve`:
// the agent holds the outbox lease and delivers what the app queues; killed with SIGKILL mid-way,
// the app takes the lease over and delivers the rest; the server ends with each message once.
// And the agent stops cleanly on SIGTERM.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <thread>

#include "chatkeep/testing/temp_dir.hpp"
#include "chatkeep/token.hpp"
#include "cli/program.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/sqlite_peek.hpp"

namespace chatkeep {
namespace {

using namespace std::chrono_literals;

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = testing::serve(server_, (dir_.path() / "server.sqlite").string());
    auto made = call(boost::beast::http::verb::post, "/channels/messaging/general/query",
                     R"({"data":{"members":["alice"]}})");
    ASSERT_EQ(made.status, 200u) << made.text;
  }

  testing::HttpResponse call(boost::beast::http::verb method, const std::string& path,
                             const std::string& body) {
    testing::HttpClient http(port_);
    return http.send(
        method, path + "?api_key=k&user_id=alice", body,
        {{"Authorization", make_user_token("s", "alice")}, {"stream-auth-type", "jwt"}});
  }

  // How many times the server has each message text of the channel.
  std::map<std::string, int> server_texts() {
    auto r = call(boost::beast::http::verb::post, "/channels/messaging/general/query",
                  R"({"messages":{"limit":300}})");
    std::map<std::string, int> texts;
    for (const auto& m : r.json.at("messages").as_array())
      ++texts[std::string(m.at("text").as_string())];
    return texts;
  }

  std::vector<std::string> flags() {
    return {"--url",      "http://127.0.0.1:" + std::to_string(port_),
            "--api-key",  "k",
            "--user",     "alice",
            "--secret",   "s",
            "--data-dir", (dir_.path() / "data").string()};
  }

  std::unique_ptr<cli::ChildProcess> start(const std::string& command) {
    std::vector<std::string> argv = {CHATKEEP_CLI, command};
    for (auto& f : flags())
      argv.push_back(f);
    return std::make_unique<cli::ChildProcess>(argv);
  }

  // The agent, running and holding the outbox lease.
  std::unique_ptr<cli::ChildProcess> start_agent() {
    auto agent = start("agent");
    EXPECT_TRUE(agent->receive(30s).starts_with("agent: alice running"));
    EXPECT_TRUE(testing::eventually([&] { return lease_holder() == agent->pid(); }, 30s));
    return agent;
  }

  // One command to the demo app, and its answer.
  static std::string ask(cli::ChildProcess& app, const std::string& line) {
    app.send(line);
    return app.receive(30s);
  }

  // The process holding the outbox lease, by pid; 0 if none.
  long lease_holder() {
    const auto db = dir_.path() / "data" / "db_alice.sqlite";
    if (!std::filesystem::exists(db)) return 0;
    auto holders = testing::peek_column(db, "SELECT holder FROM leases WHERE name = 'outbox'");
    return holders.empty() ? 0 : std::stol(holders[0].substr(0, holders[0].find(':')));
  }

  testing::TempDir dir_;
  std::unique_ptr<cli::ChildProcess> server_;
  std::uint16_t port_ = 0;
};

TEST_F(AgentTest, AppAndAgentDeliverEachActionOnceThoughTheAgentIsKilled) {
  auto agent = start_agent();
  ASSERT_EQ(lease_holder(), agent->pid());

  auto app = start("demo-app");
  auto ask = [&](const std::string& line) { return this->ask(*app, line); };
  ASSERT_EQ(ask("connect"), "ok");
  ASSERT_EQ(ask("watch general"), "ok");
  for (int i = 0; i < 15; ++i)
    ASSERT_TRUE(ask("send before " + std::to_string(i)).starts_with("ok "));
  // The agent, not the app, delivers: the app never holds the lease while the agent lives.
  ASSERT_TRUE(testing::eventually([&] { return server_texts().size() >= 5; }, 30s));
  EXPECT_EQ(lease_holder(), agent->pid());

  agent->kill();  // SIGKILL, wherever it is
  for (int i = 0; i < 15; ++i)
    ASSERT_TRUE(ask("send after " + std::to_string(i)).starts_with("ok "));
  ASSERT_EQ(ask("wait-delivered"), "ok");
  EXPECT_EQ(lease_holder(), app->pid());

  const auto texts = server_texts();
  EXPECT_EQ(texts.size(), 30u);
  for (const auto& [text, count] : texts)
    EXPECT_EQ(count, 1) << text;
  for (int i = 0; i < 15; ++i) {
    EXPECT_TRUE(texts.contains("before " + std::to_string(i)));
    EXPECT_TRUE(texts.contains("after " + std::to_string(i)));
  }
  app->send("quit");
  EXPECT_EQ(app->wait(), 0);
}

TEST_F(AgentTest, TheAgentDeliversFilesTheAppQueued) {
  auto agent = start_agent();
  ASSERT_EQ(lease_holder(), agent->pid());
  auto app = start("demo-app");
  auto ask = [&](const std::string& line) { return this->ask(*app, line); };
  ASSERT_EQ(ask("connect"), "ok");
  ASSERT_EQ(ask("watch general"), "ok");
  for (int i = 0; i < 4; ++i) {
    const auto path = dir_.path() / ("file" + std::to_string(i) + ".txt");
    std::ofstream(path) << "contents " << i;
    ASSERT_TRUE(
        ask("send-file " + path.string() + " with file " + std::to_string(i)).starts_with("ok "));
  }
  ASSERT_EQ(ask("wait-delivered"), "ok");
  EXPECT_EQ(lease_holder(), agent->pid()) << "the agent, not the app, uploaded them";
  auto r = call(boost::beast::http::verb::post, "/channels/messaging/general/query",
                R"({"messages":{"limit":300}})");
  const auto& messages = r.json.at("messages").as_array();
  ASSERT_EQ(messages.size(), 4u);
  testing::HttpClient files(port_);
  for (const auto& m : messages) {
    const std::string text(m.at("text").as_string());
    const std::string url(m.at("attachments").at(0).at("asset_url").as_string());
    EXPECT_EQ(files.send(boost::beast::http::verb::get, url.substr(url.find("/uploads/"))).text,
              "contents " + text.substr(text.size() - 1));
  }
  app->send("quit");
  EXPECT_EQ(app->wait(), 0);
}

TEST_F(AgentTest, StopsCleanlyOnSigterm) {
  auto agent = start("agent");
  ASSERT_TRUE(agent->receive(30s).starts_with("agent: alice running"));
  ::kill(agent->pid(), SIGTERM);
  EXPECT_EQ(agent->receive(30s), "agent: stopping (SIGTERM)");
  EXPECT_EQ(agent->receive(30s), "agent: stopped");
  EXPECT_EQ(agent->wait(), 0);
  // Its background work is scheduled in the database for the next run.
  const auto work = testing::peek_column(dir_.path() / "data" / "db_alice.sqlite",
                                         "SELECT unique_name FROM work ORDER BY unique_name");
  EXPECT_EQ(work, (std::vector<std::string>{"chatkeep.maintenance", "chatkeep.sync"}));
}

}  // namespace
}  // namespace chatkeep

// `chatkeep demo`: the offline-first story, told with real processes. The server runs here, on a
// free loopback port; Bob is a ChatClient here; Alice's app is a child process (demo-app) whose
// network is a relay this process can cut. Alice chats, loses her network, acts offline, is
// killed and started again, and when the network returns her outbox is delivered exactly once
// and she catches up with what Bob wrote. Her database is then shown beside the server's state
// and compared; the exit status says whether they agree. Last, she logs out with a flush.

#include <unistd.h>

#include <chrono>
#include <future>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "chatkeep/client.hpp"
#include "chatkeep/token.hpp"
#include "child_process.hpp"
#include "commands.hpp"
#include "inspect.hpp"
#include "relay.hpp"
#include "server.hpp"
#include "wait/wait_until.hpp"

namespace chatkeep::cli {

namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// How long a step of the story may take before the demo gives up on it.
constexpr auto kPatience = 30s;

constexpr const char* kKey = "demo-key";
constexpr const char* kSecret = "demo-secret";
constexpr const char* kChannel = "demo";

// The story's lines: time since the start, who, what; in colour on a terminal.
class Timeline {
 public:
  explicit Timeline(bool colour) : colour_(colour) {}

  void chapter(const std::string& title) {
    out(fmt::format("\n{}{}{}\n", style("1"), title, style("0")));
  }
  void say(const std::string& who, const std::string& what) {
    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const char* colour = who == "Alice" ? "35" : who == "Bob" ? "36" : "2";
    out(fmt::format("  {}[{:5.1f}s]{} {}{:<7}{} {}\n", style("2"), seconds, style("0"),
                    style(colour), who, style("0"), what));
  }
  void verdict(bool good, const std::string& what) {
    out(fmt::format("\n{}{}{}\n", style(good ? "32;1" : "31;1"), what, style("0")));
  }
  std::string style(const char* code) const { return colour_ ? fmt::format("\x1b[{}m", code) : ""; }

 private:
  static void out(const std::string& text) { std::cout << text << std::flush; }
  bool colour_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Alice's app: the child process, one command and one answer at a time.
class AliceApp {
 public:
  AliceApp(const std::string& url, const std::filesystem::path& data)
      : process_({"/proc/self/exe", "demo-app", "--url", url, "--api-key", kKey, "--secret",
                  kSecret, "--user", "alice", "--data-dir", data.string()}) {}

  std::string operator()(const std::string& command) {
    process_.send(command);
    const std::string answer = process_.receive(40s);
    if (answer.starts_with("ok")) return answer.size() > 3 ? answer.substr(3) : "";
    throw std::runtime_error("Alice's app: " + command + ": " + answer);
  }
  pid_t pid() const { return process_.pid(); }
  void kill() { process_.kill(); }
  int quit() {
    process_.send("quit");
    return process_.wait();
  }

 private:
  ChildProcess process_;
};

// One message as both sides are compared: who, what, deleted, reaction counts.
json::object comparable(const json::object& m) {
  return {{"id", m.at("id")},
          {"user", m.at("user")},
          {"text", m.at("deleted").as_bool() ? json::value(nullptr) : m.at("text")},
          {"deleted", m.at("deleted")},
          {"reactions", m.at("reactions")}};
}

json::object comparable(const Message& m) {
  json::object reactions;
  for (const auto& [type, count] :
       m.reaction_counts.value_or(std::map<std::string, std::int64_t>{}))
    reactions[type] = count;
  return comparable(json::object{{"id", m.id},
                                 {"user", m.user ? json::value(m.user->id) : json::value(nullptr)},
                                 {"text", m.text ? json::value(*m.text) : json::value(nullptr)},
                                 {"deleted", m.deleted_at.has_value()},
                                 {"reactions", std::move(reactions)}});
}

std::string describe(const json::object& m) {
  std::string text =
      m.at("deleted").as_bool() ? "(deleted)" : std::string(m.at("text").as_string());
  for (const auto& [type, count] : m.at("reactions").as_object())
    text += fmt::format(" [{} {}]", std::string(type), count.as_int64());
  return fmt::format("{}: {}", std::string(m.at("user").as_string()), text);
}

class Demo {
 public:
  Demo(std::filesystem::path data, bool colour)
      : data_(std::move(data)),
        timeline_(colour),
        server_({.api_key = kKey, .api_secret = kSecret, .log = {.level = LogLevel::off}}),
        server_port_(server_.start()),
        relay_("127.0.0.1", server_port_) {}

  bool run() {
    timeline_.chapter("chatkeep demo: offline-first chat, with real processes");
    timeline_.say("", fmt::format("chatkeep-server on 127.0.0.1:{}; data in {}", server_port_,
                                  data_.string()));

    timeline_.chapter("1. Alice and Bob chat");
    connect_bob();
    const std::string hello = bob_says("Hi Alice! Lunch tomorrow?");
    auto alice = start_alice();
    (*alice)("wait-online");
    timeline_.say("Alice", fmt::format("app started (pid {}), connected", alice->pid()));
    if (!wait_until([&] { return alice_has(hello); }, kPatience))
      throw std::runtime_error("Bob's message did not reach Alice's database");
    timeline_.say("Alice", "sees Bob's message (in her database)");
    const std::string yes = (*alice)("send Sure! Where?");
    (*alice)("wait-delivered");
    timeline_.say("Alice", "\"Sure! Where?\" delivered");
    bob_sees(yes);

    timeline_.chapter("2. Alice's network drops; she keeps using the app");
    relay_.cut();
    (*alice)("wait-offline");
    timeline_.say("Alice", "offline");
    const std::string first = (*alice)("send Let's meet at 12");
    timeline_.say("Alice", "sends \"Let's meet at 12\"");
    (*alice)("edit " + first + " Let's meet at 12:30");
    timeline_.say("Alice", "edits it to \"Let's meet at 12:30\"");
    const std::string second = (*alice)("send at the usual place?");
    timeline_.say("Alice", "sends \"at the usual place?\"");
    (*alice)("delete " + second);
    timeline_.say("Alice", "deletes it again");
    (*alice)("react " + hello + " love");
    timeline_.say("Alice", "reacts with love to Bob's message");
    show_outbox("her outbox");
    timeline_.say("", "   (the edit went into the queued send; the deleted message never leaves)");

    timeline_.chapter("3. Alice's app is killed, and started again (still offline)");
    const pid_t killed = alice->pid();
    alice->kill();
    timeline_.say("Alice", fmt::format("app killed with SIGKILL (pid {})", killed));
    alice.reset();
    alice = start_alice();
    timeline_.say("Alice", fmt::format("app started again (pid {}), offline", alice->pid()));
    show_outbox("her outbox after the restart");

    timeline_.chapter("4. Bob writes meanwhile");
    const std::string where = bob_says("Alice? Where are you?");
    bob_says("Call me when you're back.");

    timeline_.chapter("5. The network returns");
    relay_.restore();
    (*alice)("wait-online");
    timeline_.say("Alice", "online again; caught up");
    (*alice)("wait-delivered");
    timeline_.say("Alice", "outbox delivered");
    if (!wait_until([&] { return alice_has(where); }, kPatience))
      throw std::runtime_error("Alice did not catch up with Bob's messages");
    timeline_.say("Alice", "has Bob's messages from while she was away");

    timeline_.chapter("6. Alice's database beside the server");
    const bool agree = compare(first, second);

    timeline_.chapter("7. Alice logs out, with a flush");
    const std::string discarded = (*alice)("logout");
    timeline_.say("Alice", fmt::format("logged out; {} outbox entries discarded", discarded));
    alice->quit();
    alice.reset();
    const auto emptied = inspect({.data_directory = data_, .user = "alice"});
    const bool empty =
        emptied.at("channels").as_array().empty() && emptied.at("outbox").as_array().empty();
    timeline_.say("", fmt::format("her database now: {} channels, {} outbox entries ({} bytes)",
                                  emptied.at("channels").as_array().size(),
                                  emptied.at("outbox").as_array().size(),
                                  emptied.at("database").at("bytes").to_number<std::uint64_t>()));
    bob_->disconnect_user(false);

    const bool good = agree && empty;
    timeline_.verdict(good, good ? "Alice's database and the server agree: nothing lost, "
                                   "nothing sent twice."
                                 : "Alice's database and the server DIFFER.");
    return good;
  }

 private:
  std::unique_ptr<AliceApp> start_alice() {
    auto alice =
        std::make_unique<AliceApp>(fmt::format("http://127.0.0.1:{}", relay_.port()), data_);
    (*alice)("connect");
    (*alice)(fmt::format("watch {}", kChannel));
    return alice;
  }

  void connect_bob() {
    ClientOptions options;
    options.base_url = fmt::format("http://127.0.0.1:{}", server_port_);
    options.data_directory = data_;
    options.log.level = LogLevel::off;
    bob_ = std::make_unique<ChatClient>(kKey, std::move(options));
    std::promise<Result<OwnUser>> connected;
    bob_->connect_user(User{.id = "bob", .name = "Bob"}, make_user_token(kSecret, "bob"),
                       [&](Result<OwnUser> r) { connected.set_value(std::move(r)); });
    if (auto r = connected.get_future().get(); !r) throw *r.error;
    channel_ = bob_->channel("messaging", kChannel);
    query_server(json::object{{"name", "Lunch"}, {"members", json::array{"alice", "bob"}}});
    timeline_.say("Bob", "connected; made the channel \"Lunch\" with Alice");
  }

  // The channel as the server has it now (as Bob sees it); `data` creates it the first time.
  std::vector<Message> query_server(json::object data = {}) {
    auto answered = std::make_shared<std::promise<Answer<ChannelState>>>();
    auto done = std::make_shared<std::atomic<bool>>(false);
    channel_->watch({.messages = {.limit = 100}, .data = std::move(data)},
                    [answered, done](Answer<ChannelState> a) {
                      if (a.source == Source::server && !done->exchange(true))
                        answered->set_value(std::move(a));
                    });
    Answer<ChannelState> a = answered->get_future().get();
    if (!a) throw *a.error;
    return a.value->messages.value_or(std::vector<Message>{});
  }

  std::string bob_says(const std::string& text) {
    const Message sent = channel_->send_message(Message{.text = text});
    if (!wait_until([&] { return bob_->outbox().empty(); }, kPatience))
      throw std::runtime_error("Bob's message was not delivered");
    timeline_.say("Bob", fmt::format("\"{}\"", text));
    return sent.id;
  }

  void bob_sees(const std::string& id) {
    if (!wait_until([&] { return bob_->persistence().message(id).has_value(); }, kPatience))
      throw std::runtime_error("Bob did not get Alice's message");
    timeline_.say("Bob", "sees it");
  }

  bool alice_has(const std::string& message_id) {
    const auto inspection = inspect({.data_directory = data_,
                                     .user = "alice",
                                     .channel = fmt::format("messaging:{}", kChannel)});
    for (const auto& m : inspection.at("messages").as_array()) {
      if (m.at("id").as_string() == message_id) return true;
    }
    return false;
  }

  void show_outbox(const std::string& title) {
    const auto inspection = inspect({.data_directory = data_, .user = "alice"});
    const auto& outbox = inspection.at("outbox").as_array();
    timeline_.say("", fmt::format("{} (read from her database): {} waiting", title, outbox.size()));
    for (const auto& e : outbox) {
      timeline_.say("", fmt::format("   #{} {} {}", e.at("id").as_int64(),
                                    std::string(e.at("kind").as_string()),
                                    std::string(e.at("state").as_string())));
    }
  }

  // Alice's database and the server, message by message; the deleted message must never have
  // reached the server and the edited one must be there once, edited.
  bool compare(const std::string& edited, const std::string& deleted) {
    const auto inspection = inspect({.data_directory = data_,
                                     .user = "alice",
                                     .channel = fmt::format("messaging:{}", kChannel)});
    json::array mine;
    for (const auto& m : inspection.at("messages").as_array())
      mine.push_back(comparable(m.as_object()));
    json::array theirs;
    for (const auto& m : query_server())
      theirs.push_back(comparable(m));
    const std::size_t rows = std::max(mine.size(), theirs.size());
    std::cout << fmt::format("  {:<44} {}\n", "Alice's database", "chatkeep-server");
    bool same = mine == theirs;
    for (std::size_t i = 0; i < rows; ++i) {
      const std::string left = i < mine.size() ? describe(mine[i].as_object()) : "";
      const std::string right = i < theirs.size() ? describe(theirs[i].as_object()) : "";
      const bool row_same = i < mine.size() && i < theirs.size() && mine[i] == theirs[i];
      std::cout << fmt::format("  {}{:<44} {}{}\n", timeline_.style(row_same ? "0" : "31"),
                               left.substr(0, 43), right, timeline_.style("0"));
    }
    int edited_count = 0;
    for (const auto& m : theirs) {
      const std::string id(m.at("id").as_string());
      if (id == deleted) same = false;
      if (id == edited) {
        ++edited_count;
        same = same && m.at("text") == "Let's meet at 12:30";
      }
    }
    same = same && edited_count == 1 && inspection.at("outbox").as_array().empty();
    return same;
  }

  std::filesystem::path data_;
  Timeline timeline_;
  server::Server server_;
  std::uint16_t server_port_;
  Relay relay_;
  std::unique_ptr<ChatClient> bob_;
  std::optional<ChatChannel> channel_;
};

}  // namespace

void add_demo(CLI::App& app, int& status) {
  auto data = std::make_shared<std::filesystem::path>();
  CLI::App* sub =
      app.add_subcommand("demo", "the offline-first story, with real processes (about 20 seconds)");
  sub->add_option("--data-dir", *data, "keep the databases here (default: a temporary directory)");
  sub->callback([data, &status] {
    // A temporary directory unless one was given, removed however the demo ends.
    struct Scratch {
      std::filesystem::path path;
      ~Scratch() {
        std::error_code ignored;
        if (!path.empty()) std::filesystem::remove_all(path, ignored);
      }
    } scratch;
    std::filesystem::path directory = *data;
    if (directory.empty()) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "chatkeep-demo-XXXXXX").string();
      if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot make a temporary directory");
      directory = scratch.path = pattern;
    }
    Demo demo(directory, isatty(STDOUT_FILENO) != 0);
    status = demo.run() ? 0 : 1;
  });
}

}  // namespace chatkeep::cli

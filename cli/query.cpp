// `chatkeep query`: the user's channels, or one channel's messages, from the cache at once and
// then from the server (as the client answers every query), one block or JSON line per answer.

#include <future>
#include <iostream>
#include <mutex>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "commands.hpp"
#include "connection_flags.hpp"

namespace chatkeep::cli {

namespace {

namespace json = boost::json;

// Prints each answer as it comes; wait() returns once the server's has, or at the deadline. An
// answer after that is not printed: the callback holds what it needs, as it may outlive this.
template <class T>
class Printer {
 public:
  explicit Printer(std::function<void(const std::string& source, const T&)> print)
      : state_(std::make_shared<State>()) {
    state_->print = std::move(print);
  }
  AnswerCallback<T> callback() {
    return [state = state_](Answer<T> a) {
      std::lock_guard lock(state->mutex);
      if (state->gave_up) return;
      const std::string source = a.source == Source::cache ? "cache" : "server";
      if (a) {
        state->print(source, *a.value);
      } else if (a.source == Source::server) {
        std::cerr << "chatkeep: the server did not answer: " << a.error->message() << "\n";
      }
      if (a.source == Source::server) state->done.set_value(a.value.has_value());
    };
  }
  bool wait(std::chrono::steady_clock::time_point deadline) {
    auto answer = state_->done.get_future();
    if (answer.wait_until(deadline) == std::future_status::ready) return answer.get();
    std::lock_guard lock(state_->mutex);
    state_->gave_up = true;
    std::cerr << "chatkeep: the server did not answer within --wait\n";
    return false;
  }

 private:
  struct State {
    std::function<void(const std::string&, const T&)> print;
    std::promise<bool> done;
    std::mutex mutex;
    bool gave_up = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace

void add_query(CLI::App& app, int& status) {
  struct Flags {
    ConnectionFlags connection;
    std::string cid;
    bool as_json = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub =
      app.add_subcommand("query", "the user's channels, or a channel's messages (cache, server)");
  add_connection_flags(*sub, flags->connection);
  sub->add_option("--channel", flags->cid, "a channel's cid: its latest messages");
  sub->add_flag("--json", flags->as_json, "one JSON line per answer");
  sub->callback([flags, &status] {
    Connected connected = connect(flags->connection);
    bool answered = false;
    if (flags->cid.empty()) {
      Printer<std::vector<ChannelState>> printer(
          [&](const std::string& source, const std::vector<ChannelState>& states) {
            if (flags->as_json) {
              json::array channels;
              for (const auto& s : states)
                channels.push_back(to_json(s));
              std::cout << json::serialize(json::object{{"source", source}, {"channels", channels}})
                        << std::endl;
              return;
            }
            std::cout << fmt::format("{} ({} channels)\n", source, states.size());
            for (const auto& s : states)
              std::cout << fmt::format("  {:<28} {}\n", s.channel.cid, s.channel.name.value_or(""));
          });
      connected.client->query_channels(
          {.filter = Filter::in("members", {json::value(flags->connection.user)})},
          printer.callback());
      answered = printer.wait(connected.deadline);
    } else {
      const auto colon = flags->cid.find(':');
      if (colon == std::string::npos) {
        throw ChatError(ErrorCode::input, "--channel: expected type:id");
      }
      Printer<ChannelState> printer([&](const std::string& source, const ChannelState& state) {
        if (flags->as_json) {
          std::cout << json::serialize(
                           json::object{{"source", source}, {"channel", to_json(state)}})
                    << std::endl;
          return;
        }
        const auto messages = state.messages.value_or(std::vector<Message>{});
        std::cout << fmt::format("{} ({} messages)\n", source, messages.size());
        for (const auto& m : messages) {
          std::cout << fmt::format(
              "  {:<10} {}{}\n", m.user ? m.user->id : "?",
              m.deleted_at ? "(deleted)" : m.text.value_or(""),
              m.local_state ? fmt::format(" [{}]", to_string(*m.local_state)) : "");
        }
      });
      connected.client->channel(flags->cid.substr(0, colon), flags->cid.substr(colon + 1))
          .query({}, printer.callback());
      answered = printer.wait(connected.deadline);
    }
    connected.client->disconnect_user(false);
    status = answered ? 0 : 1;
  });
}

}  // namespace chatkeep::cli

// The demo's app process (`chatkeep demo-app`, hidden): Alice's app, driven by the demo through
// its stdin. One command per line; each answered with one line, "ok[ <detail>]" or
// "error <message>":
//   connect                    connect the user (offline, the cached user answers)
//   watch <channel id>         watch messaging:<id>; later commands act in that channel
//   send <text>                ok <message id>
//   send-file <path> <text>    the same, with the file attached
//   edit <message id> <text>
//   delete <message id>
//   react <message id> <type>
//   wait-online                until the socket is up and caught up
//   wait-offline               until the socket is down
//   wait-delivered             until the outbox is empty
//   logout                     disconnect with a flush: ok <outbox entries discarded>

#include <atomic>
#include <chrono>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>

#include "chatkeep/client.hpp"
#include "commands.hpp"
#include "connection_flags.hpp"
#include "wait/wait_until.hpp"

namespace chatkeep::cli {

namespace {

using namespace std::chrono_literals;

// How long a step of the story may take before the demo gives up on it.
constexpr auto kPatience = 30s;

class DemoApp {
 public:
  explicit DemoApp(const ConnectionFlags& flags)
      : flags_(flags), client_(flags.api_key, client_options(flags)) {
    subscription_ = client_.on_any([this](const Event& e) {
      if (e.kind == EventType::connection_recovered) online_ = true;
      if (e.kind == EventType::connection_changed && e.online == false) online_ = false;
    });
  }

  // Runs one command; its answer's detail, or throws.
  std::string run(const std::string& command, std::istringstream& args) {
    if (command == "connect") {
      std::promise<Result<OwnUser>> done;
      client_.connect_user(User{.id = flags_.user}, user_token(flags_),
                           [&](Result<OwnUser> r) { done.set_value(std::move(r)); });
      Result<OwnUser> r = done.get_future().get();
      if (!r) throw *r.error;
      return "";
    }
    if (command == "watch") {
      std::string id;
      args >> id;
      channel_ = client_.channel("messaging", id);
      auto answered = std::make_shared<std::promise<void>>();
      channel_->watch({}, [answered](Answer<ChannelState> a) {
        if (a.source == Source::server) answered->set_value();
      });
      answered->get_future().wait_for(10s);
      return "";
    }
    if (command == "send") return channel().send_message(Message{.text = rest(args)}).id;
    if (command == "send-file") {
      std::string path;
      args >> path;
      return channel().send_message(Message{.text = rest(args)}, {LocalFile{.path = path}}).id;
    }
    std::string id;
    args >> id;
    if (command == "edit") {
      channel().update_message(Message{.id = id, .text = rest(args)});
    } else if (command == "delete") {
      channel().delete_message(id);
    } else if (command == "react") {
      channel().send_reaction(id, Reaction{.type = rest(args)});
    } else if (command == "wait-online") {
      if (!wait_until([&] { return online_.load(); }, kPatience))
        throw ChatError(ErrorCode::network, "still offline");
    } else if (command == "wait-offline") {
      if (!wait_until([&] { return !online_.load(); }, kPatience))
        throw ChatError(ErrorCode::network, "still online");
    } else if (command == "wait-delivered") {
      if (!wait_until([&] { return client_.outbox().empty(); }, kPatience))
        throw ChatError(ErrorCode::network, "the outbox did not empty");
    } else if (command == "logout") {
      return std::to_string(client_.disconnect_user(true).discarded_outbox_entries);
    } else {
      throw ChatError(ErrorCode::input, "unknown command: " + command);
    }
    return "";
  }

 private:
  static std::string rest(std::istringstream& args) {
    std::string text;
    std::getline(args >> std::ws, text);
    return text;
  }
  ChatChannel& channel() {
    if (!channel_) throw ChatError(ErrorCode::invalid_state, "watch a channel first");
    return *channel_;
  }

  ConnectionFlags flags_;
  ChatClient client_;
  std::optional<ChatChannel> channel_;
  std::atomic<bool> online_ = false;
  Subscription subscription_;
};

}  // namespace

void add_demo_app(CLI::App& app, int& status) {
  auto flags = std::make_shared<ConnectionFlags>();
  CLI::App* sub = app.add_subcommand("demo-app", "the demo's app process");
  sub->group("");  // hidden: the demo starts it
  add_connection_flags(*sub, *flags);
  sub->callback([flags, &status] {
    DemoApp demo_app(*flags);
    std::string line;
    while (std::getline(std::cin, line)) {
      std::istringstream args(line);
      std::string command;
      args >> command;
      if (command == "quit") break;
      try {
        const std::string detail = demo_app.run(command, args);
        std::cout << "ok" << (detail.empty() ? "" : " " + detail) << std::endl;
      } catch (const ChatError& e) {
        std::cout << "error " << e.what() << std::endl;
      }
    }
    status = 0;
  });
}

}  // namespace chatkeep::cli

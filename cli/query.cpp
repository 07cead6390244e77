// `chatkeep query`: the user's channels, or one channel's messages, from the cache at once and
// then from the server (as the client answers every query), one block or JSON line per answer.

#include <iostream>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "commands.hpp"
#include "connection_flags.hpp"
#include "printer.hpp"

namespace chatkeep::cli {

namespace json = boost::json;

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

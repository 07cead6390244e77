// `chatkeep search TEXT`: messages found by their text, from the device at once and then merged
// with the server's (ChatClient::search), one block or JSON line per answer.

#include <algorithm>
#include <iostream>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "commands.hpp"
#include "connection_flags.hpp"
#include "printer.hpp"

namespace chatkeep::cli {

namespace json = boost::json;

void add_search(CLI::App& app, int& status) {
  struct Flags {
    ConnectionFlags connection;
    std::string text;
    std::vector<std::string> cids;
    bool newest = false;
    std::size_t limit = 20;
    bool as_json = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand(
      "search", "find messages by their text: the device's at once, then the server's");
  add_connection_flags(*sub, flags->connection);
  sub->add_option("text", flags->text,
                  "words, word* for a prefix, \"a phrase\"; CJK and emoji as substrings")
      ->required();
  sub->add_option("--channel", flags->cids, "only in this channel (cid; repeatable)");
  sub->add_flag("--newest", flags->newest, "newest first rather than best match first");
  sub->add_option("--limit", flags->limit, "results per answer (1 to 100)");
  sub->add_flag("--json", flags->as_json, "one JSON line per answer");
  sub->callback([flags, &status] {
    SearchQuery query{.text = flags->text,
                      .sort = flags->newest ? SearchSort::newest : SearchSort::relevance,
                      .limit = flags->limit};
    if (!flags->cids.empty()) query.cids = flags->cids;
    Connected connected = connect(flags->connection);
    Printer<SearchResults> printer([&](const std::string& source, const SearchResults& results) {
      if (flags->as_json) {
        json::array hits;
        for (const auto& hit : results.hits) {
          json::array matches;
          for (const auto& span : hit.matches)
            matches.push_back(json::array{span.offset, span.length});
          hits.push_back(json::object{{"message", to_json(hit.message)},
                                      {"found_in", hit.found_in},
                                      {"matches", std::move(matches)}});
        }
        std::cout << json::serialize(json::object{{"source", source},
                                                  {"partial", results.partial},
                                                  {"results", std::move(hits)}})
                  << std::endl;
        return;
      }
      std::cout << fmt::format("{} ({} found{})\n", source, results.hits.size(),
                               results.partial ? "; the index is still being built" : "");
      for (const auto& hit : results.hits) {
        const Message& m = hit.message;
        std::string text = mark_matches(hit, "[", "]");
        std::replace(text.begin(), text.end(), '\n', ' ');
        std::cout << fmt::format(
            "  {:<20} {:<10} {}{}\n", m.cid.value_or(""), m.user ? m.user->id : "?", text,
            m.local_state ? fmt::format(" [{}]", to_string(*m.local_state)) : "");
      }
    });
    connected.client->search(std::move(query), printer.callback());
    const bool answered = printer.wait(connected.deadline);
    connected.client->disconnect_user(false);
    status = answered ? 0 : 1;
  });
}

}  // namespace chatkeep::cli

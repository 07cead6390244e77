// libFuzzer: search text and message JSON from anywhere. The text parser refuses bad text with a
// ChatError (input) only, and what it accepts is never an FTS5 syntax error in either index;
// indexed_text takes any bytes as a stored message's JSON without failing.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "chatkeep/error.hpp"
#include "search/indexed_text.hpp"
#include "search/message_index.hpp"
#include "search/search_terms.hpp"
#include "sqlite/database.hpp"

namespace {

chatkeep::sqlite::Database& database() {
  static chatkeep::sqlite::Database* db = [] {
    auto* d =
        new chatkeep::sqlite::Database(":memory:", chatkeep::sqlite::Database::Access::create);
    d->exec("CREATE TABLE messages (data TEXT NOT NULL);");
    d->exec(chatkeep::search::kSearchIndexSchema);
    d->exec(R"(INSERT INTO messages (data) VALUES ('{"text":"the café at noon 北京大学 🎉"}'),
                 ('{"text":"say \"what\" (x) OR y* NEAR"}');)");
    return d;
  }();
  return *db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  (void)chatkeep::search::indexed_text(input);
  (void)chatkeep::search::unspaced_words(input);
  chatkeep::search::SearchTerms terms;
  try {
    terms = chatkeep::search::parse_search_text(input);
  } catch (const chatkeep::ChatError& e) {
    if (e.code() != chatkeep::ErrorCode::input) std::abort();
    return 0;
  }
  auto& db = database();
  // Any error here (an FTS5 syntax error above all) aborts: a finding.
  if (const std::string words = terms.fts5_words(); !words.empty()) {
    auto q = db.query("SELECT rowid FROM message_words WHERE message_words MATCH ?1");
    q.bind(1, words);
    while (q.next()) {
    }
  }
  for (const auto& s : terms.substrings) {
    auto q = db.query("SELECT rowid FROM message_unspaced WHERE message_unspaced MATCH ?1");
    q.bind(1, chatkeep::search::fts5_quoted(s));
    while (q.next()) {
    }
  }
  return 0;
}

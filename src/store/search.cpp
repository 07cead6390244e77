// The store's search (search/index_file.hpp has the index): one statement over the index and the
// messages table, on the index's connection, gives a page of rowids; each hit is then the
// message as the store holds it, with its local state.

#include <algorithm>
#include <map>
#include <set>
#include <variant>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

#include "search/matches.hpp"
#include "search/message_index.hpp"
#include "search/search_terms.hpp"
#include "store/rows.hpp"
#include "store/search_query.hpp"
#include "store/sqlite_store.hpp"
#include "store/stored_channel.hpp"

namespace chatkeep::store {

// How many of the latest matches a search of common words ranks and sorts (SqliteStore::search).
constexpr std::int64_t kSearchWindow = 1000;

void check_search_query(const SearchQuery& query) {
  if (query.limit < 1 || query.limit > kMaxSearchLimit) {
    throw ChatError(ErrorCode::input, fmt::format("search limit: {} is not between 1 and {}",
                                                  query.limit, kMaxSearchLimit));
  }
  if (query.offset > static_cast<std::size_t>(INT32_MAX)) {
    throw ChatError(ErrorCode::input, "search offset: too large");
  }
}

std::optional<std::vector<std::string>> searched_cids(ChatPersistenceClient& store,
                                                      const SearchQuery& query) {
  if (!query.channel_filter) return query.cids;
  std::vector<std::string> matching = stored_channels_matching(store, *query.channel_filter);
  if (query.cids) {
    const std::set<std::string> named(query.cids->begin(), query.cids->end());
    std::erase_if(matching, [&](const std::string& cid) { return !named.contains(cid); });
  }
  return matching;
}

SearchResults SqliteStore::search(const SearchQuery& query) {
  check_search_query(query);
  const search::SearchTerms terms = search::parse_search_text(query.text);
  const auto cids = searched_cids(*this, query);
  const std::string words = terms.fts5_words();

  // The index that drives the search (`d`): the word index when there are words, else the
  // trigram index for the first substring long enough for it, else the messages themselves.
  // Every other term is a condition on the rows it gives.
  using Value = std::variant<std::string, std::int64_t>;
  std::vector<Value> values;  // the conditions' (the driver's MATCH is bound first)
  std::string conditions;     // on `m`, a message, and `c`, its channel
  std::string driver;
  std::string driver_match;
  if (!words.empty()) {
    driver = "message_words";
    driver_match = words;
  }
  for (const auto& s : terms.substrings) {
    if (search::code_points(s) < 3) {
      // Too short for trigrams: a scan, of the messages the trigram index holds only.
      conditions +=
          " AND m.rowid IN (SELECT id FROM message_unspaced_docsize)"
          " AND instr(lower(chatkeep_indexed_text(m.data)), lower(?)) > 0";
      values.emplace_back(s);
    } else if (driver.empty()) {
      driver = "message_unspaced";
      driver_match = search::fts5_quoted(s);
    } else {
      conditions +=
          " AND m.rowid IN (SELECT rowid FROM message_unspaced WHERE message_unspaced MATCH ?)";
      values.emplace_back(search::fts5_quoted(s));
    }
  }
  if (cids) {
    conditions += " AND c.cid IN (SELECT value FROM json_each(?))";
    boost::json::array list;
    for (const auto& cid : *cids)
      list.emplace_back(cid);
    values.emplace_back(boost::json::serialize(list));
  }
  if (query.user_id) {
    conditions += " AND m.user_id = ?";
    values.emplace_back(*query.user_id);
  }
  if (query.created_after) {
    conditions += " AND m.created_at >= ?";
    values.emplace_back(query.created_after->unix_micros());
  }
  if (query.created_before) {
    conditions += " AND m.created_at < ?";
    values.emplace_back(query.created_before->unix_micros());
  }
  if (query.in_thread)
    conditions += *query.in_thread ? " AND m.parent_id IS NOT NULL" : " AND m.in_channel";
  if (query.has_attachments) {
    conditions += *query.has_attachments
                      ? " AND json_array_length(m.data, '$.attachments') > 0"
                      : " AND COALESCE(json_array_length(m.data, '$.attachments'), 0) = 0";
  }

  // The page, as rowids only: the rows and their highlights are read for it alone. A word as
  // common as "the" matches most of the store, and ranking or sorting all of it costs a scan:
  // the results come from the kSearchWindow matches stored last, which FTS5 gives in its own
  // rowid order, stopping early, each checked against the conditions by a lookup (a join there
  // would make SQLite sort every match). Fewer matches than that, and the answer is exact. The
  // index is searched once: its MATCH costs most of a search (a prefix merges the lists of
  // every word it begins), so the window carries each match's score out with it.
  const bool by_relevance = query.sort == SearchSort::relevance && !words.empty();
  const std::string by_time = "m.created_at DESC, m.rowid DESC";
  std::string sql;
  if (driver.empty()) {
    sql =
        "SELECT m.rowid FROM store.messages m JOIN store.channels c ON c.key = m.channel WHERE 1" +
        conditions + " ORDER BY " + by_time;
  } else {
    sql = fmt::format(
        "SELECT m.rowid FROM (SELECT d.rowid AS r{0} FROM {1} d WHERE {1} MATCH ?"
        " AND EXISTS (SELECT 1 FROM store.messages m JOIN store.channels c ON c.key = m.channel"
        " WHERE m.rowid = d.rowid{2}) ORDER BY d.rowid DESC LIMIT ?) w"
        " JOIN store.messages m ON m.rowid = w.r ORDER BY {3}{4}",
        by_relevance ? ", bm25(message_words) AS score" : "", driver, conditions,
        by_relevance ? "w.score, " : "", by_time);
    values.insert(values.begin(), driver_match);
    values.emplace_back(std::max<std::int64_t>(
        kSearchWindow, static_cast<std::int64_t>(query.offset + query.limit)));
  }
  sql += " LIMIT ? OFFSET ?";
  values.emplace_back(static_cast<std::int64_t>(query.limit));
  values.emplace_back(static_cast<std::int64_t>(query.offset));

  // The index is read on its own connection, without the store's lock (a step of the indexer
  // may be under way); the rows it names are read from the store afterwards, under the lock,
  // and one deleted meanwhile is left out.
  std::shared_ptr<search::IndexFile> index;
  {
    Lock lock(mutex_);
    (void)db();  // connected
    index = search_index_;
  }
  // The tail waits for the store to be idle (search_indexer.hpp); a search does not.
  index->catch_up();
  SearchResults results;
  std::vector<std::int64_t> page;
  const bool read = index->read([&](sqlite::Database& db, const search::IndexProgress& progress) {
    results.partial = !progress.complete();
    auto q = db.query(sql);
    for (std::size_t i = 0; i < values.size(); ++i)
      std::visit([&](const auto& v) { q.bind(static_cast<int>(i + 1), v); }, values[i]);
    while (q.next())
      page.push_back(q.integer(0));
  });
  results.partial = results.partial || !read;
  Lock lock(mutex_);
  ReadTransaction snapshot(db());
  const std::map<std::int64_t, std::string> marked =
      words.empty() ? std::map<std::int64_t, std::string>{}
                    : search::highlight_rows(db(), words, page);
  std::vector<Message> messages;
  for (const std::int64_t rowid : page) {
    auto q = db().query(std::string(kSelectMessages) + "m.rowid = ?1");
    q.bind(1, rowid);
    if (!q.next()) continue;
    messages.push_back(message_from_row(q));
    SearchHit hit;
    if (words.empty()) {
      auto text = db().query("SELECT chatkeep_indexed_text(data) FROM messages WHERE rowid = ?1");
      text.bind(1, rowid);
      if (text.next() && !text.is_null(0)) hit.found_in = std::string(text.text(0));
    } else if (auto found = marked.find(rowid); found != marked.end()) {
      hit.found_in = search::unmark(found->second, hit.matches);
    }
    search::add_substring_matches(hit.found_in, terms.substrings, hit.matches);
    results.hits.push_back(std::move(hit));
  }
  attach_own_reactions(messages);
  attach_local_states(messages);
  std::map<std::string, Channel> channels;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const std::string cid = messages[i].cid.value_or("");
    auto found = channels.find(cid);
    if (found == channels.end()) {
      found = channels.emplace(cid, channel_locked(cid).value_or(Channel{.cid = cid})).first;
    }
    results.hits[i].channel = found->second;
    results.hits[i].message = std::move(messages[i]);
  }
  return results;
}

}  // namespace chatkeep::store

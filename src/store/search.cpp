// The store's search (search_index.hpp has the index): one statement over the index and the
// messages table, so that every hit is a message as it is stored now, with its local state.

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

  std::string sql = "SELECT m.id, c.cid, m.user_id, m.data, u.data, ";
  sql += words.empty() ? "chatkeep_indexed_text(m.data) FROM messages m"
                       : "highlight(message_words, 0, char(1), char(2)) FROM message_words w "
                         "JOIN messages m ON m.rowid = w.rowid";
  sql += " JOIN channels c ON c.key = m.channel LEFT JOIN users u ON u.id = m.user_id WHERE 1";
  std::vector<std::variant<std::string, std::int64_t>> values;
  if (!words.empty()) {
    sql += " AND message_words MATCH ?";
    values.emplace_back(words);
  }
  for (const auto& s : terms.substrings) {
    if (search::code_points(s) >= 3) {
      sql += " AND m.rowid IN (SELECT rowid FROM message_unspaced WHERE message_unspaced MATCH ?)";
      values.emplace_back(search::fts5_quoted(s));
    } else {
      // Too short for trigrams: a scan, of the messages the trigram index holds only.
      sql +=
          " AND m.rowid IN (SELECT id FROM message_unspaced_docsize)"
          " AND instr(lower(chatkeep_indexed_text(m.data)), lower(?)) > 0";
      values.emplace_back(s);
    }
  }
  if (cids) {
    sql += " AND c.cid IN (SELECT value FROM json_each(?))";
    boost::json::array list;
    for (const auto& cid : *cids)
      list.emplace_back(cid);
    values.emplace_back(boost::json::serialize(list));
  }
  if (query.user_id) {
    sql += " AND m.user_id = ?";
    values.emplace_back(*query.user_id);
  }
  if (query.created_after) {
    sql += " AND m.created_at >= ?";
    values.emplace_back(query.created_after->unix_micros());
  }
  if (query.created_before) {
    sql += " AND m.created_at < ?";
    values.emplace_back(query.created_before->unix_micros());
  }
  if (query.in_thread)
    sql += *query.in_thread ? " AND m.parent_id IS NOT NULL" : " AND m.in_channel";
  if (query.has_attachments) {
    sql += *query.has_attachments
               ? " AND json_array_length(m.data, '$.attachments') > 0"
               : " AND COALESCE(json_array_length(m.data, '$.attachments'), 0) = 0";
  }
  sql += query.sort == SearchSort::relevance && !words.empty()
             ? " ORDER BY bm25(message_words), m.created_at DESC, m.rowid DESC"
             : " ORDER BY m.created_at DESC, m.rowid DESC";
  sql += " LIMIT ? OFFSET ?";
  values.emplace_back(static_cast<std::int64_t>(query.limit));
  values.emplace_back(static_cast<std::int64_t>(query.offset));

  Lock lock(mutex_);
  SearchResults results;
  results.partial = !search::search_index_progress(db()).complete();
  std::vector<Message> messages;
  {
    auto q = db().query(sql);
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::visit([&](const auto& v) { q.bind(static_cast<int>(i + 1), v); }, values[i]);
    }
    while (q.next()) {
      messages.push_back(message_from_row(q));
      SearchHit hit;
      if (words.empty()) {
        hit.found_in = std::string(q.text(5));
      } else {
        hit.found_in = search::unmark(q.text(5), hit.matches);
      }
      search::add_substring_matches(hit.found_in, terms.substrings, hit.matches);
      results.hits.push_back(std::move(hit));
    }
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

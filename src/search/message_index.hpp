#pragma once

// The full-text index of messages (issue 21), in the client's store and in chatkeep-server: two
// FTS5 tables over a `messages` table (a rowid and the message's JSON in `data`), both "external
// content": they keep only the index, and read a message's text back from the
// messages table when a highlight needs it.
//   message_words     unicode61 with diacritics removed: words, prefixes and phrases, in any
//                     script that separates words with spaces
//   message_unspaced  trigram: substrings, for the messages with text written without spaces
//                     (CJK, Thai) or emoji (search/indexed_text.hpp, has_unspaced); only those
//                     rows, so that Latin text pays nothing for it
// Triggers on messages keep both in step, in the same statement as the row's own change: an
// insert, an edit, a soft delete (which takes the text out), a hard delete, a truncation, a
// channel's cascade, retention and flush all go through them, and nothing else writes them. A
// trigger takes out exactly the text it put in, as search::indexed_text computes it again from
// the row's old JSON; which is why that function must never change its output for a stored row
// without a migration that rebuilds the index.
//
// A database that had messages before the index existed has a backlog: the rows up to the
// largest rowid at migration time. Those are indexed by index_search_backlog() in short steps
// (the client's store runs them on a thread of its own; chatkeep-server, all at once when
// it opens), lowest rowid first; until then a
// row counts as indexed when its rowid is above the backlog or at most `indexed_through`, and
// triggers touch the index only for rows that count. Searches meanwhile say they are partial.
// VACUUM may renumber rowids, so maintenance that vacuums calls restart_search_index().

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sqlite/database.hpp"

namespace chatkeep::search {

// Each row's text as the word index holds it, its matches of the FTS5 query `words` between
// \x01 and \x02 (FTS5's highlight()). From a scratch index of these rows alone, a temp table of
// the connection, so that it costs the rows, whatever the query costs over the whole index: a
// phrase of common words, or a long prefix, takes tens of milliseconds on a million messages.
std::map<std::int64_t, std::string> highlight_rows(sqlite::Database& db, const std::string& words,
                                                   const std::vector<std::int64_t>& rowids);

// The SQL of the migration that brings the index (schema.cpp).
extern const char* const kSearchIndexSchema;
// The SQL of the migration that gives the word index prefix indexes: both indexes start over as
// a backlog.
extern const char* const kSearchPrefixIndexes;

struct SearchIndexProgress {
  std::int64_t indexed_through = 0;
  std::int64_t backlog = 0;  // 0: every row is indexed
  bool complete() const { return backlog == 0; }
};

SearchIndexProgress search_index_progress(sqlite::Database& db);

// Indexes the next `rows` rowids of the backlog in one transaction; true when none is left.
bool index_search_backlog(sqlite::Database& db, std::int64_t rows);

// Empties the index and makes every stored row backlog (after a VACUUM, or to repair it).
void restart_search_index(sqlite::Database& db);

// Whether the index agrees with the messages table: FTS5's own check of each index against its
// content, and the count of indexed rows against the rows that should be. Empty when it does;
// else what disagrees. The caller holds no transaction open (the check reads a consistent
// snapshot in its own).
std::string check_search_index(sqlite::Database& db);

// Bytes the two indexes take (their shadow tables), from dbstat when SQLite has it, else an
// estimate from page counts; 0 when neither is known.
std::int64_t search_index_bytes(sqlite::Database& db);

}  // namespace chatkeep::search

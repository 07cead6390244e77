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
// Triggers on messages keep both in step for the rows the index holds (below), in the same
// statement as the row's own change: an insert, an edit, a soft delete (which takes the text
// out), a hard delete, a truncation, a channel's cascade, retention and flush all go through
// them; only they and the steps that index waiting rows write the index. A trigger takes out
// exactly the text that was put in, as search::indexed_text computes it again from the row's old
// JSON; which is why that function must never change its output for a stored row without a
// migration that rebuilds the index.
//
// Which rows the index holds: those that count, by this rule on a row's rowid r,
//   r <= tail_from  AND  (r > backlog  OR  r <= indexed_through)
// and triggers touch the index only for rows that count. Two kinds of rows wait:
//   the backlog  A database that had messages before the index has the rows up to the largest
//                rowid at migration time. index_search_backlog() indexes them in short steps,
//                lowest rowid first (the client's store when idle; chatkeep-server, all at once
//                when it opens). Searches meanwhile say they are partial.
//   the tail     The client's store indexes new rows a moment after it writes them, not in the
//                writer's transaction: the index costs more than the rest of an insert (FTS5's
//                prefix indexes most), and a burst of catch-up or an outbox send should not wait
//                for it. Rows above tail_from wait, and are indexed by index_search_tail() when
//                the store is idle, or by a search before it reads the index, so that no search
//                misses one. Edits and deletions of waiting rows touch no index; the row's text
//                is read when it is indexed. chatkeep-server indexes every write at once
//                (kIndexEveryWrite: tail_from is the largest rowid there is).
// A rowid that SQLite reuses (after the largest row is deleted) may land below tail_from: the
// insert trigger then indexes it at once, which is correct, just not deferred. VACUUM may
// renumber rowids, so maintenance that vacuums calls restart_search_index().

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

// The SQL of the migration that brings the index (schema.cpp; chatkeep-server's state.cpp).
extern const char* const kSearchIndexSchema;
// The SQL of the migration that gives the word index prefix indexes: both indexes start over as
// a backlog.
extern const char* const kSearchIndexPrefixes;
// The SQL of the migration that brings the tail: every row stored so far counts.
extern const char* const kSearchIndexTail;
// Run after kSearchIndexTail, the SQL that makes a database index every write in its own
// transaction, with no tail (chatkeep-server).
extern const char* const kIndexEveryWrite;

struct SearchIndexProgress {
  std::int64_t indexed_through = 0;
  std::int64_t backlog = 0;  // 0: no backlog
  std::int64_t tail_from = INT64_MAX;
  std::int64_t last_rowid = 0;  // the largest rowid of messages
  // Rowids in the tail (some may be deleted rows).
  std::int64_t tail_rows() const { return last_rowid > tail_from ? last_rowid - tail_from : 0; }
  bool complete() const { return backlog == 0 && tail_rows() == 0; }
};

SearchIndexProgress search_index_progress(sqlite::Database& db);

// Indexes the next `rows` rowids of the backlog in one transaction; true when none is left.
bool index_search_backlog(sqlite::Database& db, std::int64_t rows);

// Indexes the next `rows` rowids of the tail in one transaction; true when none is left.
bool index_search_tail(sqlite::Database& db, std::int64_t rows);

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

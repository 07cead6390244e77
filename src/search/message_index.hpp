#pragma once

// The full-text index of messages (issue 21) inside the database it indexes: chatkeep-server's,
// and the client store's from schema 10 to 16 (since 17 the client's is in a file of its own,
// search/index_file.hpp, with the same tokenizers and text). Two FTS5 tables over a `messages`
// table (a rowid and the message's JSON in `data`), both "external content": they keep only
// the index, and read a message's text back from the messages table when a highlight needs it.
//   message_words     unicode61 with diacritics removed: words, prefixes and phrases, in any
//                     script that separates words with spaces
//   message_unspaced  trigram: substrings, for the messages with text written without spaces
//                     (CJK, Thai) or emoji (search/indexed_text.hpp, has_unspaced); only those
//                     rows, so that Latin text pays nothing for it
// Triggers on messages keep both in step for the rows the index holds (below), in the same
// statement as the row's own change: an insert, an edit, a soft delete (which takes the text
// out), a hard delete, a truncation and a channel's cascade all go through them. A trigger takes
// out exactly the text that was put in, as search::indexed_text computes it again from the row's
// old JSON; which is why that function must never change its output for a stored row without a
// migration that rebuilds the index.
//
// Which rows the index holds: those that count, by this rule on a row's rowid r,
//   r <= tail_from  AND  (r > backlog  OR  r <= indexed_through)
// and triggers touch the index only for rows that count. The backlog: a database that had
// messages before the index has the rows up to the largest rowid at migration time, which
// index_search_backlog() indexes lowest first (chatkeep-server, all at once when it opens).
// The tail (migration 14) was the client's deferred new rows; chatkeep-server has none
// (kIndexEveryWrite: tail_from is the largest rowid there is).

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sqlite/database.hpp"

// How the word index splits and folds text: every table that must find what it finds (the
// index in either file, and the page's scratch index in highlight_rows) uses this one.
#define CHATKEEP_WORD_TOKENIZER "'unicode61 remove_diacritics 2'"

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

// Indexes the next `rows` rowids of the backlog in one transaction; true when none is left.
bool index_search_backlog(sqlite::Database& db, std::int64_t rows);

}  // namespace chatkeep::search

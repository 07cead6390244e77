#pragma once

// What a message is found by, for both search indexes (the client's store and chatkeep-server):
// the same text from the same stored JSON, in every trigger and every index builder, so that an
// index entry can always be taken out again with the very text it went in with.

#include <optional>
#include <string>
#include <string_view>

struct sqlite3;

namespace chatkeep::search {

// The text a message is found by: its text, then each attachment's title and file name (the last
// part of its URL's path), each on a line of its own. Nothing for a deleted message, or one with
// nothing to find. Control characters become spaces (the same length, so that offsets into it
// are offsets into the message's text where they fall within it): highlights are marked with two
// of them. `message_json` is a stored message's JSON; anything else indexes nothing.
std::optional<std::string> indexed_text(std::string_view message_json);

// Whether `text` holds characters written without spaces between words (Chinese, Japanese,
// Korean, Thai and their neighbours) or emoji and other symbols: the word index cannot split
// such text into words, so it is found by substring, in the trigram index.
bool has_unspaced(std::string_view text);

// What of `text` the trigram index holds: its words (between spaces) that have unspaced
// characters, so that an emoji or a Chinese name in a Latin sentence costs that word, not the
// sentence. Nothing when it has none.
std::optional<std::string> unspaced_words(std::string_view text);

// The SQL functions the indexes' triggers and views call, on one connection: every connection
// that may write messages must have them (sqlite::Database registers them on each it opens).
//   chatkeep_indexed_text(data)  indexed_text, or NULL
//   chatkeep_unspaced(text)      unspaced_words(text), or NULL
void register_functions(sqlite3* db);

}  // namespace chatkeep::search

#pragma once

// Full-text search of messages, on the device and merged with the server's (ChatClient::search).
//
// The text: words (case and Latin diacritics do not matter: "cafe" finds "Café"), `word*` for a
// prefix, "a quoted phrase" for words in that order; every term is required. A term in Chinese,
// Japanese, Korean or Thai, or with emoji, is found as a substring wherever it occurs (those
// scripts put no spaces between words). A message is found by its text and by its attachments'
// titles and file names; deleted messages are never found. The user's own messages still in the
// outbox are found, and an edit waiting there is found by its new text.
//
// A store answers from its own index, which agrees with the messages it covers. The SQLite
// store indexes new messages a moment after it writes them (when idle), and a search indexes
// whatever still waits before it reads, so no answer misses one; a read-only store cannot, and
// says its answer is partial. A word as common as "the" matches most of a large store: the SQLite
// store then ranks and sorts the 1,000 matches it stored last (or offset + limit, if more), so
// that such a search costs milliseconds, not a scan; with fewer matches the answer is exact.
// A database from before the index is indexed in the background after it opens; until that
// ends, results come from the part indexed and say they are partial.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chatkeep/channel.hpp"
#include "chatkeep/message.hpp"
#include "chatkeep/query.hpp"
#include "chatkeep/timestamp.hpp"

namespace chatkeep {

enum class SearchSort {
  relevance,  // best match first (FTS5's bm25), then newest
  newest,     // newest first
};

inline constexpr std::size_t kMaxSearchLimit = 100;

struct SearchQuery {
  std::string text;  // required (the header's syntax); at most 1024 bytes and 32 terms
  // Which channels: those named, and of those (or of all) the ones a channel list's filter
  // matches, as the store matches it. Neither: every channel.
  std::optional<std::vector<std::string>> cids;
  std::optional<Filter> channel_filter;
  std::optional<std::string> user_id;       // the author
  std::optional<Timestamp> created_after;   // inclusive
  std::optional<Timestamp> created_before;  // exclusive
  // true: replies in threads only; false: no replies that live only in a thread.
  std::optional<bool> in_thread;
  std::optional<bool> has_attachments;
  SearchSort sort = SearchSort::relevance;
  std::size_t limit = 20;  // 1 to kMaxSearchLimit
  std::size_t offset = 0;
};

// A byte range of SearchHit::found_in.
struct TextSpan {
  std::size_t offset = 0;
  std::size_t length = 0;
  bool operator==(const TextSpan&) const = default;
};

struct SearchHit {
  Message message;  // as the store has it: with its cid, and its local state if it has one
  Channel channel;
  // What the message was found by: its text, then each attachment's title and file name, one per
  // line. Where it begins with the message's text, offsets below that text's length are offsets
  // into it.
  std::string found_in;
  std::vector<TextSpan> matches;  // where the terms matched, in order, not overlapping
};

// The hit's found_in with each match between `before` and `after`: "[quick] fox" for a UI's
// bold, a terminal's colour.
std::string mark_matches(const SearchHit& hit, std::string_view before, std::string_view after);

struct SearchResults {
  std::vector<SearchHit> hits;
  // The store's index is still being built (a database from before it; for a read-only store,
  // new messages too): messages may be missing from these results.
  bool partial = false;
};

}  // namespace chatkeep

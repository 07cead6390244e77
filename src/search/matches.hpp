#pragma once

// Where a search's terms matched in the text a message was found by (SearchHit::matches).

#include <string>
#include <string_view>
#include <vector>

#include "chatkeep/search.hpp"

namespace chatkeep::search {

// The markers FTS5's highlight() puts around each match: control characters, which
// indexed_text never leaves in the text it indexes.
inline constexpr char kMatchOpen = '\x01';
inline constexpr char kMatchClose = '\x02';

// `highlighted` without its markers, and the spans they marked.
std::string unmark(std::string_view highlighted, std::vector<TextSpan>& spans);

// Adds a span for each place a substring occurs in `text` (ASCII letters in any case), then
// sorts the spans and joins those that overlap or touch.
void add_substring_matches(std::string_view text, const std::vector<std::string>& substrings,
                           std::vector<TextSpan>& spans);

// Whether `text` contains `needle`, ASCII letters in any case: the scan for substrings too short
// for the trigram index, and the in-memory store's whole search.
bool contains_folded(std::string_view text, std::string_view needle);

}  // namespace chatkeep::search

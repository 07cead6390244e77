#pragma once

// A search's text as the two indexes take it (indexed_text.hpp says what they hold):
//   word       found in the word index (FTS5's unicode61: case and Latin diacritics folded), as a
//              whole word; `word*` as a prefix
//   "a phrase" its words, in that order
//   unspaced   a term holding Chinese, Japanese, Korean, Thai or emoji (has_unspaced) is found by
//              substring, in the trigram index, whatever its quotes or star
// Every term is required. Punctuation alone is no term.

#include <string>
#include <string_view>
#include <vector>

namespace chatkeep::search {

inline constexpr std::size_t kMaxSearchTextBytes = 1024;
inline constexpr std::size_t kMaxSearchTerms = 32;

// A word term, or a phrase's words in order; `prefix`: its last word is a prefix.
struct Phrase {
  std::string text;
  bool prefix = false;
};

struct SearchTerms {
  std::vector<Phrase> phrases;          // for the word index
  std::vector<std::string> substrings;  // for the trigram index (or a scan, when shorter than 3)
  // The phrases as one FTS5 query, each quoted so that nothing the user typed is syntax; empty
  // when there is none.
  std::string fts5_words() const;
};

// `text` as an FTS5 string: in double quotes, each double quote doubled.
std::string fts5_quoted(std::string_view text);

// ChatError(input) for text that is not UTF-8, longer than kMaxSearchTextBytes, with more than
// kMaxSearchTerms terms, or with no term at all.
SearchTerms parse_search_text(std::string_view text);

// Whether `text` is well-formed UTF-8.
bool is_utf8(std::string_view text);

// The number of code points in UTF-8 `text`: a trigram index finds substrings of three or more.
std::size_t code_points(std::string_view text);

}  // namespace chatkeep::search

#include "search/search_terms.hpp"

#include <algorithm>
#include <deque>

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "search/indexed_text.hpp"

namespace chatkeep::search {
namespace {

// Spaces and every other control character (a NUL would end an FTS5 string early) separate
// terms.
bool is_space(char c) {
  return c == ' ' || (static_cast<unsigned char>(c) < 0x20) || c == '\x7f';
}

// Whether the word index would find a word in `term`: an ASCII letter or digit, or any other
// script's character (unicode61 decides which of those are letters).
bool has_word(std::string_view term) {
  return std::any_of(term.begin(), term.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
  });
}

}  // namespace

std::string fts5_quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string SearchTerms::fts5_words() const {
  std::string out;
  for (const Phrase& phrase : phrases) {
    if (!out.empty()) out += ' ';
    out += fts5_quoted(phrase.text);
    if (phrase.prefix) out += " *";
  }
  return out;
}

bool is_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra;
    char32_t min;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3, min = 0x10000;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    char32_t cp = c & (0x3F >> extra);
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

SearchTerms parse_search_text(std::string_view text) {
  if (text.size() > kMaxSearchTextBytes) {
    throw ChatError(ErrorCode::input,
                    fmt::format("search text: longer than {} bytes", kMaxSearchTextBytes));
  }
  if (!is_utf8(text)) throw ChatError(ErrorCode::input, "search text: not UTF-8");
  SearchTerms terms;
  std::size_t count = 0;
  std::deque<std::string> owned;  // phrases rewritten; a deque keeps their addresses
  for (std::size_t i = 0; i < text.size();) {
    if (is_space(text[i])) {
      ++i;
      continue;
    }
    std::string_view term;
    bool prefix = false;
    if (text[i] == '"') {
      const std::size_t close = text.find('"', i + 1);
      const std::size_t end = close == std::string_view::npos ? text.size() : close;
      term = text.substr(i + 1, end - i - 1);
      i = end + 1;
      if (std::any_of(term.begin(), term.end(), is_space)) {
        // A phrase's words are separated by spaces only: the others become spaces too.
        std::string spaced(term);
        std::replace_if(spaced.begin(), spaced.end(), is_space, ' ');
        owned.push_back(std::move(spaced));
        term = owned.back();
      }
    } else {
      std::size_t end = i;
      while (end < text.size() && !is_space(text[end]))
        ++end;
      term = text.substr(i, end - i);
      i = end;
      prefix = term.size() > 1 && term.back() == '*';
      if (prefix) term.remove_suffix(1);
    }
    if (!has_word(term)) continue;
    if (++count > kMaxSearchTerms) {
      throw ChatError(ErrorCode::input,
                      fmt::format("search text: more than {} terms", kMaxSearchTerms));
    }
    if (has_unspaced(term)) {
      terms.substrings.emplace_back(term);
      continue;
    }
    terms.phrases.push_back({.text = std::string(term), .prefix = prefix});
  }
  if (count == 0) throw ChatError(ErrorCode::input, "search text: nothing to search for");
  return terms;
}

}  // namespace chatkeep::search

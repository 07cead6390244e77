#include "search/matches.hpp"

#include <algorithm>

namespace chatkeep::search {
namespace {

char fold(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::size_t find_folded(std::string_view text, std::string_view needle, std::size_t from) {
  if (needle.empty() || needle.size() > text.size()) return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= text.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && fold(text[i + k]) == fold(needle[k]))
      ++k;
    if (k == needle.size()) return i;
  }
  return std::string_view::npos;
}

}  // namespace

std::string unmark(std::string_view highlighted, std::vector<TextSpan>& spans) {
  std::string out;
  out.reserve(highlighted.size());
  std::size_t open = 0;
  for (char c : highlighted) {
    if (c == kMatchOpen) {
      open = out.size();
    } else if (c == kMatchClose) {
      spans.push_back({.offset = open, .length = out.size() - open});
    } else {
      out += c;
    }
  }
  return out;
}

void add_substring_matches(std::string_view text, const std::vector<std::string>& substrings,
                           std::vector<TextSpan>& spans) {
  for (const auto& s : substrings) {
    for (auto at = find_folded(text, s, 0); at != std::string_view::npos;
         at = find_folded(text, s, at + s.size()))
      spans.push_back({.offset = at, .length = s.size()});
  }
  std::sort(spans.begin(), spans.end(),
            [](const TextSpan& a, const TextSpan& b) { return a.offset < b.offset; });
  std::vector<TextSpan> joined;
  for (const auto& span : spans) {
    if (!joined.empty() && span.offset <= joined.back().offset + joined.back().length) {
      const std::size_t end =
          std::max(joined.back().offset + joined.back().length, span.offset + span.length);
      joined.back().length = end - joined.back().offset;
    } else {
      joined.push_back(span);
    }
  }
  spans = std::move(joined);
}

}  // namespace chatkeep::search

namespace chatkeep {

std::string mark_matches(const SearchHit& hit, std::string_view before, std::string_view after) {
  std::string out;
  std::size_t at = 0;
  for (const auto& span : hit.matches) {
    if (span.offset < at || span.offset + span.length > hit.found_in.size()) continue;
    out.append(hit.found_in, at, span.offset - at);
    out.append(before);
    out.append(hit.found_in, span.offset, span.length);
    out.append(after);
    at = span.offset + span.length;
  }
  out.append(hit.found_in, std::min(at, hit.found_in.size()));
  return out;
}

}  // namespace chatkeep

namespace chatkeep::search {

bool contains_folded(std::string_view text, std::string_view needle) {
  return find_folded(text, needle, 0) != std::string_view::npos;
}

}  // namespace chatkeep::search

#include "store/gaps.hpp"

#include <algorithm>

namespace chatkeep::store {

std::optional<std::string> page_cursor(const MessagePagination& page) {
  if (page.id_lt) return page.id_lt;
  if (page.id_lte) return page.id_lte;
  if (page.id_gt) return page.id_gt;
  if (page.id_gte) return page.id_gte;
  return page.id_around;
}

std::optional<Span> covered_span(const RecordPage& m, std::optional<std::int64_t> cursor_at) {
  if (m.page.limit && *m.page.limit <= 0) return std::nullopt;  // asked for no messages
  const auto& messages = m.messages;
  const bool empty = messages.empty();
  const std::int64_t first = empty ? 0 : messages.front().second.unix_micros();
  const std::int64_t last = empty ? 0 : messages.back().second.unix_micros();
  // A page shorter than its limit has reached the end of history on its open side.
  const bool full = !empty && messages.size() >= static_cast<std::size_t>(std::max<std::int64_t>(
                                                     m.page.limit.value_or(25), 1));
  if (m.page.id_around) {
    if (empty) return std::nullopt;
    return Span{first, last};
  }
  if (m.page.id_lt || m.page.id_lte) {
    if (!cursor_at && empty) return std::nullopt;
    return Span{full ? first : INT64_MIN, cursor_at ? *cursor_at : last};
  }
  if (m.page.id_gt || m.page.id_gte) {
    if (!cursor_at && empty) return std::nullopt;
    return Span{cursor_at ? *cursor_at : first, full ? last : INT64_MAX};
  }
  return Span{full ? first : INT64_MIN, INT64_MAX};
}

std::vector<Gap> without(const std::vector<Gap>& gaps, Span span) {
  std::vector<Gap> left;
  for (const auto& [after, before] : gaps) {
    if (before <= span.lo || after >= span.hi) {
      left.emplace_back(after, before);
      continue;
    }
    // Non-empty pieces only: some microsecond lies strictly inside.
    if (span.lo != INT64_MIN && after + 1 < span.lo) left.emplace_back(after, span.lo);
    if (span.hi != INT64_MAX && span.hi + 1 < before) left.emplace_back(span.hi, before);
  }
  std::sort(left.begin(), left.end());
  std::vector<Gap> merged;
  for (const auto& gap : left) {
    if (!merged.empty() && merged.back().first == gap.first) {
      merged.back().second = std::max(merged.back().second, gap.second);
    } else {
      merged.push_back(gap);
    }
  }
  return merged;
}

HistoryGap history_gap(const Gap& gap) {
  HistoryGap result;
  if (gap.first != INT64_MIN) result.after = Timestamp::from_unix_micros(gap.first);
  if (gap.second != INT64_MAX) result.before = Timestamp::from_unix_micros(gap.second);
  return result;
}

}  // namespace chatkeep::store

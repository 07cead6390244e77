#pragma once

// History gaps (persistence.hpp, RecordPage), the part both stores share: what a page of the
// server's proves complete, and what is left of the gaps once it does. Times are microseconds;
// the extremes of 64 bits stand for unbounded.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chatkeep/persistence.hpp"

namespace chatkeep::store {

// Messages created strictly between first and second may be missing.
using Gap = std::pair<std::int64_t, std::int64_t>;

// The span a page proves complete, closed at both ends.
struct Span {
  std::int64_t lo = INT64_MIN;
  std::int64_t hi = INT64_MAX;
};

// The id the page is relative to, if any.
std::optional<std::string> page_cursor(const MessagePagination& page);

// What the page covers, given when its cursor message was created (when it is stored); nothing
// when it proves nothing (a page around a message, empty).
std::optional<Span> covered_span(const RecordPage& page, std::optional<std::int64_t> cursor_at);

// `gaps` once `span` is known complete, in order, one per start (the widest).
std::vector<Gap> without(const std::vector<Gap>& gaps, Span span);

HistoryGap history_gap(const Gap& gap);

}  // namespace chatkeep::store

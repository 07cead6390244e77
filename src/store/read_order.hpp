#pragma once

// Which of two copies of a member's read of a channel a store keeps (persistence.hpp,
// UpsertReads). Reads arrive out of order: an answer to a query asked before a read mark, or
// before messages that were counted since, is stored after the events that moved the read on.
// A read moves forward only: its last_read never goes back, and between two reads its unread
// count only grows, so of two copies of the same read the larger count is the later one.

#include <optional>

#include "chatkeep/member.hpp"

namespace chatkeep::store {

// `given` unless `stored` is later: `stored` when its last_read is after `given`'s; `given`
// with the larger unread count of the two when they name the same last_read. Without both
// last_reads, `given`.
Read later_read(const std::optional<Read>& stored, Read given);

// A copy made before a truncation the store has applied: its count is of messages the truncation
// took. `stored` with last_read moved forward to `given`'s if later; without a stored read,
// `given` with nothing unread.
Read moved_forward(const std::optional<Read>& stored, Read given);

}  // namespace chatkeep::store

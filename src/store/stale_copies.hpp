#pragma once

// What a store keeps out because it knows of something newer than the copy (persistence.hpp:
// DeleteMembers.at, UpsertChannels' truncated_at). Copies without a version of their own arrive
// late (an answer written before an event, stored after it); these rules are shared by every
// store, so that they cannot drift apart.

#include <cstdint>
#include <optional>

#include "chatkeep/member.hpp"
#include "chatkeep/timestamp.hpp"

namespace chatkeep::store {

// Whether a copy of `member` was made after their departure at `departed` (microseconds): by its
// updated_at, else created_at. A copy without a time proves nothing.
inline bool made_after_departure(const Member& member, std::int64_t departed) {
  const auto& made = member.updated_at ? member.updated_at : member.created_at;
  return made && made->unix_micros() > departed;
}

// Whether the server's copy of a message created at `created_at` is one the channel's truncation
// at `truncated` took. Arrivals (message.new) are new by the server's word and always stored: a
// truncated_at from a server whose clock ran ahead would otherwise keep out every new message.
inline bool taken_by_truncation(bool arrived, const Timestamp& created_at,
                                const std::optional<Timestamp>& truncated) {
  return !arrived && truncated && created_at < *truncated;
}

// Whether reads that came with a copy of their channel truncated at `copy_truncated` were counted
// before the stored channel's truncation at `stored_truncated`.
inline bool counted_before_truncation(const std::optional<Timestamp>& copy_truncated,
                                      const std::optional<Timestamp>& stored_truncated) {
  return stored_truncated && (!copy_truncated || *copy_truncated < *stored_truncated);
}

}  // namespace chatkeep::store

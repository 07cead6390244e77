#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "chatkeep/persistence.hpp"

namespace chatkeep::state {

// What committed batches touched, as live lists and windows ask it: which channels, messages
// and users. Coarse on purpose (a list re-reads what was touched and compares), and never less
// than what changed: a mutation it cannot place marks everything.
struct Changes {
  bool everything = false;
  bool unread = false;  // the user's unread figures may have moved
  std::set<std::string> cids;
  std::set<std::string> message_ids;  // messages changed, and parents whose replies changed
  std::set<std::string> user_ids;
  // Channels whose history changed other than message by message (truncated, deleted, paged,
  // messages removed by channel or user): a window of theirs reads itself again.
  std::set<std::string> histories;
  // Per channel, the messages upserted: id and creation time (microseconds).
  std::map<std::string, std::vector<std::pair<std::string, std::int64_t>>> upserted;

  bool empty() const {
    return !everything && !unread && cids.empty() && message_ids.empty() && user_ids.empty();
  }
  void merge(Changes other);
};

// Outbox entries by id, so that an update or removal of one (which names only its id) marks
// the message it is about: its local_state changes.
using OutboxSubjects = std::map<std::int64_t, std::pair<std::string, std::string>>;

// The changes of one committed batch; `result` holds the ids of its new outbox entries.
Changes changes_of(const Batch& batch, const ApplyResult& result, OutboxSubjects& outbox);

}  // namespace chatkeep::state

#include "store/read_order.hpp"

#include <algorithm>

namespace chatkeep::store {

Read later_read(const std::optional<Read>& stored, Read given) {
  // Without both times there is no order to go by: the copy given is the latest known.
  if (!stored || !stored->last_read || !given.last_read) return given;
  if (*stored->last_read > *given.last_read) {
    Read kept = *stored;
    kept.user = std::move(given.user);  // the user as newly given
    return kept;
  }
  if (stored->last_read == given.last_read && stored->unread_messages &&
      (!given.unread_messages || *stored->unread_messages > *given.unread_messages)) {
    given.unread_messages = stored->unread_messages;
  }
  return given;
}

Read moved_forward(const std::optional<Read>& stored, Read given) {
  if (!stored) {
    given.unread_messages = 0;
    return given;
  }
  Read kept = *stored;
  kept.user = std::move(given.user);
  if (given.last_read && (!kept.last_read || *kept.last_read < *given.last_read)) {
    kept.last_read = given.last_read;
    kept.last_read_message_id = std::move(given.last_read_message_id);
  }
  return kept;
}

}  // namespace chatkeep::store

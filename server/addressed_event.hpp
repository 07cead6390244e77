#pragma once

#include <optional>
#include <string>

#include "chatkeep/event.hpp"

namespace chatkeep::server {

// An event and who receives it (protocol.md, "Events"): with `only_for`, every connection of
// that user (notifications about their membership, their own reads, channels they hid);
// without, the connections watching the event's channel, and for message.new the members who
// are not watching it, as notification.message_new.
struct AddressedEvent {
  Event event;
  std::optional<std::string> only_for;
  std::string frame;  // the event encoded, when already known (events from the log)
};

}  // namespace chatkeep::server

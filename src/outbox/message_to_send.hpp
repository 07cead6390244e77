#pragma once

// The message as a client sends it (protocol.md, "send message" and "update message"): the fields
// a sender may set (sender_settable), mentioned users as ids, custom fields at the root. It is
// what a send's or an edit's outbox entry holds, and a draft's.

#include <boost/json/object.hpp>

#include "chatkeep/message.hpp"

namespace chatkeep::outbox {

boost::json::object message_to_send(const Message& message);

}  // namespace chatkeep::outbox

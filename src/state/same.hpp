#pragma once

#include "chatkeep/channel_state.hpp"
#include "chatkeep/message.hpp"

namespace chatkeep::state {

// Whether two versions of an item look the same to the app: their JSON, and what is local only
// (local_state, local_error, the uploads of attachments). A live list sends an update otherwise.
bool same(const Message& a, const Message& b);
bool same(const ChannelState& a, const ChannelState& b);

}  // namespace chatkeep::state

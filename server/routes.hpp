#pragma once

#include "router.hpp"
#include "state.hpp"

namespace chatkeep::server {

// The REST routes of protocol.md, one function per resource.
void add_user_routes(Router& router, State& state);
// Channels and their messages.
void add_channel_routes(Router& router, State& state);
// Editing and deleting messages, reactions.
void add_message_routes(Router& router, State& state);
// POST /sync: the events a client missed.
void add_sync_routes(Router& router, State& state);

// Throws ChatError 403 (code 17) unless the user may use the channel: in messaging channels,
// only members may.
void require_member(State& state, const std::string& cid, const std::string& user_id);

}  // namespace chatkeep::server

#pragma once

#include "router.hpp"
#include "state.hpp"

namespace chatkeep::server {

// The REST routes of protocol.md, one function per resource.
void add_user_routes(Router& router, State& state);
// Channels and their messages.
void add_channel_routes(Router& router, State& state);

}  // namespace chatkeep::server

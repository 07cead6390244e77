#pragma once

// What an id may be (Stream's rules), checked on every route that creates one: a channel's type
// and id, a message's id, a user's id, a reaction's type. An id outside them could not be
// addressed later (a '/' splits a path), would make every later URL too long, or be empty.

#include <string_view>

namespace chatkeep::server {

enum class IdKind { channel_type, channel_id, message_id, user_id, reaction_type };

// Throws ChatError 400 (code 4) naming `field` unless `id` is a valid id of its kind.
void require_valid_id(IdKind kind, std::string_view id, std::string_view field);

}  // namespace chatkeep::server

#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "router.hpp"
#include "state.hpp"

namespace chatkeep::server {

// The REST routes of protocol.md, one function per resource.
// Users: upsert (server-side), query.
void add_user_routes(Router& router, State& state);
// Channels: query, get-or-create, update, delete, truncate, hide and show, members.
void add_channel_routes(Router& router, State& state);
// Messages: send, get, edit, delete, thread replies, reactions.
void add_message_routes(Router& router, State& state);
// What users do besides content: marking read, typing.
void add_activity_routes(Router& router, State& state);
// POST /sync: the events a client missed.
void add_sync_routes(Router& router, State& state);
void add_settings_routes(Router& router, State& state);
void add_draft_routes(Router& router, State& state);
// GET /search: the caller's messages found by text and filters.
void add_search_routes(Router& router, State& state);

// What the user may do in the channel (Stream's own_capabilities), by its type and the user's
// place in it: in `messaging` only members see it; other types anyone reads. Members write;
// a frozen channel takes no messages or reactions; its creator, while a member, also updates,
// freezes, truncates and deletes it and adds and removes members. The one source of both what
// the server reports and what it enforces.
std::set<std::string> capabilities(State& state, const Channel& channel,
                                   const std::string& user_id);
// Whether the user created the channel: its owner.
bool is_creator(const Channel& channel, const std::string& user_id);
// Throws ChatError 403 (code 17) unless `capability` is among the user's capabilities.
void require_capability(State& state, const Channel& channel, const std::string& user_id,
                        std::string_view capability);
// Throws ChatError 403 (code 17) unless the user may use the channel: in messaging channels,
// only members may.
void require_member(State& state, const std::string& cid, const std::string& user_id);
// Applies a partial update, {"set": {...}, "unset": [...]}, to an object's fields; `check` sees
// each field named first and throws to refuse it. ChatError code 4 when the body is malformed or
// names nothing.
void apply_partial_update(const boost::json::object& body, boost::json::object& fields,
                          const std::function<void(std::string_view)>& check);
// A message as its sender may give it (sender_settable: what the server owns is dropped from
// the request, never taken from it), checked against the channel (its id, its length, its
// mentions' ids, a quote of a message of the same channel), with mentioned users and the quote
// as the server has them. ChatError code 4 (or 20, too long) otherwise.
Message requested_message(State& state, const boost::json::object& fields, const Channel& channel);
// The channel as `me`'s queries filter and sort it (model::channel_document), for channel queries
// and searches alike.
boost::json::object channel_document(State& state, const Channel& channel, const std::string& me);
// The channel, if it exists (else 404, code 16) and the user may use it (else 403, code 17).
Channel usable_channel(State& state, const std::string& cid, const std::string& user_id);

}  // namespace chatkeep::server

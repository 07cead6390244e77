#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "chatkeep/uuid.hpp"
#include "ids.hpp"
#include "routes.hpp"

namespace chatkeep::server {
namespace {

namespace json = boost::json;

Message existing(State& state, const std::string& id) {
  auto message = state.message(id);
  if (!message) {
    throw ChatError(ErrorCode::not_found, fmt::format("message with id {} not found", id), 404);
  }
  return *message;
}

// The message, if it exists and the user may see its channel. One in a channel the user may
// not read is answered as missing: its id says nothing of what the user cannot see.
Message visible_message(State& state, const std::string& id, const std::string& user_id) {
  Message message = existing(state, id);
  try {
    require_member(state, *message.cid, user_id);
  } catch (const ChatError&) {
    throw ChatError(ErrorCode::not_found, fmt::format("message with id {} not found", id), 404);
  }
  return message;
}

// The capability `capability` in the message's channel.
void require_capability_for(State& state, const Message& message, const std::string& user_id,
                            std::string_view capability) {
  require_capability(state, usable_channel(state, *message.cid, user_id), user_id, capability);
}

// Only its author edits or deletes a message.
void require_author(const Message& message, const std::string& user_id) {
  if (!message.user || message.user->id != user_id) {
    throw ChatError(
        ErrorCode::not_allowed,
        fmt::format("user '{}' may not change message {} of another user", user_id, message.id),
        403);
  }
}

json::object answer(State& state, Message message, const std::string& me) {
  message.own_reactions = state.reactions_of(message.id, me);
  return json::object{{"message", to_json(message)}};
}

json::object object_member(const json::object& body, std::string_view name) {
  const json::value* value = body.if_contains(name);
  if (!value || !value->is_object()) {
    throw ChatError(ErrorCode::input, fmt::format("{}: required object", name), 400);
  }
  return value->as_object();
}

Response send_message(State& state, Request& request) {
  const std::string cid = make_cid(request.params[0], request.params[1]);
  const std::string me = *request.caller.user_id;
  json::object fields = object_member(request.json_body(), "message");
  if (!fields.contains("id")) fields["id"] = make_uuid_v4();  // Stream makes one when none is given
  const Channel channel = usable_channel(state, cid, me);
  Message message = requested_message(state, fields, channel);
  require_capability(state, channel, me, message.parent_id ? "send-reply" : "send-message");
  if (message.quoted_message_id) require_capability(state, channel, me, "quote-message");
  const Timestamp now = Timestamp::now();
  message.cid = cid;
  message.user = state.user(me).value_or(User{.id = me});
  message.type = shown_in_channel(message) ? "regular" : "reply";
  message.created_at = now;
  message.updated_at = now;
  if (!message.attachments) message.attachments = std::vector<Attachment>{};
  message.latest_reactions = std::vector<Reaction>{};
  message.own_reactions = std::vector<Reaction>{};
  message.reaction_counts = std::map<std::string, std::int64_t>{};
  message.reaction_scores = std::map<std::string, std::int64_t>{};
  message.reply_count = 0;
  if (!message.mentioned_users) message.mentioned_users = std::vector<User>{};
  message.silent = message.silent.value_or(false);
  message.shadowed = false;
  message.pinned = false;
  Message stored = state.insert_message(std::move(message));
  return Response{.body = {{"message", to_json(stored)}}};
}

// `old` with what its sender may set as `wanted` has it: what a full update leaves out is gone
// (as in Stream's full update); everything else stays as the server has it.
Message with_sender_fields(Message old, const Message& wanted) {
  old.text = wanted.text;
  old.attachments = wanted.attachments.value_or(std::vector<Attachment>{});
  old.mentioned_users = wanted.mentioned_users.value_or(std::vector<User>{});
  old.quoted_message_id = wanted.quoted_message_id;
  old.quoted_message = wanted.quoted_message;
  old.silent = wanted.silent.value_or(false);
  old.extra = wanted.extra;
  return old;
}

// POST /messages/{id}: the message as the author now wants it.
Response update_message(State& state, Request& request) {
  const std::string& id = request.params[0];
  const std::string me = *request.caller.user_id;
  json::object changes = object_member(request.json_body(), "message");
  if (const json::value* given = changes.if_contains("id");
      given && (!given->is_string() || given->as_string() != id)) {
    throw ChatError(ErrorCode::input, "message.id: does not match the message updated", 400);
  }
  changes["id"] = id;
  const Message old = visible_message(state, id, me);
  require_author(old, me);
  require_capability_for(state, old, me, "update-own-message");
  const Message wanted = requested_message(state, changes, usable_channel(state, *old.cid, me));
  return Response{.body =
                      answer(state, state.update_message(with_sender_fields(old, wanted), me), me)};
}

// PUT /messages/{id}: {"set": {...}, "unset": [...]} on what a sender may set, and the pin. The
// author or the channel's owner pins and unpins; everything else is the author's; what only the
// server sets, or what would move the message (its id, its thread), may not be named.
Response partial_update_message(State& state, Request& request) {
  const std::string& id = request.params[0];
  const std::string me = *request.caller.user_id;
  const Message old = visible_message(state, id, me);
  json::object fields = to_json(sender_settable(old)).as_object();
  bool pin_only = true;
  auto touch = [&](std::string_view field) {
    // pinned_at may be named (Stream's clients send it, null) but the server stamps it.
    const bool pin = field == "pinned" || field == "pin_expires" || field == "pinned_at";
    if (!pin && (!sender_may_set(field) || field == "id" || field == "parent_id" ||
                 field == "show_in_channel")) {
      throw ChatError(ErrorCode::input, fmt::format("{}: may not be changed", field), 400);
    }
    pin_only = pin_only && pin;
  };
  apply_partial_update(request.json_body(), fields, touch);
  if (!pin_only) {
    require_author(old, me);
    require_capability_for(state, old, me, "update-own-message");
  } else {
    // Pinning shows a message to everyone above the channel: its author's call, or the owner's.
    require_capability_for(state, old, me, "pin-message");
    const auto channel = state.channel(*old.cid);
    if ((!old.user || old.user->id != me) && !(channel && is_creator(*channel, me))) {
      throw ChatError(ErrorCode::not_allowed,
                      fmt::format("user '{}' may not pin message {} of another user", me, id), 403);
    }
  }
  const Message pin = from_json<Message>(fields);
  Message update = with_sender_fields(
      old, requested_message(state, fields, usable_channel(state, *old.cid, me)));
  update.pinned = fields.contains("pinned") ? pin.pinned : old.pinned;
  update.pin_expires = fields.contains("pin_expires") ? pin.pin_expires : old.pin_expires;
  return Response{.body = answer(state, state.update_message(update, me), me)};
}

Response delete_message(State& state, Request& request) {
  const std::string& id = request.params[0];
  const std::string me = *request.caller.user_id;
  const Message old = visible_message(state, id, me);
  auto flag = [&](const char* name) {
    auto found = request.query.find(name);
    return found != request.query.end() && (found->second == "true" || found->second == "1");
  };
  if (flag("delete_for_me")) {
    if (flag("hard")) {
      throw ChatError(ErrorCode::input, "hard and delete_for_me cannot be combined", 400);
    }
    return Response{.body = answer(state, state.delete_message_for(id, me), me)};
  }
  require_author(old, me);
  require_capability_for(state, old, me, "delete-own-message");
  return Response{.body = answer(state, state.delete_message(id, flag("hard"), me), me)};
}

// GET /messages/{id}/replies?limit=&id_lt=..: the thread, ascending (cursors as a channel's).
Response replies(State& state, Request& request) {
  const std::string me = *request.caller.user_id;
  const Message parent = visible_message(state, request.params[0], me);
  json::object cursors;
  for (const char* name : {"id_lt", "id_lte", "id_gt", "id_gte", "id_around"}) {
    if (auto given = request.query.find(name); given != request.query.end())
      cursors[name] = given->second;
  }
  if (auto limit = request.query.find("limit"); limit != request.query.end()) {
    std::int64_t n = 0;
    const auto [end, ec] =
        std::from_chars(limit->second.data(), limit->second.data() + limit->second.size(), n);
    if (ec != std::errc() || end != limit->second.data() + limit->second.size()) {
      throw ChatError(ErrorCode::input, "limit: expected a number", 400);
    }
    cursors["limit"] = n;
  }
  json::array out;
  for (auto& reply : state.messages(*parent.cid, from_json<MessagePagination>(cursors), me,
                                    parent.id, state.cleared_at(*parent.cid, me))) {
    reply.own_reactions = state.reactions_of(reply.id, me);
    out.push_back(to_json(reply));
  }
  return Response{.body = {{"messages", std::move(out)}}};
}

Response send_reaction(State& state, Request& request) {
  const std::string& id = request.params[0];
  const std::string me = *request.caller.user_id;
  const json::object body = request.json_body();
  Reaction reaction = from_json<Reaction>(object_member(body, "reaction"));
  require_valid_id(IdKind::reaction_type, reaction.type, "reaction.type");
  // Scores add up over every user's reaction: bounded, so that no sum can overflow.
  constexpr std::int64_t kMaxScore = 1'000'000;
  if (reaction.score && (*reaction.score < 1 || *reaction.score > kMaxScore)) {
    throw ChatError(ErrorCode::input, fmt::format("reaction.score: expected 1 to {}", kMaxScore),
                    400);
  }
  bool enforce_unique = false;
  if (const json::value* unique = body.if_contains("enforce_unique")) {
    if (!unique->is_bool())
      throw ChatError(ErrorCode::input, "enforce_unique: expected boolean", 400);
    enforce_unique = unique->as_bool();
  }
  require_capability_for(state, visible_message(state, id, me), me, "send-reaction");
  auto [stored, message] = state.add_reaction(id, me, std::move(reaction), enforce_unique);
  json::object out = answer(state, std::move(message), me);
  out["reaction"] = to_json(stored);
  return Response{.body = std::move(out)};
}

Response delete_reaction(State& state, Request& request) {
  const std::string me = *request.caller.user_id;
  require_capability_for(state, visible_message(state, request.params[0], me), me, "send-reaction");
  auto [removed, message] = state.remove_reaction(request.params[0], me, request.params[1]);
  json::object out = answer(state, std::move(message), me);
  out["reaction"] = to_json(removed);
  return Response{.body = std::move(out)};
}

// The length of UTF-8 text in characters (code points), as Stream counts a message's length.
std::int64_t characters(std::string_view text) {
  return std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // not a continuation byte
  });
}

}  // namespace

Message requested_message(State& state, const json::object& fields, const Channel& channel) {
  Message message = sender_settable(from_json<Message>(fields));
  require_valid_id(IdKind::message_id, message.id, "message.id");
  const auto max_length = channel.config ? channel.config->max_message_length : std::nullopt;
  if (max_length && message.text && characters(*message.text) > *max_length) {
    throw ChatError(ErrorCode::message_too_long,
                    fmt::format("message is longer than the channel's {} characters", *max_length),
                    400);
  }
  for (auto& user : message.mentioned_users.value_or(std::vector<User>{})) {
    require_valid_id(IdKind::user_id, user.id, "message.mentioned_users");
  }
  if (message.mentioned_users) {
    for (auto& user : *message.mentioned_users)
      user = state.user(user.id).value_or(User{.id = user.id});
  }
  if (message.quoted_message_id) {
    auto quoted = state.message(*message.quoted_message_id);
    // Only a message of the same channel, which the sender can therefore see.
    if (!quoted || quoted->cid != channel.cid) {
      throw ChatError(ErrorCode::input, "quoted_message_id: no such message in this channel", 400);
    }
    quoted->quoted_message.reset();  // one level, as Stream gives it
    message.quoted_message = std::make_shared<const Message>(std::move(*quoted));
  }
  return message;
}

void add_message_routes(Router& router, State& state) {
  router.add(http::verb::post, "/channels/{type}/{id}/message", Access::user,
             [&state](Request& r) { return send_message(state, r); });
  router.add(http::verb::get, "/messages/{id}", Access::user, [&state](Request& r) {
    const std::string me = *r.caller.user_id;
    return Response{.body = answer(state, visible_message(state, r.params[0], me), me)};
  });
  router.add(http::verb::post, "/messages/{id}", Access::user,
             [&state](Request& r) { return update_message(state, r); });
  router.add(http::verb::put, "/messages/{id}", Access::user,
             [&state](Request& r) { return partial_update_message(state, r); });
  router.add(http::verb::delete_, "/messages/{id}", Access::user,
             [&state](Request& r) { return delete_message(state, r); });
  router.add(http::verb::get, "/messages/{id}/replies", Access::user,
             [&state](Request& r) { return replies(state, r); });
  router.add(http::verb::post, "/messages/{id}/reaction", Access::user,
             [&state](Request& r) { return send_reaction(state, r); });
  router.add(http::verb::delete_, "/messages/{id}/reaction/{type}", Access::user,
             [&state](Request& r) { return delete_reaction(state, r); });
}

}  // namespace chatkeep::server

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "routes.hpp"

namespace chatkeep::server {
namespace {

namespace json = boost::json;

Message existing(State& state, const std::string& id) {
  auto message = state.message(id);
  if (!message) throw ChatError(ErrorCode::not_found, "message with id " + id + " not found", 404);
  return *message;
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

Response update_message(State& state, Request& request) {
  const std::string& id = request.params[0];
  const std::string me = *request.caller.user_id;
  const json::object body = request.json_body();
  const json::value* fields = body.if_contains("message");
  if (!fields || !fields->is_object()) throw ChatError(ErrorCode::input, "message: required", 400);
  json::object changes = fields->as_object();
  if (const json::value* given = changes.if_contains("id");
      given && (!given->is_string() || given->as_string() != id)) {
    throw ChatError(ErrorCode::input, "message.id: does not match the message updated", 400);
  }
  changes["id"] = id;
  Message update = from_json<Message>(changes);
  const Message old = existing(state, id);
  require_member(state, *old.cid, me);
  require_author(old, me);
  return Response{.body = answer(state, state.update_message(update, me), me)};
}

Response delete_message(State& state, Request& request) {
  const std::string& id = request.params[0];
  const std::string me = *request.caller.user_id;
  const Message old = existing(state, id);
  require_member(state, *old.cid, me);
  require_author(old, me);
  auto hard = request.query.find("hard");
  const bool is_hard =
      hard != request.query.end() && (hard->second == "true" || hard->second == "1");
  return Response{.body = answer(state, state.delete_message(id, is_hard, me), me)};
}

Response send_reaction(State& state, Request& request) {
  const std::string& id = request.params[0];
  const std::string me = *request.caller.user_id;
  const json::object body = request.json_body();
  const json::value* fields = body.if_contains("reaction");
  if (!fields || !fields->is_object()) throw ChatError(ErrorCode::input, "reaction: required", 400);
  Reaction reaction = from_json<Reaction>(*fields);
  bool enforce_unique = false;
  if (const json::value* unique = body.if_contains("enforce_unique")) {
    if (!unique->is_bool())
      throw ChatError(ErrorCode::input, "enforce_unique: expected boolean", 400);
    enforce_unique = unique->as_bool();
  }
  require_member(state, *existing(state, id).cid, me);
  auto [stored, message] = state.add_reaction(id, me, std::move(reaction), enforce_unique);
  json::object out = answer(state, std::move(message), me);
  out["reaction"] = to_json(stored);
  return Response{.body = std::move(out)};
}

Response delete_reaction(State& state, Request& request) {
  const std::string me = *request.caller.user_id;
  require_member(state, *existing(state, request.params[0]).cid, me);
  auto [removed, message] = state.remove_reaction(request.params[0], me, request.params[1]);
  json::object out = answer(state, std::move(message), me);
  out["reaction"] = to_json(removed);
  return Response{.body = std::move(out)};
}

}  // namespace

void add_message_routes(Router& router, State& state) {
  router.add(http::verb::post, "/messages/{id}", Access::user,
             [&state](Request& r) { return update_message(state, r); });
  router.add(http::verb::delete_, "/messages/{id}", Access::user,
             [&state](Request& r) { return delete_message(state, r); });
  router.add(http::verb::post, "/messages/{id}/reaction", Access::user,
             [&state](Request& r) { return send_reaction(state, r); });
  router.add(http::verb::delete_, "/messages/{id}/reaction/{type}", Access::user,
             [&state](Request& r) { return delete_reaction(state, r); });
}

}  // namespace chatkeep::server

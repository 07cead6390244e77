#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "routes.hpp"

namespace chatkeep::server {
namespace {

namespace json = boost::json;

// notification.mark_read for the user's own connections, which carries their new unread
// totals; with a cid for one channel, without for all.
AddressedEvent mark_read_notification(State& state, const std::string& user_id,
                                      const std::optional<std::string>& cid, Timestamp at) {
  Event event{.type = std::string(to_string(EventType::notification_mark_read)),
              .kind = EventType::notification_mark_read,
              .created_at = at,
              .user = state.user(user_id).value_or(User{.id = user_id})};
  if (cid) {
    event.cid = *cid;
    event.channel_type = cid->substr(0, cid->find(':'));
    event.channel_id = cid->substr(cid->find(':') + 1);
  }
  return {std::move(event), user_id};
}

// POST /channels/{type}/{id}/read: message.read for the watchers, notification.mark_read for
// the reader's other connections.
Response mark_read(State& state, Request& request) {
  const std::string cid = make_cid(request.params[0], request.params[1]);
  const std::string me = *request.caller.user_id;
  require_capability(state, usable_channel(state, cid, me), me, "read-events");
  const json::object body = request.json_body();
  std::optional<std::string> message_id;
  if (const json::value* id = body.if_contains("message_id")) {
    if (!id->is_string()) throw ChatError(ErrorCode::input, "message_id: expected string", 400);
    message_id = std::string(id->as_string());
  }
  const Timestamp at = State::read_time();
  Response response;
  response.body = {{"event", to_json(state.mark_read(cid, me, message_id, at))}};
  response.transient.push_back(mark_read_notification(state, me, cid, at));
  return response;
}

// POST /channels/read: every channel of the caller read, all at the one time the notification
// names (a client marks every read it has with it). Watchers hear of the channels that had
// something unread.
Response mark_all_read(State& state, Request& request) {
  const std::string me = *request.caller.user_id;
  (void)request.json_body();  // {} or nothing; anything else is refused
  const Timestamp at = State::read_time();
  for (const auto& cid : state.channels_of(me)) {
    if (state.unread(cid, me) > 0) {
      state.mark_read(cid, me, std::nullopt, at);
    } else {
      state.touch_read(cid, me, at);
    }
  }
  Response response;
  response.transient.push_back(mark_read_notification(state, me, std::nullopt, at));
  return response;
}

// POST /channels/{type}/{id}/event: typing.start / typing.stop, pushed to the channel's
// watchers and never stored.
Response send_event(State& state, Request& request) {
  const std::string cid = make_cid(request.params[0], request.params[1]);
  const std::string me = *request.caller.user_id;
  require_capability(state, usable_channel(state, cid, me), me, "typing-events");
  const json::object body = request.json_body();
  const json::value* given = body.if_contains("event");
  if (!given || !given->is_object()) throw ChatError(ErrorCode::input, "event: required", 400);
  const json::value* type = given->as_object().if_contains("type");
  if (!type || !type->is_string() ||
      (type->as_string() != "typing.start" && type->as_string() != "typing.stop")) {
    throw ChatError(ErrorCode::event_not_supported, "event type not supported", 400);
  }
  Event event{.type = std::string(type->as_string()),
              .kind = parse_event_type(type->as_string()),
              .created_at = Timestamp::now(),
              .cid = cid,
              .channel_type = request.params[0],
              .channel_id = request.params[1],
              .user = state.user(me).value_or(User{.id = me})};
  if (const json::value* parent = given->as_object().if_contains("parent_id");
      parent && parent->is_string()) {
    event.parent_id = std::string(parent->as_string());
  }
  Response response;
  response.body = {{"event", to_json(event)}};
  response.transient.push_back({std::move(event), std::nullopt});
  return response;
}

}  // namespace

void add_activity_routes(Router& router, State& state) {
  router.add(http::verb::post, "/channels/{type}/{id}/read", Access::user,
             [&state](Request& r) { return mark_read(state, r); });
  router.add(http::verb::post, "/channels/read", Access::user,
             [&state](Request& r) { return mark_all_read(state, r); });
  router.add(http::verb::post, "/channels/{type}/{id}/event", Access::user,
             [&state](Request& r) { return send_event(state, r); });
}

}  // namespace chatkeep::server

#include <fmt/format.h>

#include "chatkeep/channel_state.hpp"
#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "chatkeep/uuid.hpp"
#include "filter.hpp"
#include "routes.hpp"

namespace chatkeep::server {
namespace {

namespace json = boost::json;

// In `messaging` channels only members may look or write (protocol.md, chatkeep-server).
bool members_only(const std::string& type) {
  return type == "messaging";
}

std::vector<std::string> capabilities(bool member) {
  if (!member) return {"read-events"};
  return {"send-message",       "send-reaction",     "read-events", "typing-events",
          "send-reply",         "quote-message",     "pin-message", "upload-file",
          "delete-own-message", "update-own-message"};
}

// The channel, if it exists (404, code 16) and the user may use it (403, code 17).
Channel usable_channel(State& state, const std::string& cid, const std::string& user_id) {
  auto channel = state.channel(cid);
  if (!channel) {
    throw ChatError(ErrorCode::not_found, fmt::format("channel '{}' does not exist", cid), 404);
  }
  require_member(state, cid, user_id);
  return *channel;
}

// A member list in a request: ids, or objects with user_id.
std::vector<std::string> member_ids(const json::value* members) {
  std::vector<std::string> ids;
  if (!members) return ids;
  if (!members->is_array()) throw ChatError(ErrorCode::input, "data.members: expected array", 400);
  for (const auto& m : members->as_array()) {
    if (m.is_string()) {
      ids.emplace_back(m.as_string());
    } else if (const json::object* o = m.if_object();
               o && o->contains("user_id") && o->at("user_id").is_string()) {
      ids.emplace_back(o->at("user_id").as_string());
    } else {
      throw ChatError(ErrorCode::input, "data.members: expected user ids", 400);
    }
  }
  return ids;
}

// A channel's state as `me` sees it: the page of messages asked for, members, membership.
ChannelState state_for(State& state, const std::string& cid, const std::string& me,
                       const MessagePagination& page, const Pagination& member_page) {
  ChannelState result{.channel = *state.channel(cid)};
  result.channel.own_capabilities = capabilities(state.is_member(cid, me));
  result.messages = state.messages(cid, page);
  for (auto& message : *result.messages)
    message.own_reactions = state.reactions_of(message.id, me);
  result.pinned_messages = std::vector<Message>{};
  result.members =
      state.members(cid, std::clamp<std::int64_t>(member_page.limit.value_or(100), 0, 100),
                    std::max<std::int64_t>(member_page.offset.value_or(0), 0));
  for (const auto& member : *result.members) {
    if (member.id() == me) result.membership = member;
  }
  result.read = state.reads(cid);
  result.watcher_count = 0;
  return result;
}

// The channel as a document for filters and sorts: its JSON, its member ids, its creator's id,
// and last_updated.
json::object channel_document(State& state, const Channel& channel) {
  json::object doc = to_json(channel).as_object();
  json::array members;
  for (const auto& id : state.member_ids(channel.cid))
    members.emplace_back(id);
  doc["members"] = std::move(members);
  if (channel.created_by) doc["created_by_id"] = channel.created_by->id;
  const Timestamp updated = channel.updated_at.value_or(Timestamp());
  doc["last_updated"] = std::max(updated, channel.last_message_at.value_or(updated)).to_string();
  return doc;
}

// POST /channels (or GET with payload=): the caller's channels matching the filter, sorted, paged.
Response query_channels(State& state, Request& request, bool from_payload) {
  const std::string me = *request.caller.user_id;
  const QueryChannelsRequest query =
      from_json<QueryChannelsRequest>(from_payload ? request.json_payload() : request.json_body());
  const Sort sort = query.sort && !query.sort->empty()
                        ? *query.sort
                        : Sort{{.field = "last_updated", .direction = SortDirection::descending}};
  struct Candidate {
    Channel channel;
    json::object doc;
  };
  std::vector<Candidate> found;
  for (const auto& cid : state.visible_channels(me)) {
    Channel channel = *state.channel(cid);
    json::object doc = channel_document(state, channel);
    if (matches(query.filter_conditions.json(), doc))
      found.push_back({std::move(channel), std::move(doc)});
  }
  std::stable_sort(found.begin(), found.end(), [&](const Candidate& a, const Candidate& b) {
    for (const auto& option : sort) {
      const json::value* x = a.doc.if_contains(option.field);
      const json::value* y = b.doc.if_contains(option.field);
      const int order = x && y ? compare_values(*x, *y) : (x ? 1 : y ? -1 : 0);
      if (order != 0) return option.direction == SortDirection::ascending ? order < 0 : order > 0;
    }
    return a.channel.cid < b.channel.cid;
  });
  const auto offset = static_cast<std::size_t>(std::max<std::int64_t>(query.offset.value_or(0), 0));
  const auto limit =
      static_cast<std::size_t>(std::clamp<std::int64_t>(query.limit.value_or(10), 0, 30));
  MessagePagination page{.limit =
                             std::clamp<std::int64_t>(query.message_limit.value_or(25), 0, 300)};
  Pagination member_page{.limit = query.member_limit.value_or(100)};
  json::array channels;
  Response response;
  for (std::size_t i = offset; i < found.size() && i < offset + limit; ++i) {
    channels.push_back(to_json(state_for(state, found[i].channel.cid, me, page, member_page)));
    if (query.watch.value_or(false)) response.watch.push_back(found[i].channel.cid);
  }
  response.body = {{"channels", std::move(channels)}};
  return response;
}

// Get or create the channel, then answer with its state as the caller may see it.
Response query_channel(State& state, Request& request) {
  const std::string& type = request.params[0];
  const std::string& id = request.params[1];
  const std::string cid = make_cid(type, id);
  const std::string me = *request.caller.user_id;
  const json::object body = request.json_body();
  if (!state.channel(cid)) {
    const json::value* data_value = body.if_contains("data");
    json::object data =
        data_value && data_value->is_object() ? data_value->as_object() : json::object();
    const std::vector<std::string> members = member_ids(data.if_contains("members"));
    // Checked before anything is written: a refused creation leaves nothing behind.
    if (members_only(type) && std::find(members.begin(), members.end(), me) == members.end()) {
      throw ChatError(
          ErrorCode::not_allowed,
          fmt::format("user '{}' may not create channel '{}' without joining it", me, cid), 403);
    }
    data.erase("members");
    data["id"] = id;
    data["type"] = type;
    data["cid"] = cid;
    Channel channel = from_json<Channel>(data);
    channel.created_by = state.user(me).value_or(User{.id = me});
    state.get_or_create_channel(std::move(channel), members);
  }
  require_member(state, cid, me);

  MessagePagination page;
  if (const json::value* messages = body.if_contains("messages")) {
    page = from_json<MessagePagination>(*messages);
  }
  Pagination member_page;
  if (const json::value* members = body.if_contains("members")) {
    member_page = from_json<Pagination>(*members);
  }
  ChannelState result = state_for(state, cid, me, page, member_page);
  Response response{.body = to_json(result).as_object()};
  if (const json::value* watch = body.if_contains("watch");
      watch && watch->is_bool() && watch->as_bool()) {
    response.watch = {cid};
  }
  return response;
}

Response send_message(State& state, Request& request) {
  const std::string& type = request.params[0];
  const std::string cid = make_cid(type, request.params[1]);
  const std::string me = *request.caller.user_id;
  const json::object body = request.json_body();
  const json::value* message_value = body.if_contains("message");
  if (!message_value || !message_value->is_object()) {
    throw ChatError(ErrorCode::input, "message: required", 400);
  }
  json::object fields = message_value->as_object();
  if (!fields.contains("id")) fields["id"] = make_uuid_v4();  // Stream makes one when none is given
  Message message = from_json<Message>(fields);
  const Channel channel = usable_channel(state, cid, me);
  const auto max_length = channel.config ? channel.config->max_message_length : std::nullopt;
  if (max_length && message.text && static_cast<std::int64_t>(message.text->size()) > *max_length) {
    throw ChatError(ErrorCode::message_too_long,
                    fmt::format("message is longer than the channel's {} characters", *max_length),
                    400);
  }
  const Timestamp now = Timestamp::now();
  message.cid = cid;
  message.user = state.user(me).value_or(User{.id = me});
  message.type =
      message.parent_id && !message.show_in_channel.value_or(false) ? "reply" : "regular";
  message.created_at = now;
  message.updated_at = now;
  if (!message.attachments) message.attachments = std::vector<Attachment>{};
  message.latest_reactions = std::vector<Reaction>{};
  message.own_reactions = std::vector<Reaction>{};
  message.reaction_counts = std::map<std::string, std::int64_t>{};
  message.reaction_scores = std::map<std::string, std::int64_t>{};
  message.reply_count = 0;
  if (message.mentioned_users) {
    for (auto& user : *message.mentioned_users)
      user = state.user(user.id).value_or(user);
  } else {
    message.mentioned_users = std::vector<User>{};
  }
  message.silent = message.silent.value_or(false);
  message.shadowed = false;
  message.pinned = false;
  Message stored = state.insert_message(std::move(message));
  return Response{.body = {{"message", to_json(stored)}}};
}

Response get_message(State& state, Request& request) {
  auto message = state.message(request.params[0]);
  if (!message) {
    throw ChatError(ErrorCode::not_found,
                    fmt::format("message with id {} not found", request.params[0]), 404);
  }
  require_member(state, *message->cid, *request.caller.user_id);
  message->own_reactions = state.reactions_of(message->id, *request.caller.user_id);
  return Response{.body = {{"message", to_json(*message)}}};
}

}  // namespace

void require_member(State& state, const std::string& cid, const std::string& user_id) {
  if (members_only(cid.substr(0, cid.find(':'))) && !state.is_member(cid, user_id)) {
    throw ChatError(ErrorCode::not_allowed,
                    fmt::format("user '{}' is not allowed to access channel '{}'", user_id, cid),
                    403);
  }
}

void add_channel_routes(Router& router, State& state) {
  router.add(http::verb::post, "/channels", Access::user,
             [&state](Request& r) { return query_channels(state, r, false); });
  router.add(http::verb::get, "/channels", Access::user,
             [&state](Request& r) { return query_channels(state, r, true); });
  router.add(http::verb::post, "/channels/{type}/{id}/query", Access::user,
             [&state](Request& r) { return query_channel(state, r); });
  router.add(http::verb::post, "/channels/{type}/{id}/message", Access::user,
             [&state](Request& r) { return send_message(state, r); });
  // Update a channel: {"data": {...}}, {"add_members": [...]} or {"remove_members": [...]}.
  router.add(http::verb::post, "/channels/{type}/{id}", Access::user, [&state](Request& r) {
    const std::string cid = make_cid(r.params[0], r.params[1]);
    const std::string me = *r.caller.user_id;
    (void)usable_channel(state, cid, me);
    const json::object body = r.json_body();
    const json::value* data = body.if_contains("data");
    if (data && !data->is_object()) throw ChatError(ErrorCode::input, "data: expected object", 400);
    // Everything is checked before anything changes.
    const auto add = member_ids(body.if_contains("add_members"));
    const auto remove = member_ids(body.if_contains("remove_members"));
    if (add.empty() && remove.empty() && !data) {
      throw ChatError(ErrorCode::input, "expected data, add_members or remove_members", 400);
    }
    if (data) state.update_channel_data(cid, data->as_object(), me);
    if (!add.empty()) state.add_members(cid, add, me);
    if (!remove.empty()) state.remove_members(cid, remove, me);
    json::array members;
    for (const auto& m : state.members(cid, 100, 0))
      members.push_back(to_json(m));
    Response response;
    response.body = {{"channel", to_json(*state.channel(cid))}, {"members", std::move(members)}};
    return response;
  });
  // Typing (protocol.md): pushed to the channel's watchers, never stored.
  router.add(http::verb::post, "/channels/{type}/{id}/event", Access::user, [&state](Request& r) {
    const std::string cid = make_cid(r.params[0], r.params[1]);
    const std::string me = *r.caller.user_id;
    (void)usable_channel(state, cid, me);
    const json::object body = r.json_body();
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
                .channel_type = r.params[0],
                .channel_id = r.params[1],
                .user = state.user(me).value_or(User{.id = me})};
    if (const json::value* parent = given->as_object().if_contains("parent_id");
        parent && parent->is_string()) {
      event.parent_id = std::string(parent->as_string());
    }
    Response response;
    response.transient.push_back(to_json(event).as_object());
    response.body = {{"event", response.transient.back()}};
    return response;
  });
  router.add(http::verb::post, "/channels/{type}/{id}/stop-watching", Access::user,
             [&state](Request& r) {
               const std::string cid = make_cid(r.params[0], r.params[1]);
               (void)usable_channel(state, cid, *r.caller.user_id);
               Response response;
               response.unwatch.push_back(cid);
               return response;
             });
  router.add(http::verb::post, "/channels/{type}/{id}/read", Access::user, [&state](Request& r) {
    const std::string cid = make_cid(r.params[0], r.params[1]);
    const std::string me = *r.caller.user_id;
    (void)usable_channel(state, cid, me);
    const json::object body = r.json_body();
    std::optional<std::string> message_id;
    if (const json::value* id = body.if_contains("message_id")) {
      if (!id->is_string()) throw ChatError(ErrorCode::input, "message_id: expected string", 400);
      message_id = std::string(id->as_string());
    }
    Response response;
    response.body = {{"event", to_json(state.mark_read(cid, me, message_id))}};
    return response;
  });
  router.add(http::verb::get, "/messages/{id}", Access::user,
             [&state](Request& r) { return get_message(state, r); });
}

}  // namespace chatkeep::server

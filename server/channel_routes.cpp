#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "chatkeep/channel_state.hpp"
#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "crypto/sha256.hpp"
#include "filter.hpp"
#include "ids.hpp"
#include "routes.hpp"

namespace chatkeep::server {
namespace {

namespace json = boost::json;

// In `messaging` channels only members may look or write (protocol.md, chatkeep-server).
bool members_only(const std::string& type) {
  return type == "messaging";
}

// A member list in a request: ids, or objects with user_id.
std::vector<std::string> member_ids(const json::value* members, std::string_view name) {
  std::vector<std::string> ids;
  if (!members) return ids;
  if (!members->is_array())
    throw ChatError(ErrorCode::input, fmt::format("{}: expected array", name), 400);
  for (const auto& m : members->as_array()) {
    if (m.is_string()) {
      ids.emplace_back(m.as_string());
    } else if (const json::object* o = m.if_object();
               o && o->contains("user_id") && o->at("user_id").is_string()) {
      ids.emplace_back(o->at("user_id").as_string());
    } else {
      throw ChatError(ErrorCode::input, fmt::format("{}: expected user ids", name), 400);
    }
  }
  return ids;
}

// A channel's state as `me` sees it: the page of messages asked for (none from before they
// cleared the history), pinned messages, members, membership, reads.
ChannelState state_for(State& state, Channel channel, const std::string& me,
                       const MessagePagination& page, const Pagination& member_page) {
  const std::string cid = channel.cid;
  ChannelState result{.channel = std::move(channel)};
  const bool member = state.is_member(cid, me);
  const auto granted = capabilities(state, result.channel, me);
  result.channel.own_capabilities = std::vector<std::string>(granted.begin(), granted.end());
  if (member) result.channel.hidden = state.hidden(cid, me);
  result.messages = state.messages(cid, page, me, std::nullopt, state.cleared_at(cid, me));
  for (auto& message : *result.messages)
    message.own_reactions = state.reactions_of(message.id, me);
  result.pinned_messages = state.pinned_messages(cid, 25);
  for (auto& message : *result.pinned_messages)
    message.own_reactions = state.reactions_of(message.id, me);
  result.members =
      state.members(cid, std::clamp<std::int64_t>(member_page.limit.value_or(100), 0, 100),
                    std::max<std::int64_t>(member_page.offset.value_or(0), 0));
  for (const auto& member_row : *result.members) {
    if (member_row.id() == me) result.membership = member_row;
  }
  result.read = state.reads(cid);
  result.watcher_count = 0;
  return result;
}

// POST /channels (or GET with payload=): the caller's channels matching the filter, sorted, paged.
// Channels the caller hid are left out unless the filter asks about `hidden`.
Response query_channels(State& state, Request& request, bool from_payload) {
  const std::string me = *request.caller.user_id;
  const QueryChannelsRequest query =
      from_json<QueryChannelsRequest>(from_payload ? request.json_payload() : request.json_body());
  const Sort sort = model::channel_sort(query.sort.value_or(Sort{}));
  const Filter filter = model::channel_filter(query.filter_conditions);
  std::vector<Channel> visible;
  std::vector<json::object> docs;
  for (const auto& cid : state.visible_channels(me)) {
    visible.push_back(*state.channel(cid));
    docs.push_back(channel_document(state, visible.back(), me));
  }
  const auto offset = static_cast<std::size_t>(std::max<std::int64_t>(query.offset.value_or(0), 0));
  const auto limit =
      static_cast<std::size_t>(std::clamp<std::int64_t>(query.limit.value_or(10), 0, 30));
  MessagePagination page{.limit =
                             std::clamp<std::int64_t>(query.message_limit.value_or(25), 0, 300)};
  Pagination member_page{.limit = query.member_limit.value_or(100)};
  json::array channels;
  Response response;
  for (std::size_t i : model::select(docs, filter, sort, offset, limit)) {
    if (query.watch.value_or(false)) response.watch.push_back(visible[i].cid);
    channels.push_back(to_json(state_for(state, std::move(visible[i]), me, page, member_page)));
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
  std::optional<Channel> channel = state.channel(cid);
  if (!channel) {
    require_valid_id(IdKind::channel_type, type, "type");
    require_valid_id(IdKind::channel_id, id, "id");
    const json::value* data_value = body.if_contains("data");
    json::object data =
        data_value && data_value->is_object() ? data_value->as_object() : json::object();
    const std::vector<std::string> members =
        member_ids(data.if_contains("members"), "data.members");
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
    Channel created = from_json<Channel>(data);
    created.created_by = state.user(me).value_or(User{.id = me});
    channel = state.get_or_create_channel(std::move(created), members);
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
  ChannelState result = state_for(state, std::move(*channel), me, page, member_page);
  Response response{.body = to_json(result).as_object()};
  if (const json::value* watch = body.if_contains("watch");
      watch && watch->is_bool() && watch->as_bool()) {
    response.watch = {cid};
  }
  return response;
}

// POST /channels/{type}/query: the one channel of exactly these members (Stream's distinct
// channels), its id derived from the sorted member ids.
Response query_distinct_channel(State& state, Request& request) {
  const json::object body = request.json_body();
  const json::value* data = body.if_contains("data");
  std::vector<std::string> members =
      member_ids(data && data->is_object() ? data->as_object().if_contains("members") : nullptr,
                 "data.members");
  if (members.empty()) {
    throw ChatError(ErrorCode::input, "data.members: required for a channel without an id", 400);
  }
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  std::string joined;
  for (const auto& id : members)
    joined += id + ',';
  request.params = {request.params[0], "!members-" + crypto::sha256_hex(joined).substr(0, 40)};
  return query_channel(state, request);
}

json::object channel_and_members(State& state, const std::string& cid) {
  json::array members;
  for (const auto& m : state.members(cid, 100, 0))
    members.push_back(to_json(m));
  return {{"channel", to_json(*state.channel(cid))}, {"members", std::move(members)}};
}

// What a change of the channel's data needs: update-channel, and freeze-channel when it
// changes whether the channel is frozen.
void require_data_change(State& state, const Channel& channel, const std::string& me,
                         const json::object& data) {
  require_capability(state, channel, me, "update-channel");
  if (const json::value* frozen = data.if_contains("frozen");
      frozen && *frozen != json::value(channel.frozen.value_or(false))) {
    require_capability(state, channel, me, "freeze-channel");
  }
}

// Whether the body's `name` is true; ChatError (400) when it is there and not a boolean.
bool flag(const json::object& body, std::string_view name) {
  const json::value* v = body.if_contains(name);
  if (!v) return false;
  if (!v->is_bool()) {
    throw ChatError(ErrorCode::input, fmt::format("{}: expected boolean", name), 400);
  }
  return v->as_bool();
}

// POST /channels/{type}/{id}: {"data": {...}}, {"add_members": [...]}, {"remove_members": [...]},
// {"invites": [...]}, or a member's {"accept_invite": true} or {"reject_invite": true}.
Response update_channel(State& state, Request& request) {
  const std::string cid = make_cid(request.params[0], request.params[1]);
  const std::string me = *request.caller.user_id;
  const Channel channel = usable_channel(state, cid, me);
  const json::object body = request.json_body();
  const json::value* data = body.if_contains("data");
  if (data && !data->is_object()) throw ChatError(ErrorCode::input, "data: expected object", 400);
  const auto add = member_ids(body.if_contains("add_members"), "add_members");
  const auto remove = member_ids(body.if_contains("remove_members"), "remove_members");
  const auto invites = member_ids(body.if_contains("invites"), "invites");
  const bool accept = flag(body, "accept_invite"), reject = flag(body, "reject_invite");
  if (accept && reject) {
    throw ChatError(ErrorCode::input, "accept_invite and reject_invite: one at a time", 400);
  }
  if (accept || reject) {
    if (data || !add.empty() || !remove.empty() || !invites.empty()) {
      throw ChatError(ErrorCode::input, "an invite's answer goes alone", 400);
    }
    if (!state.is_member(cid, me)) {
      throw ChatError(ErrorCode::not_allowed, "only an invited member answers an invite", 403);
    }
    state.answer_invite(cid, me, accept);
    return Response{.body = channel_and_members(state, cid)};
  }
  if (add.empty() && remove.empty() && invites.empty() && !data) {
    throw ChatError(ErrorCode::input, "expected data, add_members, remove_members or invites", 400);
  }
  // All checked before anything is written.
  if (data) require_data_change(state, channel, me, data->as_object());
  if (!add.empty() || !invites.empty()) {
    require_capability(state, channel, me, "update-channel-members");
  }
  for (const auto& id : add)
    require_valid_id(IdKind::user_id, id, "add_members");
  for (const auto& id : invites)
    require_valid_id(IdKind::user_id, id, "invites");
  if (!remove.empty()) {
    const bool only_me =
        std::all_of(remove.begin(), remove.end(), [&](const std::string& id) { return id == me; });
    require_capability(state, channel, me, only_me ? "leave-channel" : "update-channel-members");
  }
  if (data) state.update_channel_data(cid, data->as_object(), me);
  if (!add.empty()) state.add_members(cid, add, me);
  if (!invites.empty()) state.invite_members(cid, invites, me);
  if (!remove.empty()) state.remove_members(cid, remove, me);
  return Response{.body = channel_and_members(state, cid)};
}

// PATCH /channels/{type}/{id}: {"set": {...}, "unset": [...]} on the channel's own data.
Response patch_channel(State& state, Request& request) {
  const std::string cid = make_cid(request.params[0], request.params[1]);
  const std::string me = *request.caller.user_id;
  const Channel channel = usable_channel(state, cid, me);
  json::object data = to_json(channel).as_object();
  // Fields the server keeps are dropped by update_channel_data whatever the caller says.
  apply_partial_update(request.json_body(), data, [](std::string_view) {});
  require_data_change(state, channel, me, data);
  state.update_channel_data(cid, data, me);
  return Response{.body = channel_and_members(state, cid)};
}

void add_channel_admin_routes(Router& router, State& state) {
  router.add(http::verb::delete_, "/channels/{type}/{id}", Access::user, [&state](Request& r) {
    const std::string cid = make_cid(r.params[0], r.params[1]);
    const std::string me = *r.caller.user_id;
    require_capability(state, usable_channel(state, cid, me), me, "delete-channel");
    return Response{.body = {{"channel", to_json(state.delete_channel(cid, me))}}};
  });
  router.add(http::verb::post, "/channels/{type}/{id}/truncate", Access::user,
             [&state](Request& r) {
               const std::string cid = make_cid(r.params[0], r.params[1]);
               const std::string me = *r.caller.user_id;
               require_capability(state, usable_channel(state, cid, me), me, "truncate-channel");
               return Response{.body = {{"channel", to_json(state.truncate_channel(cid, me))}}};
             });
  // Hiding is a member's own view of the channel.
  router.add(http::verb::post, "/channels/{type}/{id}/hide", Access::user, [&state](Request& r) {
    const std::string cid = make_cid(r.params[0], r.params[1]);
    const std::string me = *r.caller.user_id;
    (void)usable_channel(state, cid, me);
    if (!state.is_member(cid, me)) {
      throw ChatError(ErrorCode::not_allowed, "only members may hide a channel", 403);
    }
    const json::object body = r.json_body();
    bool clear_history = false;
    if (const json::value* clear = body.if_contains("clear_history")) {
      if (!clear->is_bool())
        throw ChatError(ErrorCode::input, "clear_history: expected boolean", 400);
      clear_history = clear->as_bool();
    }
    state.hide_channel(cid, me, clear_history);
    return Response{};
  });
  router.add(http::verb::post, "/channels/{type}/{id}/show", Access::user, [&state](Request& r) {
    const std::string cid = make_cid(r.params[0], r.params[1]);
    const std::string me = *r.caller.user_id;
    (void)usable_channel(state, cid, me);
    if (!state.is_member(cid, me)) {
      throw ChatError(ErrorCode::not_allowed, "only members may show a channel", 403);
    }
    state.show_channel(cid, me);
    return Response{};
  });
}

// GET /members?payload={type, id, filter_conditions, sort, limit, offset}: a channel's members
// as documents of their member fields over their user's, with `id` the user's id.
Response query_members(State& state, Request& request) {
  const json::object payload = request.json_payload();
  const json::value* type = payload.if_contains("type");
  const json::value* id = payload.if_contains("id");
  if (!type || !type->is_string() || !id || !id->is_string()) {
    throw ChatError(ErrorCode::input, "type and id: required strings", 400);
  }
  const std::string cid = make_cid(type->as_string(), id->as_string());
  (void)usable_channel(state, cid, *request.caller.user_id);
  const DocumentQuery query = read_document_query(
      payload, Sort{{.field = "created_at", .direction = SortDirection::ascending}}, 100, 300);
  const std::vector<Member> members = state.members(cid, INT64_MAX, 0);
  std::vector<json::object> docs;
  for (const auto& member : members) {
    json::object doc = member.user ? to_json(*member.user).as_object() : json::object();
    const json::value fields = to_json(member);
    for (const auto& [field, value] : fields.as_object())
      doc[field] = value;
    doc["id"] = member.id();
    docs.push_back(std::move(doc));
  }
  json::array out;
  for (std::size_t i : model::select(docs, query.filter, query.sort, query.offset, query.limit))
    out.push_back(to_json(members[i]));
  return Response{.body = {{"members", std::move(out)}}};
}

}  // namespace

// The channel as `me`'s queries filter and sort it. chatkeep-server keeps no pinned channels.
boost::json::object channel_document(State& state, const Channel& channel, const std::string& me) {
  return model::channel_document(channel, {.member_ids = state.member_ids(channel.cid),
                                           .hidden = state.hidden(channel.cid, me),
                                           .unread_count = state.unread(channel.cid, me)});
}

bool is_creator(const Channel& channel, const std::string& user_id) {
  return channel.created_by && channel.created_by->id == user_id;
}

std::set<std::string> capabilities(State& state, const Channel& channel,
                                   const std::string& user_id) {
  if (!state.is_member(channel.cid, user_id)) {
    if (members_only(channel.type)) return {};
    return {"read-events"};  // open types: anyone reads, members write
  }
  std::set<std::string> granted{"read-events",        "typing-events", "quote-message",
                                "pin-message",        "upload-file",   "delete-own-message",
                                "update-own-message", "leave-channel"};
  if (!channel.frozen.value_or(false))
    granted.insert({"send-message", "send-reply", "send-reaction"});
  if (is_creator(channel, user_id)) {
    granted.insert({"update-channel", "update-channel-members", "delete-channel",
                    "truncate-channel", "freeze-channel"});
  }
  return granted;
}

void require_capability(State& state, const Channel& channel, const std::string& user_id,
                        std::string_view capability) {
  if (!capabilities(state, channel, user_id).contains(std::string(capability))) {
    throw ChatError(
        ErrorCode::not_allowed,
        fmt::format("user '{}' may not {} in channel '{}'", user_id, capability, channel.cid), 403);
  }
}

void require_member(State& state, const std::string& cid, const std::string& user_id) {
  if (members_only(cid.substr(0, cid.find(':'))) && !state.is_member(cid, user_id)) {
    throw ChatError(ErrorCode::not_allowed,
                    fmt::format("user '{}' is not allowed to access channel '{}'", user_id, cid),
                    403);
  }
}

Channel usable_channel(State& state, const std::string& cid, const std::string& user_id) {
  auto channel = state.channel(cid);
  if (!channel) {
    throw ChatError(ErrorCode::not_found, fmt::format("channel '{}' does not exist", cid), 404);
  }
  require_member(state, cid, user_id);
  return *channel;
}

void add_channel_routes(Router& router, State& state) {
  router.add(http::verb::post, "/channels", Access::user,
             [&state](Request& r) { return query_channels(state, r, false); });
  router.add(http::verb::get, "/channels", Access::user,
             [&state](Request& r) { return query_channels(state, r, true); });
  router.add(http::verb::post, "/channels/{type}/query", Access::user,
             [&state](Request& r) { return query_distinct_channel(state, r); });
  router.add(http::verb::post, "/channels/{type}/{id}/query", Access::user,
             [&state](Request& r) { return query_channel(state, r); });
  router.add(http::verb::post, "/channels/{type}/{id}", Access::user,
             [&state](Request& r) { return update_channel(state, r); });
  router.add(http::verb::patch, "/channels/{type}/{id}", Access::user,
             [&state](Request& r) { return patch_channel(state, r); });
  add_channel_admin_routes(router, state);
  router.add(http::verb::post, "/channels/{type}/{id}/stop-watching", Access::user,
             [&state](Request& r) {
               const std::string cid = make_cid(r.params[0], r.params[1]);
               (void)usable_channel(state, cid, *r.caller.user_id);
               Response response;
               response.unwatch.push_back(cid);
               return response;
             });
  router.add(http::verb::get, "/members", Access::user,
             [&state](Request& r) { return query_members(state, r); });
}

}  // namespace chatkeep::server

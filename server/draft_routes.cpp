// Drafts (protocol.md, "More endpoints"): POST, GET and DELETE /channels/{type}/{id}/draft
// (`parent_id` in the query for a thread's), and POST /drafts/query. A draft is its user's
// alone, in a channel they may write in; its message is checked as a sent one would be.

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "chatkeep/uuid.hpp"
#include "routes.hpp"

namespace chatkeep::server {
namespace {

namespace json = boost::json;

std::string parent_of(const Request& r) {
  auto found = r.query.find("parent_id");
  return found == r.query.end() ? std::string() : found->second;
}

// The channel, which the caller must be a member of to keep a draft in.
Channel draft_channel(State& state, const Request& r) {
  const std::string cid = make_cid(r.params[0], r.params[1]);
  const std::string& me = *r.caller.user_id;
  Channel channel = usable_channel(state, cid, me);
  if (!state.is_member(cid, me)) {
    throw ChatError(ErrorCode::not_allowed,
                    fmt::format("user '{}' is not a member of channel '{}'", me, cid), 403);
  }
  return channel;
}

Response save(State& state, Request& r) {
  const Channel channel = draft_channel(state, r);
  const json::object body = r.json_body();
  const json::value* given = body.if_contains("message");
  if (!given || !given->is_object()) {
    throw ChatError(ErrorCode::input, "message: required object", 400);
  }
  json::object fields = given->as_object();
  if (!fields.contains("id")) fields["id"] = make_uuid_v4();
  const Message message = requested_message(state, fields, channel);
  if (message.parent_id) {
    auto parent = state.message(*message.parent_id);
    if (!parent || parent->cid != channel.cid) {
      throw ChatError(ErrorCode::input, "message.parent_id: no such message in this channel", 400);
    }
  }
  return Response{.body = {{"draft", state.save_draft(*r.caller.user_id, channel.cid, message)}}};
}

}  // namespace

void add_draft_routes(Router& router, State& state) {
  router.add(http::verb::post, "/channels/{type}/{id}/draft", Access::user,
             [&state](Request& r) { return save(state, r); });
  router.add(http::verb::get, "/channels/{type}/{id}/draft", Access::user, [&state](Request& r) {
    const Channel channel = draft_channel(state, r);
    auto found = state.draft(*r.caller.user_id, channel.cid, parent_of(r));
    if (!found) throw ChatError(ErrorCode::not_found, "no draft", 404);
    return Response{.body = {{"draft", std::move(*found)}}};
  });
  router.add(http::verb::delete_, "/channels/{type}/{id}/draft", Access::user,
             [&state](Request& r) {
               const Channel channel = draft_channel(state, r);
               state.delete_draft(*r.caller.user_id, channel.cid, parent_of(r));
               return Response{};
             });
  // {"filter"?: {"channel_cid": cid | {"$in": [cids]}}, "limit"?: n}.
  router.add(http::verb::post, "/drafts/query", Access::user, [&state](Request& r) {
    const json::object body = r.json_body();
    std::vector<std::string> cids;
    if (const json::value* filter = body.if_contains("filter"); filter && !filter->is_null()) {
      const json::value* cid =
          filter->is_object() ? filter->as_object().if_contains("channel_cid") : nullptr;
      const json::value* in =
          cid && cid->is_object() ? cid->as_object().if_contains("$in") : nullptr;
      if (cid && cid->is_string()) {
        cids.emplace_back(cid->as_string());
      } else if (in && in->is_array()) {
        for (const auto& c : in->as_array())
          if (c.is_string()) cids.emplace_back(c.as_string());
      } else if (!filter->is_object() || !filter->as_object().empty()) {
        throw ChatError(ErrorCode::input, "filter: only channel_cid is supported", 400);
      }
    }
    std::int64_t limit = 10;
    if (const json::value* n = body.if_contains("limit"); n && !n->is_null()) {
      if (!n->is_int64() || n->as_int64() < 1 || n->as_int64() > 100) {
        throw ChatError(ErrorCode::input, "limit: expected 1 to 100", 400);
      }
      limit = n->as_int64();
    }
    json::array out;
    for (auto& d : state.drafts(*r.caller.user_id, cids, limit))
      out.push_back(std::move(d));
    return Response{.body = {{"drafts", std::move(out)}}};
  });
}

}  // namespace chatkeep::server

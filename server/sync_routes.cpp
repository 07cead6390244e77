#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "routes.hpp"

namespace chatkeep::server {
namespace {

namespace json = boost::json;

// Stream's limits on /sync (protocol.md): all three answer HTTP 400 with code 4.
constexpr std::size_t kMaxChannels = 255;
constexpr std::size_t kMaxEvents = 2000;
constexpr std::int64_t kMaxAgeSeconds = 30 * 24 * 3600;

Response sync(State& state, Request& request) {
  const std::string me = *request.caller.user_id;
  const json::object body = request.json_body();
  const json::value* cids_value = body.if_contains("channel_cids");
  const json::value* since_value = body.if_contains("last_sync_at");
  if (!cids_value || !cids_value->is_array()) {
    throw ChatError(ErrorCode::input, "channel_cids: expected an array", 400);
  }
  if (!since_value || !since_value->is_string()) {
    throw ChatError(ErrorCode::input, "last_sync_at: expected a time", 400);
  }
  const auto since = Timestamp::parse(std::string(since_value->as_string()));
  if (!since) throw ChatError(ErrorCode::input, "last_sync_at: expected an RFC 3339 time", 400);
  if (cids_value->as_array().size() > kMaxChannels) {
    throw ChatError(ErrorCode::input,
                    fmt::format("channel_cids: at most {} channels per request", kMaxChannels),
                    400);
  }
  if (Timestamp::now().unix_seconds() - since->unix_seconds() > kMaxAgeSeconds) {
    throw ChatError(ErrorCode::input,
                    "Too old last_sync_at time, please use a more recent last_sync_at parameter",
                    400);
  }
  std::vector<std::string> cids;
  for (const auto& cid : cids_value->as_array()) {
    if (!cid.is_string()) throw ChatError(ErrorCode::input, "channel_cids: expected strings", 400);
    cids.emplace_back(cid.as_string());
    require_member(state, cids.back(), me);
  }
  std::vector<Event> events = state.events_since(cids, me, *since, kMaxEvents);
  if (events.size() > kMaxEvents) {
    throw ChatError(ErrorCode::input,
                    "Too many events to sync, please use a more recent last_sync_at parameter",
                    400);
  }
  json::array out;
  out.reserve(events.size());
  for (const auto& event : events)
    out.push_back(to_json(event));
  return Response{.body = {{"events", std::move(out)}}};
}

}  // namespace

void add_sync_routes(Router& router, State& state) {
  router.add(http::verb::post, "/sync", Access::user,
             [&state](Request& r) { return sync(state, r); });
}

}  // namespace chatkeep::server

// The user's own settings (protocol.md, "More endpoints"): a membership's pin and archive, mutes
// of users and channels, blocks. Each acts for the caller alone; a channel setting needs the
// caller to be able to use the channel (its member, in messaging), a membership one to be a member.

#include <chrono>

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "ids.hpp"
#include "routes.hpp"

namespace chatkeep::server {
namespace {

namespace json = boost::json;

// The ids in `list_name` (an array) or `one_name` (a string) of the body: at least one, each a
// valid id of `kind`, or a cid when `kind` is empty.
std::vector<std::string> named_ids(const json::object& body, std::string_view list_name,
                                   std::string_view one_name, std::optional<IdKind> kind) {
  std::vector<std::string> ids;
  if (const json::value* list = body.if_contains(list_name)) {
    if (!list->is_array()) {
      throw ChatError(ErrorCode::input, fmt::format("{}: expected an array", list_name), 400);
    }
    for (const auto& id : list->as_array()) {
      if (!id.is_string()) {
        throw ChatError(ErrorCode::input, fmt::format("{}: expected strings", list_name), 400);
      }
      ids.emplace_back(id.as_string());
    }
  }
  if (const json::value* one = body.if_contains(one_name)) {
    if (!one->is_string()) {
      throw ChatError(ErrorCode::input, fmt::format("{}: expected a string", one_name), 400);
    }
    ids.emplace_back(one->as_string());
  }
  if (ids.empty()) {
    throw ChatError(ErrorCode::input, fmt::format("{} or {}: required", list_name, one_name), 400);
  }
  for (const auto& id : ids) {
    if (kind) {
      require_valid_id(*kind, id, list_name);
      continue;
    }
    const auto colon = id.find(':');
    if (colon == std::string::npos) {
      throw ChatError(ErrorCode::input, fmt::format("{}: expected type:id", list_name), 400);
    }
    require_valid_id(IdKind::channel_type, std::string_view(id).substr(0, colon), list_name);
    require_valid_id(IdKind::channel_id, std::string_view(id).substr(colon + 1), list_name);
  }
  return ids;
}

// A positive whole number of `unit`s the body may give (a mute's timeout in minutes, an
// expiration in milliseconds), ten years at most: the server turns it into a time.
template <class Unit>
std::optional<std::int64_t> duration(const json::object& body, std::string_view name) {
  constexpr std::int64_t kMax =
      std::chrono::duration_cast<Unit>(std::chrono::hours(24 * 365 * 10)).count();
  const json::value* v = body.if_contains(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_int64() || v->as_int64() <= 0 || v->as_int64() > kMax) {
    throw ChatError(ErrorCode::input, fmt::format("{}: expected 1 to {}", name, kMax), 400);
  }
  return v->as_int64();
}

json::object own_user_answer(State& state, const std::string& me) {
  return {{"own_user", to_json(state.own_user(me))}};
}

}  // namespace

void add_settings_routes(Router& router, State& state) {
  // A membership's settings are its user's: .../member, or .../member/{user_id} naming the caller
  // (as Stream's clients send it).
  auto membership = [&state](Request& r) {
    const std::string cid = make_cid(r.params[0], r.params[1]);
    const std::string me = *r.caller.user_id;
    if (r.params.size() > 2 && r.params[2] != me) {
      throw ChatError(ErrorCode::not_allowed,
                      fmt::format("user '{}' may not change the membership of another user", me),
                      403);
    }
    (void)usable_channel(state, cid, me);
    const Member member = state.set_membership(cid, me, r.json_body());
    return Response{.body = {{"channel_member", to_json(member)}}};
  };
  router.add(http::verb::patch, "/channels/{type}/{id}/member", Access::user, membership);
  router.add(http::verb::patch, "/channels/{type}/{id}/member/{user_id}", Access::user, membership);
  router.add(http::verb::post, "/moderation/mute", Access::user, [&state](Request& r) {
    const std::string me = *r.caller.user_id;
    const json::object body = r.json_body();
    const auto minutes = duration<std::chrono::minutes>(body, "timeout");
    auto transaction = state.transaction();
    for (const auto& target : named_ids(body, "target_ids", "target_id", IdKind::user_id))
      state.mute_user(me, target, minutes);
    transaction.commit();
    json::object out = own_user_answer(state, me);
    out["mutes"] = out.at("own_user").at("mutes");
    return Response{.body = std::move(out)};
  });
  router.add(http::verb::post, "/moderation/unmute", Access::user, [&state](Request& r) {
    const std::string me = *r.caller.user_id;
    auto transaction = state.transaction();
    for (const auto& target : named_ids(r.json_body(), "target_ids", "target_id", IdKind::user_id))
      state.unmute_user(me, target);
    transaction.commit();
    return Response{.body = own_user_answer(state, me)};
  });
  router.add(http::verb::post, "/moderation/mute/channel", Access::user, [&state](Request& r) {
    const std::string me = *r.caller.user_id;
    const json::object body = r.json_body();
    const auto expiration = duration<std::chrono::milliseconds>(body, "expiration");
    const auto cids = named_ids(body, "channel_cids", "channel_cid", std::nullopt);
    for (const auto& cid : cids)
      (void)usable_channel(state, cid, me);  // all checked before any is muted
    auto transaction = state.transaction();
    for (const auto& cid : cids)
      state.mute_channel(me, cid, expiration);
    transaction.commit();
    json::object out = own_user_answer(state, me);
    out["channel_mutes"] = out.at("own_user").at("channel_mutes");
    return Response{.body = std::move(out)};
  });
  router.add(http::verb::post, "/moderation/unmute/channel", Access::user, [&state](Request& r) {
    const std::string me = *r.caller.user_id;
    auto transaction = state.transaction();
    for (const auto& cid : named_ids(r.json_body(), "channel_cids", "channel_cid", std::nullopt))
      state.unmute_channel(me, cid);
    transaction.commit();
    return Response{.body = own_user_answer(state, me)};
  });
  router.add(http::verb::post, "/users/block", Access::user, [&state](Request& r) {
    const std::string me = *r.caller.user_id;
    const auto ids =
        named_ids(r.json_body(), "blocked_user_ids", "blocked_user_id", IdKind::user_id);
    for (const auto& id : ids)
      state.block_user(me, id);
    return Response{.body = {{"blocked_by_user_id", me}, {"blocked_user_id", ids.front()}}};
  });
  router.add(http::verb::post, "/users/unblock", Access::user, [&state](Request& r) {
    const std::string me = *r.caller.user_id;
    for (const auto& id :
         named_ids(r.json_body(), "blocked_user_ids", "blocked_user_id", IdKind::user_id))
      state.unblock_user(me, id);
    return Response{};
  });
}

}  // namespace chatkeep::server

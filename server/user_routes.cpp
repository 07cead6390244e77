#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "filter.hpp"
#include "ids.hpp"
#include "routes.hpp"

namespace chatkeep::server {

void add_user_routes(Router& router, State& state) {
  // Upsert users (server-side token): {"users": {"<id>": {"id": "<id>", ...}}}.
  router.add(http::verb::post, "/users", Access::server, [&state](Request& request) {
    const boost::json::object body = request.json_body();
    const boost::json::value* users = body.if_contains("users");
    if (!users || !users->is_object()) {
      throw ChatError(ErrorCode::input, "users: expected an object of users by id", 400);
    }
    std::vector<User> list;
    for (const auto& [key, value] : users->as_object()) {
      User user = from_json<User>(value);
      require_valid_id(IdKind::user_id, user.id, "users.id");
      if (user.id != key) {
        throw ChatError(ErrorCode::input,
                        fmt::format("users.{}: id does not match its key", std::string_view(key)),
                        400);
      }
      list.push_back(std::move(user));
    }
    boost::json::object stored;
    for (const auto& user : state.upsert_users(std::move(list)))
      stored[user.id] = to_json(user);
    return Response{.body = {{"users", std::move(stored)}}};
  });
  // Partial update of users: {"users": [{"id", "set"?, "unset"?}]} (Stream's PATCH /users). A
  // user updates only themselves, and only the fields a user may set about themselves.
  router.add(http::verb::patch, "/users", Access::user_or_server, [&state](Request& request) {
    const boost::json::object body = request.json_body();
    const boost::json::value* updates = body.if_contains("users");
    if (!updates || !updates->is_array() || updates->as_array().empty()) {
      throw ChatError(ErrorCode::input, "users: expected an array of updates", 400);
    }
    const auto& caller = request.caller.user_id;
    std::vector<User> list;
    for (const auto& update : updates->as_array()) {
      if (!update.is_object()) throw ChatError(ErrorCode::input, "users: expected objects", 400);
      const boost::json::value* id = update.as_object().if_contains("id");
      if (!id || !id->is_string()) throw ChatError(ErrorCode::input, "users.id: required", 400);
      const std::string user_id(id->as_string());
      if (caller && *caller != user_id) {
        throw ChatError(ErrorCode::not_allowed,
                        fmt::format("user '{}' may not update user '{}'", *caller, user_id), 403);
      }
      std::optional<User> old = state.user(user_id);
      if (!old) {
        throw ChatError(ErrorCode::not_found, fmt::format("user '{}' does not exist", user_id),
                        404);
      }
      boost::json::object fields = to_json(*old).as_object();
      apply_partial_update(update.as_object(), fields, [](std::string_view field) {
        if (!self_may_set(field)) {
          throw ChatError(ErrorCode::input, fmt::format("{}: may not be changed", field), 400);
        }
      });
      list.push_back(from_json<User>(fields));
    }
    boost::json::object stored;
    for (const auto& user : state.update_users(std::move(list)))
      stored[user.id] = to_json(user);
    return Response{.body = {{"users", std::move(stored)}}};
  });
  // Query users: GET /users?payload={filter_conditions, sort, limit, offset}; by id unless sorted.
  router.add(http::verb::get, "/users", Access::user_or_server, [&state](Request& request) {
    const DocumentQuery query =
        read_document_query(request.json_payload(),
                            Sort{{.field = "id", .direction = SortDirection::ascending}}, 30, 100);
    const std::vector<User> users = state.all_users();
    std::vector<boost::json::object> docs;
    docs.reserve(users.size());
    for (const auto& user : users)
      docs.push_back(to_json(user).as_object());
    boost::json::array out;
    for (std::size_t i : model::select(docs, query.filter, query.sort, query.offset, query.limit))
      out.push_back(std::move(docs[i]));
    return Response{.body = {{"users", std::move(out)}}};
  });
}

}  // namespace chatkeep::server

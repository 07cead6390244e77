#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "routes.hpp"

namespace chatkeep::server {

void apply_partial_update(const boost::json::object& body, boost::json::object& fields,
                          const std::function<void(std::string_view)>& check) {
  const boost::json::value* set = body.if_contains("set");
  const boost::json::value* unset = body.if_contains("unset");
  if (set && !set->is_object()) throw ChatError(ErrorCode::input, "set: expected object", 400);
  if (unset && !unset->is_array()) throw ChatError(ErrorCode::input, "unset: expected array", 400);
  if (!set && !unset) throw ChatError(ErrorCode::input, "expected set or unset", 400);
  if (unset) {
    for (const auto& field : unset->as_array()) {
      if (!field.is_string()) throw ChatError(ErrorCode::input, "unset: expected field names", 400);
      check(field.as_string());
      fields.erase(field.as_string());
    }
  }
  if (set) {
    for (const auto& [field, value] : set->as_object()) {
      check(field);
      fields[field] = value;
    }
  }
}

}  // namespace chatkeep::server

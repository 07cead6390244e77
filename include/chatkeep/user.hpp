#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/timestamp.hpp"

namespace chatkeep {

// Every model object keeps the members chatkeep does not model in `extra` (Stream puts custom
// fields at the root of users, channels, messages, reactions, members and attachments), together
// with explicit JSON nulls of modelled fields, so that encoding what was decoded gives the same
// JSON document. When a modelled field is set, it takes precedence over `extra`.
//
// Optional fields are std::optional because "absent" and "false" or "empty" differ on the wire.

struct User {
  std::string id;  // required
  std::optional<std::string> name;
  std::optional<std::string> image;
  std::optional<std::string> role;
  std::optional<std::string> language;
  std::optional<Timestamp> created_at;
  std::optional<Timestamp> updated_at;
  std::optional<Timestamp> last_active;
  std::optional<bool> online;
  std::optional<bool> banned;
  std::optional<std::vector<std::string>> teams;
  boost::json::object extra;
};

// What a user may set about themselves (Stream's rule, for a connect's user_details and a
// user's own updates): `user` with only its id, name, image, language and custom fields. Role,
// ban state, teams, times and the fields Stream reserves are the server's, and are dropped.
User self_settable(const User& user);
// Whether a user may set the field `name` of themselves (what self_settable keeps): a partial
// update of the own user (PATCH /users) may set or unset only these.
bool self_may_set(std::string_view name);

}  // namespace chatkeep

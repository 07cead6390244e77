#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "chatkeep/timestamp.hpp"
#include "chatkeep/user.hpp"

namespace chatkeep {

// A user's membership of a channel. Decoding requires `user_id` or `user` (and the two to agree).
struct Member {
  std::optional<std::string> user_id;
  std::optional<User> user;
  std::optional<std::string> channel_role;
  std::optional<std::string> role;  // legacy: owner, member, moderator, admin
  std::optional<Timestamp> created_at;
  std::optional<Timestamp> updated_at;
  std::optional<bool> banned;
  std::optional<bool> shadow_banned;
  std::optional<bool> invited;
  std::optional<Timestamp> invite_accepted_at;
  std::optional<Timestamp> invite_rejected_at;
  std::optional<Timestamp> pinned_at;
  std::optional<Timestamp> archived_at;
  std::optional<bool> notifications_muted;
  boost::json::object extra;

  // user_id, or else user->id; never empty for a decoded member.
  const std::string& id() const;
};

// How far one user has read a channel.
struct Read {
  User user;  // required
  std::optional<Timestamp> last_read;
  std::optional<std::int64_t> unread_messages;
  std::optional<std::string> last_read_message_id;
  boost::json::object extra;
  // Local only, never sent or received: for the connected user's own read, how many of the
  // unread messages the store holds mention them (a figure Stream's SDKs do not offer).
  std::optional<std::int64_t> unread_mentions;
};

}  // namespace chatkeep

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/channel.hpp"
#include "chatkeep/user.hpp"

namespace chatkeep {

// A push device registered for the user.
struct Device {
  std::string id;  // required
  std::optional<std::string> push_provider;
  std::optional<std::string> push_provider_name;
  std::optional<std::string> user_id;
  std::optional<bool> disabled;
  std::optional<Timestamp> created_at;
  boost::json::object extra;
};

// The user muted `target`.
struct Mute {
  std::optional<User> user;
  std::optional<User> target;
  std::optional<Timestamp> created_at;
  std::optional<Timestamp> updated_at;
  std::optional<Timestamp> expires;
  boost::json::object extra;
};

// The user muted `channel`.
struct ChannelMute {
  std::optional<User> user;
  std::optional<Channel> channel;
  std::optional<Timestamp> created_at;
  std::optional<Timestamp> updated_at;
  std::optional<Timestamp> expires;
  boost::json::object extra;
};

// The connected user as the server describes it in `health.check.me`: a User with unread totals,
// devices, mutes and the users they blocked.
struct OwnUser : User {
  std::optional<std::int64_t> total_unread_count;
  std::optional<std::int64_t> unread_channels;
  std::optional<std::int64_t> unread_count;
  std::optional<std::vector<Device>> devices;
  std::optional<std::vector<Mute>> mutes;
  std::optional<std::vector<ChannelMute>> channel_mutes;
  std::optional<std::vector<std::string>> blocked_user_ids;
};

}  // namespace chatkeep

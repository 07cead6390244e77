#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/timestamp.hpp"
#include "chatkeep/user.hpp"

namespace chatkeep {

// A slash command a channel type offers (`giphy`, ...).
struct Command {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> args;
  std::optional<std::string> set;
  boost::json::object extra;
};

// The settings of a channel's type.
struct ChannelConfig {
  std::optional<std::string> name;
  std::optional<bool> typing_events;
  std::optional<bool> read_events;
  std::optional<bool> connect_events;
  std::optional<bool> reactions;
  std::optional<bool> replies;
  std::optional<bool> quotes;
  std::optional<bool> search;
  std::optional<bool> mutes;
  std::optional<bool> uploads;
  std::optional<bool> url_enrichment;
  std::optional<bool> custom_events;
  std::optional<std::int64_t> max_message_length;
  std::optional<std::string> message_retention;
  std::optional<std::string> automod;
  std::optional<std::vector<Command>> commands;
  std::optional<Timestamp> created_at;
  std::optional<Timestamp> updated_at;
  boost::json::object extra;
};

struct Channel {
  std::string id;                    // required
  std::string type;                  // required
  std::string cid;                   // required; always "{type}:{id}"
  std::optional<std::string> name;   // a custom field by convention, modelled for convenience
  std::optional<std::string> image;  // likewise
  std::optional<Timestamp> created_at;
  std::optional<Timestamp> updated_at;
  std::optional<Timestamp> last_message_at;  // may be Timestamp::never() after a truncate
  std::optional<User> created_by;
  std::optional<bool> frozen;
  std::optional<bool> disabled;
  std::optional<bool> hidden;
  std::optional<std::int64_t> member_count;
  std::optional<std::int64_t> message_count;
  std::optional<std::int64_t> cooldown;  // slow mode, in seconds
  std::optional<ChannelConfig> config;
  std::optional<std::vector<std::string>> own_capabilities;
  std::optional<std::string> team;
  std::optional<Timestamp> truncated_at;
  std::optional<Timestamp> deleted_at;
  boost::json::object extra;
};

// "{type}:{id}".
std::string make_cid(std::string_view type, std::string_view id);

// Whether the channel field `name` is the server's own (id, cid, created_by, member_count,
// hidden, ...): an update of the channel's data never changes it.
bool server_owned_channel_field(std::string_view name);
// `channel` with its data (every field but the server's own) replaced by `data`'s, as a channel
// update makes it on the server and in the client's echo. ChatError (input) for a modelled field
// of the wrong type.
Channel with_channel_data(const Channel& channel, const boost::json::object& data);

}  // namespace chatkeep

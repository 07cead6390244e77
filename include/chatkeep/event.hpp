#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "chatkeep/channel.hpp"
#include "chatkeep/member.hpp"
#include "chatkeep/message.hpp"
#include "chatkeep/own_user.hpp"
#include "chatkeep/timestamp.hpp"
#include "chatkeep/user.hpp"

namespace chatkeep {

// The event types chatkeep understands (protocol.md, "Events"), and `unknown` for any other.
enum class EventType {
  message_new,
  message_updated,
  message_deleted,
  message_read,
  message_undeleted,
  reaction_new,
  reaction_updated,
  reaction_deleted,
  channel_updated,
  channel_deleted,
  channel_truncated,
  channel_hidden,
  channel_visible,
  channel_kicked,  // the user was removed from a channel she watches
  member_added,
  member_updated,
  member_removed,
  notification_added_to_channel,
  notification_removed_from_channel,
  notification_message_new,
  notification_mark_read,
  // to members who do not watch the channel: as channel.deleted and channel.truncated
  notification_channel_deleted,
  notification_channel_truncated,
  // the user's mutes changed (of users, of channels): `me` is the own user with all of them
  notification_mutes_updated,
  notification_channel_mutes_updated,
  // the user was invited to a channel (`channel`, `member`), or answered an invite
  notification_invited,
  notification_invite_accepted,
  notification_invite_rejected,
  // the user's draft in a channel or thread changed (extra["draft"]: channel_cid, parent_id?,
  // message, created_at), on any of her devices
  draft_updated,
  draft_deleted,
  user_updated,
  user_presence_changed,
  user_messages_deleted,
  typing_start,
  typing_stop,
  health_check,
  connection_error,
  connection_changed,    // local: emitted by the client, never by a server
  connection_recovered,  // local
  outbox_delivered,      // local: the server has an outbox entry's action
  outbox_failed,         // local: an entry failed for good (it waits for retry or discard)
  // local: a file of a message being sent is on its way; extra["upload"] holds message_id, key,
  // bytes_sent and bytes_total. A few times a second per file at most, and once when all is sent.
  attachment_upload_progress,
  unknown,
};

// The wire name ("message.new"); "" for unknown.
std::string_view to_string(EventType type);
// EventType::unknown for a name chatkeep does not know.
EventType parse_event_type(std::string_view name);

// A WebSocket event or a `/sync` result. One struct serves every type: `kind` says which, and
// decoding checks that the fields the type needs are present (a `message.new` without a message
// is an error). An event of an unknown type is generic: only `type` is read, every other member
// stays raw in `extra`, and decoding it never fails.
struct Event {
  std::string type;  // required: the wire name
  EventType kind = EventType::unknown;
  std::optional<Timestamp> created_at;
  std::optional<std::string> cid;
  std::optional<std::string> channel_type;
  std::optional<std::string> channel_id;
  std::optional<User> user;  // usually the actor
  std::optional<Message> message;
  std::optional<Reaction> reaction;
  std::optional<Channel> channel;
  std::optional<Member> member;
  std::optional<OwnUser> me;  // health.check: the connected user
  std::optional<std::string> connection_id;
  std::optional<std::string> client_id;
  std::optional<std::int64_t> watcher_count;
  // Unread totals of the recipient; when present they replace the cached ones.
  std::optional<std::int64_t> total_unread_count;
  std::optional<std::int64_t> unread_channels;
  std::optional<std::int64_t> unread_count;
  std::optional<bool> hard_delete;
  std::optional<bool> clear_history;
  std::optional<std::string> last_read_message_id;
  std::optional<std::string> parent_id;
  std::optional<bool> online;                // connection.changed
  std::optional<boost::json::object> error;  // connection.error: Stream's error object
  boost::json::object extra;
};

}  // namespace chatkeep

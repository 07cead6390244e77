#include <fmt/format.h>

#include "model/draft.hpp"
#include "model/tables.hpp"

namespace chatkeep {
namespace {

// What an event of a given type must carry to be applied.
enum Need : unsigned {
  kCreatedAt = 1u << 0,
  kCid = 1u << 1,
  kMessage = 1u << 2,
  kReaction = 1u << 3,
  kChannel = 1u << 4,
  kMember = 1u << 5,
  kUser = 1u << 6,
  kError = 1u << 7,
  kOnline = 1u << 8,
  kMe = 1u << 9,
  kDraft = 1u << 10,  // extra["draft"], a draft of the event's channel (read_draft)
};

struct KnownType {
  EventType type;
  std::string_view name;
  unsigned needs;
};

// protocol.md, "Events". Every state-changing event carries created_at, which orders catch-up.
constexpr KnownType kKnownTypes[] = {
    {EventType::message_new, "message.new", kCreatedAt | kCid | kMessage},
    {EventType::message_updated, "message.updated", kCreatedAt | kCid | kMessage},
    {EventType::message_deleted, "message.deleted", kCreatedAt | kCid | kMessage},
    {EventType::message_read, "message.read", kCreatedAt | kUser},
    {EventType::message_undeleted, "message.undeleted", kCreatedAt | kCid | kMessage},
    {EventType::reaction_new, "reaction.new", kCreatedAt | kCid | kMessage | kReaction},
    {EventType::reaction_updated, "reaction.updated", kCreatedAt | kCid | kMessage | kReaction},
    {EventType::reaction_deleted, "reaction.deleted", kCreatedAt | kCid | kMessage | kReaction},
    {EventType::channel_updated, "channel.updated", kCreatedAt | kChannel},
    {EventType::channel_deleted, "channel.deleted", kCreatedAt | kChannel},
    {EventType::channel_truncated, "channel.truncated", kCreatedAt | kChannel},
    {EventType::channel_hidden, "channel.hidden", kCreatedAt | kCid},
    {EventType::channel_visible, "channel.visible", kCreatedAt | kCid},
    {EventType::channel_kicked, "channel.kicked", kCreatedAt | kCid},
    {EventType::member_added, "member.added", kCreatedAt | kCid | kMember},
    {EventType::member_updated, "member.updated", kCreatedAt | kCid | kMember},
    {EventType::member_removed, "member.removed", kCreatedAt | kCid | kMember},
    {EventType::notification_added_to_channel, "notification.added_to_channel",
     kCreatedAt | kChannel},
    {EventType::notification_removed_from_channel, "notification.removed_from_channel",
     kCreatedAt | kChannel},
    {EventType::notification_message_new, "notification.message_new",
     kCreatedAt | kChannel | kMessage},
    {EventType::notification_mark_read, "notification.mark_read", kCreatedAt},
    {EventType::notification_channel_deleted, "notification.channel_deleted",
     kCreatedAt | kChannel},
    {EventType::notification_channel_truncated, "notification.channel_truncated",
     kCreatedAt | kChannel},
    {EventType::notification_mutes_updated, "notification.mutes_updated", kCreatedAt | kMe},
    {EventType::notification_channel_mutes_updated, "notification.channel_mutes_updated",
     kCreatedAt | kMe},
    {EventType::notification_invited, "notification.invited", kCreatedAt | kChannel},
    {EventType::notification_invite_accepted, "notification.invite_accepted",
     kCreatedAt | kChannel},
    {EventType::notification_invite_rejected, "notification.invite_rejected",
     kCreatedAt | kChannel},
    {EventType::draft_updated, "draft.updated", kCreatedAt | kCid | kDraft},
    {EventType::draft_deleted, "draft.deleted", kCreatedAt | kCid | kDraft},
    {EventType::user_updated, "user.updated", kCreatedAt | kUser},
    {EventType::user_presence_changed, "user.presence.changed", kCreatedAt | kUser},
    {EventType::user_messages_deleted, "user.messages.deleted", kCreatedAt | kUser},
    {EventType::typing_start, "typing.start", kCid | kUser},
    {EventType::typing_stop, "typing.stop", kCid | kUser},
    {EventType::health_check, "health.check", 0},
    {EventType::connection_error, "connection.error", kError},
    {EventType::connection_changed, "connection.changed", kOnline},
    {EventType::connection_recovered, "connection.recovered", 0},
    {EventType::outbox_delivered, "outbox.delivered", 0},
    {EventType::outbox_failed, "outbox.failed", 0},
    {EventType::attachment_upload_progress, "attachment.upload_progress", 0},
};

const KnownType* find_known(EventType type) {
  for (const auto& known : kKnownTypes) {
    if (known.type == type) return &known;
  }
  return nullptr;
}

}  // namespace

std::string_view to_string(EventType type) {
  const KnownType* known = find_known(type);
  return known ? known->name : std::string_view();
}

EventType parse_event_type(std::string_view name) {
  for (const auto& known : kKnownTypes) {
    if (known.name == name) return known.type;
  }
  return EventType::unknown;
}

namespace model {
namespace {

void require(bool present, const Path& path, std::string_view field, std::string_view type) {
  if (!present) fail(Path(path, field), fmt::format("required for {}", type));
}

// Channel-scoped members must name the same channel, or the event would write into two.
void check_cid(const std::string& cid, const std::string& other, const Path& path,
               std::string_view field) {
  if (cid != other) fail(Path(path, field), "does not match the event's cid");
}

void finish_event(Event& event, const Path& path) {
  const KnownType& known = *find_known(event.kind);
  const std::string_view type = known.name;
  const unsigned needs = known.needs;
  if (needs & kCreatedAt) require(event.created_at.has_value(), path, "created_at", type);
  if (needs & kCid) require(event.cid.has_value(), path, "cid", type);
  if (needs & kMessage) require(event.message.has_value(), path, "message", type);
  if (needs & kReaction) require(event.reaction.has_value(), path, "reaction", type);
  if (needs & kChannel) require(event.channel.has_value(), path, "channel", type);
  if (needs & kMember) require(event.member.has_value(), path, "member", type);
  if (needs & kUser) require(event.user.has_value(), path, "user", type);
  if (needs & kError) require(event.error.has_value(), path, "error", type);
  if (needs & kOnline) require(event.online.has_value(), path, "online", type);
  if (needs & kMe) require(event.me.has_value(), path, "me", type);
  if (needs & kDraft) {
    const json::value* draft = event.extra.if_contains("draft");
    require(draft != nullptr, path, "draft", type);
    const Draft read = read_draft(*draft, Path(path, "draft"));
    if (event.cid) check_cid(*event.cid, read.cid, Path(path, "draft"), "channel_cid");
  }
  if (event.cid) {
    if (event.channel) check_cid(*event.cid, event.channel->cid, Path(path, "channel"), "cid");
    if (event.message && event.message->cid) {
      check_cid(*event.cid, *event.message->cid, Path(path, "message"), "cid");
    }
  }
}

}  // namespace

const FieldTable<Event>& field_table(Tag<Event>) {
  using E = Event;
  static const FieldTable<E> table("event",
                                   {CHATKEEP_REQUIRED(E, type),
                                    CHATKEEP_FIELD(E, created_at),
                                    CHATKEEP_FIELD(E, cid),
                                    CHATKEEP_FIELD(E, channel_type),
                                    CHATKEEP_FIELD(E, channel_id),
                                    CHATKEEP_FIELD(E, user),
                                    CHATKEEP_FIELD(E, message),
                                    CHATKEEP_FIELD(E, reaction),
                                    CHATKEEP_FIELD(E, channel),
                                    CHATKEEP_FIELD(E, member),
                                    CHATKEEP_FIELD(E, me),
                                    CHATKEEP_FIELD(E, connection_id),
                                    CHATKEEP_FIELD(E, client_id),
                                    CHATKEEP_FIELD(E, watcher_count),
                                    CHATKEEP_FIELD(E, total_unread_count),
                                    CHATKEEP_FIELD(E, unread_channels),
                                    CHATKEEP_FIELD(E, unread_count),
                                    CHATKEEP_FIELD(E, hard_delete),
                                    CHATKEEP_FIELD(E, clear_history),
                                    CHATKEEP_FIELD(E, last_read_message_id),
                                    CHATKEEP_FIELD(E, parent_id),
                                    CHATKEEP_FIELD(E, online),
                                    CHATKEEP_FIELD(E, error)},
                                   &finish_event);
  return table;
}

void read(const json::value& v, Event& out, const Path& path) {
  const json::object* object = v.if_object();
  if (!object) fail(path, "expected object");
  const json::value* type = object->if_contains("type");
  if (!type) fail(Path(path, "type"), "required");
  read(*type, out.type, Path(path, "type"));
  out.kind = parse_event_type(out.type);
  if (out.kind != EventType::unknown) {
    field_table(Tag<Event>{}).read(v, out, path);
    return;
  }
  // A type chatkeep does not know: keep it whole, whatever its members hold.
  for (const auto& member : *object) {
    if (member.key() != "type") out.extra.insert_or_assign(member.key(), member.value());
  }
}

}  // namespace model
}  // namespace chatkeep

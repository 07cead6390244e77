#include "sync/writes.hpp"

#include <utility>

#include "model/draft.hpp"

namespace chatkeep::sync {
namespace {

// A one-element vector that takes its element by move (a braced list would copy it).
template <class T>
std::vector<T> one(T&& value) {
  std::vector<T> out;
  out.push_back(std::forward<T>(value));
  return out;
}

void add_unread_totals(const Event& event, Batch& batch) {
  if (event.total_unread_count || event.unread_channels || event.unread_count) {
    batch.push_back(
        SetUnreadCounts{event.total_unread_count, event.unread_channels, event.unread_count});
  }
}

// The reaction's owner: its user_id, else its user's id.
std::string owner(const Reaction& reaction) {
  if (reaction.user_id) return *reaction.user_id;
  return reaction.user ? reaction.user->id : std::string();
}

void add_channel(Event& event, Batch& batch) {
  if (event.channel) batch.push_back(UpsertChannels{one(std::move(*event.channel)), true});
}

// A new message, counted unread for all but its sender and, when the server had muted the
// sender for `me` as it took the message, `me`. (A message /sync gives from before a mute made
// while the socket was down counted: the mute's time says so.)
UpsertMessages arrival(std::optional<std::string> cid, Message message, const std::string& me,
                       const Mutes& mutes) {
  UpsertMessages m{.cid = std::move(cid), .arrived = true};
  const auto mute = message.user ? mutes.find(message.user->id) : mutes.end();
  if (mute != mutes.end()) {
    const auto& [since, until] = mute->second;
    const auto& at = message.created_at;
    if (!at || ((!since || *since <= *at) && (!until || *at < *until))) m.muted_by.push_back(me);
  }
  m.messages.push_back(std::move(message));
  return m;
}

}  // namespace

Mutes mutes_of(const OwnUser& me) {
  Mutes mutes;
  for (const auto& mute : me.mutes.value_or(std::vector<Mute>{}))
    if (mute.target) mutes[mute.target->id] = {mute.created_at, mute.expires};
  return mutes;
}

void add_event_writes(Event event, const std::string& me, Batch& batch, const Mutes& mutes) {
  add_unread_totals(event, batch);
  switch (event.kind) {
    case EventType::message_new:
      batch.push_back(arrival(event.cid, std::move(*event.message), me, mutes));
      break;
    case EventType::notification_message_new: {
      std::optional<std::string> cid =
          event.channel ? std::optional(event.channel->cid) : event.cid;
      add_channel(event, batch);
      batch.push_back(arrival(std::move(cid), std::move(*event.message), me, mutes));
      break;
    }
    case EventType::message_updated:
    case EventType::message_undeleted:
      batch.push_back(UpsertMessages{event.cid, one(std::move(*event.message))});
      break;
    case EventType::message_deleted: {
      const bool for_me_only = event.extra.contains("deleted_for_me");
      if (event.hard_delete.value_or(false) || for_me_only) {
        batch.push_back(DeleteMessages{.which = DeleteMessages::ByIds{{event.message->id}}});
      } else {
        batch.push_back(UpsertMessages{event.cid, one(std::move(*event.message))});
      }
      break;
    }
    case EventType::message_read: {
      if (!event.cid) break;
      Read read{.user = std::move(*event.user),
                .last_read = event.created_at,
                .unread_messages = 0,
                .last_read_message_id = std::move(event.last_read_message_id)};
      batch.push_back(UpsertReads{*event.cid, one(std::move(read))});
      break;
    }
    case EventType::notification_mark_read:
      if (event.cid) {
        Read read{.user = event.user ? std::move(*event.user) : User{.id = me},
                  .last_read = event.created_at,
                  .unread_messages = 0,
                  .last_read_message_id = std::move(event.last_read_message_id)};
        batch.push_back(UpsertReads{*event.cid, one(std::move(read))});
      } else {
        batch.push_back(MarkAllRead{me, *event.created_at});
      }
      break;
    case EventType::reaction_new:
    case EventType::reaction_updated:
    case EventType::reaction_deleted: {
      // The message carries the new summary; its own_reactions are nobody's in particular, and
      // the store keeps own reactions apart, so only `me`'s reaction changes them.
      const std::string message_id = event.message->id;
      const std::optional<Timestamp> as_of = event.message->updated_at;
      batch.push_back(UpsertMessages{event.cid, one(std::move(*event.message))});
      if (owner(*event.reaction) != me) break;
      if (event.kind == EventType::reaction_deleted) {
        batch.push_back(DeleteReaction{message_id, me, event.reaction->type, as_of});
      } else if (event.kind == EventType::reaction_updated) {
        batch.push_back(ReplaceReactions{message_id, me, one(std::move(*event.reaction)), as_of});
      } else {
        batch.push_back(UpsertReactions{one(std::move(*event.reaction)), as_of});
      }
      break;
    }
    case EventType::channel_updated:
    case EventType::notification_added_to_channel:
    case EventType::notification_invited:
    case EventType::notification_invite_accepted:
    case EventType::notification_invite_rejected:
      add_channel(event, batch);
      if (event.member && event.cid) {
        batch.push_back(UpsertMembers{*event.cid, one(std::move(*event.member))});
      }
      break;
    case EventType::channel_deleted:
    case EventType::notification_channel_deleted:
    case EventType::notification_removed_from_channel:
    case EventType::channel_kicked:
      batch.push_back(
          DeleteChannels{{event.channel ? event.channel->cid : event.cid.value_or("")}});
      break;
    case EventType::channel_truncated:
    case EventType::notification_channel_truncated: {
      const std::string cid = event.channel->cid;
      const std::optional<Timestamp> before = event.channel->truncated_at;
      add_channel(event, batch);
      batch.push_back(TruncateChannel{cid, before, true});
      break;
    }
    case EventType::channel_hidden:
    case EventType::channel_visible:
      batch.push_back(SetChannelHidden{*event.cid, event.kind == EventType::channel_hidden});
      if (event.clear_history.value_or(false)) {
        batch.push_back(TruncateChannel{*event.cid, event.created_at});
      }
      break;
    case EventType::member_added:
    case EventType::member_updated:
      batch.push_back(UpsertMembers{*event.cid, one(std::move(*event.member))});
      break;
    case EventType::member_removed:
      batch.push_back(DeleteMembers{*event.cid, {event.member->id()}, event.created_at});
      break;
    case EventType::user_updated:
    case EventType::user_presence_changed:
      batch.push_back(UpsertUsers{one(std::move(*event.user))});
      break;
    case EventType::user_messages_deleted: {
      const bool hard = event.hard_delete.value_or(false);
      batch.push_back(DeleteMessages{.which = DeleteMessages::ByUser{event.user->id, event.cid},
                                     .hard = hard,
                                     .deleted_at = event.created_at.value_or(Timestamp::now())});
      break;
    }
    case EventType::health_check:
    case EventType::notification_mutes_updated:
    case EventType::notification_channel_mutes_updated:
      // The own user carries the unread totals and the mutes; SetConnectionInfo stores them with
      // it (a mute update's `me` is the whole own user, as the greeting's is).
      if (event.me) batch.push_back(SetConnectionInfo{ConnectionInfo{std::move(*event.me)}});
      break;
    case EventType::draft_updated:
    case EventType::draft_deleted: {
      // Checked when the event was read (model/event.cpp); a deletion's draft says which.
      Draft draft = model::read_draft(event.extra.at("draft"), model::Path("draft"));
      if (event.kind == EventType::draft_deleted) {
        batch.push_back(DeleteDraft{std::move(draft.cid), std::move(draft.parent_id)});
      } else {
        batch.push_back(UpsertDrafts{one(std::move(draft))});
      }
      break;
    }
    case EventType::unknown:
      // Kept raw for the listeners; counted, so that a newer server is noticed.
      batch.push_back(CountUnknownEvent{event.type});
      break;
    default:  // typing, connection events and local events change nothing stored
      break;
  }
}

void add_queried_messages_writes(std::optional<std::string> cid, std::vector<Message> messages,
                                 const std::string& me, Batch& batch, bool with_reads) {
  if (messages.empty()) return;
  // A query's own_reactions are the truth about `me`'s reactions to what it returned, as of each
  // message's version; they follow the messages, as reactions to messages not stored are skipped.
  // A copy without them says nothing of them.
  std::vector<ReplaceReactions> own;
  for (auto& message : messages) {
    if (!message.own_reactions) continue;
    own.push_back({message.id, me, std::move(*message.own_reactions), message.updated_at});
  }
  batch.push_back(UpsertMessages{
      .cid = std::move(cid), .messages = std::move(messages), .with_reads = with_reads});
  for (auto& reactions : own)
    batch.push_back(std::move(reactions));
}

void add_channel_state_writes(ChannelState state, const std::string& me, Batch& batch,
                              const std::optional<MessagePagination>& page) {
  const std::string cid = state.channel.cid;
  const std::optional<Timestamp> truncated_at = state.channel.truncated_at;
  batch.push_back(UpsertChannels{one(std::move(state.channel))});
  if (page && state.messages) {
    RecordPage record{.cid = cid, .page = *page};
    for (const auto& message : *state.messages) {
      if (message.created_at) record.messages.emplace_back(message.id, *message.created_at);
    }
    batch.push_back(std::move(record));
  }
  const bool with_reads = state.read && !state.read->empty();
  for (auto* messages : {&state.messages, &state.pinned_messages}) {
    if (*messages) add_queried_messages_writes(cid, std::move(**messages), me, batch, with_reads);
  }
  if (state.members && !state.members->empty()) {
    batch.push_back(UpsertMembers{cid, std::move(*state.members)});
  }
  if (state.read && !state.read->empty()) {
    batch.push_back(UpsertReads{cid, std::move(*state.read), true, truncated_at});
  }
}

}  // namespace chatkeep::sync

#pragma once

// The outbox's public types: the user's actions the server has not confirmed yet, as a store
// keeps them (DESIGN.md, "The outbox"), and what each action shows on a message meanwhile.
//
// Entries are plain values; a ChatPersistenceClient stores them (AddOutboxEntry and the other
// outbox mutations of persistence.hpp) and the client delivers them. replay() is a pure function,
// safe from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "chatkeep/message.hpp"
#include "chatkeep/timestamp.hpp"

namespace chatkeep {

// An action the user took that the server has not confirmed yet (DESIGN.md, "The outbox").
// upload_attachment sends one file of a message the user is sending (its payload: the file's
// cache key, sha256, size, mime_type, name, whether it is an image, and its path when queued);
// the send waits for its message's uploads and then carries their URLs. delete_upload takes back
// a file uploaded for a message the user deleted or edited before it was sent (payload: url,
// image), best effort. partial_update_message sets and unsets some of a message's fields
// (payload: set, unset; Stream's PUT /messages/{id}), pinning and unpinning among them.
//
// The rest are the user's own settings, about a channel (cid) or another user (cid empty):
// set_channel_hidden (payload: hidden, clear_history), set_channel_muted (muted, expiration in
// ms if any), update_membership (set, unset of the user's membership: pinned, archived),
// set_user_muted (user_id, muted, timeout in minutes if any) and set_user_blocked (user_id,
// blocked), save_draft (payload: the draft's message, sendable, with its parent_id) and
// delete_draft (parent_id if any), update_channel (data: the channel's new fields, all of them)
// and partial_update_channel (set, unset), and partial_update_user (set, unset of the own user).
// A later setting of the same thing replaces an untried earlier one; one the server refuses
// leaves the outbox at once, and what it showed is given back as the server has it.
//
// And the channel's life: create_channel (data, with its members), delete_channel,
// truncate_channel, update_members (one of add_members, remove_members, invites: user ids) and
// answer_invite (accept_invite or reject_invite: true). Everything queued in a channel after its
// creation waits for it; one the server refuses leaves the outbox, and the channel is given back
// as the server has it (gone, for a creation it refused).
enum class OutboxKind {
  send_message,
  update_message,
  delete_message,
  send_reaction,
  delete_reaction,
  mark_read,
  upload_attachment,
  delete_upload,
  partial_update_message,
  set_channel_hidden,
  set_channel_muted,
  update_membership,
  set_user_muted,
  set_user_blocked,
  save_draft,
  delete_draft,
  update_channel,
  partial_update_channel,
  partial_update_user,
  create_channel,
  delete_channel,
  truncate_channel,
  update_members,
  answer_invite
};
enum class OutboxState { queued, sending, failed };

struct OutboxEntry {
  std::int64_t id = 0;  // assigned by the store, increasing in the order the actions were made
  OutboxKind kind = OutboxKind::send_message;
  std::string cid;
  std::string message_id;       // the message acted on; empty for a mark_read of the channel
  boost::json::object payload;  // what to send
  OutboxState state = OutboxState::queued;
  std::int64_t attempts = 0;
  std::optional<std::string> error;  // why it failed, when state is failed
  Timestamp created_at;
  std::optional<Timestamp> next_attempt_at;
};

std::string_view to_string(OutboxKind kind);
std::string_view to_string(OutboxState state);

// What an entry's action shows on `message` before the server has it, as the server will make
// it: an edit's fields (mentioned users by id), a partial update's (a pin by `me` at the action's
// time, an unpin), a soft deletion, the user `me`'s reaction added to
// or taken from the summary (unless `message` already counts it, or never did: its own_reactions
// say whether it does, or its latest_reactions when it has no own_reactions), a reply's send one
// more reply on its parent. Hard deletions remove the message; read marks leave it as it is. The
// client makes its local echoes with it, and a store with every newer copy of a message whose
// entries are still in the outbox (see UpsertMessages), so that what the user did stays on screen
// until the server has it.
enum class Replayed { unchanged, changed, removed };
Replayed replay(const OutboxEntry& entry, const std::string& me, Message& message);

}  // namespace chatkeep

#pragma once

// The user's own settings (outbox.hpp: set_channel_hidden, set_channel_muted, update_membership,
// set_user_muted, set_user_blocked, save_draft, delete_draft, update_channel,
// partial_update_channel, partial_update_user): what a pending one shows on the copies the store
// is about to take. Settings live in copies the server sends again and again (a channel in every
// query answer, the own user in every greeting, a membership in member.updated), and one made while
// offline is older on the server than such a copy. So the client runs every batch of the server's
// copies through show_settings() before storing it, and makes each setting's echo with it too:
// what the user set shows until the server has it, and then the server's copies show it anyway.

#include <chrono>
#include <string>
#include <vector>

#include "chatkeep/persistence.hpp"

namespace chatkeep::outbox {

bool is_setting(OutboxKind kind);

// The longest mute chatkeep-server takes (a timeout or an expiration); the client refuses longer.
inline constexpr std::chrono::hours kLongestMute{24 * 365 * 10};

// Whether `batch` holds a copy a setting is shown on: a channel or its hidden flag, a membership
// of `me`, the own user (as such, or among users), a draft. The client reads the outbox for
// show_settings() only then.
bool shows_settings(const Batch& batch, const std::string& me);

// Each setting among `pending` (the outbox, in id order; the rest is skipped) applied to the
// batch's copies: a channel's data and `hidden`; `me`'s membership's pinned_at and archived_at
// (a pin of a pinned membership keeps its time); the own user's fields, mutes, channel_mutes and
// blocked_user_ids; and the latest pending change of a draft in place of the batch's copies of
// it (a save as the draft, written by `me` at the action's time; a deletion as DeleteDraft).
void show_settings(const std::vector<OutboxEntry>& pending, const std::string& me, Batch& batch);

}  // namespace chatkeep::outbox

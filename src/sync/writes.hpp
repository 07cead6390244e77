#pragma once

// What the store must do for what the server says: the writes an event implies (protocol.md,
// "Events", the table) and the writes a channel state from a query implies. Live events and
// catch-up go through the same functions, so they cannot disagree. Pure: no store reads; what
// depends on stored state (a message seen before, local-only channel fields) is left to the
// mutations' own semantics.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chatkeep/channel_state.hpp"
#include "chatkeep/event.hpp"
#include "chatkeep/own_user.hpp"
#include "chatkeep/persistence.hpp"

namespace chatkeep::sync {

// Whom the server has muted for the connected user, by user id, each from the server's time it
// was made (none: always) until it runs out (none: for good). The server counts no unread for
// `me` of a message taken while its sender was muted.
struct MuteSpan {
  std::optional<Timestamp> since;
  std::optional<Timestamp> until;
  bool operator==(const MuteSpan&) const = default;
};
using Mutes = std::map<std::string, MuteSpan>;
Mutes mutes_of(const OwnUser& me);

// Appends the event's writes for the connected user `me`; nothing for events that change nothing
// stored (typing, unknown types, a health check without `me`). The event is moved from. `mutes`:
// the server's when it sent the event (not the store's own user, which shows the outbox's).
void add_event_writes(Event event, const std::string& me, Batch& batch, const Mutes& mutes = {});

// Appends the writes of messages a query returned to `me` (a page of replies, one message):
// the messages, with `me`'s own reactions to them. `cid` names their channel, or each has its own.
// `with_reads`: the answer's reads, stored with them, count them (UpsertMessages::with_reads).
void add_queried_messages_writes(std::optional<std::string> cid, std::vector<Message> messages,
                                 const std::string& me, Batch& batch, bool with_reads = false);

// Appends the writes of a channel as a query returned it to `me`: the channel, its messages
// and pinned messages, `me`'s own reactions to them, members and reads. `page`: the page of
// messages the query asked for, which the store's history gaps are kept by (RecordPage).
void add_channel_state_writes(ChannelState state, const std::string& me, Batch& batch,
                              const std::optional<MessagePagination>& page = std::nullopt);

}  // namespace chatkeep::sync

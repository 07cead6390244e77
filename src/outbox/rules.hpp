#pragma once

// The outbox's rules (DESIGN.md, "The outbox"), pure functions over entries as the store holds
// them: what a new action does to what is already queued, which entries are due, how long a
// failed one waits, what an error means, and what start-up and old age do. The client turns their
// answers into store mutations; nothing here reads a clock or the store, so the rules are tested
// with made-up times.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/error.hpp"
#include "chatkeep/persistence.hpp"
#include "chatkeep/timestamp.hpp"

namespace chatkeep::outbox {

// A limit on outbox reads that means "all of it": the client reads the whole outbox, which holds
// what one user did offline.
inline constexpr std::size_t kWholeOutbox = 1'000'000;

struct RetryPolicy {
  std::chrono::milliseconds first_delay{400};  // after the first failure; doubling from there
  std::chrono::milliseconds max_delay{30'000};
  std::chrono::seconds max_age{24 * 3600};  // entries older than this fail rather than go late
};

// replay() of each of `entries` (the outbox's entries about one message, and the sends of replies
// to it, in the order they were made) on a copy of `message`, left in `out`: removed as soon as one
// removes it, changed if any changes it; `out` is untouched when there are none. The copy's
// own_reactions are dropped first: whether it counts the user's reactions is for its summary to
// say, and an event's are nobody's in particular. What a store stores for every copy of a message
// (persistence.hpp, UpsertMessages).
Replayed replay_all(const std::vector<OutboxEntry>& entries, const std::string& me,
                    const Message& message, Message& out);

// Whether the payload's `name` is true.
bool flag(const boost::json::object& payload, std::string_view name);
// What a setting entry is about: the user of set_user_muted and set_user_blocked, the channel
// and thread of a draft's save or deletion, else the channel.
std::string setting_target(const OutboxEntry& entry);
// The thread of a save_draft or delete_draft entry; none for the channel's own draft.
std::optional<std::string> draft_parent(const OutboxEntry& entry);
// The "message" object of a payload (a send's, an edit's, a draft's), empty if none.
boost::json::object message_of(const boost::json::object& payload);

// The reaction type a send_reaction or delete_reaction entry is about; empty if none.
std::string reaction_type(const OutboxEntry& entry);

// Whether the entry is an update_members whose remove_members takes `me` out of the channel.
bool leaves(const OutboxEntry& entry, const std::string& me);

// Whether the kind changes a channel's life once it exists (delete_channel, truncate_channel,
// update_members, answer_invite): refused, the channel is given back as the server has it.
bool changes_channel(OutboxKind kind);

// What a new action does to the entries already there. `pending` is the outbox in id order.
struct Enqueue {
  bool add = true;                      // the action becomes an entry of its own
  std::vector<std::int64_t> remove;     // entries it cancels
  std::optional<std::int64_t> rewrite;  // a queued send whose payload becomes `payload`
  boost::json::object payload;          // for `rewrite`
};
Enqueue plan_enqueue(const std::vector<OutboxEntry>& pending, const OutboxEntry& action);

// The entries to attempt now, in id order: in each channel the oldest entry still to deliver, if
// it is queued and due. An entry in flight holds back the rest of its channel; a failed entry
// does not, but the entries about a message whose send failed wait for that send (its retry or
// discard decides for them), and those in a channel whose creation failed wait for it. A send or an
// edit whose message has files still to upload (not failed) waits for them, its files going in its
// place in the channel's order.
std::vector<std::int64_t> due_entries(const std::vector<OutboxEntry>& pending, Timestamp now);

// The earliest time a queued entry becomes due, if any is waiting; for the client's timer.
std::optional<Timestamp> next_due(const std::vector<OutboxEntry>& pending);

// What an attempt that failed with `error` means.
enum class Verdict {
  delivered,  // the server has it already (a send retried after it arrived)
  retry,      // transient: try again after retry_delay
  failed      // permanent: the entry is failed with the server's reason
};
Verdict judge(OutboxKind kind, const ChatError& error);
// The same for an entry of user `me`: a leave (update_members removing `me`) refused as not
// allowed was done before (its answer lost): she is no member any more.
Verdict judge(const OutboxEntry& entry, const std::string& me, const ChatError& error);

// The wait after the `failures`-th consecutive failure (1 for the first): first_delay doubling
// up to max_delay, with jitter (uniform in the upper half), so that clients do not retry in step.
std::chrono::milliseconds retry_delay(std::int64_t failures, const RetryPolicy& policy,
                                      std::mt19937& random);

// Entries still queued though made longer than max_age before `now`.
std::vector<std::int64_t> expired_entries(const std::vector<OutboxEntry>& pending, Timestamp now,
                                          const RetryPolicy& policy);

// Entries a crash left `sending`: at start-up nothing is in flight, so they go back to queued.
std::vector<std::int64_t> interrupted_entries(const std::vector<OutboxEntry>& pending);

}  // namespace chatkeep::outbox

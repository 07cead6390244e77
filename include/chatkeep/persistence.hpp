#pragma once

// ChatPersistenceClient: the store a ChatClient keeps the user's chat in, and the extension point
// through which an app can put it in any storage (as Stream's SDKs allow). SqlitePersistenceClient
// is the official implementation and MemoryPersistenceClient an in-memory one; every
// implementation passes the contract suite in tests/store/contract/ (README, "Your own store").
//
// The contract, which every implementation keeps:
//
// - Atomic batches. apply() runs a Batch of typed mutations all or nothing: if it throws, no
//   mutation of the batch is visible, ever; if it returns, all of them are, and stay so across a
//   crash of the process for a store that persists (a committed transaction).
// - Read your writes. A read sees every batch whose apply() (or apply_async()'s future) has
//   returned before the read began, from any thread.
// - Threads. Every method may be called from any thread, concurrently; an implementation
//   serialises calls as it needs to. No method calls back into the caller.
// - Errors. Every failure is a ChatError: `input` for a mutation that breaks the rules below (a
//   cid that is not type:id, a message without created_at), `invalid_state` for any call but
//   connect() while disconnected, `storage` for a store that cannot be read or written.
// - Users. Connecting opens the store of one user at a time; the message rules below (versions,
//   echoes, local changes, replay of the outbox), own reactions, mutes and mentions are about
//   that user.
// - Unread. A new message counts as unread for every member but its sender when it
//   counts_as_unread (message.hpp), and not for the connected user when they muted the sender
//   (their own user's mutes, SetConnectionInfo). The user's own read carries unread_mentions.
//
// This header holds the store's data types (Draft, ConnectionInfo), its mutations (the write
// side, each with its rules) and the interface (the read side). The outbox's own types live in
// outbox.hpp.

#include <cstddef>
#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/channel.hpp"
#include "chatkeep/channel_state.hpp"
#include "chatkeep/error.hpp"
#include "chatkeep/member.hpp"
#include "chatkeep/message.hpp"
#include "chatkeep/outbox.hpp"
#include "chatkeep/own_user.hpp"
#include "chatkeep/query.hpp"
#include "chatkeep/search.hpp"
#include "chatkeep/timestamp.hpp"
#include "chatkeep/user.hpp"

namespace chatkeep {

// A message being written and not yet sent: one per channel, and one per thread (parent_id).
struct Draft {
  std::string cid;
  std::optional<std::string> parent_id;
  Message message;
  Timestamp created_at;
};

// A stretch of a channel's history the store may be missing: messages shown in the channel created
// strictly between `after` and `before` (unbounded where absent). Between two stored messages
// that a gap falls between, the server may hold messages the store does not.
struct HistoryGap {
  std::optional<Timestamp> after;
  std::optional<Timestamp> before;
  friend bool operator==(const HistoryGap&, const HistoryGap&) = default;
};

// The connected user's unread figures over the channels the store holds, as they stand in it:
// unread messages, channels with any, and mentions of the user among them (Read::
// unread_mentions). Channels the user muted are left out.
struct UnreadCounts {
  std::int64_t total_unread_count = 0;
  std::int64_t unread_channels = 0;
  std::int64_t unread_mentions = 0;
  friend bool operator==(const UnreadCounts&, const UnreadCounts&) = default;
};

// What the connected user last heard about themself: the own user of the last health.check, with
// the unread totals that later events replaced.
struct ConnectionInfo {
  OwnUser own_user;
};

// The write side of the store: typed mutations, applied as one batch in one transaction.
// Objects that name a user (messages, members, reads, reactions, channels' created_by) also
// record that user once in the users table; a bare {"id": ...} reference never overwrites what is
// known of a user.

struct UpsertUsers {
  std::vector<User> users;
};
// A copy never takes a channel's last_message_at back (an answer can be older than a message
// stored since); only TruncateChannel does. Nor its truncated_at: the latest truncation the
// server told of stays, and keeps older copies of what it took out (UpsertMessages, UpsertReads).
// `partial`: channels as events carry them, without what only a query says of a channel as the
// user sees it (own_capabilities, config, hidden, member_count): those keep their stored values.
struct UpsertChannels {
  std::vector<Channel> channels;
  bool partial = false;
};
// Messages need created_at, and a cid unless `cid` names their channel. A channel that is not
// stored yet is created as a stub from its cid. Upserting a message leaves its reactions alone.
// A message's updated_at is its version: a copy older than the one stored is skipped (a server
// answer or a query's state can be older than an event stored before it), and a copy without
// one always replaces what is stored.
// `arrived`: new messages as they happen (message.new). The first time each is stored, and only
// then, if it shows in the channel: the channel's last_message_at moves up to it, a channel the
// user hid shows again (Stream's rule, which sends no channel.visible), and, unless it is
// silent, the read of every user but its sender and those in `muted_by` counts one more unread
// message; a reply counts one more on its stored parent's reply_count, whether it shows in the
// channel or not. `muted_by` names who had muted the sender when the server took the message
// (the connected user, as the server's socket told the client): a store cannot tell, since the
// own user it holds shows mutes still waiting in the outbox, and lacks unmutes waiting there.
// `echo`: the user's own new messages, stored before the server has them (the outbox's local
// echo). The channel's last_message_at moves up (for one shown in it), but unread counts wait
// for the server's copy to arrive, which counts as the first time even though the echo is
// stored.
// `local`: the user's own change to a stored message (an edit, a deletion, a reaction), made
// before the server has it, on the stored copy and with its version. Copies of that same version
// (a re-watch, a replay) no longer replace it; a newer copy does, and so does `answer`: the
// server's answer to one of the user's own changes, which is at least as new as the copy the
// change was made on.
// Every copy that is neither `echo` nor `local` is stored with the outbox's entries about its
// message replayed on it (replay(), in id order), and then counts as `local` on the copy's own
// version: a newer copy replaces the row without undoing what the user did and the server has
// not seen yet. A pending hard deletion keeps the copy out. An answer therefore comes after the
// RemoveOutboxEntry of the entry it answers. The channel's truncation keeps a copy out too: one
// created before the channel's stored truncated_at (an answer written before the truncation,
// stored after it), unless `arrived` (new by the server's word).
// `with_reads`: copies that came in a channel state with its reads, which count every message in
// it: an echo among them is the server's now and counted by those reads, so no later arrival
// counts it again.
struct UpsertMessages {
  std::optional<std::string> cid;
  std::vector<Message> messages;
  bool arrived = false;
  bool echo = false;
  bool local = false;
  bool answer = false;
  std::vector<std::string> muted_by;
  bool with_reads = false;
};
// A member new to the channel also gets a read (last_read = joined, nothing unread), as the server
// keeps one per member. A member who left at `departed` (DeleteMembers) comes back only with a
// copy made after it: its updated_at (else created_at) later than `departed`.
struct UpsertMembers {
  std::string cid;
  std::vector<Member> members;
};
// Their reads of the channel go with them: a read belongs to a member. With `at` (when they left,
// by the server's clock: member.removed) the departure is kept with the channel, so that an
// answer the server wrote before it, stored after it, does not bring them back. The user's own
// removals, not yet done by the server, have no `at`: a refusal must be able to undo them.
struct DeleteMembers {
  std::string cid;
  std::vector<std::string> user_ids;
  std::optional<Timestamp> at;
};
// A read only moves forward: one whose last_read is before the stored one's is skipped, and of
// two with the same last_read the larger unread count stays (counts only grow between reads), so
// that a copy from before a read mark or before messages counted since undoes neither. The read
// of a user who departed and is no member is skipped.
// `of_channel`: the reads of a channel state (an answer), whose channel had `truncated_at`. Made
// before the stored channel's latest truncation (an older truncated_at, or none), a copy counts
// messages that the truncation took: it moves last_read forward and leaves the count alone.
struct UpsertReads {
  std::string cid;
  std::vector<Read> reads;
  bool of_channel = false;
  std::optional<Timestamp> truncated_at;
};
// The user has read every channel they have a read in, at `at` (notification.mark_read without
// a cid).
struct MarkAllRead {
  std::string user_id;
  Timestamp at;
};
// The connected user hid the channel or showed it again (channel.hidden / channel.visible).
struct SetChannelHidden {
  std::string cid;
  bool hidden = false;
};
// Reactions need message_id and user_id (or user); those of messages not stored are skipped.
// `as_of`: the version (updated_at) of the message copy the change came with, from the server; the
// change is skipped where the stored message is newer, as it is older than what the store shows.
// Local changes have none and always apply.
struct UpsertReactions {
  std::vector<Reaction> reactions;
  std::optional<Timestamp> as_of;
};
struct DeleteReaction {
  std::string message_id;
  std::string user_id;
  std::string type;
  std::optional<Timestamp> as_of;
};
// The user's reactions to the message become exactly `reactions` (enforce_unique, and the
// authoritative own_reactions of a query).
struct ReplaceReactions {
  std::string message_id;
  std::string user_id;
  std::vector<Reaction> reactions;
  std::optional<Timestamp> as_of;
};
struct UpsertDrafts {
  std::vector<Draft> drafts;
};
struct DeleteDraft {
  std::string cid;
  std::optional<std::string> parent_id;
};
// A page of the channel's messages (those shown in it), or with parent_id of a thread's replies,
// as the server answered `page`, its cursor and limit; `messages` are the page's ids and
// created_at, ascending. It comes before the UpsertMessages that stores them, in the same batch.
// The store keeps the channel's (or the thread's) gaps by it:
// the span the page covers is complete (a page as long as its limit covers from its first message
// to its last, or to its cursor; a shorter one reaches the end of history on its open side);
// and when neither its cursor nor any of its messages was stored before, the span between it and
// the stored messages beyond its ends (on a side the page leaves open) becomes a gap.
struct RecordPage {
  std::string cid;
  MessagePagination page;
  std::vector<std::pair<std::string, Timestamp>> messages;
  std::optional<std::string> parent_id;
};
// Hard: the rows go (with their reactions). Soft: the messages stay, marked type "deleted" with
// deleted_at.
struct DeleteMessages {
  struct ByIds {
    std::vector<std::string> ids;
  };
  struct ByChannels {
    std::vector<std::string> cids;
  };
  struct ByUser {
    std::string user_id;
    std::optional<std::string> cid;  // all channels when absent
  };
  std::variant<ByIds, ByChannels, ByUser> which;
  bool hard = true;
  Timestamp deleted_at;  // for soft deletes
};
// Removes the channel's messages created before `before`, or all of them, but for those whose
// send is still in the outbox (they reach the server after it); the channel's last_message_at
// becomes that of the newest message left shown in it (none when none is).
// `for_everyone`: the channel's truncation, after which every member's unread count is zero, as
// the server's is. Otherwise the connected user's clearing of her own history (hiding with
// clear_history): her unread count is zero, as the server's is, and the others' stay.
struct TruncateChannel {
  std::string cid;
  std::optional<Timestamp> before;
  bool for_everyone = false;
};
// Counts one more event of a type chatkeep does not know (storage statistics show them, so that
// a newer server is noticed). A store keeps at most kMaxUnknownEventTypes types, each name cut to
// kMaxUnknownEventTypeLength bytes: a server cannot grow it without bound.
struct CountUnknownEvent {
  std::string type;
};
inline constexpr std::size_t kMaxUnknownEventTypes = 64;
inline constexpr std::size_t kMaxUnknownEventTypeLength = 64;
// Removes channels with their messages, members, reads, drafts and cached-query entries.
struct DeleteChannels {
  std::vector<std::string> cids;
};
// Records that the query (filter, sort) answered with `cids` in this order, replacing what was
// cached for it, or appending to it (the next page).
struct SaveChannelQuery {
  Filter filter;
  Sort sort;
  std::vector<std::string> cids;
  bool append = false;
};
struct SetConnectionInfo {
  ConnectionInfo info;
};
// New unread totals from an event; absent ones are left as they are.
struct SetUnreadCounts {
  std::optional<std::int64_t> total_unread_count;
  std::optional<std::int64_t> unread_channels;
  std::optional<std::int64_t> unread_count;
};
struct SetLastSyncAt {
  Timestamp last_sync_at;
};
struct AddOutboxEntry {
  OutboxEntry entry;  // id is ignored: the store assigns it
};
struct UpdateOutboxEntry {
  std::int64_t id = 0;
  OutboxState state = OutboxState::queued;
  std::int64_t attempts = 0;
  std::optional<std::string> error;
  std::optional<Timestamp> next_attempt_at;
  std::optional<boost::json::object> payload;  // rewrites what will be sent, when set
  std::optional<Timestamp> created_at;         // restarts the entry's age, when set (a retry)
};
struct RemoveOutboxEntry {
  std::int64_t id = 0;
};
// The server's URL for bytes the user uploaded to a channel: the same bytes sent there again are
// not uploaded again (uploaded_url).
struct RecordUpload {
  std::string cid;
  std::string sha256;
  std::string url;
};
// The file at `url` is being taken back from the server: no later upload may count on it.
struct ForgetUpload {
  std::string cid;
  std::string url;
};

using Mutation =
    std::variant<UpsertUsers, UpsertChannels, UpsertMessages, UpsertMembers, DeleteMembers,
                 UpsertReads, MarkAllRead, SetChannelHidden, UpsertReactions, DeleteReaction,
                 ReplaceReactions, UpsertDrafts, DeleteDraft, DeleteMessages, TruncateChannel,
                 DeleteChannels, SaveChannelQuery, SetConnectionInfo, SetUnreadCounts,
                 SetLastSyncAt, AddOutboxEntry, UpdateOutboxEntry, RemoveOutboxEntry, RecordUpload,
                 ForgetUpload, RecordPage, CountUnknownEvent>;
using Batch = std::vector<Mutation>;

struct ApplyResult {
  std::vector<std::int64_t> outbox_ids;  // of the batch's AddOutboxEntry mutations, in order
};

// What a flush removed that the server has not seen.
struct FlushResult {
  std::int64_t discarded_outbox_entries = 0;
};

// The persistence extension point; its contract opens this header.
class ChatPersistenceClient {
 public:
  virtual ~ChatPersistenceClient() = default;

  // Opens (creating if needed) the user's store. Connecting again as the same user is harmless;
  // as another user while connected is an error.
  virtual void connect(const std::string& user_id) = 0;
  // Closes the store, first deleting everything in it when `flush` is true.
  virtual FlushResult disconnect(bool flush) = 0;
  // Deletes every row, outbox included, and leaves the store open and usable.
  virtual FlushResult flush() = 0;
  virtual bool is_connected() = 0;
  virtual std::optional<std::string> user_id() = 0;

  virtual std::optional<ConnectionInfo> connection_info() = 0;
  // The /sync checkpoint.
  virtual std::optional<Timestamp> last_sync_at() = 0;

  // Cached channels, most recent message first.
  virtual std::vector<std::string> channel_cids(std::size_t limit) = 0;
  virtual std::optional<Channel> channel(const std::string& cid) = 0;
  // The channel with a page of its messages (replies shown in the channel included), its pinned
  // messages, members, the connected user's membership and reads; nullopt if not cached.
  virtual std::optional<ChannelState> channel_state(const std::string& cid,
                                                    const MessagePagination& messages) = 0;
  // Messages carry the connected user's own reactions and, for those with the user's changes
  // still in the outbox, their local_state (failed over sending over queued) and local_error.
  // Pages are in ascending created_at order, messages of the same time in the order they were
  // first stored. With no cursor: the latest `limit` (25 by
  // default); id_lt/id_lte: the `limit` before the cursor; id_gt/id_gte: the `limit` after it;
  // id_around: a window of `limit` around it. A cursor that is not stored gives an empty page.
  // pinned_messages() leaves out pins that have expired (pinned_at_time).
  virtual std::vector<Message> messages(const std::string& cid, const MessagePagination& page) = 0;
  virtual std::vector<Message> pinned_messages(const std::string& cid,
                                               const MessagePagination& page) = 0;
  virtual std::vector<Message> replies(const std::string& parent_id,
                                       const MessagePagination& page) = 0;
  virtual std::optional<Message> message(const std::string& id) = 0;
  virtual std::vector<Member> members(const std::string& cid) = 0;
  virtual std::vector<Read> reads(const std::string& cid) = 0;
  // The channels a saved query answered with, ordered by the query's sort on what is cached now
  // (the server's order breaks ties), each with its latest `message_limit` messages; nullopt if the
  // query was never saved.
  virtual std::optional<std::vector<ChannelState>> query_channels(const Filter& filter,
                                                                  const Sort& sort,
                                                                  std::size_t offset,
                                                                  std::size_t limit,
                                                                  std::size_t message_limit) = 0;
  virtual std::optional<Draft> draft(const std::string& cid,
                                     const std::optional<std::string>& parent_id) = 0;
  // Outbox entries with id > after_id, oldest first.
  virtual std::vector<OutboxEntry> outbox(std::int64_t after_id, std::size_t limit) = 0;
  // A lease on a job only one process may do at a time (delivering the outbox): `holder` takes or
  // renews the named lease until `until`, unless another holder has it and it has not run out at
  // `now`. Whether `holder` has it afterwards. SqlitePersistenceClient also takes the lease of
  // a holder named "<pid>:..." whose process is gone. For a store that one process uses, the
  // default: always.
  virtual bool acquire_lease(const std::string& name, const std::string& holder, Timestamp now,
                             Timestamp until);
  virtual void release_lease(const std::string& name, const std::string& holder);
  // The URL RecordUpload stored for these bytes in this channel, if any. The default keeps none,
  // which costs a store only a second upload of the same bytes.
  virtual std::optional<std::string> uploaded_url(const std::string& cid,
                                                  const std::string& sha256);
  // The connected user's unread figures (UnreadCounts). The default reads every channel's reads.
  virtual UnreadCounts unread_counts();
  // The channel's gaps (RecordPage; retention records one where it cut), oldest first. The
  // default knows none: a store without gaps shows history as contiguous as it is stored.
  virtual std::vector<HistoryGap> gaps(const std::string& cid);
  // The same for the replies of a thread of the channel.
  virtual std::vector<HistoryGap> thread_gaps(const std::string& cid, const std::string& parent_id);
  // The stored messages the query finds (search.hpp), in its order and page; a channel filter
  // is matched against the stored channels as a live channel list matches it. Every message
  // stored and not deleted is found by its text as it stands (an echo's, an edit's), in the
  // same read as the messages themselves. ChatError(input) for a query search.hpp refuses. The
  // default searches nothing: ChatError(invalid_state) saying so.
  virtual SearchResults search(const SearchQuery& query);

  virtual ApplyResult apply(const Batch& batch) = 0;

  // apply(), for callers that must not wait on the disk: the future is ready once the batch is
  // committed. Runs at once here; background mode queues it.
  virtual std::future<ApplyResult> apply_async(Batch batch);

  // Shorthands for one-mutation batches.
  void set_connection_info(ConnectionInfo info);
  void set_last_sync_at(Timestamp last_sync_at);
};

}  // namespace chatkeep

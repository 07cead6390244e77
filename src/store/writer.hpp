#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "chatkeep/persistence.hpp"
#include "store/sqlite_store.hpp"

namespace chatkeep::store {

// Applies the mutations of one batch inside the caller's transaction, one handler per mutation
// (std::visit), grouped by the table they write. The rules it keeps are persistence.hpp's; how
// they are kept is the essay at the top of writer.cpp.
class Writer {
 public:
  // `users` holds what the connection knows is stored of each user (see SqliteStore); the
  // writer adds to `written`, which the caller merges into it once the batch is committed.
  Writer(Database& db, ApplyResult& result, const UserHashes& users, const std::string& me)
      : db_(db), result_(result), known_users_(users), me_(me) {}

  const UserHashes& written_users() const { return written_users_; }

  // users
  void operator()(const UpsertUsers& m);
  // channels
  void operator()(const UpsertChannels& m);
  void operator()(const SetChannelHidden& m);
  void operator()(const DeleteChannels& m);
  // messages
  void operator()(const UpsertMessages& m);
  void operator()(const DeleteMessages& m);
  void operator()(const TruncateChannel& m);
  // reactions
  void operator()(const UpsertReactions& m);
  void operator()(const DeleteReaction& m);
  void operator()(const ReplaceReactions& m);
  // members and reads
  void operator()(const UpsertMembers& m);
  void operator()(const DeleteMembers& m);
  void operator()(const UpsertReads& m);
  void operator()(const MarkAllRead& m);
  // drafts
  void operator()(const UpsertDrafts& m);
  void operator()(const DeleteDraft& m);
  // saved_queries and channel_queries
  void operator()(const SaveChannelQuery& m);
  // connection_state
  void operator()(const SetConnectionInfo& m);
  void operator()(const SetUnreadCounts& m);
  void operator()(const SetLastSyncAt& m);
  // outbox
  void operator()(const AddOutboxEntry& m);
  void operator()(const UpdateOutboxEntry& m);
  void operator()(const RemoveOutboxEntry& m);
  void operator()(const RecordUpload& m);
  void operator()(const ForgetUpload& m);
  // gaps
  void operator()(const RecordPage& m);
  void operator()(const CountUnknownEvent& m);

 private:
  // A bare {"id"} reference adds the user if unknown but never replaces what is known of it;
  // an unchanged user is not rewritten.
  void upsert_user(const User& user);

  // The channel with what only queries tell (see UpsertChannels::partial) taken from the stored
  // one where it lacks them. The result lives until the next call.
  const Channel& keep_local_fields(const Channel& given);
  // The channel's latest truncation, as the server told of it (UpsertChannels keeps it).
  std::optional<Timestamp> truncated_at(const std::string& cid);
  // Whether `member` may be stored: made after their departure from `cid`, if any (which it
  // then ends).
  bool outlives_departure(const std::string& cid, const Member& member);
  // Rows that name a channel need the channel's row; a stub stands in until the channel arrives.
  // Returns the channel's key.
  std::int64_t ensure_channel(const std::string& cid);

  // Asked once a batch (live events come one message a mutation); a removal leaves a stale
  // "yes", which costs a look-up per message and nothing else.
  bool outbox_has_message_entries();
  // `given` with the outbox's entries about it replayed on it, in the order they were made,
  // into `out` when that changed it.
  Replayed replay_pending(const Message& given, Message& out);
  // A message just arrived: the channel's last message time, and (`unread`) unread counts of
  // the others.
  void count_arrival(std::int64_t channel, const std::string& cid, const Message& message,
                     bool unread, const std::vector<std::string>& muted_by);

  void upsert_reaction(const Reaction& reaction, const std::optional<std::string>& message_id,
                       const std::optional<std::string>& user_id);
  // Whether the stored copy of the message is newer than version `as_of` (never without one), or
  // a local change made on that version.
  bool newer_than(const std::string& message_id, const std::optional<Timestamp>& as_of);

  Database& db_;
  ApplyResult& result_;
  const UserHashes& known_users_;
  const std::string& me_;  // the connected user, whose actions the outbox holds
  std::optional<bool> outbox_has_message_entries_;
  UserHashes written_users_;
  std::unordered_map<std::string, std::int64_t> channel_keys_;             // of this batch
  std::unordered_map<std::string, std::optional<Timestamp>> truncations_;  // of this batch
  Channel merged_;  // keep_local_fields' result
};

}  // namespace chatkeep::store

#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "addressed_event.hpp"
#include "chatkeep/channel.hpp"
#include "chatkeep/event.hpp"
#include "chatkeep/member.hpp"
#include "chatkeep/message.hpp"
#include "chatkeep/own_user.hpp"
#include "chatkeep/query.hpp"
#include "chatkeep/user.hpp"
#include "search/search_terms.hpp"
#include "sqlite/database.hpp"

namespace chatkeep::server {

// The server's own data, in its SQLite file (":memory:" for none). Every change runs in one
// transaction together with the events it records, so the log /sync reads never disagrees with
// the data. Methods that change something take `actor`, the user the events name.
class State {
 public:
  // Opens or creates the file; ChatError (code storage) when it was written by a newer schema.
  explicit State(const std::string& db_path);

  // Users.
  // Stores users, stamping created_at the first time and updated_at every time; returns them
  // as stored.
  std::vector<User> upsert_users(std::vector<User> users);
  // upsert_users, telling user.updated to the user's own connections.
  std::vector<User> update_users(std::vector<User> users);
  std::optional<User> user(const std::string& id);
  std::vector<User> all_users();

  // Channels, with their creator, member and message counts filled in.
  std::optional<Channel> channel(const std::string& cid);
  // Creates the channel (its config from its type) with these members, or returns it as it is.
  Channel get_or_create_channel(Channel channel, const std::vector<std::string>& member_ids);
  // Replaces the channel's own data (name, image, custom fields); records channel.updated.
  Channel update_channel_data(const std::string& cid, const boost::json::object& data,
                              const std::string& actor);
  // Removes the channel with its messages, members and reads; records channel.deleted and
  // returns the channel as it was, with deleted_at.
  Channel delete_channel(const std::string& cid, const std::string& actor);
  // Removes every message of the channel and zeroes its unread counts; records
  // channel.truncated with truncated_at.
  Channel truncate_channel(const std::string& cid, const std::string& actor);
  // Hidden channels leave the user's queries until shown again or a new message arrives;
  // clear_history also hides the messages until now from that user for good. Both record an
  // event for the user's own connections only.
  void hide_channel(const std::string& cid, const std::string& user_id, bool clear_history);
  void show_channel(const std::string& cid, const std::string& user_id);
  bool hidden(const std::string& cid, const std::string& user_id);
  // Messages older than this are not the user's any more (hide with clear_history).
  Timestamp cleared_at(const std::string& cid, const std::string& user_id);
  // The channels a user may see: those they are a member of, and all of the open types.
  std::vector<std::string> visible_channels(const std::string& user_id);

  // Members.
  std::vector<Member> members(const std::string& cid, std::int64_t limit, std::int64_t offset);
  std::vector<std::string> member_ids(const std::string& cid);
  void notify_members(EventType kind, const Channel& channel, const std::string& actor);
  bool is_member(const std::string& cid, const std::string& user_id);
  // Membership changes, with member.added / member.removed for the channel's watchers and
  // notification.added_to_channel / removed_from_channel for the user concerned.
  void add_members(const std::string& cid, const std::vector<std::string>& user_ids,
                   const std::string& actor);
  // Invited members (invited: true), told notification.invited rather than added_to_channel;
  // and an invited member's answer (member.updated to the channel, notification.invite_accepted
  // or _rejected to the member). ChatError (400) without an invite to answer.
  void invite_members(const std::string& cid, const std::vector<std::string>& user_ids,
                      const std::string& actor);
  void answer_invite(const std::string& cid, const std::string& user_id, bool accept);
  void remove_members(const std::string& cid, const std::vector<std::string>& user_ids,
                      const std::string& actor);

  // The user's own settings (state_settings.cpp). Each tells the user's connections with
  // member.updated, notification.mutes_updated or notification.channel_mutes_updated (carrying
  // `me`), and nobody else. set_membership: {"set": {"pinned"?, "archived"?}, "unset": [...]}.
  Member set_membership(const std::string& cid, const std::string& user_id,
                        const boost::json::object& body);
  void mute_user(const std::string& user_id, const std::string& target_id,
                 std::optional<std::int64_t> minutes);
  void unmute_user(const std::string& user_id, const std::string& target_id);
  void mute_channel(const std::string& user_id, const std::string& cid,
                    std::optional<std::int64_t> milliseconds);
  void unmute_channel(const std::string& user_id, const std::string& cid);
  void block_user(const std::string& user_id, const std::string& blocked_id);
  void unblock_user(const std::string& user_id, const std::string& blocked_id);
  // The user with unread totals and the settings in force (expired mutes left out).
  OwnUser own_user(const std::string& user_id);

  // Drafts (state_drafts.cpp), as Stream's DraftResponse objects: {channel_cid, created_at,
  // message, parent_id?, quoted_message?}. One per user, channel and thread; saving replaces,
  // with draft.updated, and deleting sends draft.deleted, both to the user's connections alone.
  boost::json::object save_draft(const std::string& user_id, const std::string& cid,
                                 const Message& message);
  std::optional<boost::json::object> draft(const std::string& user_id, const std::string& cid,
                                           const std::string& parent_id);
  void delete_draft(const std::string& user_id, const std::string& cid,
                    const std::string& parent_id);
  // The user's drafts, newest first, of the channels in `cids` (all when empty).
  std::vector<boost::json::object> drafts(const std::string& user_id,
                                          const std::vector<std::string>& cids, std::int64_t limit);

  // Messages.
  std::optional<Message> message(const std::string& id);
  // Stores a new message: ChatError code 4 if its id exists ("a message with ID ... already
  // exists"), or if its parent is not a message of the same channel. Bumps the channel's
  // last_message_at (messages shown in the channel), the parent's reply_count (replies), the
  // other members' unread counts (counts_as_unread), and shows the channel to members who hid it.
  Message insert_message(Message message);
  // Messages in ascending order: the latest `limit`, or the page the cursors name. Of the
  // channel (those shown in it), or of one thread when `parent_id` is given; none created at or
  // before `after`.
  // Messages the reader deleted for themselves are left out.
  std::vector<Message> messages(const std::string& cid, const MessagePagination& page,
                                const std::string& reader,
                                const std::optional<std::string>& parent_id = {},
                                Timestamp after = Timestamp());
  // The channel's pinned messages, most recently pinned first.
  std::vector<Message> pinned_messages(const std::string& cid, std::int64_t limit);
  // A message as edited: text, pin and custom fields replaced; the id, channel, author, type,
  // thread and creation time kept. ChatError 404 (code 16) if there is none.
  Message update_message(const Message& changes, const std::string& actor);
  // Search (GET /search): the messages of `cids` as `user_id` reads them (not deleted for them,
  // not cleared by their hide) whose text `terms` find, best match first, else newest first;
  // without terms, every such message, newest first. At most `max` of them.
  std::vector<Message> search_messages(const std::string& user_id,
                                       const std::vector<std::string>& cids,
                                       const std::optional<search::SearchTerms>& terms,
                                       bool by_relevance, std::size_t max);
  // Soft: the message stays, type "deleted" with deleted_at. Hard: gone, with its reactions.
  // Returns the deleted version.
  Message delete_message(const std::string& id, bool hard, const std::string& actor);
  // Gone for this user only: left out of what they read from now on; message.deleted with
  // deleted_for_me goes to their own connections. Returns the message as they now see it.
  Message delete_message_for(const std::string& id, const std::string& user_id);

  // Reactions: one per (message, user, type); with enforce_unique, the user's other reactions to
  // the message go. Returns the reaction and the message with its new summary.
  std::pair<Reaction, Message> add_reaction(const std::string& message_id,
                                            const std::string& user_id, Reaction reaction,
                                            bool enforce_unique);
  std::pair<Reaction, Message> remove_reaction(const std::string& message_id,
                                               const std::string& user_id, const std::string& type);
  // The user's reactions to a message (own_reactions as that user sees them).
  std::vector<Reaction> reactions_of(const std::string& message_id, const std::string& user_id);

  // Reads. The user has read the channel up to `at` (up to `message_id` when given, which must
  // be one of the channel's). Records message.read, whose created_at is the read's last_read:
  // clients order the copies of a read by it. `at` is to the microsecond, as tables keep times
  // (read_time()).
  Event mark_read(const std::string& cid, const std::string& user_id,
                  const std::optional<std::string>& message_id, Timestamp at);
  // The user's read of a channel with nothing unread moves to `at`, silently (mark all read).
  void touch_read(const std::string& cid, const std::string& user_id, Timestamp at);
  // Now, to the microsecond: the time of a read, which its event and every copy of it share.
  static Timestamp read_time();
  // Each member's read state: last read, and the messages of others since.
  std::vector<Read> reads(const std::string& cid);
  // The user's unread messages in one channel, and over all their channels.
  std::int64_t unread(const std::string& cid, const std::string& user_id);
  struct UnreadTotals {
    std::int64_t messages = 0;
    std::int64_t channels = 0;
  };
  UnreadTotals unread_totals(const std::string& user_id);
  // The channels the user is a member of.
  std::vector<std::string> channels_of(const std::string& user_id);

  // Uploads (upload_routes.cpp): files stored by their SHA-256 beside the server's database, each
  // recorded for the channel it was sent to. The same bytes under the same name in one channel are
  // one upload, so a client's retry after a lost answer gets the first one's URL back.
  struct Upload {
    std::string cid;
    std::string hash;  // of the bytes: the file's name on disk
    std::string name;  // the file name given, as the URL ends
    std::string content_type;
    std::int64_t size = 0;
    std::string user_id;  // who sent it; empty for the server
    Timestamp created_at;
  };
  // Records the upload unless the channel has it already; returns the record kept.
  Upload record_upload(const Upload& upload);
  std::optional<Upload> upload(const std::string& cid, const std::string& hash,
                               const std::string& name);
  // Some channel's upload of these bytes under this name (what a download serves).
  std::optional<Upload> any_upload(const std::string& hash, const std::string& name);
  void remove_upload(const std::string& cid, const std::string& hash, const std::string& name);
  // Whether any upload still names these bytes.
  bool bytes_referenced(const std::string& hash);

  // One transaction around a whole request: its changes and events stand or fall together.
  sqlite::Transaction transaction() { return sqlite::Transaction(db_); }

  // The events recorded since the last call, for the sockets. The server takes them after a
  // request succeeded and drops them after one failed (its transaction rolled back).
  std::vector<AddressedEvent> take_recorded();

  // Events of these channels for this user created after `after`, oldest first; at most
  // `max` + 1 (so a caller can tell "more than max").
  std::vector<Event> events_since(const std::vector<std::string>& cids, const std::string& user_id,
                                  Timestamp after, std::size_t max);

 private:
  User user_or_reference(const std::string& id);
  // Fills the message's reaction summary (latest, counts, scores, groups) from its reactions.
  void summarize(Message& message);
  Message read_message(const sqlite::Query& row);  // a (data, user_id) row, summarized
  void write_message(const Message& message);      // replaces the stored data of an existing one
  // A reaction changed the message: its updated_at moves, as Stream's does, so that clients can
  // tell the newer copy of a message from an older one.
  void touch_message(const std::string& id, Timestamp at);
  void insert_members(const std::string& cid, const std::vector<std::string>& user_ids,
                      const std::string& actor, bool invited);
  // An event of this kind in this channel, now, by `actor`.
  Event event(EventType kind, const std::string& cid, const std::string& actor);
  // A notification of the user's mutes, with `me`, to the user's connections.
  void tell_settings(EventType kind, const std::string& user_id);
  // Logs the event for /sync and keeps it for take_recorded().
  void append(Event event, std::optional<std::string> only_for = {});

  sqlite::Database db_;
  std::vector<AddressedEvent> recorded_;
};

}  // namespace chatkeep::server

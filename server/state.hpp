#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chatkeep/channel.hpp"
#include "chatkeep/event.hpp"
#include "chatkeep/member.hpp"
#include "chatkeep/message.hpp"
#include "chatkeep/query.hpp"
#include "chatkeep/user.hpp"
#include "sqlite/database.hpp"

namespace chatkeep::server {

// The server's own data, in its SQLite file (":memory:" for none).
class State {
 public:
  explicit State(const std::string& db_path);

  // Stores users, stamping created_at the first time and updated_at every time; returns them
  // as stored.
  std::vector<User> upsert_users(std::vector<User> users);
  std::optional<User> user(const std::string& id);

  // Channels, with their creator, member and message counts filled in.
  std::optional<Channel> channel(const std::string& cid);
  // Creates the channel (its config from its type) with these members, or returns it as it is.
  Channel get_or_create_channel(Channel channel, const std::vector<std::string>& member_ids);
  std::vector<Member> members(const std::string& cid, std::int64_t limit, std::int64_t offset);
  bool is_member(const std::string& cid, const std::string& user_id);
  // Membership changes, with member.added / member.removed for the channel's watchers and
  // notification.added_to_channel / removed_from_channel for the user concerned.
  void add_members(const std::string& cid, const std::vector<std::string>& user_ids,
                   const std::string& actor);
  void remove_members(const std::string& cid, const std::vector<std::string>& user_ids,
                      const std::string& actor);
  // Replaces the channel's own data (name, image, custom fields); records channel.updated.
  Channel update_channel_data(const std::string& cid, const boost::json::object& data,
                              const std::string& actor);
  std::vector<std::string> member_ids(const std::string& cid);
  // The channels a user may see: those they are a member of, and all of the open types.
  std::vector<std::string> visible_channels(const std::string& user_id);

  std::optional<Message> message(const std::string& id);
  // Every change below also appends its event (message.new, message.updated, ...) to the log,
  // in the same transaction, with `actor` as the event's user.

  // Stores a new message: ChatError code 4 if its id exists ("a message with ID ... already
  // exists"). Bumps the channel's last_message_at.
  Message insert_message(Message message);
  // The channel's messages in ascending order: the latest `limit`, or the page the cursors name.
  std::vector<Message> messages(const std::string& cid, const MessagePagination& page);

  // A message as its owner or anyone else edits it: text and custom fields replaced; the id,
  // channel, author and creation time kept. ChatError 404 (code 16) if there is none.
  Message update_message(const Message& changes, const std::string& actor);
  // Soft: the message stays, type "deleted" with deleted_at. Hard: gone, with its reactions.
  // Returns the deleted version.
  Message delete_message(const std::string& id, bool hard, const std::string& actor);

  // One reaction per (message, user, type); with enforce_unique, the user's other reactions to
  // the message go. Returns the reaction and the message with its new summary.
  std::pair<Reaction, Message> add_reaction(const std::string& message_id,
                                            const std::string& user_id, Reaction reaction,
                                            bool enforce_unique);
  std::pair<Reaction, Message> remove_reaction(const std::string& message_id,
                                               const std::string& user_id, const std::string& type);
  // The user has read the channel up to now (up to `message_id` when given, which must be one
  // of the channel's). Records message.read.
  Event mark_read(const std::string& cid, const std::string& user_id,
                  const std::optional<std::string>& message_id);
  // Each member's read state: last read, and the messages of others since.
  std::vector<Read> reads(const std::string& cid);
  // The user's unread messages in one channel, and over all their channels.
  std::int64_t unread(const std::string& cid, const std::string& user_id);
  std::pair<std::int64_t, std::int64_t> unread_totals(
      const std::string& user_id);  // messages, channels

  // The user's reactions to a message (own_reactions as that user sees them).
  std::vector<Reaction> reactions_of(const std::string& message_id, const std::string& user_id);

  // The events recorded since the last call, for the sockets. The server takes them after a
  // request succeeded and drops them after one failed (its transaction rolled back).
  std::vector<Event> take_recorded();

  // Events of these channels created after `after`, oldest first; at most `max` + 1 (so a
  // caller can tell "more than max").
  std::vector<Event> events_since(const std::vector<std::string>& cids, Timestamp after,
                                  std::size_t max);

 private:
  User user_or_reference(const std::string& id);
  // Fills the message's reaction summary (latest, counts, scores, groups) from its reactions.
  void summarize(Message& message);
  Message read_message(const sqlite::Query& row);  // a (data, user_id) row, summarized
                                                   // An event of this kind in this channel, now, by
                                                   // `actor`; append() logs it.
  Event event(EventType kind, const std::string& cid, const std::string& actor);
  void append(Event event);
  void record(EventType kind, const std::string& cid, const std::string& actor,
              std::optional<Message> message = {}, std::optional<Reaction> reaction = {},
              std::optional<bool> hard_delete = {},
              std::optional<std::string> last_read_message_id = {});

  sqlite::Database db_;
  std::vector<Event> recorded_;
};

}  // namespace chatkeep::server

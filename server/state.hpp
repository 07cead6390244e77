#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chatkeep/channel.hpp"
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

  std::optional<Message> message(const std::string& id);
  // Stores a new message: ChatError code 4 if its id exists ("a message with ID ... already
  // exists"). Bumps the channel's last_message_at.
  Message insert_message(Message message);
  // The channel's messages in ascending order: the latest `limit`, or the page the cursors name.
  std::vector<Message> messages(const std::string& cid, const MessagePagination& page);

 private:
  User user_or_reference(const std::string& id);

  sqlite::Database db_;
};

}  // namespace chatkeep::server

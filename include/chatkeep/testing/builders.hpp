#pragma once

// Small, realistic model objects for tests of stores and clients: chatkeep's own tests and the
// persistence contract suite (persistence_contract.hpp). Plain functions of their arguments; the
// times are fixed, so that tests compare what they wrote with what they read.

#include <string>

#include "chatkeep/models.hpp"
#include "chatkeep/persistence.hpp"

namespace chatkeep::testing {

inline Timestamp at_second(std::int64_t second) {
  return Timestamp::from_unix_micros((1'780'000'000 + second) * 1'000'000);
}

inline User make_user(const std::string& id) {
  User user{.id = id, .name = "User " + id, .role = "user", .online = false};
  user.extra["favourite_colour"] = "teal";
  return user;
}

inline Channel make_channel(const std::string& id, std::int64_t last_message_second = 0) {
  Channel channel{.id = id,
                  .type = "messaging",
                  .cid = make_cid("messaging", id),
                  .name = "Channel " + id,
                  .created_at = at_second(0),
                  .updated_at = at_second(0),
                  .created_by = make_user("alice"),
                  .member_count = 2,
                  .config = ChannelConfig{.typing_events = true, .max_message_length = 5000}};
  if (last_message_second) channel.last_message_at = at_second(last_message_second);
  channel.extra["topic"] = "about " + id;
  return channel;
}

inline Message make_message(const std::string& id, const std::string& cid, std::int64_t second,
                            const std::string& user_id = "bob") {
  Message message{.id = id,
                  .cid = cid,
                  .text = "text of " + id,
                  .type = "regular",
                  .user = make_user(user_id),
                  .attachments = std::vector<Attachment>{},
                  .latest_reactions = std::vector<Reaction>{},
                  .reply_count = 0,
                  .created_at = at_second(second),
                  .updated_at = at_second(second)};
  message.extra["priority"] = 1;
  return message;
}

inline Member make_member(const std::string& user_id, std::int64_t second = 0) {
  return Member{.user_id = user_id,
                .user = make_user(user_id),
                .channel_role = "channel_member",
                .created_at = at_second(second),
                .updated_at = at_second(second)};
}

inline Reaction make_reaction(const std::string& message_id, const std::string& user_id,
                              const std::string& type) {
  return Reaction{.type = type,
                  .message_id = message_id,
                  .user_id = user_id,
                  .user = make_user(user_id),
                  .score = 1,
                  .created_at = at_second(100)};
}

inline OutboxEntry make_entry(const std::string& cid, const std::string& message_id,
                              OutboxKind kind = OutboxKind::send_message) {
  OutboxEntry entry;
  entry.kind = kind;
  entry.cid = cid;
  entry.message_id = message_id;
  entry.payload = {{"message", {{"id", message_id}, {"text", "hello"}}}};
  entry.created_at = Timestamp::from_unix_micros(1'780'000'000'000'000);
  return entry;
}

}  // namespace chatkeep::testing

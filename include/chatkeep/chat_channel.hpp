#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/channel_state.hpp"
#include "chatkeep/member.hpp"
#include "chatkeep/message.hpp"
#include "chatkeep/query.hpp"
#include "chatkeep/result.hpp"

namespace chatkeep {

class ChatClient;
class ClientCore;  // the client's internals (src/client)

// What a channel query asks for: a page of messages and members, and data for a channel it
// creates (`name`, `members`, custom fields).
struct ChannelQuery {
  MessagePagination messages;
  std::optional<Pagination> members;
  boost::json::object data;
};

// One channel of a ChatClient, by cid. Every call answers twice, like ChatClient::query_channels:
// from the cache at once when the cache has something, then from the server, whose answer is
// stored. A ChatChannel may outlive its client; its calls then fail at once with invalid_state.
class ChatChannel {
 public:
  const std::string& cid() const { return cid_; }

  // Gets (creating if needed) the channel with a page of messages, and receives its events from
  // now on, also after reconnects.
  void watch(ChannelQuery query, AnswerCallback<ChannelState> done);
  // The same without watching: message paging (id_lt for older pages, and so on).
  void query(ChannelQuery query, AnswerCallback<ChannelState> done);
  void stop_watching(Callback<bool> done);

  void replies(const std::string& parent_id, MessagePagination page,
               AnswerCallback<std::vector<Message>> done);
  void members(AnswerCallback<std::vector<Member>> done);
  void reads(AnswerCallback<std::vector<Read>> done);
  void message(const std::string& id, AnswerCallback<Message> done);

  // The user's writes. Each works offline: its effect is in the store when the call returns (in
  // every read: channel state, query cache), and the action waits in the outbox until the server
  // has it, exactly once, across restarts. They throw ChatError (invalid_state when no user is
  // connected, not_found for a message not stored).

  // Returns the local echo: the message with its id (a new UUID v4 unless given), cid, user and
  // local created_at.
  Message send_message(Message message);
  // Edits text, attachments, mentions and custom fields of a stored message.
  void update_message(Message message);
  void delete_message(const std::string& id, bool hard = false);
  void send_reaction(const std::string& message_id, Reaction reaction);
  void delete_reaction(const std::string& message_id, const std::string& type);
  void mark_read();

 private:
  friend class ChatClient;
  ChatChannel(std::weak_ptr<ClientCore> client, std::string cid);

  std::weak_ptr<ClientCore> client_;
  std::string cid_;
};

}  // namespace chatkeep

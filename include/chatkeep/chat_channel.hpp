#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/channel_state.hpp"
#include "chatkeep/member.hpp"
#include "chatkeep/message.hpp"
#include "chatkeep/message_window.hpp"
#include "chatkeep/persistence.hpp"
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

// A file from the device to send with a message (ChatChannel::send_message, update_message) or
// alone (upload_file). It is copied into the user's file cache when the call is made, so the app
// may delete its own copy at once; the outbox uploads it from there (DESIGN.md, "The outbox").
struct LocalFile {
  std::filesystem::path path;            // the file; or, when it is empty,
  std::string bytes;                     // the bytes themselves
  std::optional<std::string> mime_type;  // else told from the content (libmagic), not the name
  std::optional<std::string> title;      // its name as sent and shown; else the path's file name
};

// Stream's limit on one file.
inline constexpr std::uint64_t kMaxFileBytes = 100ull << 20;

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

  // The latest `size` messages as a live window (message_window.hpp), and a thread's latest
  // replies. ChatError (invalid_state) when no user is connected.
  MessageWindow messages(std::size_t size = 25);
  MessageWindow thread(const std::string& parent_id, std::size_t size = 25);
  // Up to `size` messages with `message_id` in the middle, as a window that pages both ways;
  // empty until the store or the server has the message.
  MessageWindow messages_around(const std::string& message_id, std::size_t size = 25);

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
  // local created_at, and the stored message it quotes (quoted_message_id) as quoted_message.
  // A silent message counts as nobody's unread. Each of `files` becomes an attachment after the
  // message's own (an image when its content is one, else a file, video or audio) whose `upload`
  // shows its local copy and where its upload stands, and which gets the server's URL once
  // uploaded; the message goes to the server after its files. ChatError (input) for a file that
  // cannot be read or is over kMaxFileBytes; nothing is queued then.
  Message send_message(Message message, std::vector<LocalFile> files = {});
  // Edits text, attachments, mentions and custom fields of a stored message; `files` are added
  // as for send_message. Before the message is sent, leaving out one of its local attachments
  // cancels that file's upload (or takes back the file, once uploaded).
  void update_message(Message message, std::vector<LocalFile> files = {});
  void delete_message(const std::string& id, bool hard = false);
  // Sets and unsets some of a stored message's fields (Stream's partial update): text, custom
  // fields and the pin. Untried partial updates whose fields a later one sets again are dropped.
  void partial_update_message(const std::string& id, boost::json::object set,
                              std::vector<std::string> unset = {});
  // Pins the message for everyone in the channel, until `expires` if given (pinned_messages()
  // leaves it out after that); the echo shows it pinned by the user now. The server allows it
  // to the message's author and the channel's owner.
  void pin_message(const std::string& id, std::optional<Timestamp> expires = std::nullopt);
  void unpin_message(const std::string& id);
  void send_reaction(const std::string& message_id, Reaction reaction);
  void delete_reaction(const std::string& message_id, const std::string& type);
  void mark_read();

  // The user's own settings of the channel, queued like the actions above and shown at once
  // (the channel's `hidden`, the own user's channel_mutes, the membership's pinned_at and
  // archived_at). hide() takes the channel out of the user's lists until a new message or
  // show(); with `clear_history`, its messages until now go for this user. mute() silences its
  // notifications, until `expiration` from now if given. pin() and archive() mark it for the
  // user alone (their lists sort and filter by them). An expiration of more than ten years (the
  // server's limit) is ChatError (input).
  void hide(bool clear_history = false);
  void show();
  void mute(std::optional<std::chrono::milliseconds> expiration = std::nullopt);
  void unmute();
  void pin();
  void unpin();
  void archive();
  void unarchive();

  // The user's draft here, or in the thread of `parent_id`: kept in step with the server and
  // the user's other devices (draft.updated, draft.deleted), the newest write winning by when
  // the user wrote it. save_draft() replaces it (the message's text, attachments, quoted and
  // mentioned ids, custom fields; its parent_id says where); sending a message here, or in that
  // thread, takes it away. draft() reads the store: ChatError (invalid_state) with no user.
  void save_draft(Message draft);
  void delete_draft(const std::optional<std::string>& parent_id = std::nullopt);
  std::optional<Draft> draft(const std::optional<std::string>& parent_id = std::nullopt);

  // The channel's life, queued like the actions above and shown at once (the channel, its
  // members, the user's membership). create() makes the channel with `data` (name, image, custom
  // fields) and `members` (the user among them); everything done here after it waits for it, and
  // if the server refuses it the channel goes again. update() replaces the channel's data,
  // update_partial() sets and unsets some of it. delete_channel() and truncate() need the
  // server's leave (the channel's owner), as do add_members() and remove_members() of others;
  // leave() removes the user herself. invite() adds members who must accept_invite() (or
  // reject_invite()) first. Each refused by the server leaves the outbox and gives the channel
  // back as the server has it.
  void create(boost::json::object data = {}, std::vector<std::string> members = {});
  void update(boost::json::object data);
  void update_partial(boost::json::object set, std::vector<std::string> unset = {});
  void delete_channel();
  void truncate();
  void add_members(std::vector<std::string> user_ids);
  void remove_members(std::vector<std::string> user_ids);
  void leave();
  void invite(std::vector<std::string> user_ids);
  void accept_invite();
  void reject_invite();

  // Typing, as Stream's clients send it: online only, never queued. keystroke() on every key the
  // user presses here (or in the thread of `parent_id`) sends typing.start at most once every
  // 2 s; typing.stop goes 3 s after the last key, or at stop_typing() (when the message is sent,
  // say). Nothing goes while offline, nor when the channel's config turns typing events off.
  // Others' typing comes as events; a typing.start that no stop follows within 7 s is followed
  // by a local typing.stop with extra["expired"] true.
  void keystroke(const std::optional<std::string>& parent_id = std::nullopt);
  void stop_typing(const std::optional<std::string>& parent_id = std::nullopt);

  // Files alone, online only, as Stream's SDKs offer them: the URL the server gave, or a
  // ChatError. An upload_file of an image goes to the file route all the same (Stream's rule).
  // The bytes stay in the file cache under their URL.
  void upload_file(LocalFile file, Callback<std::string> done);
  void upload_image(LocalFile file, Callback<std::string> done);
  void delete_file(const std::string& url, Callback<bool> done);
  void delete_image(const std::string& url, Callback<bool> done);

 private:
  friend class ChatClient;
  ChatChannel(std::weak_ptr<ClientCore> client, std::string cid);
  void upload(LocalFile file, bool image, Callback<std::string> done);
  MessageWindow open_window(std::optional<std::string> parent_id, std::size_t size,
                            std::optional<std::string> around);

  std::weak_ptr<ClientCore> client_;
  std::string cid_;
};

}  // namespace chatkeep

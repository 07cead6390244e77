#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/channel_list.hpp"
#include "chatkeep/client.hpp"
#include "chatkeep/message_window.hpp"
#include "state/changes.hpp"
#include "state/live_view.hpp"

namespace chatkeep::state {

// What live state needs of the client. Every function runs on the client's network thread, and
// the fetches answer there once the server's answer is in the store.
struct Host {
  ChatPersistenceClient& store;
  std::function<void(std::function<void()>)> deliver;  // to the app's executor
  std::function<void(QueryChannelsOptions, Callback<std::vector<ChannelState>>)> fetch_channels;
  std::function<void(std::string cid, MessagePagination, Callback<std::vector<Message>>)>
      fetch_messages;
  std::function<void(std::string parent_id, MessagePagination, Callback<std::vector<Message>>)>
      fetch_replies;
};

// One channel of a list: the channel as the query's filter and sort see it, and as the app does.
struct ListEntry {
  std::string cid;
  boost::json::object document;
  ChannelState item;
};

// A channel list on the network thread (channel_list.cpp).
class ListModel : public std::enable_shared_from_this<ListModel> {
 public:
  // `settle` brings every list and window up to what is committed (LiveState::settle).
  ListModel(Host& host, std::function<void()> settle, ChannelListOptions options);
  const std::shared_ptr<LiveView<ChannelState>>& view() const { return view_; }
  void refresh(const Changes& changes);
  void load_more(Callback<std::size_t> done);
  // Asks the server for the pages loaded, and drops from the store what it no longer holds.
  void fetch(Callback<std::size_t> done);

 private:
  std::optional<ListEntry> read_entry(const std::string& cid, const std::string& me);
  std::vector<ListEntry> read_all();
  void show(std::vector<ListEntry> entries);
  // Hands the app the diff from what the list shows to `next` (entries_ is left as it was).
  void publish(const std::vector<const ListEntry*>& next);
  void fetch_page(std::size_t offset, Callback<std::size_t> done);
  void drop_stragglers(const std::vector<std::string>& returned, std::size_t offset,
                       std::size_t asked, std::function<void()> then);
  bool before(const boost::json::object& a, const boost::json::object& b) const;

  Host& host_;
  const std::function<void()> settle_;
  const ChannelListOptions options_;
  const Filter filter_;
  const Sort sort_;
  std::size_t wanted_;  // the pages loaded, in channels
  std::vector<ListEntry> entries_;
  std::shared_ptr<LiveView<ChannelState>> view_;
};

enum class Paging { older, newer };

// A message window on the network thread (message_window.cpp).
class WindowModel : public std::enable_shared_from_this<WindowModel> {
 public:
  // `around`: the window opens on that message, in the middle, rather than on the latest.
  WindowModel(Host& host, std::function<void()> settle, std::string cid,
              std::optional<std::string> parent_id, std::size_t size,
              std::optional<std::string> around);
  const std::shared_ptr<LiveView<Message>>& view() const { return view_; }
  bool concerns(const Changes& changes) const;
  // Reads the whole window again; or only what `changes` touched.
  void refresh();
  void refresh(const Changes& changes);
  // Up to size_ messages more on that side: the store's up to a gap, or else the server's.
  void load(Paging direction, Callback<std::size_t> done);
  // Asks the server for the page the window opened on; its commit refreshes the window.
  void fetch_first();

 private:
  std::vector<Message> read(const MessagePagination& page);
  std::vector<Message> read_window();
  std::vector<Message> read_around(const std::string& id);
  void follow_if_latest(const std::vector<Message>& messages, const std::vector<HistoryGap>& gaps);
  void fetch(MessagePagination page, Callback<std::vector<Message>> done);
  std::vector<HistoryGap> gaps();
  void show(std::vector<Message> messages);
  // Hands the app the diff from what the window shows to `next` (items_ is left as it was).
  void publish(const std::vector<const Message*>& next);

  Host& host_;
  const std::function<void()> settle_;
  const std::string cid_;
  const std::optional<std::string> parent_id_;
  const std::size_t size_;
  // The oldest message shown: the window holds it and everything after it up to newest_, or to
  // the latest message when newest_ is none. No oldest_: the latest size_ messages.
  std::optional<std::string> oldest_;
  std::optional<std::string> newest_;
  // The message a window opened around; the same until the window has been read around it; and
  // how many loads have moved the window (the server's page around the anchor re-centres the
  // window only when none has).
  const std::optional<std::string> anchor_;
  std::optional<std::string> around_;
  std::size_t loads_ = 0;
  std::vector<Message> items_;
  std::shared_ptr<LiveView<Message>> view_;
};

// The client's live state: every open list and window, kept equal to the store. Commits are
// recorded from whatever thread made them and applied on the network thread, coalesced.
class LiveState {
 public:
  explicit LiveState(Host host);
  ~LiveState();

  // Any thread (the commit feed). True when the caller must post refresh() to the network
  // thread: the first change since the last refresh.
  bool committed(const Batch& batch, const ApplyResult& result);
  bool reset();

  // Network thread.
  void refresh();
  // Waits for the writes queued so far to commit, then refreshes.
  void settle();
  std::shared_ptr<LiveView<ChannelState>> open_list(ChannelListOptions options);
  void load_more(const void* view, Callback<std::size_t> done);
  std::shared_ptr<LiveView<Message>> open_window(std::string cid,
                                                 std::optional<std::string> parent_id,
                                                 std::size_t size,
                                                 std::optional<std::string> around);
  void load_messages(const void* view, Paging direction, Callback<std::size_t> done);
  void close(const void* view);
  // The socket is back and caught up: lists ask the server again.
  void reconnected();
  // The user's unread figures: now (delivered to this listener alone), then on each change.
  Subscription watch_unread(std::function<void(const UnreadCounts&)> listener);

 private:
  bool record(Changes changes);
  void publish_unread();
  void learn_outbox();

  Host host_;
  std::mutex mutex_;  // guards the three below, which the commit feed reaches from its thread
  Changes pending_;
  bool scheduled_ = false;
  OutboxSubjects outbox_;

  bool outbox_learned_ = false;
  ListenerList<const UnreadCounts&> unread_listeners_;
  std::optional<UnreadCounts> unread_;  // as last told
  std::map<const void*, std::shared_ptr<ListModel>> lists_;
  std::map<const void*, std::shared_ptr<WindowModel>> windows_;
};

}  // namespace chatkeep::state

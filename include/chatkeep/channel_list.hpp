#pragma once

// Live state: the channels of one query as a list the app keeps on screen (ChannelList), and a
// channel's messages as a window (message_window.hpp). Both open from the store at once, follow
// every change the store commits (events, the user's own actions, catch-up), and tell the app by
// ordered diffs; items() always equals what the diffs so far have built.
//
// Threads: a handle may be used from any thread. Diffs and callbacks run on the client's
// executor (ClientOptions::executor), in commit order, never from inside the method that was
// given them. A handle stops following the store when destroyed; it may outlive its client,
// whose calls then fail with invalid_state.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "chatkeep/channel_state.hpp"
#include "chatkeep/list_diff.hpp"
#include "chatkeep/query.hpp"
#include "chatkeep/result.hpp"
#include "chatkeep/subscription.hpp"

namespace chatkeep {

class ClientCore;
namespace state {
template <class T>
class LiveView;
}

struct ChannelListOptions {
  Filter filter;
  Sort sort;  // none: the server's default (last_updated, descending)
  std::size_t page_size = 20;
  std::size_t message_limit = 1;  // each item's latest messages (the preview)
};

// The channels of a query, in the query's order, as chatkeep-server would answer it: which
// channels belong and where is decided on the device by the server's own filter and sort code,
// on what the store holds, so the list is right offline too. A channel a new message or an
// added membership brings in joins in sort order; a hidden channel leaves until a new message
// shows it again; a deleted channel, or one the user left, leaves. Opening it, and every
// reconnect, refreshes the loaded pages from the server.
class ChannelList {
 public:
  ~ChannelList();
  ChannelList(ChannelList&&) noexcept;
  ChannelList& operator=(ChannelList&&) noexcept;

  // The list as the diffs delivered so far have built it.
  std::vector<ChannelState> items() const;
  // Each diff, after items() has taken it in. With `items`, the list as it is when the listener
  // starts: every diff the listener gets applies to that copy, so that an app can start a copy
  // of its own from any thread without missing or repeating a diff.
  Subscription on_change(std::function<void(const ListDiff<ChannelState>&)> listener,
                         std::vector<ChannelState>* items = nullptr);
  // One more page: from the store first, then from the server. `done` gets how many channels
  // the list holds now; an error when it needed the server and the server could not answer.
  void load_more(Callback<std::size_t> done);

 private:
  friend class ChatClient;
  ChannelList(std::weak_ptr<ClientCore> client,
              std::shared_ptr<state::LiveView<ChannelState>> view);

  std::weak_ptr<ClientCore> client_;
  std::shared_ptr<state::LiveView<ChannelState>> view_;
};

}  // namespace chatkeep

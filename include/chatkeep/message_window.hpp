#pragma once

// A channel's messages, or one thread's replies, as a window the app keeps on screen: live state
// like ChannelList (channel_list.hpp, whose thread rules hold here too).

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chatkeep/list_diff.hpp"
#include "chatkeep/message.hpp"
#include "chatkeep/result.hpp"
#include "chatkeep/subscription.hpp"

namespace chatkeep {

class ClientCore;
namespace state {
template <class T>
class LiveView;
enum class Paging;
}  // namespace state

// The latest messages of a channel (ChatChannel::messages) or replies of a thread
// (ChatChannel::thread) in ascending created_at order, the user's pending ones included with
// their local_state. New messages join at the end as they arrive.
//
// A window opened around a message (ChatChannel::messages_around: a search hit, a quoted
// message) holds the run of history around it instead, and new messages do not join it: it
// grows by load_older and load_newer, and once load_newer has reached the latest message it
// follows the latest like any other.
//
// History may have gaps: where the store holds messages that the server's pages did not join
// (catch-up after a long time offline stores the newest page beside older rows), the store
// records a gap, and a window never shows the messages on both sides of one as if they were
// contiguous: it holds one unbroken run of history, ending at the latest message.
class MessageWindow {
 public:
  ~MessageWindow();
  MessageWindow(MessageWindow&&) noexcept;
  MessageWindow& operator=(MessageWindow&&) noexcept;

  std::vector<Message> items() const;
  // As ChannelList::on_change.
  Subscription on_change(std::function<void(const ListDiff<Message>&)> listener,
                         std::vector<Message>* items = nullptr);
  // Up to a window's size of older messages: from the store up to a gap or its oldest, or else
  // from the server, which fills the gap. `done` gets how many messages were added (0: the
  // start of history); an error when the server was needed and could not answer (offline:
  // older messages are unavailable for now, and the window is unchanged beyond the store's).
  void load_older(Callback<std::size_t> done);
  // The same towards the latest message, for a window opened around one; 0 once the window
  // holds the latest (a window that follows it always does).
  void load_newer(Callback<std::size_t> done);

 private:
  friend class ChatChannel;
  void load(state::Paging direction, Callback<std::size_t> done);
  MessageWindow(std::weak_ptr<ClientCore> client, std::shared_ptr<state::LiveView<Message>> view);

  std::weak_ptr<ClientCore> client_;
  std::shared_ptr<state::LiveView<Message>> view_;
};

}  // namespace chatkeep

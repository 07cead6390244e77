#pragma once

#include <mutex>
#include <utility>
#include <vector>

#include "chatkeep/list_diff.hpp"
#include "chatkeep/subscription.hpp"
#include "listeners/listener_list.hpp"

namespace chatkeep::state {

// The app's side of a live list: the items as the diffs delivered so far have built them, and
// the listeners of those diffs. publish() runs on the client's executor, one diff at a time in
// commit order, so a listener that reads items() there sees the diff it is given already in.
// items() and on_change() may be called from any thread.
template <class T>
class LiveView {
 public:
  explicit LiveView(std::vector<T> items) : items_(std::move(items)) {}

  std::vector<T> items() const {
    std::lock_guard lock(mutex_);
    return items_;
  }
  // A listener added here hears every diff published after the copy `items` gets, and none
  // before: both happen under the lock that publish() takes the listeners under.
  Subscription on_change(std::function<void(const ListDiff<T>&)> listener, std::vector<T>* items) {
    std::lock_guard lock(mutex_);
    if (items) *items = items_;
    return listeners_.add(std::move(listener));
  }
  void publish(const ListDiff<T>& diff) {
    std::vector<typename ListenerList<const ListDiff<T>&>::Handle> listeners;
    {
      std::lock_guard lock(mutex_);
      apply_diff(items_, diff);
      listeners = listeners_.snapshot();
    }
    for (const auto& listener : listeners)
      listener(diff);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<T> items_;
  ListenerList<const ListDiff<T>&> listeners_;
};

}  // namespace chatkeep::state

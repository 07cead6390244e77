#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "chatkeep/subscription.hpp"

namespace chatkeep {

// The listeners of one source of changes (the client's events, the scheduler's work, the
// preferences, a clock), each added with a Subscription that removes it.
//
// The promise Subscription makes: once its reset() returns, the listener is not running on any
// other thread and will never be called again, so whatever the listener refers to may be freed
// right after. A call holds its listener's own lock; removal takes that lock, which waits for a
// call in progress on another thread and passes at once on the listener's own thread (a listener
// may end its own subscription). Two listeners running on two threads must not each remove the
// other.
//
// Listeners are called without any lock of the source held, so that they may call the source.
// Every method may be called from any thread; Subscriptions may outlive the list.
template <typename... Args>
class ListenerList {
  struct Entry;

 public:
  using Listener = std::function<void(Args...)>;

  // One listener as it was when snapshot() was taken; calling it after its removal does nothing.
  class Handle {
   public:
    void operator()(Args... args) const {
      std::lock_guard calling(entry_->calling);
      // A local reference: a listener that removes itself is not destroyed while it runs.
      if (const auto listener = entry_->listener) (*listener)(args...);
    }

   private:
    friend class ListenerList;
    explicit Handle(std::shared_ptr<Entry> entry) : entry_(std::move(entry)) {}
    std::shared_ptr<Entry> entry_;
  };

  Subscription add(Listener listener) {
    auto entry = std::make_shared<Entry>();
    entry->listener = std::make_shared<const Listener>(std::move(listener));
    std::uint64_t id = 0;
    {
      std::lock_guard lock(state_->mutex);
      id = state_->next_id++;
      state_->entries.emplace(id, entry);
    }
    return Subscription([weak = std::weak_ptr<State>(state_), id, entry] {
      if (auto state = weak.lock()) {
        std::lock_guard lock(state->mutex);
        state->entries.erase(id);
      }
      std::lock_guard calling(entry->calling);
      entry->listener.reset();  // what it captured goes now, not with the last Handle
    });
  }

  // The listeners present now, in the order they were added, to be called later or elsewhere.
  std::vector<Handle> snapshot() const {
    std::lock_guard lock(state_->mutex);
    std::vector<Handle> handles;
    handles.reserve(state_->entries.size());
    for (const auto& [id, entry] : state_->entries)
      handles.push_back(Handle(entry));
    return handles;
  }

  bool empty() const {
    std::lock_guard lock(state_->mutex);
    return state_->entries.empty();
  }

  // Calls every listener present now, in the order they were added, on this thread.
  void call(const Args&... args) const {
    for (const auto& handle : snapshot())
      handle(args...);
  }

 private:
  struct Entry {
    std::recursive_mutex calling;  // held by a call; recursive: a listener may remove itself
    std::shared_ptr<const Listener> listener;  // null once removed
  };
  struct State {
    mutable std::mutex mutex;
    std::map<std::uint64_t, std::shared_ptr<Entry>> entries;
    std::uint64_t next_id = 1;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace chatkeep

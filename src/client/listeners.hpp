#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "chatkeep/client.hpp"
#include "chatkeep/event.hpp"

namespace chatkeep::client {

// The app's event listeners. Shared with the Subscriptions that remove them, which may outlive
// the client; every method may be called from any thread.
class Listeners : public std::enable_shared_from_this<Listeners> {
 public:
  using Listener = std::function<void(const Event&)>;

  // `type` nullopt: every event.
  Subscription add(std::optional<EventType> type, Listener listener);

  // Hands `event` to each listener for its type through `deliver`. A listener removed before
  // its turn comes is not called.
  void emit(const Event& event, const std::function<void(std::function<void()>)>& deliver);

 private:
  struct Entry {
    std::optional<EventType> type;
    std::shared_ptr<Listener> listener;
  };
  std::shared_ptr<Listener> find(std::uint64_t id);

  std::mutex mutex_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_id_ = 1;
};

}  // namespace chatkeep::client

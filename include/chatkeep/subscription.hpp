#pragma once

#include <functional>
#include <utility>

namespace chatkeep {

// Unsubscribes a listener when destroyed (or reset). Movable, not copyable.
//
// Once reset() returns, the listener is not running on any other thread and is never called
// again, so what it refers to may be freed right after. Removal waits for a call in progress on
// another thread: do not reset while holding a lock that the listener takes. A listener may
// reset its own Subscription.
class Subscription {
 public:
  Subscription() = default;
  Subscription(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  ~Subscription() { reset(); }
  Subscription(Subscription&& other) noexcept : cancel_(std::move(other.cancel_)) {
    other.cancel_ = nullptr;
  }
  Subscription& operator=(Subscription&& other) noexcept {
    if (this != &other) {
      reset();
      cancel_ = std::move(other.cancel_);
      other.cancel_ = nullptr;
    }
    return *this;
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  void reset() {
    if (cancel_) std::exchange(cancel_, nullptr)();
  }

 private:
  std::function<void()> cancel_;
};

}  // namespace chatkeep

#pragma once

// A copy of a live list (ChannelList, MessageWindow) that any thread may read, for an app whose
// screen is drawn on a thread of its own: kept from the handle's diffs on the client's executor,
// under a lock. It starts as the handle's items and takes in every diff after them, so it
// equals the handle's items() once the diffs delivered so far are in.

#include <cstddef>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "chatkeep/list_diff.hpp"
#include "chatkeep/subscription.hpp"

namespace chatkeep {

template <class T>
class ListCopy {
 public:
  // `changed` runs after each diff is in, on the client's executor.
  template <class Handle>
  explicit ListCopy(Handle& handle, std::function<void()> changed = {})
      : changed_(std::move(changed)) {
    std::lock_guard starting(mutex_);  // the first diff may come before the constructor returns
    subscription_ = handle.on_change(
        [this](const ListDiff<T>& diff) {
          {
            std::lock_guard lock(mutex_);
            apply_diff(items_, diff);
            ++diffs_;
          }
          if (changed_) changed_();
        },
        &items_);
  }
  ListCopy(const ListCopy&) = delete;
  ListCopy& operator=(const ListCopy&) = delete;

  std::vector<T> items() const {
    std::lock_guard lock(mutex_);
    return items_;
  }
  // How many diffs it has taken in.
  std::size_t diffs() const {
    std::lock_guard lock(mutex_);
    return diffs_;
  }

 private:
  const std::function<void()> changed_;
  mutable std::mutex mutex_;
  std::vector<T> items_;
  std::size_t diffs_ = 0;
  Subscription subscription_;  // last: it goes first, and no diff arrives after
};

}  // namespace chatkeep

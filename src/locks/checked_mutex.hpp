#pragma once

// CheckedMutex: a std::mutex that knows which thread holds it, so that code which must run under
// it can say so, and a debug build checks it (LevelDB's Mutex::AssertHeld, SQLite's
// sqlite3_mutex_held). It is Lockable: std::lock_guard and std::unique_lock take it, and a
// std::condition_variable_any waits on it. The holder is recorded in every build (one relaxed
// store per lock and unlock); only the check is debug-only.

#include <atomic>
#include <cassert>
#include <mutex>
#include <thread>

namespace chatkeep {

class CheckedMutex {
 public:
  void lock() {
    mutex_.lock();
    holder_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
  bool try_lock() {
    if (!mutex_.try_lock()) return false;
    holder_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    return true;
  }
  void unlock() {
    holder_.store(std::thread::id(), std::memory_order_relaxed);
    mutex_.unlock();
  }

  // That the calling thread holds the mutex, asserted in a debug build. Only the holder ever
  // finds its own id here: it stores it after locking and clears it before unlocking.
  void assert_held() const {
    assert(holder_.load(std::memory_order_relaxed) == std::this_thread::get_id() &&
           "a _locked function called without its mutex");
  }

 private:
  std::mutex mutex_;
  std::atomic<std::thread::id> holder_{};
};

}  // namespace chatkeep

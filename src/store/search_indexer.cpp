#include "store/search_indexer.hpp"

#include "chatkeep/error.hpp"

namespace chatkeep::store {

using Clock = std::chrono::steady_clock;

SearchIndexer::SearchIndexer(Step step, std::shared_ptr<spdlog::logger> log, Options options)
    : step_(std::move(step)), log_(std::move(log)), options_(options), thread_([this] { run(); }) {}

SearchIndexer::~SearchIndexer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void SearchIndexer::wrote() {
  // Only a thread asleep with nothing due is woken: while it waits for a pause it looks at
  // writes_ when it wakes by itself, so a stream of writes costs no wake-up each.
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    ++writes_;
    wake = !due_;
    due_ = true;
  }
  if (wake) wake_.notify_one();
}

bool SearchIndexer::run_steps(bool idle) {
  const std::uint64_t seen = writes_;
  for (;;) {
    const bool done = step_(idle ? 0 : options_.max_tail_rows);
    ++steps_;
    if (done || stopping_ || (idle && writes_ != seen)) return done;
  }
}

void SearchIndexer::run() {
  std::unique_lock lock(mutex_);
  int failures = 0;
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || due_; });
    if (stopping_) return;
    // Until the writes pause (an `idle` without one: found within two), or for busy_check
    // while they do not.
    const auto look_at = Clock::now() + options_.busy_check;
    bool idle = false;
    for (;;) {
      const std::uint64_t seen = writes_;
      if (wake_.wait_for(lock, options_.idle, [this] { return stopping_.load(); })) return;
      if (writes_ == seen) {
        idle = true;
        break;
      }
      if (Clock::now() >= look_at) break;
    }
    const std::uint64_t seen = writes_;
    lock.unlock();
    bool done = false;
    try {
      done = run_steps(idle);
      failures = 0;
    } catch (const ChatError& e) {
      lock.lock();
      if (++failures >= kMaxFailures) {
        log_->error("indexing for search: {}; stopped until the next write", e.what());
        failures = 0;
        if (writes_ == seen) due_ = false;
        continue;
      }
      log_->warn("indexing for search: {}; trying again", e.what());
      if (wake_.wait_for(lock, options_.failure_pause, [this] { return stopping_.load(); })) {
        return;
      }
      continue;
    }
    lock.lock();
    if (idle && done && writes_ == seen) due_ = false;
  }
}

}  // namespace chatkeep::store

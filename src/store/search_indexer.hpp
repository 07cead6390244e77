#pragma once

// Indexes for search what waits (search/index_file.hpp: the tail of new messages, the changes
// the store queued, and a backlog) a moment after the store writes, on a thread of its own, so
// that neither the writer's transaction nor its caller pays for it.
//
// It waits for the writes to pause (`idle` without one) and then runs steps until nothing waits
// or a write comes. While writes go on without a pause (a long catch-up), it looks at the tail
// once `busy_check` has passed (at the end of the `idle` wait under way, so every
// max(busy_check, idle) or so), and if it is past `max_tail_rows` runs steps, beside the
// writes, until it is not: that bounds what a search, which indexes the tail before it reads
// the index, may have to do first (about 25 us a row; BENCHMARKS.md, workload 11).
//
// A step runs on the index file's own connection and takes none of the store's locks, so the
// writer goes on meanwhile. A step that fails (another process's step holding the index's
// write lock past the busy timeout, a full disk) is tried again after a pause; after
// kMaxFailures in a row, not until the next write.
//
// Thread-safety: wrote() may be called from any thread. The destructor stops the thread after
// the step under way.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <spdlog/logger.h>

namespace chatkeep::store {

class SearchIndexer {
 public:
  struct Options {
    std::chrono::milliseconds idle{50};
    std::chrono::milliseconds busy_check{50};
    std::int64_t max_tail_rows = 2000;
    std::chrono::milliseconds failure_pause{1000};
  };
  static constexpr int kMaxFailures = 5;

  // step(min_tail_rows) indexes one step of the tail if it holds more than min_tail_rows rows,
  // else (only when min_tail_rows is 0) one of the backlog; true when it did neither (with 0:
  // nothing waits).
  using Step = std::function<bool(std::int64_t min_tail_rows)>;

  SearchIndexer(Step step, std::shared_ptr<spdlog::logger> log, Options options);
  ~SearchIndexer();
  SearchIndexer(const SearchIndexer&) = delete;
  SearchIndexer& operator=(const SearchIndexer&) = delete;

  // A write was committed: what it added waits for the next pause.
  void wrote();

  // Steps run so far (for tests).
  std::int64_t steps() const { return steps_; }

 private:
  void run();
  // Runs steps until the step finds nothing to do (true), stopping early when idle and a write
  // comes.
  bool run_steps(bool idle);

  const Step step_;
  std::shared_ptr<spdlog::logger> log_;
  const Options options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<std::uint64_t> writes_ = 0;  // changed under mutex_, read without it by steps
  std::atomic<bool> stopping_ = false;     // likewise
  bool due_ = true;  // something may wait (at first: whatever the last session left)
  std::atomic<std::int64_t> steps_ = 0;
  std::thread thread_;  // last: started once the rest is constructed
};

}  // namespace chatkeep::store

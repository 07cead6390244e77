#pragma once

// WAL checkpoints off the writer's thread.
//
// SQLite checkpoints in the commit that finds the WAL past its threshold (wal_autocheckpoint,
// 1,000 pages): that commit copies the WAL into the database file and syncs it, milliseconds
// on a slow disk, in the thread that committed (the app's own thread, for a store in regular
// mode). With the search index an outbox enqueue adds about 20 pages, so one enqueue in fifty
// paid for a checkpoint (BENCHMARKS.md, workload 5).
//
// A Checkpointer takes that over for one connection: it replaces the connection's automatic
// checkpoint with a hook that wakes a thread of its own, which runs a passive checkpoint on a
// connection of its own. A passive checkpoint neither waits for nor blocks readers and writers,
// so a commit never waits on it. If that thread falls far behind (the WAL past
// `inline_frames`), the commit checkpoints by itself, as SQLite would: the WAL stays bounded
// whatever the thread does.
//
// A checkpoint is due once `frames` pages were added since the last one copied what it could,
// not whenever the WAL holds that many: while commits go on, the WAL never starts over (each
// checkpoint ends with newer frames behind it), and SQLite's own rule would then checkpoint, and
// sync the database file, after every commit.
//
// A due checkpoint then waits for the commits to pause (`quiet`). A checkpoint's reads, writes
// and sync on the other core stretched the commits made meanwhile: the outbox enqueue's p99 was
// 290-560 us with checkpoints running beside a stream of enqueues and 200-215 us with them
// waiting for a pause (BENCHMARKS.md, workload 5). An app's own actions come with pauses, and a
// catch-up's pages with the network's; a stream without any pause reaches `inline_frames`, and
// its commit checkpoints by itself, as SQLite's would.
//
// Thread-safety: constructed and destroyed on the thread that owns the writer's connection,
// which must outlive it; the hook runs on that thread, inside its commits, and starts the
// checkpointing thread when the first checkpoint is due.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <thread>

#include "sqlite/database.hpp"

namespace chatkeep::sqlite {

class Checkpointer {
 public:
  struct Options {
    int frames = 1000;  // a checkpoint is due once this many pages were added since the last
    // Past this, the commit checkpoints itself. A stream of commits without a pause reaches it:
    // its checkpoint took 75-88 ms at 10,000 pages (once in about 900 enqueues), 38-41 ms at
    // 4,000; at 2,000 the stalls came often enough to be the outbox enqueue's p99.
    int inline_frames = 4000;
    // A due checkpoint waits for the commits to pause this long.
    std::chrono::milliseconds quiet{20};
  };

  // `writer` is the connection whose commits grow the WAL of the database at `path`.
  Checkpointer(Database& writer, std::filesystem::path path, Options options);
  Checkpointer(Database& writer, std::filesystem::path path)
      : Checkpointer(writer, std::move(path), Options{}) {}
  // Gives the writer back SQLite's automatic checkpoint, after the checkpoint under way.
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Checkpoints run so far by the thread, and by commits themselves.
  std::int64_t background_checkpoints() const;
  std::int64_t inline_checkpoints() const;

 private:
  static int on_commit(void* self, sqlite3* db, const char* name, int frames);
  void run();

  Database& writer_;
  const std::filesystem::path path_;
  const Options options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  int backfilled_ = 0;  // WAL frames the last checkpoint had copied into the database
  std::chrono::steady_clock::time_point last_commit_;
  bool stopping_ = false;
  std::int64_t background_ = 0;
  std::int64_t inline_ = 0;
  std::thread thread_;  // started by the first commit that makes a checkpoint due
};

}  // namespace chatkeep::sqlite

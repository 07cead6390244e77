#pragma once

// Indexes a database's search backlog (search_index.hpp) on a thread of its own, with a
// connection of its own, in short transactions with pauses between them, so that the client
// keeps reading and writing while an old database is indexed. Stops when the backlog is gone,
// or when destroyed (the store disconnecting), whichever comes first.

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include <spdlog/logger.h>

namespace chatkeep::store {

class SearchBuilder {
 public:
  // Rows per transaction, and the pause after each: a step takes the write lock for a few
  // milliseconds at most.
  static constexpr std::int64_t kRowsPerStep = 2000;
  static constexpr std::chrono::milliseconds kPause{20};

  SearchBuilder(std::filesystem::path database, std::shared_ptr<spdlog::logger> log);
  ~SearchBuilder();
  SearchBuilder(const SearchBuilder&) = delete;
  SearchBuilder& operator=(const SearchBuilder&) = delete;

 private:
  void run();

  const std::filesystem::path database_;
  std::shared_ptr<spdlog::logger> log_;
  std::mutex mutex_;
  std::condition_variable stop_requested_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace chatkeep::store

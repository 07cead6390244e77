#include "store/search_builder.hpp"

#include "chatkeep/error.hpp"
#include "search/message_index.hpp"
#include "store/user_database.hpp"

namespace chatkeep::store {

SearchBuilder::SearchBuilder(std::filesystem::path database, std::shared_ptr<spdlog::logger> log)
    : database_(std::move(database)), log_(std::move(log)), thread_([this] { run(); }) {}

SearchBuilder::~SearchBuilder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  thread_.join();
}

void SearchBuilder::run() {
  // A step that fails (another process holding the database past the busy timeout) is tried
  // again after a longer pause, a few times; the next connect starts over where it stopped.
  constexpr int kMaxFailures = 5;
  int failures = 0;
  try {
    auto db = open_user_database(database_);
    const auto start = search::search_index_progress(*db);
    log_->info("indexing the messages stored before search (rowids up to {})", start.backlog);
    for (;;) {
      std::chrono::milliseconds pause = kPause;
      try {
        if (search::index_search_backlog(*db, kRowsPerStep)) {
          log_->info("search index complete");
          return;
        }
        failures = 0;
      } catch (const ChatError& e) {
        if (++failures >= kMaxFailures) throw;
        log_->warn("indexing for search: {}; trying again", e.what());
        pause = kPause * 50;
      }
      std::unique_lock lock(mutex_);
      if (stop_requested_.wait_for(lock, pause, [this] { return stopping_; })) return;
    }
  } catch (const ChatError& e) {
    log_->error("indexing for search stopped: {}", e.what());
  }
}

}  // namespace chatkeep::store

#pragma once

// Where a user's data lives in a data directory, and how much of it there is (TDLib's
// getStorageStatistics, per user).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace chatkeep {

// A user's files. <id> is the user id escaped so that distinct ids give distinct names made only
// of [a-z0-9_%~-] (long ids by their hash): no id can reach outside the directory, even on a
// case-insensitive file system.
struct UserStorage {
  std::filesystem::path database;     // db_<id>.sqlite, with its -wal, -shm and -search beside it
  std::filesystem::path preferences;  // prefs_<id>.sqlite
  std::filesystem::path file_cache;   // files_<id>/
};
// Throws ChatError (input) for an empty id.
UserStorage user_storage(const std::filesystem::path& directory, std::string_view user_id);

// The preferences that belong to no user.
std::filesystem::path global_preferences_path(const std::filesystem::path& directory);

struct StorageStats {
  std::uintmax_t database_bytes = 0;
  std::uintmax_t wal_bytes = 0;
  std::uintmax_t preferences_bytes = 0;  // with its WAL
  std::uintmax_t file_cache_bytes = 0;   // every file in the cache directory
  std::int64_t file_cache_entries = 0;
  std::int64_t channels = 0;
  std::int64_t messages = 0;
  std::int64_t outbox_entries = 0;
  // Events of types this chatkeep does not know, by type (CountUnknownEvent): a newer server.
  std::map<std::string, std::int64_t> unknown_events;
  // The full-text index's share of database_bytes (search.hpp), and whether it covers every
  // stored message yet (new messages are indexed when the store is idle, and a database from
  // before the index in the background).
  std::uintmax_t search_index_bytes = 0;
  bool search_index_complete = true;

  std::uintmax_t total_bytes() const {
    return database_bytes + wal_bytes + preferences_bytes + file_cache_bytes;
  }
};

// How many messages a user's database keeps (the maintenance work of background_work.hpp): per
// channel by count, and by age. Messages the outbox still refers to are always kept.
struct RetentionOptions {
  std::optional<std::int64_t> max_messages_per_channel;
  std::optional<std::chrono::hours> max_age;
};

// Reads a user's files without changing them (the database is opened read-only, even while a
// client has it open); zero for what does not exist.
StorageStats storage_stats(const std::filesystem::path& directory, std::string_view user_id);

}  // namespace chatkeep

#pragma once

// The baseline: what raw SQLite does with the simplest schema that could serve the same reads.
// One table of messages as sent (id, cid, created_at, the message JSON), with an index on
// (cid, created_at) and a unique index on id; members and reads likewise as JSON rows.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace chatkeep::bench {

class RawSqlite {
 public:
  // Opens (creating) the file, in WAL mode with synchronous=NORMAL, as chatkeep's store.
  explicit RawSqlite(const std::filesystem::path& path);
  ~RawSqlite();
  RawSqlite(const RawSqlite&) = delete;
  RawSqlite& operator=(const RawSqlite&) = delete;

  void begin();
  void commit();
  // Inserts a message and keeps what a chat app keeps with it, as chatkeep's applier does for a
  // new message: its channel's last message time, and one more unread for every other reader.
  void insert_message(std::string_view id, std::string_view cid, std::int64_t created_at,
                      std::string_view json, std::string_view user_id = "");
  void insert_member(std::string_view cid, std::string_view user_id, std::string_view json);
  void insert_read(std::string_view cid, std::string_view user_id, std::string_view json);

  // The `limit` latest messages of a channel (the JSON text), newest first.
  std::vector<std::string> latest(std::string_view cid, int limit);
  // The `limit` messages before message `id` in its channel.
  std::vector<std::string> before(std::string_view cid, std::string_view id, int limit);
  std::vector<std::string> members(std::string_view cid);
  std::vector<std::string> reads(std::string_view cid);

 private:
  sqlite3_stmt* prepare(const char* sql);
  void exec(const char* sql);
  std::vector<std::string> rows(sqlite3_stmt* stmt);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_message_ = nullptr;
  sqlite3_stmt* touch_channel_ = nullptr;
  sqlite3_stmt* count_unread_ = nullptr;
  sqlite3_stmt* insert_member_ = nullptr;
  sqlite3_stmt* insert_read_ = nullptr;
  sqlite3_stmt* latest_ = nullptr;
  sqlite3_stmt* before_ = nullptr;
  sqlite3_stmt* members_ = nullptr;
  sqlite3_stmt* reads_ = nullptr;
};

}  // namespace chatkeep::bench

#include "raw_sqlite.hpp"

#include <stdexcept>

namespace chatkeep::bench {

RawSqlite::RawSqlite(const std::filesystem::path& path) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    throw std::runtime_error("cannot open " + path.string());
  }
  exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  exec(R"(CREATE TABLE IF NOT EXISTS msgs (id TEXT NOT NULL, cid TEXT NOT NULL,
            created_at INTEGER NOT NULL, json TEXT NOT NULL);
          CREATE INDEX IF NOT EXISTS msgs_by_channel ON msgs (cid, created_at);
          CREATE UNIQUE INDEX IF NOT EXISTS msgs_by_id ON msgs (id);
          CREATE TABLE IF NOT EXISTS members (cid TEXT NOT NULL, user_id TEXT NOT NULL,
            json TEXT NOT NULL, PRIMARY KEY (cid, user_id));
          CREATE TABLE IF NOT EXISTS reads (cid TEXT NOT NULL, user_id TEXT NOT NULL,
            json TEXT NOT NULL, unread INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (cid, user_id));
          CREATE TABLE IF NOT EXISTS chans (cid TEXT PRIMARY KEY NOT NULL,
            last_message_at INTEGER) WITHOUT ROWID;)");
  insert_message_ = prepare("INSERT INTO msgs (id, cid, created_at, json) VALUES (?, ?, ?, ?)");
  touch_channel_ = prepare(R"(INSERT INTO chans (cid, last_message_at) VALUES (?1, ?2)
                              ON CONFLICT (cid) DO UPDATE SET last_message_at = excluded.last_message_at
                              WHERE last_message_at IS NULL OR last_message_at < excluded.last_message_at)");
  count_unread_ = prepare("UPDATE reads SET unread = unread + 1 WHERE cid = ?1 AND user_id != ?2");
  insert_member_ = prepare("INSERT OR REPLACE INTO members (cid, user_id, json) VALUES (?, ?, ?)");
  insert_read_ = prepare("INSERT OR REPLACE INTO reads (cid, user_id, json) VALUES (?, ?, ?)");
  latest_ = prepare("SELECT json FROM msgs WHERE cid = ? ORDER BY created_at DESC LIMIT ?");
  before_ = prepare(R"(SELECT json FROM msgs WHERE cid = ?1 AND created_at <
                         (SELECT created_at FROM msgs WHERE id = ?2)
                       ORDER BY created_at DESC LIMIT ?3)");
  members_ = prepare("SELECT json FROM members WHERE cid = ?");
  reads_ = prepare("SELECT json FROM reads WHERE cid = ?");
}

RawSqlite::~RawSqlite() {
  for (auto* stmt : {insert_message_, touch_channel_, count_unread_, insert_member_, insert_read_,
                     latest_, before_, members_, reads_}) {
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db_);
}

sqlite3_stmt* RawSqlite::prepare(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sqlite3_errmsg(db_));
  }
  return stmt;
}

void RawSqlite::exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sqlite3_errmsg(db_));
  }
}

void RawSqlite::begin() {
  exec("BEGIN");
}
void RawSqlite::commit() {
  exec("COMMIT");
}

namespace {

void bind_text(sqlite3_stmt* stmt, int i, std::string_view text) {
  sqlite3_bind_text(stmt, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

void run(sqlite3* db, sqlite3_stmt* stmt) {
  int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db));
}

}  // namespace

void RawSqlite::insert_message(std::string_view id, std::string_view cid, std::int64_t created_at,
                               std::string_view json, std::string_view user_id) {
  bind_text(insert_message_, 1, id);
  bind_text(insert_message_, 2, cid);
  sqlite3_bind_int64(insert_message_, 3, created_at);
  bind_text(insert_message_, 4, json);
  run(db_, insert_message_);
  bind_text(touch_channel_, 1, cid);
  sqlite3_bind_int64(touch_channel_, 2, created_at);
  run(db_, touch_channel_);
  bind_text(count_unread_, 1, cid);
  bind_text(count_unread_, 2, user_id);
  run(db_, count_unread_);
}

void RawSqlite::insert_member(std::string_view cid, std::string_view user_id,
                              std::string_view json) {
  bind_text(insert_member_, 1, cid);
  bind_text(insert_member_, 2, user_id);
  bind_text(insert_member_, 3, json);
  run(db_, insert_member_);
}

void RawSqlite::insert_read(std::string_view cid, std::string_view user_id, std::string_view json) {
  bind_text(insert_read_, 1, cid);
  bind_text(insert_read_, 2, user_id);
  bind_text(insert_read_, 3, json);
  run(db_, insert_read_);
}

std::vector<std::string> RawSqlite::rows(sqlite3_stmt* stmt) {
  std::vector<std::string> out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
  }
  sqlite3_reset(stmt);
  return out;
}

std::vector<std::string> RawSqlite::latest(std::string_view cid, int limit) {
  bind_text(latest_, 1, cid);
  sqlite3_bind_int(latest_, 2, limit);
  return rows(latest_);
}

std::vector<std::string> RawSqlite::before(std::string_view cid, std::string_view id, int limit) {
  bind_text(before_, 1, cid);
  bind_text(before_, 2, id);
  sqlite3_bind_int(before_, 3, limit);
  return rows(before_);
}

std::vector<std::string> RawSqlite::members(std::string_view cid) {
  bind_text(members_, 1, cid);
  return rows(members_);
}

std::vector<std::string> RawSqlite::reads(std::string_view cid) {
  bind_text(reads_, 1, cid);
  return rows(reads_);
}

}  // namespace chatkeep::bench

// The uploads table (state.hpp, State::Upload); the files themselves are upload_routes.cpp's.

#include <fmt/format.h>

#include "state.hpp"

namespace chatkeep::server {

namespace {

State::Upload read_upload(const sqlite::Query& row) {
  return State::Upload{.cid = std::string(row.text(0)),
                       .hash = std::string(row.text(1)),
                       .name = std::string(row.text(2)),
                       .content_type = std::string(row.text(3)),
                       .size = row.integer(4),
                       .user_id = std::string(row.text(5)),
                       .created_at = Timestamp::from_unix_micros(row.integer(6))};
}

constexpr const char* kColumns = "cid, hash, name, content_type, size, user_id, created_at";

}  // namespace

State::Upload State::record_upload(const Upload& upload) {
  db_.query(fmt::format("INSERT INTO uploads ({}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (cid, hash, name) DO NOTHING",
                        kColumns))
      .bind(1, upload.cid)
      .bind(2, upload.hash)
      .bind(3, upload.name)
      .bind(4, upload.content_type)
      .bind(5, upload.size)
      .bind(6, upload.user_id)
      .bind(7, upload.created_at.unix_micros())
      .run();
  return *this->upload(upload.cid, upload.hash, upload.name);
}

std::optional<State::Upload> State::upload(const std::string& cid, const std::string& hash,
                                           const std::string& name) {
  auto row = db_.query(
      fmt::format("SELECT {} FROM uploads WHERE cid = ? AND hash = ? AND name = ?", kColumns));
  row.bind(1, cid).bind(2, hash).bind(3, name);
  if (!row.next()) return std::nullopt;
  return read_upload(row);
}

std::optional<State::Upload> State::any_upload(const std::string& hash, const std::string& name) {
  auto row = db_.query(
      fmt::format("SELECT {} FROM uploads WHERE hash = ? AND name = ? LIMIT 1", kColumns));
  row.bind(1, hash).bind(2, name);
  if (!row.next()) return std::nullopt;
  return read_upload(row);
}

void State::remove_upload(const std::string& cid, const std::string& hash,
                          const std::string& name) {
  db_.query("DELETE FROM uploads WHERE cid = ? AND hash = ? AND name = ?")
      .bind(1, cid)
      .bind(2, hash)
      .bind(3, name)
      .run();
}

bool State::bytes_referenced(const std::string& hash) {
  auto row = db_.query("SELECT 1 FROM uploads WHERE hash = ? LIMIT 1");
  row.bind(1, hash);
  return row.next();
}

}  // namespace chatkeep::server

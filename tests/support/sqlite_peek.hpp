#pragma once

// Reads a database file through a connection of its own, as any other reader would.

#include <sqlite3.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace chatkeep::testing {

// One column of every row `sql` returns, as text.
inline std::vector<std::string> peek_column(const std::filesystem::path& db_path,
                                            const std::string& sql, int column = 0) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + db_path.string());
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    std::string error = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error(error + ": " + sql);
  }
  std::vector<std::string> values;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    values.emplace_back(text ? text : "");
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (rc != SQLITE_DONE) throw std::runtime_error("step failed: " + sql);
  return values;
}

inline std::int64_t peek_integer(const std::filesystem::path& db_path, const std::string& sql) {
  auto values = peek_column(db_path, sql);
  if (values.empty()) throw std::runtime_error("no row: " + sql);
  return std::stoll(values[0]);
}

}  // namespace chatkeep::testing

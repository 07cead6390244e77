#include "sqlite/database.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "search/indexed_text.hpp"

namespace chatkeep::sqlite {

void create_private_file(const std::filesystem::path& path) {
  const std::filesystem::path directory = path.parent_path();
  std::error_code ec;
  if (!directory.empty() && std::filesystem::create_directories(directory, ec)) {
    std::filesystem::permissions(directory, std::filesystem::perms::owner_all, ec);
  }
  if (ec) {
    throw ChatError(ErrorCode::storage,
                    fmt::format("cannot create {}: {}", directory.string(), ec.message()));
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ::fchmod(fd, 0600) != 0) {
    const int error = errno;
    if (fd >= 0) ::close(fd);
    throw ChatError(ErrorCode::storage,
                    fmt::format("cannot create {}: {}", path.string(), std::strerror(error)));
  }
  ::close(fd);
}

namespace {

// SQLite counts every allocation under one process-wide mutex unless told not to before it
// starts. The store's writer, its indexer and its checkpointer allocate on three threads at
// once, and nothing here reads the counts. If the process started SQLite before (the app used
// it first), this changes nothing and is harmless.
void configure_sqlite_once() {
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;
}

}  // namespace

Database::Database(const std::filesystem::path& path, Access access) {
  configure_sqlite_once();
  int flags = SQLITE_OPEN_NOMUTEX;
  if (access == Access::read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE | (access == Access::create ? SQLITE_OPEN_CREATE : 0);
  }
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw ChatError(ErrorCode::storage, fmt::format("cannot open {}: {}", path.string(), message));
  }
  sqlite3_extended_result_codes(db_, 1);
  // On every connection: the search indexes' triggers call them on any write of a message, and
  // a connection without them could not write one (search/indexed_text.hpp).
  search::register_functions(db_);
}

Database::~Database() {
  for (auto& [sql, statement] : statements_)
    sqlite3_finalize(statement.stmt);
  sqlite3_close(db_);
}

void Database::fail(int rc, std::string_view what) const {
  throw ChatError(ErrorCode::storage, fmt::format("sqlite: {} ({}, {})", sqlite3_errmsg(db_),
                                                  sqlite3_errstr(rc), what));
}

void Database::exec(const std::string& sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw ChatError(ErrorCode::storage, fmt::format("sqlite: {} ({})", message, sql.substr(0, 80)));
  }
}

Query Database::query(std::string_view sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) fail(rc, sql.substr(0, 80));
    found = statements_.emplace(std::string(sql), Statement{stmt, false}).first;
  }
  Statement& statement = found->second;
  // Two live uses of one statement would reset each other mid-iteration.
  if (statement.in_use) fail(SQLITE_MISUSE, "statement already in use");
  statement.in_use = true;
  return Query(*this, statement.stmt, &statement.in_use);
}

void Database::trace(std::function<void(std::string_view)> observer) {
  trace_ = std::move(observer);
  auto callback = [](unsigned, void* context, void* statement, void*) -> int {
    auto* self = static_cast<Database*>(context);
    char* sql = sqlite3_expanded_sql(static_cast<sqlite3_stmt*>(statement));
    if (sql) self->trace_(sql);
    sqlite3_free(sql);
    return 0;
  };
  sqlite3_trace_v2(db_, trace_ ? SQLITE_TRACE_STMT : 0, trace_ ? +callback : nullptr, this);
}

std::int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}
std::int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}

std::int64_t Database::integer(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(rc, sql);
  rc = sqlite3_step(stmt);
  std::int64_t value = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(rc, sql);
  return value;
}

Query::Query(const Database& db, sqlite3_stmt* stmt, bool* in_use)
    : db_(&db), stmt_(stmt), in_use_(in_use) {}

Query::Query(Query&& other) noexcept : db_(other.db_), stmt_(other.stmt_), in_use_(other.in_use_) {
  other.stmt_ = nullptr;
  other.in_use_ = nullptr;
}

Query::~Query() {
  if (!stmt_) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

Query& Query::bind(int i, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, i, value);
  if (rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

Query& Query::bind(int i, std::string_view value) {
  int rc = sqlite3_bind_text64(stmt_, i, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

Query& Query::bind(int i, std::nullopt_t) {
  int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

bool Query::next() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(rc, sqlite3_sql(stmt_));
}

void Query::run() {
  while (next()) {
  }
}

bool Query::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Query::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string_view Query::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (!data) return {};
  return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

Transaction::Transaction(Database& db)
    : db_(db), nested_(sqlite3_get_autocommit(db.handle()) == 0) {
  db_.exec(nested_ ? "SAVEPOINT nested" : "BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!open_) return;
  sqlite3_exec(db_.handle(), nested_ ? "ROLLBACK TO nested; RELEASE nested" : "ROLLBACK", nullptr,
               nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec(nested_ ? "RELEASE nested" : "COMMIT");
  open_ = false;
}

ReadTransaction::ReadTransaction(Database& db)
    : db_(db), nested_(sqlite3_get_autocommit(db.handle()) == 0) {
  if (!nested_) db_.exec("BEGIN");
}

ReadTransaction::~ReadTransaction() {
  // A read has nothing to keep; COMMIT only ends the snapshot (and fails only when a statement
  // is still running, which the reads never leave behind).
  if (!nested_) sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr);
}

}  // namespace chatkeep::sqlite

#pragma once

// A thin layer over sqlite3, shared by the store and the server: one connection, statements
// prepared once and reused, every failure a ChatError (code storage) that quotes SQLite's message.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace chatkeep::sqlite {

class Query;

class Database {
 public:
  enum class Access { read_only, read_write, create };
  // Opens the file at `path`: only to read, to read and write, or creating it if missing.
  Database(const std::filesystem::path& path, Access access);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements that return no rows.
  void exec(const std::string& sql);
  // A use of the statement for `sql`, prepared on first use and kept.
  Query query(std::string_view sql);
  std::int64_t last_insert_rowid() const;
  // Rows changed by the last statement.
  std::int64_t changes() const;
  // A single integer from `sql` (PRAGMA user_version, COUNT(*), ...).
  std::int64_t integer(const std::string& sql);

  // Calls `observer` with each statement as it starts, its parameters filled in.
  void trace(std::function<void(std::string_view sql)> observer);

  sqlite3* handle() const { return db_; }

 private:
  friend class Query;
  [[noreturn]] void fail(int rc, std::string_view what) const;

  sqlite3* db_ = nullptr;
  std::function<void(std::string_view)> trace_;
  struct Statement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, Statement, Hash, std::equal_to<>> statements_;
};

// Creates `path` if missing, readable and writable by its owner only (0600), and its directory
// if missing (0700): what a database file of a user's data starts as. ChatError (storage) if not.
void create_private_file(const std::filesystem::path& path);

// One execution of a cached statement: bind, step, read columns. Resets the statement (and
// clears its bindings) when it goes out of scope, so the next use starts clean.
class Query {
 public:
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query(Query&& other) noexcept;

  // Binds parameter i (1-based). Text is copied, so temporaries are fine.
  Query& bind(int i, std::int64_t value);
  Query& bind(int i, std::string_view value);
  Query& bind(int i, const std::string& value) { return bind(i, std::string_view(value)); }
  Query& bind(int i, const char* value) { return bind(i, std::string_view(value)); }
  Query& bind(int i, std::nullopt_t);
  template <class T>
  Query& bind(int i, const std::optional<T>& value) {
    return value ? bind(i, *value) : bind(i, std::nullopt);
  }

  // Steps once: true when a row is available.
  bool next();
  // Steps to the end (for statements that return no rows).
  void run();

  bool is_null(int column) const;
  std::int64_t integer(int column) const;
  // Valid until the next step or the end of the Query.
  std::string_view text(int column) const;

 private:
  friend class Database;
  Query(const Database& db, sqlite3_stmt* stmt, bool* in_use);

  const Database* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back unless committed. Inside another transaction it is a
// savepoint of that one, so a unit of work can be part of a larger one and still undo itself.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool nested_;
  bool open_ = true;
};

// BEGIN (deferred) ... COMMIT: the reads between see one snapshot, and begin one read transaction
// instead of one per statement (each takes the WAL's read lock anew). Inside another transaction
// it does nothing.
class ReadTransaction {
 public:
  explicit ReadTransaction(Database& db);
  ~ReadTransaction();
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Database& db_;
  bool nested_;
};

}  // namespace chatkeep::sqlite

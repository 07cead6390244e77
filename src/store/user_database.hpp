#pragma once

// The one way to open a user's database (db_<id>.sqlite), for every purpose: the store, the
// work scheduler, the maintenance work and storage statistics. Every connection to the file is
// made here, so all of them agree on how it is shared: WAL, foreign keys, the same busy timeout
// (a connection waits for another process's write rather than failing), and a schema no older
// than this code's (a newer one is refused before anything is written).

#include <filesystem>
#include <memory>

#include <spdlog/logger.h>

#include "chatkeep/sqlite_persistence.hpp"
#include "sqlite/database.hpp"

namespace chatkeep::store {

struct UserDatabaseOptions {
  // Reads only: nothing is created, migrated or written; a file that is missing is
  // ChatError(not_found).
  bool read_only = false;
  Synchronous synchronous = Synchronous::normal;
  // Every statement logged at trace level, when the logger's level lets it through.
  std::shared_ptr<spdlog::logger> trace;
};

// Opens `path`; read-write, it first makes the file private (0600, in a 0700 directory when it
// makes that) and then migrates it to the current schema. ChatError(storage) when SQLite cannot
// open it, or it comes from a newer chatkeep.
std::unique_ptr<sqlite::Database> open_user_database(const std::filesystem::path& path,
                                                     const UserDatabaseOptions& options = {});

}  // namespace chatkeep::store

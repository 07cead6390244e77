#include "store/user_database.hpp"

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "store/schema.hpp"

namespace chatkeep::store {

std::unique_ptr<sqlite::Database> open_user_database(const std::filesystem::path& path,
                                                     const UserDatabaseOptions& options) {
  using sqlite::Database;
  if (options.read_only && !std::filesystem::exists(path)) {
    throw ChatError(ErrorCode::not_found, fmt::format("no database at {}", path.string()));
  }
  if (!options.read_only) sqlite::create_private_file(path);
  auto db = std::make_unique<Database>(
      path, options.read_only ? Database::Access::read_only : Database::Access::read_write);
  if (options.trace && options.trace->should_log(spdlog::level::trace)) {
    db->trace([log = options.trace](std::string_view sql) { log->trace("sql: {}", sql); });
  }
  // Checked before anything writes: a newer database is left exactly as it is.
  check_version(*db);
  db->exec("PRAGMA busy_timeout = 10000");
  if (options.read_only) return db;
  db->exec("PRAGMA journal_mode = WAL");
  const char* synchronous = options.synchronous == Synchronous::off      ? "OFF"
                            : options.synchronous == Synchronous::normal ? "NORMAL"
                                                                         : "FULL";
  db->exec(fmt::format("PRAGMA synchronous = {}", synchronous));
  db->exec("PRAGMA foreign_keys = ON");
  db->exec("PRAGMA temp_store = MEMORY");
  db->exec("PRAGMA journal_size_limit = 8388608");
  db->exec("PRAGMA cache_size = -16384");  // KiB
  migrate(*db);
  return db;
}

}  // namespace chatkeep::store

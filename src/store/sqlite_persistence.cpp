#include "chatkeep/sqlite_persistence.hpp"

#include <cstdlib>

#include "chatkeep/error.hpp"
#include "chatkeep/storage.hpp"
#include "store/sqlite_store.hpp"

namespace chatkeep {
std::filesystem::path SqlitePersistenceClient::database_path(const std::filesystem::path& directory,
                                                             std::string_view user_id) {
  return user_storage(directory, user_id).database;
}

std::filesystem::path SqlitePersistenceClient::default_directory() {
  if (const char* data = std::getenv("XDG_DATA_HOME"); data && *data == '/') {
    return std::filesystem::path(data) / "chatkeep";
  }
  if (const char* home = std::getenv("HOME"); home && *home == '/') {
    return std::filesystem::path(home) / ".local" / "share" / "chatkeep";
  }
  throw ChatError(ErrorCode::invalid_state,
                  "no data directory: set SqlitePersistenceOptions::directory (neither "
                  "XDG_DATA_HOME nor HOME is set)");
}

SqlitePersistenceClient::SqlitePersistenceClient(SqlitePersistenceOptions options)
    : ForwardingPersistenceClient(std::make_unique<store::SqliteStore>(std::move(options))) {}

SqlitePersistenceClient::~SqlitePersistenceClient() = default;

}  // namespace chatkeep

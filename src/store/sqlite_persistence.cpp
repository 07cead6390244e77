#include "chatkeep/sqlite_persistence.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "crypto/sha256.hpp"
#include "store/sqlite_store.hpp"

namespace chatkeep {
std::filesystem::path SqlitePersistenceClient::database_path(const std::filesystem::path& directory,
                                                             std::string_view user_id) {
  if (user_id.empty()) throw ChatError(ErrorCode::input, "the user id is empty");
  // Lower-case letters, digits, '_' and '-' stand for themselves; every other byte is %xx. The
  // mapping is one-to-one, and its output is the same on case-insensitive file systems.
  std::string escaped;
  for (char ch : user_id) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
      escaped.push_back(ch);
    } else {
      escaped += fmt::format("%{:02x}", c);
    }
  }
  // Long ids would exceed file name limits: they are named by their hash instead. '~' never
  // appears in an escaped id, so the two forms cannot meet.
  constexpr std::size_t kMaxEscaped = 128;
  if (escaped.size() > kMaxEscaped) escaped = "~" + crypto::sha256_hex(user_id);
  return directory / ("db_" + escaped + ".sqlite");
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

namespace {

std::unique_ptr<ChatPersistenceClient> make_target(SqlitePersistenceOptions options) {
  const ConnectionMode mode = options.mode;
  const GroupCommit group_commit = options.group_commit;
  auto store = std::make_unique<store::SqliteStore>(std::move(options));
  if (mode == ConnectionMode::regular) return store;
  return std::make_unique<BackgroundPersistenceClient>(std::move(store), group_commit);
}

}  // namespace

SqlitePersistenceClient::SqlitePersistenceClient(SqlitePersistenceOptions options)
    : ForwardingPersistenceClient(make_target(std::move(options))) {}

SqlitePersistenceClient::~SqlitePersistenceClient() = default;

}  // namespace chatkeep

#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "chatkeep/forwarding_persistence.hpp"
#include "chatkeep/log.hpp"
#include "chatkeep/persistence.hpp"

namespace chatkeep {

// SQLite's `synchronous` setting. In WAL mode `normal` loses no committed transaction when the
// process dies, only (at worst) the last ones when the machine loses power.
enum class Synchronous { off, normal, full };

struct SqlitePersistenceOptions {
  // Where the per-user database files live. Empty: $XDG_DATA_HOME/chatkeep, or
  // ~/.local/share/chatkeep; never the working directory. Created (0700) if missing.
  std::filesystem::path directory;
  LogOptions log;
  Synchronous synchronous = Synchronous::normal;
  // Opens an existing database only to read it (chatkeep inspect): nothing is created, migrated
  // or written, and writes fail.
  bool read_only = false;
};

// The official ChatPersistenceClient: one SQLite database per user, `db_<escaped user id>.sqlite`
// in the options' directory, in WAL mode, files mode 0600. Calls run on the calling thread, one at
// a time. Where they run is the client's to decide (ClientOptions::connection_mode): in background
// mode the client runs every call on one store thread through a BackgroundPersistenceClient, as
// any app may do with any store.
class SqlitePersistenceClient final : public ForwardingPersistenceClient {
 public:
  explicit SqlitePersistenceClient(SqlitePersistenceOptions options = {});
  ~SqlitePersistenceClient() override;
  SqlitePersistenceClient(const SqlitePersistenceClient&) = delete;
  SqlitePersistenceClient& operator=(const SqlitePersistenceClient&) = delete;

  // The file a user's data lives in: user_storage(directory, user_id).database (storage.hpp).
  static std::filesystem::path database_path(const std::filesystem::path& directory,
                                             std::string_view user_id);
  // The directory used when the options name none.
  static std::filesystem::path default_directory();
};

}  // namespace chatkeep

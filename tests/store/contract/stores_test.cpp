// The persistence contract over every store chatkeep ships: SqlitePersistenceClient on the calling
// thread and on a store thread of its own (as ClientOptions::connection_mode runs it), a
// ForwardingPersistenceClient (the base of decorators), and MemoryPersistenceClient.

#include "chatkeep/background.hpp"
#include "chatkeep/forwarding_persistence.hpp"
#include "chatkeep/memory_persistence.hpp"
#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/testing/persistence_contract.hpp"

namespace chatkeep::testing {
namespace {

std::unique_ptr<ChatPersistenceClient> sqlite_in(const std::filesystem::path& dir) {
  return std::make_unique<SqlitePersistenceClient>(SqlitePersistenceOptions{.directory = dir});
}

struct Sqlite {
  static std::unique_ptr<ChatPersistenceClient> make(const std::filesystem::path& dir) {
    return sqlite_in(dir);
  }
};

struct SqliteInBackground {
  static std::unique_ptr<ChatPersistenceClient> make(const std::filesystem::path& dir) {
    return std::make_unique<BackgroundPersistenceClient>(sqlite_in(dir));
  }
};

struct Forwarding {
  static std::unique_ptr<ChatPersistenceClient> make(const std::filesystem::path& dir) {
    return std::make_unique<ForwardingPersistenceClient>(sqlite_in(dir));
  }
};

struct Memory {
  static std::unique_ptr<ChatPersistenceClient> make(const std::filesystem::path&) {
    return std::make_unique<MemoryPersistenceClient>();
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, PersistenceContract, Sqlite);
INSTANTIATE_TYPED_TEST_SUITE_P(SqliteInBackground, PersistenceContract, SqliteInBackground);
INSTANTIATE_TYPED_TEST_SUITE_P(Forwarding, PersistenceContract, Forwarding);
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, PersistenceContract, Memory);

}  // namespace
}  // namespace chatkeep::testing

// Numbered, forward-only migrations; a newer database is refused and left untouched.

#include <chrono>
#include <fstream>
#include <future>
#include <iterator>

#include <gtest/gtest.h>

#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/testing/temp_dir.hpp"
#include "sqlite/database.hpp"
#include "store/schema.hpp"
#include "support/sqlite_peek.hpp"

namespace chatkeep {
namespace {

std::string bytes_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(Migration, NewDatabaseIsAtTheCurrentVersion) {
  testing::TempDir dir;
  SqlitePersistenceClient store({.directory = dir.path()});
  store.connect("alice");
  auto path = SqlitePersistenceClient::database_path(dir.path(), "alice");
  EXPECT_EQ(testing::peek_integer(path, "PRAGMA user_version"), store::schema_version());
  EXPECT_EQ(testing::peek_column(path, "PRAGMA journal_mode")[0], "wal");
  // Reconnecting runs no migration again and keeps the data.
  store.set_last_sync_at(Timestamp::from_unix_micros(5));
  store.disconnect(false);
  store.connect("alice");
  EXPECT_EQ(store.last_sync_at(), Timestamp::from_unix_micros(5));
}

// A database already at the current version opens without taking the write lock: the app opens
// its store while its agent writes (up to the 10 s busy timeout it waited before).
TEST(Migration, AnUpToDateDatabaseOpensWhileAnotherConnectionWrites) {
  testing::TempDir dir;
  auto path = SqlitePersistenceClient::database_path(dir.path(), "alice");
  {
    SqlitePersistenceClient store({.directory = dir.path()});
    store.connect("alice");
  }
  sqlite::Database writer(path, sqlite::Database::Access::read_write);
  writer.exec("BEGIN IMMEDIATE");
  auto opened = std::async(std::launch::async, [&] {
    SqlitePersistenceClient store({.directory = dir.path()});
    store.connect("alice");
    return store.last_sync_at();
  });
  EXPECT_EQ(opened.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  writer.exec("COMMIT");
  EXPECT_EQ(opened.get(), std::nullopt);
}

TEST(Migration, NewerDatabaseIsRefusedAndLeftUntouched) {
  testing::TempDir dir;
  auto path = SqlitePersistenceClient::database_path(dir.path(), "alice");
  {
    sqlite::Database db(path, sqlite::Database::Access::create);
    db.exec("CREATE TABLE future (x); INSERT INTO future VALUES (42); PRAGMA user_version = 999;");
  }
  const std::string before = bytes_of(path);
  SqlitePersistenceClient store({.directory = dir.path()});
  try {
    store.connect("alice");
    FAIL() << "opened a newer database";
  } catch (const ChatError& e) {
    EXPECT_EQ(e.code(), ErrorCode::storage);
    EXPECT_NE(e.message().find("schema version 999, newer than this chatkeep's"), std::string::npos)
        << e.message();
  }
  EXPECT_FALSE(store.is_connected());
  EXPECT_EQ(bytes_of(path), before);
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
}

TEST(Migration, AFailedMigrationLeavesTheVersionWhereItWas) {
  testing::TempDir dir;
  auto path = SqlitePersistenceClient::database_path(dir.path(), "alice");
  {
    // A table in the way of migration 1 makes it fail part-way.
    sqlite::Database db(path, sqlite::Database::Access::create);
    db.exec("CREATE TABLE outbox (x)");
  }
  SqlitePersistenceClient store({.directory = dir.path()});
  EXPECT_THROW(store.connect("alice"), ChatError);
  EXPECT_EQ(testing::peek_integer(path, "PRAGMA user_version"), 0);
  EXPECT_EQ(testing::peek_integer(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'users'"),
            0);  // rolled back whole
}

}  // namespace
}  // namespace chatkeep

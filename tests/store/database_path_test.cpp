// Every user id maps to its own file inside the directory, or is refused.

#include <cstdlib>
#include <optional>
#include <set>

#include <gtest/gtest.h>

#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/storage.hpp"
#include "chatkeep/testing/temp_dir.hpp"

namespace chatkeep {
namespace {

std::vector<std::string> hostile_ids() {
  return {"alice",
          "Alice",
          "ALICE",
          "a/b",
          "a%2fb",
          "../../etc/passwd",
          "..",
          ".",
          std::string("nul\0byte", 8),
          std::string("nul\0bytf", 8),
          "space id",
          "tab\tid",
          "\xe2\x80\xae"
          "evil",
          "%",
          "%25",
          "~",
          "C:\\windows",
          "a:b",
          std::string(10000, 'x'),
          std::string(10000, 'x') + "y",
          std::string(129, 'z'),
          std::string(128, 'z')};
}

TEST(DatabasePath, EveryIdStaysInsideTheDirectoryAndGetsItsOwnFile) {
  const std::filesystem::path dir = "/data/chatkeep";
  std::set<std::string> names;
  for (const auto& id : hostile_ids()) {
    auto path = SqlitePersistenceClient::database_path(dir, id);
    EXPECT_EQ(path.parent_path(), dir) << id;
    const std::string name = path.filename().string();
    EXPECT_LE(name.size(), 200u);
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_%~.-"),
              std::string::npos)
        << name;
    EXPECT_EQ(name.rfind("db_", 0), 0u);
    EXPECT_TRUE(names.insert(name).second) << "two ids share " << name;
  }
  EXPECT_EQ(SqlitePersistenceClient::database_path(dir, "alice").filename(), "db_alice.sqlite");
  EXPECT_EQ(SqlitePersistenceClient::database_path(dir, "a/b").filename(), "db_a%2fb.sqlite");
}

TEST(DatabasePath, EachUsersOtherFilesToo) {
  const std::filesystem::path dir = "/data/chatkeep";
  std::set<std::filesystem::path> paths = {global_preferences_path(dir)};
  for (const auto& id : hostile_ids()) {
    const UserStorage files = user_storage(dir, id);
    EXPECT_EQ(files.database, SqlitePersistenceClient::database_path(dir, id));
    for (const auto& path : {files.database, files.preferences, files.file_cache}) {
      EXPECT_EQ(path.parent_path(), dir) << id;
      EXPECT_TRUE(paths.insert(path).second) << "two share " << path;
    }
  }
  EXPECT_EQ(user_storage(dir, "a/b").preferences.filename(), "prefs_a%2fb.sqlite");
  EXPECT_EQ(user_storage(dir, "a/b").file_cache.filename(), "files_a%2fb");
}

TEST(DatabasePath, EmptyIdIsRefused) {
  try {
    (void)SqlitePersistenceClient::database_path("/tmp", "");
    FAIL();
  } catch (const ChatError& e) {
    EXPECT_EQ(e.code(), ErrorCode::input);
    EXPECT_EQ(e.message(), "the user id is empty");
  }
}

TEST(DatabasePath, HostileIdsReallyOpenSeparateDatabases) {
  testing::TempDir dir;
  for (const auto& id : hostile_ids()) {
    SqlitePersistenceClient store({.directory = dir.path()});
    store.connect(id);
    store.set_last_sync_at(Timestamp::from_unix_micros(static_cast<std::int64_t>(id.size())));
    store.disconnect(false);
  }
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().parent_path(), dir.path());
    if (entry.path().extension() == ".sqlite") ++files;  // not the search index beside it
  }
  EXPECT_EQ(files, hostile_ids().size());

  // Each reopens to its own data.
  for (const auto& id : hostile_ids()) {
    SqlitePersistenceClient store({.directory = dir.path()});
    store.connect(id);
    EXPECT_EQ(store.last_sync_at(),
              Timestamp::from_unix_micros(static_cast<std::int64_t>(id.size())));
  }
}

// Sets an environment variable for the scope, then puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(DatabasePath, DefaultDirectoryIsPerUserData) {
  ScopedEnv home("HOME", "/home/alice");
  {
    ScopedEnv xdg("XDG_DATA_HOME", "/xdg");
    EXPECT_EQ(SqlitePersistenceClient::default_directory(), "/xdg/chatkeep");
  }
  ScopedEnv no_xdg("XDG_DATA_HOME", nullptr);
  EXPECT_EQ(SqlitePersistenceClient::default_directory(), "/home/alice/.local/share/chatkeep");
  ScopedEnv no_home("HOME", nullptr);
  EXPECT_THROW(SqlitePersistenceClient::default_directory(), ChatError);
}

}  // namespace
}  // namespace chatkeep

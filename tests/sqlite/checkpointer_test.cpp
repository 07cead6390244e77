// sqlite::Checkpointer: the WAL is checkpointed by its own thread, not in the commits that grow
// it, and stays bounded when that thread cannot keep up.

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "chatkeep/testing/temp_dir.hpp"
#include "sqlite/checkpointer.hpp"
#include "sqlite/database.hpp"

namespace chatkeep {
namespace {

using namespace std::chrono_literals;

class CheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override { db_.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (v TEXT)"); }
  // One commit of about a page.
  void commit_a_page() {
    db_.query("INSERT INTO t (v) VALUES (?1)").bind(1, std::string(3000, 'x')).run();
  }
  std::uintmax_t wal_bytes() {
    std::error_code ignored;
    return std::filesystem::file_size(path_.string() + "-wal", ignored);
  }

  testing::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "t.db";
  sqlite::Database db_{path_, sqlite::Database::Access::create};
};

TEST_F(CheckpointerTest, CommitsLeaveTheCheckpointsToItsThread) {
  sqlite::Checkpointer checkpointer(db_, path_, {.frames = 20, .inline_frames = 1'000'000});
  for (int i = 0; i < 300; ++i)
    commit_a_page();
  // Once they pause, the thread copies the pages into the database file, all but those of the
  // last commits (fewer than 20 pages since the last checkpoint).
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((std::filesystem::file_size(path_) < 270u * 3000u ||
          checkpointer.background_checkpoints() == 0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_GE(std::filesystem::file_size(path_), 270u * 3000u);
  EXPECT_GT(checkpointer.background_checkpoints(), 0);
  EXPECT_EQ(checkpointer.inline_checkpoints(), 0);
  commit_a_page();
  EXPECT_EQ(db_.integer("SELECT COUNT(*) FROM t"), 301);
}

// While commits go on (back to back, here), the WAL never starts over: a checkpoint is due
// after `frames` new pages, not after every commit once the WAL holds that many (each would sync
// the database file; before, 184-190 of these 200 commits started one). Without the wait for a
// pause, to see the rule alone.
TEST_F(CheckpointerTest, ACheckpointIsDueAfterSoManyNewPagesNotAfterEveryCommit) {
  sqlite::Checkpointer checkpointer(
      db_, path_,
      {.frames = 20, .inline_frames = 1'000'000, .quiet = std::chrono::milliseconds(0)});
  for (int i = 0; i < 200; ++i)
    commit_a_page();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (checkpointer.background_checkpoints() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  // About one in every 20 new pages: a commit writes two or three (its row, the table's root,
  // the database header as the file grows).
  EXPECT_GT(checkpointer.background_checkpoints(), 0);
  EXPECT_LE(checkpointer.background_checkpoints(), 50);
  EXPECT_EQ(checkpointer.inline_checkpoints(), 0);
}

// A due checkpoint waits until the commits pause, and then runs.
TEST_F(CheckpointerTest, ADueCheckpointWaitsForTheCommitsToPause) {
  sqlite::Checkpointer checkpointer(db_, path_,
                                    {.frames = 20, .inline_frames = 1'000'000, .quiet = 1s});
  const auto end = std::chrono::steady_clock::now() + 300ms;
  int commits = 0;
  for (; std::chrono::steady_clock::now() < end || commits < 100; ++commits)
    commit_a_page();
  EXPECT_EQ(checkpointer.background_checkpoints(), 0) << commits << " commits";
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (checkpointer.background_checkpoints() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(checkpointer.background_checkpoints(), 1);
  EXPECT_EQ(checkpointer.inline_checkpoints(), 0);
}

TEST_F(CheckpointerTest, ACommitFarPastTheThresholdCheckpointsItself) {
  // The thread is due after 1,000 pages; the commits must not let the WAL pass 30 meanwhile.
  sqlite::Checkpointer checkpointer(db_, path_, {.frames = 1000, .inline_frames = 30});
  for (int i = 0; i < 200; ++i)
    commit_a_page();
  EXPECT_GT(checkpointer.inline_checkpoints(), 0);
  EXPECT_EQ(checkpointer.background_checkpoints(), 0);
  EXPECT_LT(wal_bytes(), 60u * 4096u);
}

TEST_F(CheckpointerTest, WithoutItTheConnectionCheckpointsAsBefore) {
  { sqlite::Checkpointer checkpointer(db_, path_, {.frames = 20, .inline_frames = 1'000'000}); }
  // SQLite's own automatic checkpoint is back (every 20 pages, as the checkpointer had it).
  for (int i = 0; i < 200; ++i)
    commit_a_page();
  EXPECT_LT(wal_bytes(), 60u * 4096u);
}

}  // namespace
}  // namespace chatkeep

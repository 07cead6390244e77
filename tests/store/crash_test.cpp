// Crash safety: a child process writes batches and reports each commit over a pipe; the parent
// SIGKILLs it at random moments, reopens the database, and checks that the file is sound and
// that every batch reported committed is there, whole, and no batch is there in part.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/testing/builders.hpp"
#include "chatkeep/testing/temp_dir.hpp"
#include "support/sqlite_peek.hpp"

namespace chatkeep {
namespace {

using namespace testing;

constexpr int kMessagesPerBatch = 20;
constexpr int kRounds = 60;
constexpr std::int64_t kOpened = -1;  // the writer's first report: its database is open

// Batch b: 20 messages "b<b>-<i>", a reaction, an outbox entry and the checkpoint at second b.
Batch make_batch(std::int64_t b) {
  std::vector<Message> messages;
  for (int i = 0; i < kMessagesPerBatch; ++i) {
    messages.push_back(make_message("b" + std::to_string(b) + "-" + std::to_string(i),
                                    "messaging:c" + std::to_string(b % 7), b));
  }
  return {UpsertMessages{{}, messages},
          UpsertReactions{{make_reaction("b" + std::to_string(b) + "-0", "alice", "like")}},
          AddOutboxEntry{make_entry("messaging:c0", "b" + std::to_string(b))},
          SetLastSyncAt{at_second(b)}};
}

[[noreturn]] void write_until_killed(const std::filesystem::path& dir, std::int64_t first,
                                     int report_fd) {
  try {
    SqlitePersistenceClient store({.directory = dir});
    store.connect("alice");
    if (::write(report_fd, &kOpened, sizeof kOpened) != sizeof kOpened) ::_exit(3);
    for (std::int64_t b = first;; ++b) {
      store.apply(make_batch(b));
      if (::write(report_fd, &b, sizeof b) != sizeof b) ::_exit(3);
    }
  } catch (...) {
    ::_exit(2);
  }
}

TEST(CrashSafety, KilledWritersNeverLoseOrHalveABatch) {
  TempDir dir;
  const auto path = SqlitePersistenceClient::database_path(dir.path(), "alice");
  std::mt19937 random(20261121);  // fixed: the kill moments are the same on every run
  std::uniform_int_distribution<int> delay_ms(1, 40);
  std::set<std::int64_t> reported;
  std::int64_t next = 0;
  int killed_mid_write = 0;

  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      write_until_killed(dir.path(), next, fds[1]);
    }
    ::close(fds[1]);
    // The kill moment counts from the writer's progress, not the clock, so that on a slow machine
    // (a sanitizer, other jobs) the rounds still kill writers mid-batch rather than mid-open: in
    // every other round, after its first commit.
    std::int64_t b;
    ASSERT_EQ(::read(fds[0], &b, sizeof b), static_cast<ssize_t>(sizeof b));
    ASSERT_EQ(b, kOpened);
    if (round % 2 == 1) {
      ASSERT_EQ(::read(fds[0], &b, sizeof b), static_cast<ssize_t>(sizeof b));
      reported.insert(b);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself, status " << status;
    while (::read(fds[0], &b, sizeof b) == sizeof b)
      reported.insert(b);
    ::close(fds[0]);

    // Reopen as the app would (this replays the WAL), then look at the file.
    SqlitePersistenceClient store({.directory = dir.path()});
    store.connect("alice");
    ASSERT_EQ(peek_column(path, "PRAGMA integrity_check"), std::vector<std::string>{"ok"});
    ASSERT_TRUE(peek_column(path, "PRAGMA foreign_key_check").empty());
    std::map<std::int64_t, std::int64_t> present;  // batch -> messages
    for (const auto& id : peek_column(path, "SELECT id FROM messages")) {
      present[std::stoll(id.substr(1, id.find('-') - 1))] += 1;
    }
    for (const auto& [batch, count] : present) {
      ASSERT_EQ(count, kMessagesPerBatch) << "batch " << batch << " is there in part";
    }
    for (std::int64_t r : reported)
      ASSERT_TRUE(present.count(r)) << "batch " << r << " was lost";
    const auto batches = static_cast<std::int64_t>(present.size());
    EXPECT_EQ(peek_integer(path, "SELECT COUNT(*) FROM outbox"), batches);
    EXPECT_EQ(peek_integer(path, "SELECT COUNT(*) FROM reactions"), batches);
    if (!present.empty()) {
      EXPECT_EQ(store.last_sync_at(), at_second(present.rbegin()->first));
      next = present.rbegin()->first + 1;
    }
    // A batch committed but not yet reported: the kill fell between COMMIT and the report.
    if (!present.empty() && !reported.count(present.rbegin()->first)) ++killed_mid_write;
  }
  RecordProperty("batches_committed", static_cast<int>(next));
  RecordProperty("killed_between_commit_and_report", killed_mid_write);
}

}  // namespace
}  // namespace chatkeep

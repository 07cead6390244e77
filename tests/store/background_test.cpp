// Background mode: one store thread, group commit, reads that see earlier writes, errors in the
// caller's future, a drained queue at shutdown. Runs under TSan as well.

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "chatkeep/background.hpp"
#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/testing/builders.hpp"
#include "chatkeep/testing/temp_dir.hpp"

namespace chatkeep {
namespace {

using namespace testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A real store that takes `per_mutation` for every mutation it applies, and counts; while its
// gate is closed, it applies nothing at all.
class SlowStore final : public ForwardingPersistenceClient {
 public:
  SlowStore(const std::filesystem::path& dir, std::chrono::microseconds per_mutation)
      : ForwardingPersistenceClient(
            std::make_unique<SqlitePersistenceClient>(SqlitePersistenceOptions{.directory = dir})),
        per_mutation_(per_mutation) {
    open_gate.set_value();
  }

  void close_gate() {
    open_gate = {};
    gate_ = open_gate.get_future().share();
  }

  ApplyResult apply(const Batch& batch) override {
    gate_.wait();
    std::this_thread::sleep_for(per_mutation_ * static_cast<long>(batch.size()));
    ApplyResult result = target().apply(batch);
    transactions += 1;
    mutations += batch.size();
    return result;
  }

  std::atomic<std::size_t> transactions{0};
  std::atomic<std::size_t> mutations{0};
  std::promise<void> open_gate;

 private:
  std::chrono::microseconds per_mutation_;
  std::shared_future<void> gate_ = open_gate.get_future().share();
};

Batch one_message(int i) {
  return {UpsertMessages{{}, {make_message("m" + std::to_string(i), "messaging:general", i)}}};
}

struct Background {
  Background(const std::filesystem::path& dir, std::chrono::microseconds per_mutation,
             GroupCommit group_commit = {}) {
    auto owned = std::make_unique<SlowStore>(dir, per_mutation);
    slow = owned.get();
    store = std::make_unique<BackgroundPersistenceClient>(std::move(owned), group_commit);
    store->connect("alice");
  }
  SlowStore* slow;  // owned by store
  std::unique_ptr<BackgroundPersistenceClient> store;
};

TEST(Background, CallerIsNotBlockedByASlowStore) {
  TempDir dir;
  Background bg(dir.path(), 0us);
  bg.slow->close_gate();
  // The store applies nothing until the gate opens; queueing must not wait for it.
  auto queueing = std::async(std::launch::async, [&] {
    std::vector<std::future<ApplyResult>> done;
    for (int i = 0; i < 1000; ++i)
      done.push_back(bg.store->apply_async(one_message(i)));
    return done;
  });
  const bool returned = queueing.wait_for(10s) == std::future_status::ready;
  EXPECT_TRUE(returned) << "the caller waited for the store";
  EXPECT_EQ(bg.slow->mutations.load(), 0u);
  bg.slow->open_gate.set_value();
  for (auto& f : queueing.get())
    f.get();
  EXPECT_EQ(bg.slow->mutations.load(), 1000u);
  EXPECT_EQ(bg.store->messages("messaging:general", {.limit = 2000}).size(), 1000u);
}

TEST(Background, AReadSeesEveryWriteQueuedBeforeIt) {
  TempDir dir;
  Background bg(dir.path(), 100us, {.max_mutations = 1000, .max_delay = 10s});
  for (int i = 0; i < 200; ++i)
    (void)bg.store->apply_async(one_message(i));
  // No future was waited on; the read still sees all 200, and did not wait out the 10 s delay.
  const auto start = Clock::now();
  EXPECT_EQ(bg.store->messages("messaging:general", {.limit = 500}).size(), 200u);
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST(Background, QueuedWritesAreGroupedIntoFewTransactions) {
  TempDir dir;
  Background bg(dir.path(), 200us, {.max_mutations = 50, .max_delay = 10s});
  std::vector<std::future<ApplyResult>> done;
  for (int i = 0; i < 500; ++i)
    done.push_back(bg.store->apply_async(one_message(i)));
  for (auto& f : done)
    f.get();
  // Full groups of 50; only the last may close on its delay (or shutdown) with fewer.
  EXPECT_EQ(bg.slow->mutations.load(), 500u);
  EXPECT_LE(bg.slow->transactions.load(), 11u);
  EXPECT_GE(bg.slow->transactions.load(), 10u);
}

TEST(Background, AGroupClosesWhenItsDelayIsUp) {
  TempDir dir;
  Background bg(dir.path(), 0us, {.max_mutations = 1000, .max_delay = 20ms});
  auto a = bg.store->apply_async(one_message(1));
  auto b = bg.store->apply_async(one_message(2));
  // Far fewer than max_mutations: only the delay can close this group.
  ASSERT_EQ(a.wait_for(10s), std::future_status::ready);
  ASSERT_EQ(b.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(bg.slow->mutations.load(), 2u);
}

TEST(Background, AFailingBatchFailsAloneAndItsErrorReachesTheCaller) {
  TempDir dir;
  Background bg(dir.path(), 0us, {.max_mutations = 1000, .max_delay = 200ms});
  auto good1 = bg.store->apply_async(one_message(1));
  auto bad = bg.store->apply_async(
      {UpsertMessages{{}, {Message{.id = "orphan", .created_at = at_second(1)}}}});
  auto good2 = bg.store->apply_async(
      {one_message(2)[0], AddOutboxEntry{make_entry("messaging:general", "m2")}});
  EXPECT_NO_THROW(good1.get());
  try {
    bad.get();
    FAIL() << "the bad batch succeeded";
  } catch (const ChatError& e) {
    EXPECT_EQ(e.code(), ErrorCode::input);
    EXPECT_EQ(e.message(), "message orphan: cid required");
  }
  EXPECT_EQ(good2.get().outbox_ids.size(), 1u);
  EXPECT_EQ(bg.store->messages("messaging:general", {}).size(), 2u);
  EXPECT_FALSE(bg.store->message("orphan"));
}

TEST(Background, OutboxIdsAreHandedBackToEachBatchOfAGroup) {
  TempDir dir;
  Background bg(dir.path(), 0us, {.max_mutations = 1000, .max_delay = 100ms});
  auto a = bg.store->apply_async({AddOutboxEntry{make_entry("messaging:general", "a")}});
  auto b = bg.store->apply_async({AddOutboxEntry{make_entry("messaging:general", "b")},
                                  AddOutboxEntry{make_entry("messaging:general", "c")}});
  auto ids_a = a.get().outbox_ids, ids_b = b.get().outbox_ids;
  ASSERT_EQ(ids_a.size(), 1u);
  ASSERT_EQ(ids_b.size(), 2u);
  auto entries = bg.store->outbox(0, 10);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].id, ids_a[0]);
  EXPECT_EQ(entries[0].message_id, "a");
  EXPECT_EQ(entries[2].id, ids_b[1]);
  EXPECT_EQ(entries[2].message_id, "c");
}

TEST(Background, WritesApplyInTheOrderTheyWereQueued) {
  TempDir dir;
  Background bg(dir.path(), 0us);
  Message edited = make_message("m1", "messaging:general", 1);
  edited.text = "edited";
  (void)bg.store->apply_async(one_message(1));
  (void)bg.store->apply_async({DeleteMessages{.which = DeleteMessages::ByIds{{"m1"}}}});
  (void)bg.store->apply_async({UpsertMessages{{}, {edited}}});
  (void)bg.store->apply_async({SetLastSyncAt{at_second(1)}});
  (void)bg.store->apply_async({SetLastSyncAt{at_second(2)}});
  EXPECT_EQ(bg.store->message("m1")->text, "edited");
  EXPECT_EQ(bg.store->last_sync_at(), at_second(2));
}

TEST(Background, ShutdownAppliesWhatIsQueued) {
  TempDir dir;
  {
    BackgroundPersistenceClient store(std::make_unique<SqlitePersistenceClient>(
                                          SqlitePersistenceOptions{.directory = dir.path()}),
                                      {.max_mutations = 7, .max_delay = 50ms});
    store.connect("alice");
    for (int i = 0; i < 300; ++i)
      (void)store.apply_async(one_message(i));
  }  // destroyed with writes still queued
  SqlitePersistenceClient reopened({.directory = dir.path()});
  reopened.connect("alice");
  EXPECT_EQ(reopened.messages("messaging:general", {.limit = 1000}).size(), 300u);
}

TEST(Background, ManyThreadsAtOnce) {
  TempDir dir;
  BackgroundPersistenceClient store(
      std::make_unique<SqlitePersistenceClient>(SqlitePersistenceOptions{.directory = dir.path()}));
  store.connect("alice");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const int n = t * 1000 + i;
        if (i % 3 == 0) {
          store.apply(one_message(n));
        } else {
          (void)store.apply_async(one_message(n));
        }
        if (i % 10 == 0) (void)store.messages("messaging:general", {.limit = 5});
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(store.messages("messaging:general", {.limit = 1000}).size(), 400u);
  EXPECT_TRUE(store.is_connected());
  EXPECT_EQ(store.flush().discarded_outbox_entries, 0);
  EXPECT_TRUE(store.messages("messaging:general", {}).empty());
}

}  // namespace
}  // namespace chatkeep

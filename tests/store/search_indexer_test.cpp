// store::SearchIndexer: steps run once the writes pause, one at a time while they go on (and
// then only past the tail's bound), and again after a step fails.

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "chatkeep/error.hpp"
#include "log/logger.hpp"
#include "store/search_indexer.hpp"
#include "support/eventually.hpp"

namespace chatkeep {
namespace {

using namespace std::chrono_literals;
using testing::eventually;

// A step that records its argument and has `waiting` rows of work, one a step.
struct FakeWork {
  std::mutex mutex;
  std::vector<std::int64_t> calls;
  int waiting = 0;
  int failures = 0;  // the next steps that throw
  std::chrono::milliseconds step_time{0};

  bool step(std::int64_t min_tail_rows) {
    std::this_thread::sleep_for(step_time);
    std::lock_guard lock(mutex);
    calls.push_back(min_tail_rows);
    if (failures > 0) {
      --failures;
      throw ChatError(ErrorCode::storage, "disk I/O error");
    }
    if (waiting > min_tail_rows) --waiting;
    return waiting <= min_tail_rows;
  }
  int remaining() {
    std::lock_guard lock(mutex);
    return waiting;
  }
  std::vector<std::int64_t> seen() {
    std::lock_guard lock(mutex);
    return calls;
  }
};

store::SearchIndexer::Options fast() {
  return {.idle = 30ms, .busy_check = 200ms, .max_tail_rows = 777, .failure_pause = 20ms};
}

std::shared_ptr<spdlog::logger> quiet() {
  return log::make_logger("search-indexer-test", {.level = LogLevel::off});
}

TEST(SearchIndexer, RunsEveryStepOnceTheWritesPause) {
  FakeWork work;
  work.waiting = 5;
  store::SearchIndexer indexer([&](std::int64_t m) { return work.step(m); }, quiet(), fast());
  ASSERT_TRUE(eventually([&] { return work.remaining() == 0; }, 10s));
  for (const std::int64_t m : work.seen())
    EXPECT_EQ(m, 0);  // idle: the whole of the work, backlog included
  const auto steps = indexer.steps();
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(indexer.steps(), steps);  // done: nothing runs until the next write
  {
    std::lock_guard lock(work.mutex);
    work.waiting = 2;
  }
  indexer.wrote();
  ASSERT_TRUE(eventually([&] { return work.remaining() == 0; }, 10s));
}

TEST(SearchIndexer, WhileWritesGoOnATailPastItsBoundIsIndexedDownToIt) {
  FakeWork work;
  work.waiting = 1000;
  // A pause long enough for a loaded machine never to make one by accident.
  store::SearchIndexer::Options options = fast();
  options.idle = 1s;
  options.busy_check = 100ms;
  store::SearchIndexer indexer([&](std::int64_t m) { return work.step(m); }, quiet(), options);
  std::atomic<bool> writing = true;
  std::thread writer([&] {
    while (writing) {  // a write every 2 ms: never a pause
      indexer.wrote();
      std::this_thread::sleep_for(2ms);
    }
  });
  EXPECT_TRUE(eventually([&] { return work.remaining() == 777; }, 30s));
  for (const std::int64_t m : work.seen())
    EXPECT_EQ(m, 777);  // the bounded tail only, never the rest
  writing = false;
  writer.join();
  // Then the writes pause, and the rest goes.
  EXPECT_TRUE(eventually([&] { return work.remaining() == 0; }, 30s));
}

TEST(SearchIndexer, AFailedStepIsTriedAgain) {
  FakeWork work;
  work.waiting = 3;
  work.failures = 2;
  store::SearchIndexer indexer([&](std::int64_t m) { return work.step(m); }, quiet(), fast());
  ASSERT_TRUE(eventually([&] { return work.remaining() == 0; }, 10s));
  EXPECT_EQ(work.seen().size(), 5u);
}

TEST(SearchIndexer, StopsAtOnceThoughWorkWaits) {
  FakeWork work;
  work.waiting = 1'000'000;
  work.step_time = 1ms;  // a thousand seconds of work
  const auto start = std::chrono::steady_clock::now();
  {
    store::SearchIndexer indexer([&](std::int64_t m) { return work.step(m); }, quiet(), fast());
    ASSERT_TRUE(eventually([&] { return !work.seen().empty(); }, 10s));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_GT(work.remaining(), 0);
}

}  // namespace
}  // namespace chatkeep

// The work scheduler against a real SQLite file, with a manual clock so that nothing sleeps:
// delays, backoff sequences, periods and flex windows, constraints, unique-name policies, chains,
// cancellation, observation, persistence across restarts, work a killed process was running, and
// two schedulers sharing one database.

#include "chatkeep/work.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "chatkeep/error.hpp"
#include "chatkeep/testing/temp_dir.hpp"

namespace chatkeep {
namespace {

using namespace std::chrono_literals;
using std::chrono::microseconds;

class WorkTest : public ::testing::Test {
 protected:
  std::unique_ptr<WorkScheduler> make(std::size_t threads = 2) {
    return std::make_unique<WorkScheduler>(WorkSchedulerOptions{
        .database = dir_.path() / "db_alice.sqlite", .threads = threads, .clock = clock_});
  }

  // Moves the clock and lets the scheduler run whatever that made due.
  void advance(microseconds by) {
    clock_->advance(by);
    ASSERT_TRUE(scheduler_->wait_idle());
  }

  std::int64_t runs(std::int64_t id) {
    std::lock_guard lock(mutex_);
    return runs_[id];
  }

  // A worker that counts its runs and returns what `script` says for each attempt.
  Worker counting(std::function<WorkResult(const WorkContext&)> script) {
    return [this, script](WorkContext& c) {
      {
        std::lock_guard lock(mutex_);
        ++runs_[c.id];
      }
      c.output["attempt"] = c.attempt;
      return script(c);
    };
  }

  testing::TempDir dir_;
  std::shared_ptr<ManualClock> clock_ =
      std::make_shared<ManualClock>(Timestamp::from_unix_micros(1'800'000'000'000'000));
  std::unique_ptr<WorkScheduler> scheduler_ = make();
  std::mutex mutex_;
  std::map<std::int64_t, std::int64_t> runs_;
};

WorkResult succeed(const WorkContext&) {
  return WorkResult::success;
}

TEST_F(WorkTest, OneOffWorkRunsOnceAfterItsInitialDelayWithItsInput) {
  boost::json::object seen;
  scheduler_->register_worker("greet", [&](WorkContext& c) {
    seen = c.input;
    c.output["greeted"] = c.input.at("name");
    return WorkResult::success;
  });
  const auto id = scheduler_->enqueue(
      {.worker = "greet", .input = {{"name", "bob"}}, .tags = {"chat"}, .initial_delay = 10min});
  ASSERT_TRUE(scheduler_->wait_idle());
  EXPECT_EQ(scheduler_->info(id)->state, WorkState::enqueued);
  advance(10min - 1us);
  EXPECT_EQ(scheduler_->info(id)->state, WorkState::enqueued);
  advance(1us);
  const WorkInfo info = *scheduler_->info(id);
  EXPECT_EQ(info.state, WorkState::succeeded);
  EXPECT_EQ(info.attempts, 1);
  EXPECT_EQ(seen, (boost::json::object{{"name", "bob"}}));
  EXPECT_EQ(info.output, (boost::json::object{{"greeted", "bob"}}));
  EXPECT_EQ(info.tags, std::vector<std::string>{"chat"});
  EXPECT_FALSE(info.periodic);
  advance(1h);
  EXPECT_EQ(scheduler_->info(id)->attempts, 1);
}

TEST_F(WorkTest, RetriesBackOffExponentiallyOrLinearlyWithinBounds) {
  scheduler_->register_worker("flaky", counting([](const WorkContext& c) {
                                return c.attempt < 5 ? WorkResult::retry : WorkResult::success;
                              }));
  struct Case {
    BackoffPolicy policy;
    std::chrono::milliseconds delay;
    std::vector<microseconds> waits;
  };
  for (const Case& k : {Case{BackoffPolicy::exponential, 30s, {30s, 60s, 120s, 240s}},
                        Case{BackoffPolicy::linear, 30s, {30s, 60s, 90s, 120s}},
                        Case{BackoffPolicy::linear, 1s, {10s, 20s, 30s, 40s}},      // at least 10 s
                        Case{BackoffPolicy::exponential, 3h, {3h, 5h, 5h, 5h}}}) {  // at most 5 h
    const auto id =
        scheduler_->enqueue({.worker = "flaky", .backoff = k.policy, .backoff_delay = k.delay});
    ASSERT_TRUE(scheduler_->wait_idle());
    for (std::size_t i = 0; i < k.waits.size(); ++i) {
      EXPECT_EQ(runs(id), static_cast<std::int64_t>(i + 1));
      const WorkInfo info = *scheduler_->info(id);
      EXPECT_EQ(info.state, WorkState::enqueued);
      EXPECT_EQ(info.run_at.unix_micros() - clock_->now().unix_micros(), k.waits[i].count())
          << "retry " << i + 1;
      advance(k.waits[i] - 1us);
      EXPECT_EQ(runs(id), static_cast<std::int64_t>(i + 1));
      advance(1us);
    }
    EXPECT_EQ(scheduler_->info(id)->state, WorkState::succeeded);
    EXPECT_EQ(scheduler_->info(id)->output.at("attempt"), 5);
  }
}

TEST_F(WorkTest, PeriodicWorkRunsInTheFlexWindowOfEachPeriod) {
  scheduler_->register_worker("sync", counting(succeed));
  const auto start = clock_->now().unix_micros();
  const auto id = scheduler_->enqueue({.worker = "sync", .period = 1h, .flex = 10min});
  auto at = [&] { return scheduler_->info(id)->run_at.unix_micros() - start; };
  EXPECT_EQ(at(), microseconds(50min).count());
  advance(50min - 1us);
  EXPECT_EQ(runs(id), 0);
  advance(1us);
  EXPECT_EQ(runs(id), 1);
  EXPECT_EQ(scheduler_->info(id)->state, WorkState::enqueued);  // periodic work goes on
  EXPECT_EQ(at(), microseconds(1h + 50min).count());
  advance(1h);
  EXPECT_EQ(runs(id), 2);
  // Asleep for five hours: one run, then the next window of the period under way.
  advance(5h);
  EXPECT_EQ(runs(id), 3);
  EXPECT_EQ(at(), microseconds(7h + 50min).count());

  // A period below 15 minutes is raised to it; a flex below 5 minutes too.
  const auto fast = scheduler_->enqueue({.worker = "sync", .period = 1min, .flex = 1s});
  EXPECT_EQ(scheduler_->info(fast)->run_at.unix_micros() - clock_->now().unix_micros(),
            microseconds(10min).count());
  EXPECT_TRUE(scheduler_->info(fast)->periodic);
  // A periodic run that fails is tried again next period, not given up.
  scheduler_->register_worker("broken",
                              counting([](const WorkContext&) { return WorkResult::failure; }));
  const auto broken = scheduler_->enqueue({.worker = "broken", .period = 15min});
  ASSERT_TRUE(scheduler_->wait_idle());
  EXPECT_EQ(runs(broken), 1);
  advance(15min);
  EXPECT_EQ(runs(broken), 2);
  EXPECT_EQ(scheduler_->info(broken)->state, WorkState::enqueued);
}

TEST_F(WorkTest, WorkWaitsForItsConstraints) {
  scheduler_->register_worker("upload", counting(succeed));
  const auto id = scheduler_->enqueue(
      {.worker = "upload", .constraints = {.network = true, .conditions = {"charging"}}});
  ASSERT_TRUE(scheduler_->wait_idle());
  EXPECT_EQ(runs(id), 0);
  scheduler_->set_network(true);
  ASSERT_TRUE(scheduler_->wait_idle());
  EXPECT_EQ(runs(id), 0);
  scheduler_->set_condition("charging", true);
  ASSERT_TRUE(scheduler_->wait_idle());
  EXPECT_EQ(runs(id), 1);
  EXPECT_EQ(scheduler_->info(id)->state, WorkState::succeeded);
}

TEST_F(WorkTest, UniqueNamesKeepReplaceAppendAndUpdate) {
  scheduler_->register_worker("job", counting(succeed));
  const WorkRequest later{.worker = "job", .input = {{"v", 1}}, .initial_delay = 1h};
  const auto first = scheduler_->enqueue_unique("upload", ExistingWorkPolicy::keep, later);
  EXPECT_EQ(scheduler_->enqueue_unique("upload", ExistingWorkPolicy::keep, later), first);
  EXPECT_EQ(scheduler_->by_name("upload").size(), 1u);

  const auto appended = scheduler_->enqueue_unique("upload", ExistingWorkPolicy::append,
                                                   {.worker = "job", .input = {{"v", 2}}});
  EXPECT_EQ(scheduler_->info(appended)->state, WorkState::blocked);
  EXPECT_EQ(scheduler_->info(appended)->after, first);

  const auto replacement = scheduler_->enqueue_unique("upload", ExistingWorkPolicy::replace,
                                                      {.worker = "job", .input = {{"v", 3}}});
  EXPECT_EQ(scheduler_->info(first)->state, WorkState::cancelled);
  EXPECT_EQ(scheduler_->info(appended)->state, WorkState::cancelled);
  ASSERT_TRUE(scheduler_->wait_idle());
  EXPECT_EQ(scheduler_->info(replacement)->state, WorkState::succeeded);
  EXPECT_EQ(runs(first) + runs(appended), 0);
  // Finished work does not hold its name.
  const auto fresh = scheduler_->enqueue_unique("upload", ExistingWorkPolicy::keep, later);
  EXPECT_NE(fresh, replacement);

  // Periodic: update changes what runs and keeps the schedule; keep changes nothing.
  const auto periodic = scheduler_->enqueue_unique(
      "sync", ExistingWorkPolicy::keep,
      {.worker = "job", .input = {{"v", 1}}, .period = 1h, .flex = 10min});
  const Timestamp due = scheduler_->info(periodic)->run_at;
  advance(20min);
  EXPECT_EQ(scheduler_->enqueue_unique("sync", ExistingWorkPolicy::update,
                                       {.worker = "job", .input = {{"v", 2}}, .period = 1h}),
            periodic);
  EXPECT_EQ(scheduler_->info(periodic)->input.at("v"), 2);
  EXPECT_EQ(scheduler_->info(periodic)->run_at, due);
  EXPECT_EQ(scheduler_->enqueue_unique("sync", ExistingWorkPolicy::keep,
                                       {.worker = "job", .input = {{"v", 3}}, .period = 2h}),
            periodic);
  EXPECT_EQ(scheduler_->info(periodic)->input.at("v"), 2);
}

TEST_F(WorkTest, ChainsRunInOrderAndFailOrCancelTogether) {
  std::vector<std::string> order;
  std::mutex order_mutex;
  scheduler_->register_worker("step", [&](WorkContext& c) {
    std::lock_guard lock(order_mutex);
    order.emplace_back(c.input.at("name").as_string());
    return c.input.contains("fail") ? WorkResult::failure : WorkResult::success;
  });
  const auto a =
      scheduler_->enqueue({.worker = "step", .input = {{"name", "a"}}, .initial_delay = 1min});
  const auto b = scheduler_->enqueue_after(a, {.worker = "step", .input = {{"name", "b"}}});
  const auto c = scheduler_->enqueue_after(b, {.worker = "step", .input = {{"name", "c"}}});
  ASSERT_TRUE(scheduler_->wait_idle());
  EXPECT_EQ(scheduler_->info(b)->state, WorkState::blocked);
  advance(1min);
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(scheduler_->info(c)->state, WorkState::succeeded);

  const auto d = scheduler_->enqueue({.worker = "step", .input = {{"name", "d"}, {"fail", true}}});
  const auto e = scheduler_->enqueue_after(d, {.worker = "step", .input = {{"name", "e"}}});
  const auto f = scheduler_->enqueue_after(e, {.worker = "step", .input = {{"name", "f"}}});
  ASSERT_TRUE(scheduler_->wait_idle());
  EXPECT_EQ(scheduler_->info(d)->state, WorkState::failed);
  EXPECT_EQ(scheduler_->info(e)->state, WorkState::failed);
  EXPECT_EQ(scheduler_->info(f)->state, WorkState::failed);
  // Following work that already failed fails at once.
  EXPECT_EQ(scheduler_->info(scheduler_->enqueue_after(d, {.worker = "step"}))->state,
            WorkState::failed);

  const auto g =
      scheduler_->enqueue({.worker = "step", .input = {{"name", "g"}}, .initial_delay = 1h});
  const auto h = scheduler_->enqueue_after(g, {.worker = "step", .input = {{"name", "h"}}});
  EXPECT_EQ(scheduler_->cancel(g), 2u);
  EXPECT_EQ(scheduler_->info(h)->state, WorkState::cancelled);
  advance(2h);
  EXPECT_EQ(order.size(), 4u);  // a, b, c, d
}

TEST_F(WorkTest, CancelByIdNameOrTagAndObserveEveryState) {
  std::vector<std::pair<std::int64_t, WorkState>> seen;
  std::mutex seen_mutex;
  Subscription watching = scheduler_->on_change([&](const WorkInfo& info) {
    std::lock_guard lock(seen_mutex);
    seen.emplace_back(info.id, info.state);
  });
  std::atomic<bool> release{false}, noticed_stop{false};
  scheduler_->register_worker("long", [&](WorkContext& c) {
    while (!release && !c.stopped())
      std::this_thread::sleep_for(1ms);
    noticed_stop = c.stopped();
    return WorkResult::success;
  });
  scheduler_->register_worker("job", counting(succeed));

  const auto quick = scheduler_->enqueue({.worker = "job"});
  ASSERT_TRUE(scheduler_->wait_idle());
  {
    std::lock_guard lock(seen_mutex);
    EXPECT_EQ(seen,
              (std::vector<std::pair<std::int64_t, WorkState>>{{quick, WorkState::enqueued},
                                                               {quick, WorkState::running},
                                                               {quick, WorkState::succeeded}}));
  }

  const auto running = scheduler_->enqueue({.worker = "long"});
  while (scheduler_->info(running)->state != WorkState::running)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(scheduler_->cancel(running), 1u);
  ASSERT_TRUE(scheduler_->wait_idle());
  EXPECT_TRUE(noticed_stop);
  EXPECT_EQ(scheduler_->info(running)->state, WorkState::cancelled);  // its success is ignored

  const auto named = scheduler_->enqueue_unique("n", ExistingWorkPolicy::keep,
                                                {.worker = "job", .initial_delay = 1h});
  const auto tagged1 =
      scheduler_->enqueue({.worker = "job", .tags = {"t", "x"}, .initial_delay = 1h});
  const auto tagged2 = scheduler_->enqueue({.worker = "job", .tags = {"t"}, .initial_delay = 1h});
  const auto other = scheduler_->enqueue({.worker = "job", .tags = {"x"}, .initial_delay = 1h});
  EXPECT_EQ(scheduler_->cancel_unique("n"), 1u);
  EXPECT_EQ(scheduler_->cancel_tag("t"), 2u);
  EXPECT_EQ(scheduler_->cancel_tag("t"), 0u);
  EXPECT_EQ(scheduler_->by_tag("x").size(), 2u);
  for (auto id : {named, tagged1, tagged2})
    EXPECT_EQ(scheduler_->info(id)->state, WorkState::cancelled);
  advance(1h);
  EXPECT_EQ(scheduler_->info(other)->state, WorkState::succeeded);
  EXPECT_EQ(runs(named) + runs(tagged1) + runs(tagged2), 0);
}

TEST_F(WorkTest, BadRequestsAreRefused) {
  EXPECT_THROW(scheduler_->enqueue({.worker = ""}), ChatError);
  EXPECT_THROW(
      scheduler_->enqueue({.worker = "w", .input = {{"big", std::string(10 * 1024, 'x')}}}),
      ChatError);
  EXPECT_THROW(scheduler_->enqueue_after(12345, {.worker = "w"}), ChatError);
  EXPECT_THROW(
      scheduler_->enqueue_unique("p", ExistingWorkPolicy::keep, {.worker = "w", .period = 1h});
      scheduler_->enqueue_unique("p", ExistingWorkPolicy::append, {.worker = "w", .period = 1h}),
      ChatError);
  // A worker whose output is too big fails its work.
  scheduler_->register_worker("chatty", [](WorkContext& c) {
    c.output["big"] = std::string(20 * 1024, 'x');
    return WorkResult::success;
  });
  const auto id = scheduler_->enqueue({.worker = "chatty"});
  ASSERT_TRUE(scheduler_->wait_idle());
  EXPECT_EQ(scheduler_->info(id)->state, WorkState::failed);
  // A worker that throws fails its work.
  scheduler_->register_worker("thrower",
                              [](WorkContext&) -> WorkResult { throw std::runtime_error("boom"); });
  const auto thrown = scheduler_->enqueue({.worker = "thrower"});
  ASSERT_TRUE(scheduler_->wait_idle());
  EXPECT_EQ(scheduler_->info(thrown)->state, WorkState::failed);
}

TEST_F(WorkTest, ScheduledWorkSurvivesARestart) {
  const auto later = scheduler_->enqueue({.worker = "job", .initial_delay = 1h});
  const auto periodic =
      scheduler_->enqueue_unique("sync", ExistingWorkPolicy::keep, {.worker = "job", .period = 1h});
  const auto blocked = scheduler_->enqueue_after(later, {.worker = "job"});
  scheduler_.reset();

  scheduler_ = make();
  EXPECT_EQ(scheduler_->info(blocked)->state, WorkState::blocked);
  scheduler_->register_worker("job", counting(succeed));
  ASSERT_TRUE(scheduler_->wait_idle());
  EXPECT_EQ(runs(periodic), 1);  // due at once (no flex)
  advance(1h);
  EXPECT_EQ(runs(later), 1);
  EXPECT_EQ(runs(blocked), 1);
  EXPECT_EQ(scheduler_->by_name("sync").size(), 1u);
}

// A child process runs work that never ends and is killed with SIGKILL. Its claim is not renewed,
// so once it has run out another scheduler takes the work back and runs it again.
TEST_F(WorkTest, WorkAKilledProcessWasRunningRunsAgain) {
  // Real time here: two processes share no manual clock.
  scheduler_ = std::make_unique<WorkScheduler>(
      WorkSchedulerOptions{.database = dir_.path() / "db_alice.sqlite", .threads = 1});
  const auto id = scheduler_->enqueue({.worker = "stuck"});
  scheduler_.reset();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      WorkScheduler mine(WorkSchedulerOptions{
          .database = dir_.path() / "db_alice.sqlite", .threads = 1, .claim_duration = 2s});
      mine.register_worker("stuck", [](WorkContext&) {
        for (;;)
          ::pause();
        return WorkResult::success;
      });
      for (;;)
        ::pause();
    } catch (...) {
      ::_exit(3);
    }
  }
  struct Reaper {  // the child goes whatever happens here
    pid_t pid;
    ~Reaper() {
      if (::kill(pid, SIGKILL) == 0) ::waitpid(pid, nullptr, 0);
    }
  } reaper{child};
  // Without the worker, this scheduler only watches.
  scheduler_ = std::make_unique<WorkScheduler>(
      WorkSchedulerOptions{.database = dir_.path() / "db_alice.sqlite", .threads = 1});
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (scheduler_->info(id)->state != WorkState::running &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  ASSERT_EQ(scheduler_->info(id)->state, WorkState::running);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  std::atomic<int> ran{0};
  scheduler_->register_worker("stuck", [&](WorkContext& c) {
    ran = static_cast<int>(c.attempt);
    return WorkResult::success;
  });
  while (scheduler_->info(id)->state != WorkState::succeeded &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(scheduler_->info(id)->state, WorkState::succeeded);
  EXPECT_EQ(ran, 2);  // the second run
}

// Two schedulers on one database, as the app and its agent: each piece of work runs once.
TEST_F(WorkTest, TwoSchedulersOnOneDatabaseRunEachWorkOnce) {
  auto other = make(3);
  for (auto* s : {scheduler_.get(), other.get()})
    s->register_worker("job", counting(succeed));
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 60; ++i)
    ids.push_back((i % 2 ? scheduler_ : other)->enqueue({.worker = "job"}));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  auto all_done = [&] {
    for (auto id : ids)
      if (scheduler_->info(id)->state != WorkState::succeeded) return false;
    return true;
  };
  while (!all_done() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(all_done());
  for (auto id : ids)
    EXPECT_EQ(runs(id), 1) << id;
}

}  // namespace
}  // namespace chatkeep

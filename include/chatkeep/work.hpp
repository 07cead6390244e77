#pragma once

// Background work, modelled on Android's WorkManager (which Flutter's `workmanager` wraps):
// one-off and periodic work with constraints, backoff, unique names, tags, small input data and
// chains, kept in the user's database so that it survives restarts, and run by a small pool of
// threads. Built-in work for the chat client is in background_work.hpp.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/log.hpp"
#include "chatkeep/subscription.hpp"
#include "chatkeep/timestamp.hpp"

namespace chatkeep {

// enqueued: waiting for its time and constraints; blocked: waiting for the work it follows;
// running; and the ends: succeeded, failed, cancelled. Periodic work goes back to enqueued
// after each run and only ends when cancelled.
enum class WorkState { enqueued, blocked, running, succeeded, failed, cancelled };
std::string_view to_string(WorkState state);

// What a run asks for: done, try again later (with backoff), or give up.
enum class WorkResult { success, retry, failure };

enum class BackoffPolicy { linear, exponential };

struct WorkConstraints {
  bool network = false;                 // the network is connected (WorkScheduler::set_network)
  std::vector<std::string> conditions;  // app-defined, each set by WorkScheduler::set_condition
};

struct WorkRequest {
  std::string worker;         // the registered worker that runs it
  boost::json::object input;  // at most 10 KB as JSON
  std::vector<std::string> tags;
  WorkConstraints constraints;
  std::chrono::milliseconds initial_delay{0};
  // Periodic work: one run in each period, in its last `flex` (all of it when absent). The period
  // is at least 15 minutes and the flex window at least 5, as with WorkManager.
  std::optional<std::chrono::milliseconds> period;
  std::optional<std::chrono::milliseconds> flex;
  BackoffPolicy backoff = BackoffPolicy::exponential;
  std::chrono::milliseconds backoff_delay{30'000};  // kept within [10 s, 5 h], as each wait is
};

// For work with a unique name that exists already (unfinished). One-off: keep it and drop the
// new one, replace it (cancelling it and what follows it), or append the new one after it.
// Periodic: keep it, or update it in place, keeping its schedule.
enum class ExistingWorkPolicy { keep, replace, append, update };

struct WorkInfo {
  std::int64_t id = 0;
  std::string worker;
  std::optional<std::string> unique_name;
  std::vector<std::string> tags;
  WorkState state = WorkState::enqueued;
  std::int64_t attempts = 0;  // runs so far (of this period, for periodic work)
  Timestamp run_at;           // not before
  bool periodic = false;
  std::optional<std::int64_t> after;  // the work it follows in a chain
  boost::json::object input;
  boost::json::object output;  // what the last run left
};

// What a run of a worker gets.
struct WorkContext {
  std::int64_t id = 0;
  std::int64_t attempt = 1;  // 1 for the first run (of this period)
  boost::json::object input;
  boost::json::object output;  // kept with the work (at most 10 KB)
  // True once the work is cancelled or the scheduler stops: a long run should end early.
  std::function<bool()> stopped;
};
// Runs on one of the scheduler's threads; an exception counts as failure.
using Worker = std::function<WorkResult(WorkContext&)>;

// Time as the scheduler sees it: the system's, or a test's.
class WorkClock {
 public:
  virtual ~WorkClock() = default;
  virtual Timestamp now() const = 0;
  // Tells `listener` when time jumps (a test clock); the system clock never does.
  virtual Subscription on_jump(std::function<void()> listener);
};
std::shared_ptr<WorkClock> system_work_clock();

// A clock that moves only when told: scheduler tests run without sleeping.
class ManualClock final : public WorkClock {
 public:
  explicit ManualClock(Timestamp start);
  Timestamp now() const override;
  void advance(std::chrono::microseconds by);
  Subscription on_jump(std::function<void()> listener) override;

 private:
  class State;
  std::shared_ptr<State> state_;
};

struct WorkSchedulerOptions {
  std::filesystem::path database;  // the user's database (user_storage(...).database)
  std::size_t threads = 2;
  std::shared_ptr<WorkClock> clock;  // none: the system's
  // Work another process was running counts as abandoned once its holder has not renewed its
  // claim for this long (it renews every second while running).
  std::chrono::milliseconds claim_duration{30'000};
  LogOptions log;
};

// Runs the work stored in one user's database, with any number of schedulers (in this process
// or others) on the same database: each run is claimed by one of them, and work a dead process
// was running is claimed again once its claim runs out. A scheduler runs only work whose worker
// it has registered. Every method may be called from any thread; failures are ChatError.
class WorkScheduler {
 public:
  explicit WorkScheduler(WorkSchedulerOptions options);
  // Stops: running work is told to stop and waited for; what it returns is kept.
  ~WorkScheduler();
  WorkScheduler(const WorkScheduler&) = delete;
  WorkScheduler& operator=(const WorkScheduler&) = delete;

  void register_worker(const std::string& name, Worker worker);

  std::int64_t enqueue(const WorkRequest& request);
  // With a unique name, and what to do when unfinished work has it already; the id of the work
  // that has the name afterwards.
  std::int64_t enqueue_unique(const std::string& name, ExistingWorkPolicy policy,
                              const WorkRequest& request);
  // Work to run after `first` succeeds (blocked until then; failed or cancelled with it).
  std::int64_t enqueue_after(std::int64_t first, const WorkRequest& request);

  std::optional<WorkInfo> info(std::int64_t id);
  std::vector<WorkInfo> by_name(const std::string& name);
  std::vector<WorkInfo> by_tag(const std::string& tag);
  // Each change of a work item, after it is stored, in the order the changes were made; on the
  // thread that made one of them (the caller's or a scheduler thread).
  Subscription on_change(std::function<void(const WorkInfo&)> listener);

  // Cancel unfinished work, and the work chained after it. The number cancelled.
  std::size_t cancel(std::int64_t id);
  std::size_t cancel_unique(const std::string& name);
  std::size_t cancel_tag(const std::string& tag);

  void set_network(bool connected);
  void set_condition(const std::string& name, bool holds);

  // Waits until nothing runs, nothing is due now that this scheduler could run, and the
  // listeners have heard of every change; false if that takes longer than `limit`. For tests
  // and for shutting down tidily.
  bool wait_idle(std::chrono::milliseconds limit = std::chrono::seconds(10));

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace chatkeep

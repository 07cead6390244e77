// The work scheduler: requests and their state are rows of the `work` table in the user's
// database (work_table.hpp), claimed by one scheduler at a time with a renewed claim, so that
// several schedulers (the app's and its agent's) can share a database and work a dead process
// was running runs again. Each pool thread loops: claim the next due work whose constraints
// hold, run it, record what it returned; a keeper thread renews this scheduler's claims and
// takes back work whose claim ran out.
//
// One file over 600 lines: one class (Impl) whose every method runs under the same mutex, on the
// same table; the pure rules (timing, backoff) are apart in rules.cpp.

#include "chatkeep/work.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "chatkeep/error.hpp"
#include "listeners/listener_list.hpp"
#include "locks/checked_mutex.hpp"
#include "log/logger.hpp"
#include "process/holder.hpp"
#include "sqlite/database.hpp"
#include "store/user_database.hpp"
#include "work/rules.hpp"

namespace chatkeep {

namespace json = boost::json;
using sqlite::Database;
using sqlite::Transaction;

std::string_view to_string(WorkState state) {
  switch (state) {
    case WorkState::enqueued:
      return "enqueued";
    case WorkState::blocked:
      return "blocked";
    case WorkState::running:
      return "running";
    case WorkState::succeeded:
      return "succeeded";
    case WorkState::failed:
      return "failed";
    case WorkState::cancelled:
      return "cancelled";
  }
  return "?";
}

namespace {

WorkState state_named(std::string_view name) {
  for (auto s : {WorkState::enqueued, WorkState::blocked, WorkState::running, WorkState::succeeded,
                 WorkState::failed, WorkState::cancelled}) {
    if (to_string(s) == name) return s;
  }
  throw ChatError(ErrorCode::storage, fmt::format("work in an unknown state '{}'", name));
}

std::string limited(const json::object& data, std::string_view what) {
  std::string text = json::serialize(data);
  if (text.size() > work::kMaxDataBytes) {
    throw ChatError(ErrorCode::input, fmt::format("work {}: {} bytes, more than the {} allowed",
                                                  what, text.size(), work::kMaxDataBytes));
  }
  return text;
}

// What is kept of a request besides its input and tags.
json::object spec_of(const WorkRequest& request) {
  const work::Timing t = work::timing_of(request);
  json::array conditions;
  for (const auto& c : request.constraints.conditions)
    conditions.emplace_back(c);
  return {{"network", request.constraints.network},
          {"conditions", std::move(conditions)},
          {"period", t.period},
          {"flex", t.flex},
          {"linear", t.backoff == BackoffPolicy::linear},
          {"backoff_delay", t.backoff_delay}};
}

work::Timing timing_of(const json::object& spec) {
  return {
      .initial_delay = 0,
      .period = spec.at("period").as_int64(),
      .flex = spec.at("flex").as_int64(),
      .backoff = spec.at("linear").as_bool() ? BackoffPolicy::linear : BackoffPolicy::exponential,
      .backoff_delay = spec.at("backoff_delay").as_int64()};
}

json::array tags_of(const std::vector<std::string>& tags) {
  json::array out;
  for (const auto& t : tags)
    out.emplace_back(t);
  return out;
}

constexpr const char* kColumns =
    "id, worker, unique_name, tags, state, attempts, run_at, spec, after, input, output";

WorkInfo read_info(const sqlite::Query& q) {
  WorkInfo info;
  info.id = q.integer(0);
  info.worker = q.text(1);
  if (!q.is_null(2)) info.unique_name = std::string(q.text(2));
  const json::value tags = json::parse(q.text(3));
  for (const auto& t : tags.as_array())
    info.tags.emplace_back(t.as_string());
  info.state = state_named(q.text(4));
  info.attempts = q.integer(5);
  info.run_at = Timestamp::from_unix_micros(q.integer(6));
  info.periodic = json::parse(q.text(7)).as_object().at("period").as_int64() > 0;
  if (!q.is_null(8)) info.after = q.integer(8);
  info.input = json::parse(q.text(9)).as_object();
  info.output = json::parse(q.text(10)).as_object();
  return info;
}

class SystemClock final : public WorkClock {
 public:
  Timestamp now() const override { return Timestamp::now(); }
};

}  // namespace

Subscription WorkClock::on_jump(std::function<void()>) {
  return {};
}

std::shared_ptr<WorkClock> system_work_clock() {
  static const auto clock = std::make_shared<SystemClock>();
  return clock;
}

class ManualClock::State {
 public:
  std::mutex mutex;  // now
  Timestamp now;
  ListenerList<> listeners;
};

ManualClock::ManualClock(Timestamp start) : state_(std::make_shared<State>()) {
  state_->now = start;
}

Timestamp ManualClock::now() const {
  std::lock_guard lock(state_->mutex);
  return state_->now;
}

void ManualClock::advance(std::chrono::microseconds by) {
  {
    std::lock_guard lock(state_->mutex);
    state_->now = Timestamp::from_unix_micros(state_->now.unix_micros() + by.count());
  }
  state_->listeners.call();
}

Subscription ManualClock::on_jump(std::function<void()> listener) {
  return state_->listeners.add(std::move(listener));
}

class WorkScheduler::Impl {
 public:
  explicit Impl(WorkSchedulerOptions options)
      : options_(std::move(options)),
        clock_(options_.clock ? options_.clock : system_work_clock()),
        log_(log::make_logger("work", options_.log)),
        holder_(process::new_holder_id()),
        db_(store::open_user_database(options_.database)) {
    jump_ = clock_->on_jump([this] { wake(); });
  }

  void start() {
    for (std::size_t i = 0; i < std::max<std::size_t>(options_.threads, 1); ++i)
      threads_.emplace_back([this] { loop(); });
    threads_.emplace_back([this] { keep_claims(); });
  }

  // Renews this scheduler's claims while its work runs (all pool threads may be busy), and takes
  // back work whose claim ran out, several times per claim duration.
  void keep_claims() {
    const auto every =
        std::min<std::chrono::milliseconds>(options_.claim_duration / 3, std::chrono::seconds(1));
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      std::vector<std::int64_t> changed;
      try {
        tend_claims_locked(changed);
      } catch (const ChatError& e) {
        log_->error("renewing work claims failed: {}", e.what());
      }
      if (!changed.empty()) announce(lock, changed);
      keeper_cv_.wait_for(lock, every, [this] { return stopping_; });
    }
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      keeper_cv_.notify_all();
    }
    wake();
    for (auto& t : threads_)
      t.join();
    threads_.clear();
    jump_.reset();
  }

  void wake() {
    std::lock_guard lock(mutex_);
    changed_ = true;
    cv_.notify_all();
  }

  // --- requests ---------------------------------------------------------------------------

  std::int64_t insert_locked(const WorkRequest& request, const std::optional<std::string>& name,
                             std::optional<std::int64_t> after,
                             std::vector<std::int64_t>& changed) {
    mutex_.assert_held();
    if (request.worker.empty()) throw ChatError(ErrorCode::input, "work needs a worker");
    const std::string input = limited(request.input, "input");
    const json::object spec = spec_of(request);
    const work::Timing timing = work::timing_of(request);
    const std::int64_t now = now_us();
    std::int64_t run_at = now + timing.initial_delay;
    std::optional<std::int64_t> period_start;
    if (timing.period > 0) {
      const work::Window w = work::first_window(timing, now);
      period_start = w.period_start;
      run_at = w.run_at;
    }
    WorkState state = WorkState::enqueued;
    if (after) {
      const auto first = state_of_locked(*after);
      if (!first) throw ChatError(ErrorCode::not_found, fmt::format("no work {}", *after));
      if (*first == WorkState::failed || *first == WorkState::cancelled) {
        state = *first;  // it will never be followed
      } else if (*first != WorkState::succeeded) {
        state = WorkState::blocked;
      }
    }
    db_->query(
           "INSERT INTO work (worker, unique_name, tags, input, spec, state, run_at, period_start, "
           "after, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
        .bind(1, request.worker)
        .bind(2, name)
        .bind(3, json::serialize(tags_of(request.tags)))
        .bind(4, input)
        .bind(5, json::serialize(spec))
        .bind(6, to_string(state))
        .bind(7, run_at)
        .bind(8, period_start)
        .bind(9, after)
        .bind(10, now)
        .run();
    const std::int64_t id = db_->last_insert_rowid();
    changed.push_back(id);
    return id;
  }

  template <class F>
  auto write(F f) {
    std::vector<std::int64_t> changed;
    std::unique_lock lock(mutex_);
    Transaction transaction(*db_);
    auto result = f(changed);
    transaction.commit();
    announce(lock, changed);
    return result;
  }

  std::int64_t enqueue(const WorkRequest& request, const std::optional<std::string>& name,
                       ExistingWorkPolicy policy, std::optional<std::int64_t> after) {
    return write([&](std::vector<std::int64_t>& changed) -> std::int64_t {
      if (!name) return insert_locked(request, std::nullopt, after, changed);
      std::vector<std::int64_t> existing;
      {
        auto q = db_->query(
            "SELECT id FROM work WHERE unique_name = ?1 AND state IN ('enqueued', 'blocked', "
            "'running') ORDER BY id");
        q.bind(1, *name);
        while (q.next())
          existing.push_back(q.integer(0));
      }
      if (existing.empty()) return insert_locked(request, name, std::nullopt, changed);
      const bool periodic = request.period.has_value();
      switch (policy) {
        case ExistingWorkPolicy::keep:
          return existing.back();
        case ExistingWorkPolicy::replace:
          for (auto id : existing)
            cancel_locked(id, WorkState::cancelled, changed);
          return insert_locked(request, name, std::nullopt, changed);
        case ExistingWorkPolicy::append:
          if (periodic) throw ChatError(ErrorCode::input, "periodic work cannot be appended");
          return insert_locked(request, name, existing.back(), changed);
        case ExistingWorkPolicy::update: {
          // The schedule stays; what runs, with what, under which constraints changes.
          const std::int64_t id = existing.back();
          db_->query("UPDATE work SET worker = ?2, tags = ?3, input = ?4, spec = ?5 WHERE id = ?1")
              .bind(1, id)
              .bind(2, request.worker)
              .bind(3, json::serialize(tags_of(request.tags)))
              .bind(4, limited(request.input, "input"))
              .bind(5, json::serialize(spec_of(request)))
              .run();
          changed.push_back(id);
          return id;
        }
      }
      return existing.back();
    });
  }

  std::optional<WorkState> state_of_locked(std::int64_t id) {
    mutex_.assert_held();
    auto q = db_->query("SELECT state FROM work WHERE id = ?1");
    q.bind(1, id);
    if (!q.next()) return std::nullopt;
    return state_named(q.text(0));
  }

  // Ends unfinished work `id` as `end` (cancelled or failed), and the work chained after it.
  std::size_t cancel_locked(std::int64_t id, WorkState end, std::vector<std::int64_t>& changed) {
    mutex_.assert_held();
    std::size_t n = 0;
    std::vector<std::int64_t> pending = {id};
    while (!pending.empty()) {
      const std::int64_t next = pending.back();
      pending.pop_back();
      db_->query(
             "UPDATE work SET state = ?2, holder = NULL WHERE id = ?1 AND state IN ('enqueued', "
             "'blocked', 'running')")
          .bind(1, next)
          .bind(2, to_string(end))
          .run();
      if (db_->changes() > 0) {
        ++n;
        changed.push_back(next);
      }
      auto q = db_->query("SELECT id FROM work WHERE after = ?1");
      q.bind(1, next);
      while (q.next())
        pending.push_back(q.integer(0));
    }
    return n;
  }

  std::size_t cancel_where(const std::string& where, const std::string& value) {
    return write([&](std::vector<std::int64_t>& changed) {
      std::vector<std::int64_t> ids;
      {
        auto q = db_->query(
            "SELECT id FROM work WHERE state IN ('enqueued', 'blocked', 'running') AND " + where);
        q.bind(1, value);
        while (q.next())
          ids.push_back(q.integer(0));
      }
      std::size_t n = 0;
      for (auto id : ids)
        n += cancel_locked(id, WorkState::cancelled, changed);
      return n;
    });
  }

  std::vector<WorkInfo> infos(const std::string& where, const std::string& value) {
    std::lock_guard lock(mutex_);
    std::vector<WorkInfo> out;
    auto q = db_->query(fmt::format("SELECT {} FROM work WHERE {} ORDER BY id", kColumns, where));
    q.bind(1, value);
    while (q.next())
      out.push_back(read_info(q));
    return out;
  }

  std::optional<WorkInfo> info(std::int64_t id) {
    std::lock_guard lock(mutex_);
    return info_locked(id);
  }

  std::optional<WorkInfo> info_locked(std::int64_t id) {
    mutex_.assert_held();
    auto q = db_->query(fmt::format("SELECT {} FROM work WHERE id = ?1", kColumns));
    q.bind(1, id);
    if (!q.next()) return std::nullopt;
    return read_info(q);
  }

  // --- running ----------------------------------------------------------------------------

  struct Claimed {
    std::int64_t id = 0;
    Worker worker;
    WorkContext context;
  };

  bool constraints_hold_locked(const json::object& spec) const {
    mutex_.assert_held();
    if (spec.at("network").as_bool() && !network_) return false;
    for (const auto& c : spec.at("conditions").as_array())
      if (!conditions_.contains(std::string(c.as_string()))) return false;
    return true;
  }

  // Renews this scheduler's claims and takes back work whose claim ran out.
  void tend_claims_locked(std::vector<std::int64_t>& changed) {
    mutex_.assert_held();
    const std::int64_t now = now_us();
    const std::int64_t until = now + claim_us();
    db_->query("UPDATE work SET held_until = ?2 WHERE holder = ?1 AND state = 'running'")
        .bind(1, holder_)
        .bind(2, until)
        .run();
    auto q = db_->query(
        "UPDATE work SET state = 'enqueued', holder = NULL WHERE state = 'running' AND "
        "held_until < ?1 RETURNING id");
    q.bind(1, now);
    while (q.next())
      changed.push_back(q.integer(0));
  }

  // The due work this scheduler can run now, first come first; none: when the next may be due.
  std::optional<std::int64_t> next_candidate_locked(std::optional<std::int64_t>* next_due) {
    mutex_.assert_held();
    const std::int64_t now = now_us();
    auto q = db_->query(
        "SELECT id, worker, spec, run_at FROM work WHERE state = 'enqueued' ORDER BY run_at, id");
    while (q.next()) {
      if (!workers_.contains(std::string(q.text(1)))) continue;
      if (!constraints_hold_locked(json::parse(q.text(2)).as_object())) continue;
      const std::int64_t run_at = q.integer(3);
      if (run_at <= now) return q.integer(0);
      if (next_due && (!*next_due || run_at < **next_due)) *next_due = run_at;
    }
    return std::nullopt;
  }

  std::optional<Claimed> claim_locked(std::int64_t id) {
    mutex_.assert_held();
    Transaction transaction(*db_);
    db_->query(
           "UPDATE work SET state = 'running', holder = ?2, held_until = ?3, attempts = attempts "
           "+ 1 WHERE id = ?1 AND state = 'enqueued'")
        .bind(1, id)
        .bind(2, holder_)
        .bind(3, now_us() + claim_us())
        .run();
    if (db_->changes() == 0) return std::nullopt;  // another scheduler was first
    const auto info = info_locked(id);
    transaction.commit();
    Claimed c{.id = id, .worker = workers_.at(info->worker)};
    c.context.id = id;
    c.context.attempt = info->attempts;
    c.context.input = info->input;
    c.context.stopped = [this, id] { return stopped(id); };
    return c;
  }

  bool stopped(std::int64_t id) {
    std::lock_guard lock(mutex_);
    if (stopping_) return true;
    const auto state = state_of_locked(id);
    return state != WorkState::running;
  }

  void finish_locked(const Claimed& c, WorkResult result, const json::object& output,
                     std::vector<std::int64_t>& changed) {
    mutex_.assert_held();
    Transaction transaction(*db_);
    std::string spec_text, output_text;
    std::int64_t attempts = 0;
    std::optional<std::int64_t> period_start;
    {
      auto q = db_->query(
          "SELECT spec, attempts, period_start FROM work WHERE id = ?1 AND state = 'running' AND "
          "holder = ?2");
      q.bind(1, c.id);
      q.bind(2, holder_);
      if (!q.next()) return;  // cancelled meanwhile, or taken back: the result is not ours
      spec_text = q.text(0);
      attempts = q.integer(1);
      if (!q.is_null(2)) period_start = q.integer(2);
    }
    try {
      output_text = limited(output, "output");
    } catch (const ChatError& e) {
      log_->error("work {}: {}", c.id, e.what());
      output_text = "{}";
      result = WorkResult::failure;
    }
    const work::Timing timing = timing_of(json::parse(spec_text).as_object());
    const std::int64_t now = now_us();
    auto set = [&](WorkState state, std::int64_t run_at, std::int64_t attempts_now,
                   std::optional<std::int64_t> start) {
      db_->query(
             "UPDATE work SET state = ?2, run_at = ?3, attempts = ?4, period_start = ?5, output = "
             "?6, holder = NULL, held_until = NULL WHERE id = ?1")
          .bind(1, c.id)
          .bind(2, to_string(state))
          .bind(3, run_at)
          .bind(4, attempts_now)
          .bind(5, start)
          .bind(6, output_text)
          .run();
      changed.push_back(c.id);
    };
    if (result == WorkResult::retry) {
      set(WorkState::enqueued, now + work::backoff_wait(timing, attempts), attempts, period_start);
    } else if (timing.period > 0) {
      // Periodic work never ends by itself: the next period, whatever this run returned.
      const work::Window w = work::next_window(timing, period_start.value_or(now), now);
      set(WorkState::enqueued, w.run_at, 0, w.period_start);
    } else if (result == WorkResult::success) {
      set(WorkState::succeeded, now, attempts, std::nullopt);
      auto q = db_->query(
          "UPDATE work SET state = 'enqueued', run_at = MAX(run_at, ?2) WHERE after = ?1 AND "
          "state = 'blocked' RETURNING id");
      q.bind(1, c.id);
      q.bind(2, now);
      while (q.next())
        changed.push_back(q.integer(0));
    } else {
      set(WorkState::failed, now, attempts, std::nullopt);
      std::vector<std::int64_t> followers;
      {
        auto q = db_->query("SELECT id FROM work WHERE after = ?1");
        q.bind(1, c.id);
        while (q.next())
          followers.push_back(q.integer(0));
      }
      for (auto id : followers)
        cancel_locked(id, WorkState::failed, changed);
    }
    transaction.commit();
  }

  void loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      std::vector<std::int64_t> changed;
      std::optional<Claimed> claimed;
      std::optional<std::int64_t> next_due;
      try {
        if (auto id = next_candidate_locked(&next_due)) claimed = claim_locked(*id);
        if (claimed) changed.push_back(claimed->id);
      } catch (const ChatError& e) {
        log_->error("the scheduler could not read its work: {}", e.what());
      }
      if (claimed) {
        ++running_;
        publish_locked(changed);
        lock.unlock();
        tell();
        changed.clear();
        WorkResult result = WorkResult::failure;
        try {
          result = claimed->worker(claimed->context);
        } catch (const std::exception& e) {
          log_->warn("work {} threw: {}", claimed->id, e.what());
        }
        lock.lock();
        try {
          finish_locked(*claimed, result, claimed->context.output, changed);
        } catch (const ChatError& e) {
          log_->error("work {}: its result was not stored: {}", claimed->id, e.what());
        }
        --running_;
        announce(lock, changed);
        continue;
      }
      idle_cv_.notify_all();
      if (changed_) {
        changed_ = false;
        continue;
      }
      // Work of other processes and claims running out are noticed within a second.
      auto wait = std::chrono::microseconds(std::chrono::seconds(1));
      if (next_due) {
        wait = std::min(wait,
                        std::chrono::microseconds(std::max<std::int64_t>(*next_due - now_us(), 0)));
      }
      cv_.wait_for(lock, wait, [this] { return stopping_ || changed_; });
      changed_ = false;
    }
  }

  bool wait_idle(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::unique_lock lock(mutex_);
    for (;;) {
      // A change is told after the lock is let go: idle includes its having been told.
      bool idle = running_ == 0 && published_.empty() && !telling_;
      if (idle) {
        try {
          idle = !next_candidate_locked(nullptr);
        } catch (const ChatError&) {
        }
      }
      if (idle) return true;
      if (idle_cv_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() +
                                                           std::chrono::milliseconds(20))) ==
              std::cv_status::timeout &&
          std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
    }
  }

  // --- listeners --------------------------------------------------------------------------

  // After a change to stored work: the pool looks again, and the listeners hear of it (the lock
  // is let go meanwhile, and held again on return).
  void announce(std::unique_lock<CheckedMutex>& lock, const std::vector<std::int64_t>& changed) {
    changed_ = true;
    cv_.notify_all();
    publish_locked(changed);
    lock.unlock();
    tell();
    lock.lock();
  }

  // Queues the changed work as it is now, while the lock still holds, for the listeners.
  void publish_locked(const std::vector<std::int64_t>& changed) {
    mutex_.assert_held();
    if (listeners_.empty()) return;
    std::set<std::int64_t> seen;
    for (auto id : changed) {
      if (!seen.insert(id).second) continue;
      try {
        if (auto i = info_locked(id)) published_.push_back(std::move(*i));
      } catch (const ChatError&) {
      }
    }
  }

  // Hands what is published to the listeners, outside the lock (they may call the scheduler) and
  // one thread at a time, so that they hear of the changes in the order they were made.
  void tell() {
    std::unique_lock lock(mutex_);
    if (telling_) return;  // that thread will hand ours on too
    telling_ = true;
    while (!published_.empty()) {
      const std::vector<WorkInfo> infos = std::exchange(published_, {});
      const auto listeners = listeners_.snapshot();
      lock.unlock();
      for (const auto& info : infos)
        for (const auto& listener : listeners)
          listener(info);
      lock.lock();
    }
    telling_ = false;
    idle_cv_.notify_all();
  }

  Subscription on_change(std::function<void(const WorkInfo&)> listener) {
    return listeners_.add(std::move(listener));
  }

  std::int64_t now_us() const { return clock_->now().unix_micros(); }
  std::int64_t claim_us() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(options_.claim_duration).count();
  }

  WorkSchedulerOptions options_;
  std::shared_ptr<WorkClock> clock_;
  std::shared_ptr<spdlog::logger> log_;
  std::string holder_;  // this scheduler, in claims: pid and a random number

  CheckedMutex mutex_;  // everything below
  std::condition_variable_any cv_;
  std::condition_variable_any idle_cv_;
  std::condition_variable_any keeper_cv_;
  std::unique_ptr<Database> db_;
  std::map<std::string, Worker> workers_;
  bool network_ = false;
  std::set<std::string> conditions_;
  bool stopping_ = false;
  bool changed_ = false;
  std::size_t running_ = 0;
  ListenerList<const WorkInfo&> listeners_;
  std::vector<WorkInfo> published_;  // not yet told
  bool telling_ = false;
  std::vector<std::thread> threads_;
  Subscription jump_;
};

WorkScheduler::WorkScheduler(WorkSchedulerOptions options)
    : impl_(std::make_shared<Impl>(std::move(options))) {
  impl_->start();
}

WorkScheduler::~WorkScheduler() {
  impl_->stop();
}

void WorkScheduler::register_worker(const std::string& name, Worker worker) {
  {
    std::lock_guard lock(impl_->mutex_);
    impl_->workers_[name] = std::move(worker);
  }
  impl_->wake();
}

std::int64_t WorkScheduler::enqueue(const WorkRequest& request) {
  return impl_->enqueue(request, std::nullopt, ExistingWorkPolicy::keep, std::nullopt);
}

std::int64_t WorkScheduler::enqueue_unique(const std::string& name, ExistingWorkPolicy policy,
                                           const WorkRequest& request) {
  return impl_->enqueue(request, name, policy, std::nullopt);
}

std::int64_t WorkScheduler::enqueue_after(std::int64_t first, const WorkRequest& request) {
  if (request.period) throw ChatError(ErrorCode::input, "periodic work cannot follow other work");
  return impl_->enqueue(request, std::nullopt, ExistingWorkPolicy::keep, first);
}

std::optional<WorkInfo> WorkScheduler::info(std::int64_t id) {
  return impl_->info(id);
}

std::vector<WorkInfo> WorkScheduler::by_name(const std::string& name) {
  return impl_->infos("unique_name = ?1", name);
}

std::vector<WorkInfo> WorkScheduler::by_tag(const std::string& tag) {
  return impl_->infos("EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?1)", tag);
}

Subscription WorkScheduler::on_change(std::function<void(const WorkInfo&)> listener) {
  return impl_->on_change(std::move(listener));
}

std::size_t WorkScheduler::cancel(std::int64_t id) {
  return impl_->write([&](std::vector<std::int64_t>& changed) {
    return impl_->cancel_locked(id, WorkState::cancelled, changed);
  });
}

std::size_t WorkScheduler::cancel_unique(const std::string& name) {
  return impl_->cancel_where("unique_name = ?1", name);
}

std::size_t WorkScheduler::cancel_tag(const std::string& tag) {
  return impl_->cancel_where("EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?1)", tag);
}

void WorkScheduler::set_network(bool connected) {
  {
    std::lock_guard lock(impl_->mutex_);
    impl_->network_ = connected;
  }
  impl_->wake();
}

void WorkScheduler::set_condition(const std::string& name, bool holds) {
  {
    std::lock_guard lock(impl_->mutex_);
    if (holds) {
      impl_->conditions_.insert(name);
    } else {
      impl_->conditions_.erase(name);
    }
  }
  impl_->wake();
}

bool WorkScheduler::wait_idle(std::chrono::milliseconds limit) {
  return impl_->wait_idle(limit);
}

}  // namespace chatkeep

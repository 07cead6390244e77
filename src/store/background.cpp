#include "chatkeep/background.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace chatkeep {

// The store thread and its queue. Writes and calls are queued in order; consecutive writes become
// one group transaction, closed early when a call is waiting behind them.
class BackgroundPersistenceClient::Worker {
 public:
  Worker(ChatPersistenceClient& store, GroupCommit group_commit)
      : store_(store), group_commit_(group_commit), thread_([this] { run(); }) {}

  ~Worker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  std::future<ApplyResult> write(Batch batch) {
    Write write{std::move(batch), {}};
    auto future = write.done.get_future();
    post(std::move(write));
    return future;
  }

  // Runs `f` on the store thread, after everything queued before it, and returns once it has,
  // passing on what it throws.
  void call(const std::function<void(ChatPersistenceClient&)>& f) {
    auto task = std::make_shared<std::packaged_task<void()>>([this, &f] { f(store_); });
    auto done = task->get_future();
    post(std::function<void()>([task] { (*task)(); }));
    done.get();
  }

 private:
  struct Write {
    Batch batch;
    std::promise<ApplyResult> done;
  };
  using Task = std::variant<Write, std::function<void()>>;

  void post(Task task) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(task));
    }
    wake_.notify_one();
  }

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is done
      if (auto* call = std::get_if<std::function<void()>>(&queue_.front())) {
        auto f = std::move(*call);
        queue_.pop_front();
        lock.unlock();
        f();
        lock.lock();
        continue;
      }
      std::vector<Write> group = take_group(lock);
      lock.unlock();
      commit(group);
      lock.lock();
    }
  }

  // Collects writes until the group is full, its delay is up, or something else is queued.
  std::vector<Write> take_group(std::unique_lock<std::mutex>& lock) {
    std::vector<Write> group;
    std::size_t mutations = 0;
    const auto deadline = std::chrono::steady_clock::now() + group_commit_.max_delay;
    for (;;) {
      while (!queue_.empty() && mutations < group_commit_.max_mutations) {
        auto* write = std::get_if<Write>(&queue_.front());
        if (!write) return group;  // a call waits: it must see these writes committed
        mutations += std::max<std::size_t>(write->batch.size(), 1);
        group.push_back(std::move(*write));
        queue_.pop_front();
      }
      if (mutations >= group_commit_.max_mutations || stopping_ || !queue_.empty()) return group;
      if (!wake_.wait_until(lock, deadline, [&] { return stopping_ || !queue_.empty(); })) {
        return group;
      }
    }
  }

  void commit(std::vector<Write>& group) {
    if (group.size() == 1) {
      settle(group.front(), group.front().batch);
      return;
    }
    Batch merged;
    for (const auto& write : group)
      merged.insert(merged.end(), write.batch.begin(), write.batch.end());
    ApplyResult result;
    try {
      result = store_.apply(merged);
    } catch (...) {
      // The group rolled back as a whole: apply each batch alone, so only a bad one fails.
      for (auto& write : group)
        settle(write, write.batch);
      return;
    }
    auto next_id = result.outbox_ids.begin();
    for (auto& write : group) {
      ApplyResult own;
      for (const auto& mutation : write.batch) {
        if (std::holds_alternative<AddOutboxEntry>(mutation)) own.outbox_ids.push_back(*next_id++);
      }
      write.done.set_value(std::move(own));
    }
  }

  void settle(Write& write, const Batch& batch) {
    try {
      write.done.set_value(store_.apply(batch));
    } catch (...) {
      write.done.set_exception(std::current_exception());
    }
  }

  ChatPersistenceClient& store_;
  const GroupCommit group_commit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything it uses exists
};

BackgroundPersistenceClient::BackgroundPersistenceClient(
    std::unique_ptr<ChatPersistenceClient> store, GroupCommit group_commit)
    : ForwardingPersistenceClient(std::move(store)),
      worker_(std::make_unique<Worker>(target(), group_commit)) {}

BackgroundPersistenceClient::~BackgroundPersistenceClient() = default;

void BackgroundPersistenceClient::run(const std::function<void(ChatPersistenceClient&)>& call) {
  worker_->call(call);
}

ApplyResult BackgroundPersistenceClient::apply(const Batch& batch) {
  return worker_->write(batch).get();
}

std::future<ApplyResult> BackgroundPersistenceClient::apply_async(Batch batch) {
  return worker_->write(std::move(batch));
}

}  // namespace chatkeep

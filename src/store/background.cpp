#include "chatkeep/background.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace chatkeep {

// The store thread and its queue. Writes and calls are queued in order; consecutive writes become
// one group transaction, closed early when a call is waiting behind them.
class BackgroundPersistenceClient::Worker {
 public:
  Worker(std::unique_ptr<ChatPersistenceClient> store, GroupCommit group_commit)
      : store_(std::move(store)), group_commit_(group_commit), thread_([this] { run(); }) {}

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

  // Runs f on the store thread, after everything queued before it, and returns its result.
  template <class F>
  auto call(F f) -> decltype(f(std::declval<ChatPersistenceClient&>())) {
    using Result = decltype(f(std::declval<ChatPersistenceClient&>()));
    auto task = std::make_shared<std::packaged_task<Result()>>(
        [this, f = std::move(f)] { return f(*store_); });
    auto future = task->get_future();
    post(std::function<void()>([task] { (*task)(); }));
    return future.get();
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
      result = store_->apply(merged);
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
      write.done.set_value(store_->apply(batch));
    } catch (...) {
      write.done.set_exception(std::current_exception());
    }
  }

  std::unique_ptr<ChatPersistenceClient> store_;
  const GroupCommit group_commit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything it uses exists
};

BackgroundPersistenceClient::BackgroundPersistenceClient(
    std::unique_ptr<ChatPersistenceClient> store, GroupCommit group_commit)
    : worker_(std::make_unique<Worker>(std::move(store), group_commit)) {}

BackgroundPersistenceClient::~BackgroundPersistenceClient() = default;

void BackgroundPersistenceClient::connect(const std::string& user_id) {
  worker_->call([&](ChatPersistenceClient& s) { s.connect(user_id); });
}
FlushResult BackgroundPersistenceClient::disconnect(bool flush) {
  return worker_->call([&](ChatPersistenceClient& s) { return s.disconnect(flush); });
}
FlushResult BackgroundPersistenceClient::flush() {
  return worker_->call([&](ChatPersistenceClient& s) { return s.flush(); });
}
bool BackgroundPersistenceClient::is_connected() {
  return worker_->call([&](ChatPersistenceClient& s) { return s.is_connected(); });
}
std::optional<std::string> BackgroundPersistenceClient::user_id() {
  return worker_->call([&](ChatPersistenceClient& s) { return s.user_id(); });
}
std::optional<ConnectionInfo> BackgroundPersistenceClient::connection_info() {
  return worker_->call([&](ChatPersistenceClient& s) { return s.connection_info(); });
}
std::optional<Timestamp> BackgroundPersistenceClient::last_sync_at() {
  return worker_->call([&](ChatPersistenceClient& s) { return s.last_sync_at(); });
}
std::vector<std::string> BackgroundPersistenceClient::channel_cids(std::size_t limit) {
  return worker_->call([&](ChatPersistenceClient& s) { return s.channel_cids(limit); });
}
std::optional<Channel> BackgroundPersistenceClient::channel(const std::string& cid) {
  return worker_->call([&](ChatPersistenceClient& s) { return s.channel(cid); });
}
std::optional<ChannelState> BackgroundPersistenceClient::channel_state(
    const std::string& cid, const MessagePagination& messages) {
  return worker_->call([&](ChatPersistenceClient& s) { return s.channel_state(cid, messages); });
}
std::vector<Message> BackgroundPersistenceClient::messages(const std::string& cid,
                                                           const MessagePagination& page) {
  return worker_->call([&](ChatPersistenceClient& s) { return s.messages(cid, page); });
}
std::vector<Message> BackgroundPersistenceClient::pinned_messages(const std::string& cid,
                                                                  const MessagePagination& page) {
  return worker_->call([&](ChatPersistenceClient& s) { return s.pinned_messages(cid, page); });
}
std::vector<Message> BackgroundPersistenceClient::replies(const std::string& parent_id,
                                                          const MessagePagination& page) {
  return worker_->call([&](ChatPersistenceClient& s) { return s.replies(parent_id, page); });
}
std::optional<Message> BackgroundPersistenceClient::message(const std::string& id) {
  return worker_->call([&](ChatPersistenceClient& s) { return s.message(id); });
}
std::vector<Member> BackgroundPersistenceClient::members(const std::string& cid) {
  return worker_->call([&](ChatPersistenceClient& s) { return s.members(cid); });
}
std::vector<Read> BackgroundPersistenceClient::reads(const std::string& cid) {
  return worker_->call([&](ChatPersistenceClient& s) { return s.reads(cid); });
}
std::optional<std::vector<ChannelState>> BackgroundPersistenceClient::query_channels(
    const Filter& filter, const Sort& sort, std::size_t offset, std::size_t limit,
    std::size_t message_limit) {
  return worker_->call([&](ChatPersistenceClient& s) {
    return s.query_channels(filter, sort, offset, limit, message_limit);
  });
}
std::optional<Draft> BackgroundPersistenceClient::draft(
    const std::string& cid, const std::optional<std::string>& parent_id) {
  return worker_->call([&](ChatPersistenceClient& s) { return s.draft(cid, parent_id); });
}
std::vector<OutboxEntry> BackgroundPersistenceClient::outbox(std::int64_t after_id,
                                                             std::size_t limit) {
  return worker_->call([&](ChatPersistenceClient& s) { return s.outbox(after_id, limit); });
}
bool BackgroundPersistenceClient::acquire_lease(const std::string& name, const std::string& holder,
                                                Timestamp now, Timestamp until) {
  return worker_->call(
      [&](ChatPersistenceClient& s) { return s.acquire_lease(name, holder, now, until); });
}
void BackgroundPersistenceClient::release_lease(const std::string& name,
                                                const std::string& holder) {
  worker_->call([&](ChatPersistenceClient& s) {
    s.release_lease(name, holder);
    return true;
  });
}
ApplyResult BackgroundPersistenceClient::apply(const Batch& batch) {
  return worker_->write(batch).get();
}
std::future<ApplyResult> BackgroundPersistenceClient::apply_async(Batch batch) {
  return worker_->write(std::move(batch));
}

}  // namespace chatkeep

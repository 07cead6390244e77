#include "chatkeep/background_work.hpp"

#include <future>

#include "chatkeep/client.hpp"
#include "chatkeep/work.hpp"
#include "store/maintenance.hpp"
#include "store/user_database.hpp"
#include "wait/wait_until.hpp"

namespace chatkeep {

namespace {

using namespace std::chrono_literals;

// The result of an asynchronous client call, waited for at most `limit`, or until the work is
// stopped; nullopt then.
template <class T>
std::optional<Result<T>> wait_for(const WorkContext& c, std::chrono::seconds limit,
                                  const std::function<void(Callback<T>)>& call) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  call([promise](Result<T> r) { promise->set_value(std::move(r)); });
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (future.wait_for(100ms) != std::future_status::ready) {
    if (c.stopped() || std::chrono::steady_clock::now() > deadline) return std::nullopt;
  }
  return future.get();
}

bool outbox_waiting(ChatClient& client) {
  for (const auto& e : client.outbox())
    if (e.state != OutboxState::failed) return true;
  return false;
}

}  // namespace

BackgroundWork::BackgroundWork(WorkScheduler& scheduler, ChatClient& client,
                               BackgroundWorkOptions options) {
  const UserStorage paths = client.storage_paths();  // a user is connected

  scheduler.register_worker("chatkeep.sync", [&client](WorkContext& c) {
    auto r = wait_for<std::size_t>(
        c, 120s, [&](Callback<std::size_t> done) { client.sync_now(std::move(done)); });
    if (!r) return WorkResult::retry;
    if (!*r) {
      c.output["error"] = r->error->message();
      return r->error->retriable() ? WorkResult::retry : WorkResult::failure;
    }
    c.output["events"] = *r->value;
    return WorkResult::success;
  });

  scheduler.register_worker("chatkeep.outbox", [&client](WorkContext& c) {
    client.network_available();
    wait_until([&] { return !outbox_waiting(client) || c.stopped(); }, 30s, 100ms);
    const bool waiting = outbox_waiting(client);
    c.output["delivered"] = !waiting;
    return waiting ? WorkResult::retry : WorkResult::success;
  });

  scheduler.register_worker(
      "chatkeep.maintenance",
      [&client, database = paths.database, retention = options.retention](WorkContext& c) {
        c.output =
            store::maintain(*store::open_user_database(database), retention, Timestamp::now());
        c.output["file_cache_freed"] = client.file_cache()->trim();
        return WorkResult::success;
      });

  scheduler.set_network(client.online());
  scheduler.enqueue_unique("chatkeep.sync", ExistingWorkPolicy::update,
                           {.worker = "chatkeep.sync", .period = options.sync_period});
  scheduler.enqueue_unique(
      "chatkeep.maintenance", ExistingWorkPolicy::update,
      {.worker = "chatkeep.maintenance", .period = options.maintenance_period});
  connection_ = client.on(EventType::connection_changed, [&scheduler, &client](const Event& e) {
    const bool online = e.online.value_or(false);
    scheduler.set_network(online);
    if (!online && outbox_waiting(client)) {
      scheduler.enqueue_unique("chatkeep.outbox", ExistingWorkPolicy::keep,
                               {.worker = "chatkeep.outbox", .constraints = {.network = true}});
    }
  });
}

BackgroundWork::~BackgroundWork() = default;

}  // namespace chatkeep

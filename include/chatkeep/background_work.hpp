#pragma once

// chatkeep's built-in background work for a client's user, on a WorkScheduler (work.hpp):
//   chatkeep.sync         periodic: the cached channels caught up through /sync while no socket
//                         is open (ChatClient::sync_now)
//   chatkeep.outbox       once the network is back after it was lost with actions waiting:
//                         delivers them
//   chatkeep.maintenance  periodic: message retention, incremental vacuum, a WAL checkpoint, the
//                         file cache trimmed to its budget, and an integrity check, whose results
//                         the work keeps as its output
// The `chatkeep agent` program runs them while the app is closed.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "chatkeep/storage.hpp"
#include "chatkeep/subscription.hpp"

namespace chatkeep {

class ChatClient;
class WorkScheduler;

struct BackgroundWorkOptions {
  std::chrono::minutes sync_period{15};
  std::chrono::hours maintenance_period{24};
  RetentionOptions retention;
};

// Registers the three workers with `scheduler` and schedules their work for `client`'s connected
// user (unique names, updated in place when scheduled again), and keeps the scheduler's network
// constraint following the client's connection. Both must outlive it.
class BackgroundWork {
 public:
  BackgroundWork(WorkScheduler& scheduler, ChatClient& client, BackgroundWorkOptions options = {});
  ~BackgroundWork();
  BackgroundWork(const BackgroundWork&) = delete;
  BackgroundWork& operator=(const BackgroundWork&) = delete;

 private:
  Subscription connection_;
};

}  // namespace chatkeep

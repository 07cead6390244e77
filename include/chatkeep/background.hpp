#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "chatkeep/forwarding_persistence.hpp"

namespace chatkeep {

// How many queued writes become one transaction: a group closes after `max_mutations` mutations,
// or `max_delay` after its first write, whichever comes first (TDLib's group commit).
struct GroupCommit {
  std::size_t max_mutations = 50;
  std::chrono::milliseconds max_delay{10};
};

// Runs any ChatPersistenceClient on one dedicated store thread (ConnectionMode::background): a
// ForwardingPersistenceClient whose calls all run there.
//
// apply_async() queues and returns at once; its future is ready after the COMMIT that holds the
// batch. Queued batches are merged into group transactions; if a group fails, its batches are
// applied one by one, so one bad batch fails alone. Every other call waits for its answer, and a
// read sees every write queued before it. The destructor applies what is queued, then stops.
class BackgroundPersistenceClient final : public ForwardingPersistenceClient {
 public:
  explicit BackgroundPersistenceClient(std::unique_ptr<ChatPersistenceClient> store,
                                       GroupCommit group_commit = {});
  ~BackgroundPersistenceClient() override;
  BackgroundPersistenceClient(const BackgroundPersistenceClient&) = delete;
  BackgroundPersistenceClient& operator=(const BackgroundPersistenceClient&) = delete;

  ApplyResult apply(const Batch& batch) override;
  std::future<ApplyResult> apply_async(Batch batch) override;

 protected:
  // Every other call: on the store thread, after everything queued before it.
  void run(const std::function<void(ChatPersistenceClient&)>& call) override;

 private:
  class Worker;
  std::unique_ptr<Worker> worker_;  // destroyed (its queue applied) before the store
};

}  // namespace chatkeep

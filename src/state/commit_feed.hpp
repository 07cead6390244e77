#pragma once

#include <functional>
#include <memory>
#include <mutex>

#include "chatkeep/forwarding_persistence.hpp"

namespace chatkeep::state {

// The store as the client sees it, telling live state of every batch once it is committed. It
// sits directly around the app's store, inside BackgroundPersistenceClient when there is one, so
// it hears of a batch (or of a group commit's merged batch) on the thread that committed it,
// after the commit and before anyone can read it: a read that sees a batch comes after the
// listener has heard of it. A batch that throws is not reported: nothing of it is visible.
class CommitFeed : public ForwardingPersistenceClient {
 public:
  using Listener = std::function<void(const Batch& batch, const ApplyResult& result)>;
  // Told when everything may have changed (a flush, a new user's store).
  using Reset = std::function<void()>;

  explicit CommitFeed(std::unique_ptr<ChatPersistenceClient> target);
  // Set once, before the feed is shared with other threads.
  void listen(Listener committed, Reset reset);

  void connect(const std::string& user_id) override;
  FlushResult disconnect(bool flush) override;
  FlushResult flush() override;
  ApplyResult apply(const Batch& batch) override;
  // At once, through apply(): the store thread, if any, is outside this feed.
  std::future<ApplyResult> apply_async(Batch batch) override;

 private:
  Listener committed_;
  Reset reset_;
};

}  // namespace chatkeep::state

#include "state/commit_feed.hpp"

namespace chatkeep::state {

CommitFeed::CommitFeed(std::unique_ptr<ChatPersistenceClient> target)
    : ForwardingPersistenceClient(std::move(target)) {}

void CommitFeed::listen(Listener committed, Reset reset) {
  committed_ = std::move(committed);
  reset_ = std::move(reset);
}

void CommitFeed::connect(const std::string& user_id) {
  ForwardingPersistenceClient::connect(user_id);
  if (reset_) reset_();
}

FlushResult CommitFeed::disconnect(bool flush) {
  FlushResult result = ForwardingPersistenceClient::disconnect(flush);
  if (reset_) reset_();
  return result;
}

FlushResult CommitFeed::flush() {
  FlushResult result = ForwardingPersistenceClient::flush();
  if (reset_) reset_();
  return result;
}

ApplyResult CommitFeed::apply(const Batch& batch) {
  ApplyResult result = ForwardingPersistenceClient::apply(batch);
  if (committed_) committed_(batch, result);
  return result;
}

std::future<ApplyResult> CommitFeed::apply_async(Batch batch) {
  return ChatPersistenceClient::apply_async(std::move(batch));
}

}  // namespace chatkeep::state

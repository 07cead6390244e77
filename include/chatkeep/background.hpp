#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "chatkeep/persistence.hpp"

namespace chatkeep {

// How many queued writes become one transaction: a group closes after `max_mutations` mutations,
// or `max_delay` after its first write, whichever comes first (TDLib's group commit).
struct GroupCommit {
  std::size_t max_mutations = 50;
  std::chrono::milliseconds max_delay{10};
};

// Runs any ChatPersistenceClient on one dedicated store thread (ConnectionMode::background).
//
// apply_async() queues and returns at once; its future is ready after the COMMIT that holds the
// batch. Queued batches are merged into group transactions; if a group fails, its batches are
// applied one by one, so one bad batch fails alone. Every other call waits for its answer, and a
// read sees every write queued before it. The destructor applies what is queued, then stops.
class BackgroundPersistenceClient final : public ChatPersistenceClient {
 public:
  explicit BackgroundPersistenceClient(std::unique_ptr<ChatPersistenceClient> store,
                                       GroupCommit group_commit = {});
  ~BackgroundPersistenceClient() override;
  BackgroundPersistenceClient(const BackgroundPersistenceClient&) = delete;
  BackgroundPersistenceClient& operator=(const BackgroundPersistenceClient&) = delete;

  void connect(const std::string& user_id) override;
  FlushResult disconnect(bool flush) override;
  FlushResult flush() override;
  bool is_connected() override;
  std::optional<std::string> user_id() override;
  std::optional<ConnectionInfo> connection_info() override;
  std::optional<Timestamp> last_sync_at() override;
  std::vector<std::string> channel_cids(std::size_t limit) override;
  std::optional<Channel> channel(const std::string& cid) override;
  std::optional<ChannelState> channel_state(const std::string& cid,
                                            const MessagePagination& messages) override;
  std::vector<Message> messages(const std::string& cid, const MessagePagination& page) override;
  std::vector<Message> pinned_messages(const std::string& cid,
                                       const MessagePagination& page) override;
  std::vector<Message> replies(const std::string& parent_id,
                               const MessagePagination& page) override;
  std::optional<Message> message(const std::string& id) override;
  std::vector<Member> members(const std::string& cid) override;
  std::vector<Read> reads(const std::string& cid) override;
  std::optional<std::vector<ChannelState>> query_channels(const Filter& filter, const Sort& sort,
                                                          std::size_t offset, std::size_t limit,
                                                          std::size_t message_limit) override;
  std::optional<Draft> draft(const std::string& cid,
                             const std::optional<std::string>& parent_id) override;
  std::vector<OutboxEntry> outbox(std::int64_t after_id, std::size_t limit) override;
  bool acquire_lease(const std::string& name, const std::string& holder, Timestamp now,
                     Timestamp until) override;
  void release_lease(const std::string& name, const std::string& holder) override;
  ApplyResult apply(const Batch& batch) override;
  std::future<ApplyResult> apply_async(Batch batch) override;

 private:
  class Worker;
  std::unique_ptr<Worker> worker_;
};

}  // namespace chatkeep

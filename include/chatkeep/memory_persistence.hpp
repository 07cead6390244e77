#pragma once

// MemoryPersistenceClient: a ChatPersistenceClient that keeps everything in memory, for bots and
// tests that need no disk, and the proof that the interface is pluggable: an implementation
// written apart from the SQLite store that passes the same contract suite
// (tests/store/contract/).
//
// What holds: the whole contract of persistence.hpp (atomic batches, read-your-writes, the
// message rules, paging, the query cache, the outbox, leases and flush), from any thread; calls
// run one at a time under one mutex. Each user's data lives as long as the object: disconnecting
// and connecting as the same user again finds it, as a database file would be found. Nothing
// survives the process. Leases are the object's own (one process shares it), and a lease whose
// holder names a process that is gone ("<pid>:...") is taken over as SqlitePersistenceClient does.
//
// Costs: reads and writes are in-memory map operations; a failed batch is rolled back from an
// undo log of what it changed, so apply() costs what the batch touches, not the store's size.

#include <memory>

#include "chatkeep/persistence.hpp"

namespace chatkeep {

class MemoryPersistenceClient final : public ChatPersistenceClient {
 public:
  MemoryPersistenceClient();
  ~MemoryPersistenceClient() override;
  MemoryPersistenceClient(const MemoryPersistenceClient&) = delete;
  MemoryPersistenceClient& operator=(const MemoryPersistenceClient&) = delete;

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
  std::vector<HistoryGap> gaps(const std::string& cid) override;
  SearchResults search(const SearchQuery& query) override;
  std::vector<HistoryGap> thread_gaps(const std::string& cid,
                                      const std::string& parent_id) override;
  std::optional<std::string> uploaded_url(const std::string& cid,
                                          const std::string& sha256) override;
  ApplyResult apply(const Batch& batch) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chatkeep

#pragma once

#include <functional>
#include <memory>

#include "chatkeep/persistence.hpp"

namespace chatkeep {

// A ChatPersistenceClient that passes every call on to another: the base of decorators (metrics,
// tracing, a store with other rules, BackgroundPersistenceClient's store thread) that override
// only what they change. Every call but apply() and apply_async() goes through run(), so that a
// decorator can change where or how all of them run by overriding that one function. Threads:
// those of the target, unless run() says otherwise.
class ForwardingPersistenceClient : public ChatPersistenceClient {
 public:
  explicit ForwardingPersistenceClient(std::unique_ptr<ChatPersistenceClient> target);
  ~ForwardingPersistenceClient() override;

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
  std::vector<HistoryGap> thread_gaps(const std::string& cid,
                                      const std::string& parent_id) override;
  SearchResults search(const SearchQuery& query) override;
  UnreadCounts unread_counts() override;
  std::optional<std::string> uploaded_url(const std::string& cid,
                                          const std::string& sha256) override;
  ApplyResult apply(const Batch& batch) override;
  std::future<ApplyResult> apply_async(Batch batch) override;

 protected:
  ChatPersistenceClient& target() { return *target_; }
  // Runs `call` on the target and returns once it has, passing on what it throws. Here: at once,
  // on the calling thread.
  virtual void run(const std::function<void(ChatPersistenceClient&)>& call);

 private:
  template <class F>
  auto through(F f);

  std::unique_ptr<ChatPersistenceClient> target_;
};

}  // namespace chatkeep

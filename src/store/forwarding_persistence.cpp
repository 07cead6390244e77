#include "chatkeep/forwarding_persistence.hpp"

#include <optional>
#include <type_traits>

namespace chatkeep {

void ForwardingPersistenceClient::run(const std::function<void(ChatPersistenceClient&)>& call) {
  call(*target_);
}

// `f` on the target, through run(), with its result.
template <class F>
auto ForwardingPersistenceClient::through(F f) {
  using Result = decltype(f(*target_));
  if constexpr (std::is_void_v<Result>) {
    run(f);
  } else {
    std::optional<Result> result;
    run([&](ChatPersistenceClient& target) { result.emplace(f(target)); });
    return std::move(*result);
  }
}

ForwardingPersistenceClient::ForwardingPersistenceClient(
    std::unique_ptr<ChatPersistenceClient> target)
    : target_(std::move(target)) {}

ForwardingPersistenceClient::~ForwardingPersistenceClient() = default;

void ForwardingPersistenceClient::connect(const std::string& user_id) {
  through([&](ChatPersistenceClient& t) { t.connect(user_id); });
}
FlushResult ForwardingPersistenceClient::disconnect(bool flush) {
  return through([&](ChatPersistenceClient& t) { return t.disconnect(flush); });
}
FlushResult ForwardingPersistenceClient::flush() {
  return through([&](ChatPersistenceClient& t) { return t.flush(); });
}
bool ForwardingPersistenceClient::is_connected() {
  return through([&](ChatPersistenceClient& t) { return t.is_connected(); });
}
std::optional<std::string> ForwardingPersistenceClient::user_id() {
  return through([&](ChatPersistenceClient& t) { return t.user_id(); });
}
std::optional<ConnectionInfo> ForwardingPersistenceClient::connection_info() {
  return through([&](ChatPersistenceClient& t) { return t.connection_info(); });
}
std::optional<Timestamp> ForwardingPersistenceClient::last_sync_at() {
  return through([&](ChatPersistenceClient& t) { return t.last_sync_at(); });
}
std::vector<std::string> ForwardingPersistenceClient::channel_cids(std::size_t limit) {
  return through([&](ChatPersistenceClient& t) { return t.channel_cids(limit); });
}
std::optional<Channel> ForwardingPersistenceClient::channel(const std::string& cid) {
  return through([&](ChatPersistenceClient& t) { return t.channel(cid); });
}
std::optional<ChannelState> ForwardingPersistenceClient::channel_state(
    const std::string& cid, const MessagePagination& messages) {
  return through([&](ChatPersistenceClient& t) { return t.channel_state(cid, messages); });
}
std::vector<Message> ForwardingPersistenceClient::messages(const std::string& cid,
                                                           const MessagePagination& page) {
  return through([&](ChatPersistenceClient& t) { return t.messages(cid, page); });
}
std::vector<Message> ForwardingPersistenceClient::pinned_messages(const std::string& cid,
                                                                  const MessagePagination& page) {
  return through([&](ChatPersistenceClient& t) { return t.pinned_messages(cid, page); });
}
std::vector<Message> ForwardingPersistenceClient::replies(const std::string& parent_id,
                                                          const MessagePagination& page) {
  return through([&](ChatPersistenceClient& t) { return t.replies(parent_id, page); });
}
std::optional<Message> ForwardingPersistenceClient::message(const std::string& id) {
  return through([&](ChatPersistenceClient& t) { return t.message(id); });
}
std::vector<Member> ForwardingPersistenceClient::members(const std::string& cid) {
  return through([&](ChatPersistenceClient& t) { return t.members(cid); });
}
std::vector<Read> ForwardingPersistenceClient::reads(const std::string& cid) {
  return through([&](ChatPersistenceClient& t) { return t.reads(cid); });
}
std::optional<std::vector<ChannelState>> ForwardingPersistenceClient::query_channels(
    const Filter& filter, const Sort& sort, std::size_t offset, std::size_t limit,
    std::size_t message_limit) {
  return through([&](ChatPersistenceClient& t) {
    return t.query_channels(filter, sort, offset, limit, message_limit);
  });
}
std::optional<Draft> ForwardingPersistenceClient::draft(
    const std::string& cid, const std::optional<std::string>& parent_id) {
  return through([&](ChatPersistenceClient& t) { return t.draft(cid, parent_id); });
}
std::vector<OutboxEntry> ForwardingPersistenceClient::outbox(std::int64_t after_id,
                                                             std::size_t limit) {
  return through([&](ChatPersistenceClient& t) { return t.outbox(after_id, limit); });
}
bool ForwardingPersistenceClient::acquire_lease(const std::string& name, const std::string& holder,
                                                Timestamp now, Timestamp until) {
  return through(
      [&](ChatPersistenceClient& t) { return t.acquire_lease(name, holder, now, until); });
}
void ForwardingPersistenceClient::release_lease(const std::string& name,
                                                const std::string& holder) {
  through([&](ChatPersistenceClient& t) { t.release_lease(name, holder); });
}
std::optional<std::string> ForwardingPersistenceClient::uploaded_url(const std::string& cid,
                                                                     const std::string& sha256) {
  return through([&](ChatPersistenceClient& t) { return t.uploaded_url(cid, sha256); });
}
UnreadCounts ForwardingPersistenceClient::unread_counts() {
  return through([&](ChatPersistenceClient& t) { return t.unread_counts(); });
}
std::vector<HistoryGap> ForwardingPersistenceClient::gaps(const std::string& cid) {
  return through([&](ChatPersistenceClient& t) { return t.gaps(cid); });
}

std::vector<HistoryGap> ForwardingPersistenceClient::thread_gaps(const std::string& cid,
                                                                 const std::string& parent_id) {
  return through([&](ChatPersistenceClient& t) { return t.thread_gaps(cid, parent_id); });
}

SearchResults ForwardingPersistenceClient::search(const SearchQuery& query) {
  return through([&](ChatPersistenceClient& t) { return t.search(query); });
}
ApplyResult ForwardingPersistenceClient::apply(const Batch& batch) {
  return target_->apply(batch);
}
std::future<ApplyResult> ForwardingPersistenceClient::apply_async(Batch batch) {
  return target_->apply_async(std::move(batch));
}

}  // namespace chatkeep

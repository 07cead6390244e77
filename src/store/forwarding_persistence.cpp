#include "chatkeep/forwarding_persistence.hpp"

namespace chatkeep {

ForwardingPersistenceClient::ForwardingPersistenceClient(
    std::unique_ptr<ChatPersistenceClient> target)
    : target_(std::move(target)) {}

ForwardingPersistenceClient::~ForwardingPersistenceClient() = default;

void ForwardingPersistenceClient::connect(const std::string& user_id) {
  target_->connect(user_id);
}
FlushResult ForwardingPersistenceClient::disconnect(bool flush) {
  return target_->disconnect(flush);
}
FlushResult ForwardingPersistenceClient::flush() {
  return target_->flush();
}
bool ForwardingPersistenceClient::is_connected() {
  return target_->is_connected();
}
std::optional<std::string> ForwardingPersistenceClient::user_id() {
  return target_->user_id();
}
std::optional<ConnectionInfo> ForwardingPersistenceClient::connection_info() {
  return target_->connection_info();
}
std::optional<Timestamp> ForwardingPersistenceClient::last_sync_at() {
  return target_->last_sync_at();
}
std::vector<std::string> ForwardingPersistenceClient::channel_cids(std::size_t limit) {
  return target_->channel_cids(limit);
}
std::optional<Channel> ForwardingPersistenceClient::channel(const std::string& cid) {
  return target_->channel(cid);
}
std::optional<ChannelState> ForwardingPersistenceClient::channel_state(
    const std::string& cid, const MessagePagination& messages) {
  return target_->channel_state(cid, messages);
}
std::vector<Message> ForwardingPersistenceClient::messages(const std::string& cid,
                                                           const MessagePagination& page) {
  return target_->messages(cid, page);
}
std::vector<Message> ForwardingPersistenceClient::pinned_messages(const std::string& cid,
                                                                  const MessagePagination& page) {
  return target_->pinned_messages(cid, page);
}
std::vector<Message> ForwardingPersistenceClient::replies(const std::string& parent_id,
                                                          const MessagePagination& page) {
  return target_->replies(parent_id, page);
}
std::optional<Message> ForwardingPersistenceClient::message(const std::string& id) {
  return target_->message(id);
}
std::vector<Member> ForwardingPersistenceClient::members(const std::string& cid) {
  return target_->members(cid);
}
std::vector<Read> ForwardingPersistenceClient::reads(const std::string& cid) {
  return target_->reads(cid);
}
std::optional<std::vector<ChannelState>> ForwardingPersistenceClient::query_channels(
    const Filter& filter, const Sort& sort, std::size_t offset, std::size_t limit,
    std::size_t message_limit) {
  return target_->query_channels(filter, sort, offset, limit, message_limit);
}
std::optional<Draft> ForwardingPersistenceClient::draft(
    const std::string& cid, const std::optional<std::string>& parent_id) {
  return target_->draft(cid, parent_id);
}
std::vector<OutboxEntry> ForwardingPersistenceClient::outbox(std::int64_t after_id,
                                                             std::size_t limit) {
  return target_->outbox(after_id, limit);
}
bool ForwardingPersistenceClient::acquire_lease(const std::string& name, const std::string& holder,
                                                Timestamp now, Timestamp until) {
  return target_->acquire_lease(name, holder, now, until);
}
void ForwardingPersistenceClient::release_lease(const std::string& name,
                                                const std::string& holder) {
  target_->release_lease(name, holder);
}
ApplyResult ForwardingPersistenceClient::apply(const Batch& batch) {
  return target_->apply(batch);
}
std::future<ApplyResult> ForwardingPersistenceClient::apply_async(Batch batch) {
  return target_->apply_async(std::move(batch));
}

}  // namespace chatkeep

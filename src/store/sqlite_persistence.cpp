#include "chatkeep/sqlite_persistence.hpp"

#include <cstdlib>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "chatkeep/error.hpp"
#include "store/sqlite_store.hpp"

namespace chatkeep {
namespace {

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    throw ChatError(ErrorCode::internal, "SHA-256 failed");
  }
  std::string hex;
  for (unsigned int i = 0; i < size; ++i)
    hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace

std::filesystem::path SqlitePersistenceClient::database_path(const std::filesystem::path& directory,
                                                             std::string_view user_id) {
  if (user_id.empty()) throw ChatError(ErrorCode::input, "the user id is empty");
  // Lower-case letters, digits, '_' and '-' stand for themselves; every other byte is %xx. The
  // mapping is one-to-one, and its output is the same on case-insensitive file systems.
  std::string escaped;
  for (char ch : user_id) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
      escaped.push_back(ch);
    } else {
      escaped += fmt::format("%{:02x}", c);
    }
  }
  // Long ids would exceed file name limits: they are named by their hash instead. '~' never
  // appears in an escaped id, so the two forms cannot meet.
  constexpr std::size_t kMaxEscaped = 128;
  if (escaped.size() > kMaxEscaped) escaped = "~" + sha256_hex(user_id);
  return directory / ("db_" + escaped + ".sqlite");
}

std::filesystem::path SqlitePersistenceClient::default_directory() {
  if (const char* data = std::getenv("XDG_DATA_HOME"); data && *data == '/') {
    return std::filesystem::path(data) / "chatkeep";
  }
  if (const char* home = std::getenv("HOME"); home && *home == '/') {
    return std::filesystem::path(home) / ".local" / "share" / "chatkeep";
  }
  throw ChatError(ErrorCode::invalid_state,
                  "no data directory: set SqlitePersistenceOptions::directory (neither "
                  "XDG_DATA_HOME nor HOME is set)");
}

SqlitePersistenceClient::SqlitePersistenceClient(SqlitePersistenceOptions options) {
  const ConnectionMode mode = options.mode;
  const GroupCommit group_commit = options.group_commit;
  auto store = std::make_unique<store::SqliteStore>(std::move(options));
  if (mode == ConnectionMode::background) {
    target_ = std::make_unique<BackgroundPersistenceClient>(std::move(store), group_commit);
  } else {
    target_ = std::move(store);
  }
}

SqlitePersistenceClient::~SqlitePersistenceClient() = default;

void SqlitePersistenceClient::connect(const std::string& user_id) {
  target_->connect(user_id);
}
FlushResult SqlitePersistenceClient::disconnect(bool flush) {
  return target_->disconnect(flush);
}
FlushResult SqlitePersistenceClient::flush() {
  return target_->flush();
}
bool SqlitePersistenceClient::is_connected() {
  return target_->is_connected();
}
std::optional<std::string> SqlitePersistenceClient::user_id() {
  return target_->user_id();
}
std::optional<ConnectionInfo> SqlitePersistenceClient::connection_info() {
  return target_->connection_info();
}
std::optional<Timestamp> SqlitePersistenceClient::last_sync_at() {
  return target_->last_sync_at();
}
std::vector<std::string> SqlitePersistenceClient::channel_cids(std::size_t limit) {
  return target_->channel_cids(limit);
}
std::optional<Channel> SqlitePersistenceClient::channel(const std::string& cid) {
  return target_->channel(cid);
}
std::optional<ChannelState> SqlitePersistenceClient::channel_state(
    const std::string& cid, const MessagePagination& messages) {
  return target_->channel_state(cid, messages);
}
std::vector<Message> SqlitePersistenceClient::messages(const std::string& cid,
                                                       const MessagePagination& page) {
  return target_->messages(cid, page);
}
std::vector<Message> SqlitePersistenceClient::pinned_messages(const std::string& cid,
                                                              const MessagePagination& page) {
  return target_->pinned_messages(cid, page);
}
std::vector<Message> SqlitePersistenceClient::replies(const std::string& parent_id,
                                                      const MessagePagination& page) {
  return target_->replies(parent_id, page);
}
std::optional<Message> SqlitePersistenceClient::message(const std::string& id) {
  return target_->message(id);
}
std::vector<Member> SqlitePersistenceClient::members(const std::string& cid) {
  return target_->members(cid);
}
std::vector<Read> SqlitePersistenceClient::reads(const std::string& cid) {
  return target_->reads(cid);
}
std::optional<std::vector<ChannelState>> SqlitePersistenceClient::query_channels(
    const Filter& filter, const Sort& sort, std::size_t offset, std::size_t limit,
    std::size_t message_limit) {
  return target_->query_channels(filter, sort, offset, limit, message_limit);
}
std::optional<Draft> SqlitePersistenceClient::draft(const std::string& cid,
                                                    const std::optional<std::string>& parent_id) {
  return target_->draft(cid, parent_id);
}
std::vector<OutboxEntry> SqlitePersistenceClient::outbox(std::int64_t after_id, std::size_t limit) {
  return target_->outbox(after_id, limit);
}
ApplyResult SqlitePersistenceClient::apply(const Batch& batch) {
  return target_->apply(batch);
}
std::future<ApplyResult> SqlitePersistenceClient::apply_async(Batch batch) {
  return target_->apply_async(std::move(batch));
}

}  // namespace chatkeep

#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "chatkeep/background.hpp"
#include "chatkeep/log.hpp"
#include "chatkeep/persistence.hpp"

namespace chatkeep {

// SQLite's `synchronous` setting. In WAL mode `normal` loses no committed transaction when the
// process dies, only (at worst) the last ones when the machine loses power.
enum class Synchronous { off, normal, full };

struct SqlitePersistenceOptions {
  // Where the per-user database files live. Empty: $XDG_DATA_HOME/chatkeep, or
  // ~/.local/share/chatkeep; never the working directory. Created (0700) if missing.
  std::filesystem::path directory;
  ConnectionMode mode = ConnectionMode::regular;
  LogOptions log;
  Synchronous synchronous = Synchronous::normal;
  GroupCommit group_commit;  // background mode only
};

// The official ChatPersistenceClient: one SQLite database per user, `db_<escaped user id>.sqlite`
// in the options' directory, in WAL mode, files mode 0600. In background mode every call runs on
// one store thread (see BackgroundPersistenceClient).
class SqlitePersistenceClient final : public ChatPersistenceClient {
 public:
  explicit SqlitePersistenceClient(SqlitePersistenceOptions options = {});
  ~SqlitePersistenceClient() override;
  SqlitePersistenceClient(const SqlitePersistenceClient&) = delete;
  SqlitePersistenceClient& operator=(const SqlitePersistenceClient&) = delete;

  // The file a user's data lives in. Distinct ids give distinct names made only of [a-z0-9_%~.-],
  // so that no id can reach outside the directory, even on a case-insensitive file system. Throws
  // ChatError (input) for an empty id.
  static std::filesystem::path database_path(const std::filesystem::path& directory,
                                             std::string_view user_id);
  // The directory used when the options name none.
  static std::filesystem::path default_directory();

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
  ApplyResult apply(const Batch& batch) override;
  std::future<ApplyResult> apply_async(Batch batch) override;

 private:
  // SQLite itself in regular mode; a BackgroundPersistenceClient around it in background mode.
  std::unique_ptr<ChatPersistenceClient> target_;
};

}  // namespace chatkeep

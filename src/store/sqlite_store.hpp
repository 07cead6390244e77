#pragma once

// SqliteStore: the ChatPersistenceClient of SqlitePersistenceClient, on one SQLite database per
// user. Its code is split by concern:
//   sqlite_store.cpp  lifecycle: connect, disconnect, flush, apply (the batch's transaction)
//   reads.cpp         every read, with the decoded-user cache
//   writer.cpp        the mutations, grouped by table (with the essay on message versions)
//   rows.cpp          model objects <-> rows, and the SQL text both sides share
//   leases.cpp        leases between processes sharing the database
//   schema.cpp        the tables and their migrations; user_database.cpp opens the file

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <spdlog/logger.h>

#include "chatkeep/sqlite_persistence.hpp"
#include "locks/checked_mutex.hpp"
#include "search/index_file.hpp"
#include "sqlite/checkpointer.hpp"
#include "sqlite/database.hpp"
#include "store/search_indexer.hpp"

namespace chatkeep::store {

using sqlite::Database;
using sqlite::Query;
using sqlite::ReadTransaction;
using sqlite::Transaction;

// User id -> hash of the user's JSON as this connection last wrote it.
using UserHashes = std::unordered_map<std::string, std::size_t>;

// ChatPersistenceClient on one SQLite database per user, on the calling thread. A mutex makes
// concurrent calls safe by running them one at a time: every public method takes it, and every
// `_locked` method (and the private helpers they call) asserts that its caller holds it.
class SqliteStore final : public ChatPersistenceClient {
 public:
  explicit SqliteStore(SqlitePersistenceOptions options);
  ~SqliteStore() override;

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
  std::optional<std::string> uploaded_url(const std::string& cid,
                                          const std::string& sha256) override;
  std::vector<HistoryGap> gaps(const std::string& cid) override;
  std::vector<HistoryGap> thread_gaps(const std::string& cid,
                                      const std::string& parent_id) override;
  SearchResults search(const SearchQuery& query) override;
  UnreadCounts unread_counts() override;
  ApplyResult apply(const Batch& batch) override;

  // Rows inserted, updated or deleted since the store connected (for measurements).
  std::int64_t rows_changed();

  // Stops indexing new messages for search until the next connect, after the step under way; a
  // search still indexes them first (for measurements: the store without its index's cost).
  void stop_search_indexer();

 private:
  enum class Scope { channel, pinned, thread };

  using Lock = std::lock_guard<CheckedMutex>;
  Database& db();  // the open database, or ChatError(invalid_state); mutex_ held
  FlushResult flush_locked();
  std::optional<Channel> channel_locked(const std::string& cid);
  std::optional<ChannelState> channel_state_locked(const std::string& cid,
                                                   const MessagePagination& page);
  std::vector<Message> page_locked(Scope scope, const std::string& key,
                                   const MessagePagination& page);
  std::vector<Member> members_locked(const std::string& cid);
  std::vector<Read> reads_locked(const std::string& cid);
  std::int64_t unread_mentions_locked(const std::string& cid, const Read& read);
  // A message from a kSelectMessages row, own reactions not yet attached.
  Message message_from_row(const Query& row);
  // The connected user's reactions, into each message's own_reactions.
  void attach_own_reactions(std::vector<Message>& messages);
  // The state of the user's changes to each message still in the outbox, into local_state.
  void attach_local_states(std::vector<Message>& messages);
  // Runs `select` + "(ids)" over chunks of the messages (after `first_parameter` as ?1, if any),
  // handing each row to `each` with the message whose id is its first column.
  void for_chunks(std::vector<Message>& messages, const std::string& select,
                  const std::optional<std::string>& first_parameter,
                  const std::function<void(Message&, const Query&)>& each);
  // A user as stored (only its id when the store has none), decoded once until the next write.
  const User& cached_user(std::string_view id);

  CheckedMutex mutex_;
  SqlitePersistenceOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<Database> db_;
  // The WAL's checkpoints, off the committing thread (checkpointer.hpp); destroyed before db_.
  std::unique_ptr<sqlite::Checkpointer> checkpointer_;
  std::string user_id_;
  std::array<unsigned char, 16384> arena_buffer_;  // first block of message_from_row's arena
  // Decoded users for reads: one user stands behind many messages, members and reads of a screen.
  // Cleared by every write, so it never holds a stale user.
  static constexpr std::size_t kMaxCachedUsers = 10'000;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, User, Hash, std::equal_to<>> user_cache_;
  // What this connection committed of each user, so that the same user in every message of a
  // stream costs no statement. Another process writing the same database may change a user
  // behind it; the next different version of that user is written as usual.
  static constexpr std::size_t kMaxUserHashes = 100'000;
  UserHashes user_hashes_;
  // The search index, in its own file, and the last of its replayed changes this connection
  // deleted from the store's queue (search/index_file.hpp). Set at connect, and reset only by
  // disconnect with the indexer stopped; a search holds its own reference while it reads the
  // index without mutex_.
  std::shared_ptr<search::IndexFile> search_index_;
  std::int64_t pruned_change_ = 0;
  // Indexes new messages for search a moment after they are written (search_indexer.hpp). Last,
  // so that it stops before the index its steps use goes.
  std::unique_ptr<SearchIndexer> search_indexer_;
};

}  // namespace chatkeep::store

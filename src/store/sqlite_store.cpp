// The store's lifecycle: one connection per user's database, opened by open_user_database(),
// with two caches beside it (decoded users for reads, written users' hashes for writes; see
// sqlite_store.hpp) that every write and every flush keeps honest. apply() is the one write path:
// a batch is one transaction, run by the Writer (writer.cpp).

#include "store/sqlite_store.hpp"

#include <sqlite3.h>

#include <optional>

#include <fmt/format.h>

#include "log/logger.hpp"
#include "store/schema.hpp"
#include "store/user_database.hpp"
#include "store/writer.hpp"

namespace chatkeep::store {

SqliteStore::SqliteStore(SqlitePersistenceOptions options)
    : options_(std::move(options)), log_(log::make_logger("store", options_.log)) {}

SqliteStore::~SqliteStore() = default;

Database& SqliteStore::db() {
  mutex_.assert_held();
  if (!db_) throw ChatError(ErrorCode::invalid_state, "the store is not connected");
  return *db_;
}

void SqliteStore::connect(const std::string& user_id) {
  Lock lock(mutex_);
  if (db_) {
    if (user_id == user_id_) return;
    throw ChatError(ErrorCode::invalid_state,
                    fmt::format("the store is connected as another user; disconnect first"));
  }
  std::filesystem::path directory = options_.directory.empty()
                                        ? SqlitePersistenceClient::default_directory()
                                        : options_.directory;
  std::filesystem::path path = SqlitePersistenceClient::database_path(directory, user_id);
  if (options_.read_only && !std::filesystem::exists(path)) {
    throw ChatError(ErrorCode::not_found,
                    fmt::format("no database for {} at {}", user_id, path.string()));
  }
  auto db = open_user_database(
      path, {.read_only = options_.read_only, .synchronous = options_.synchronous, .trace = log_});
  // Read-only, nothing migrates it: a database this code cannot read as it is stays closed.
  if (options_.read_only && db->integer("PRAGMA user_version") != schema_version()) {
    throw ChatError(
        ErrorCode::storage,
        fmt::format("{} is from an older chatkeep; open it once to upgrade it", path.string()));
  }
  log_->info("connected {} ({})", user_id, path.string());
  if (!options_.read_only) checkpointer_ = std::make_unique<sqlite::Checkpointer>(*db, path);
  db_ = std::move(db);
  user_id_ = user_id;
  search_index_ = std::make_shared<search::IndexFile>(
      path, options_.read_only ? search::IndexFile::Access::read_only
                               : search::IndexFile::Access::read_write);
  pruned_change_ = 0;
  if (!options_.read_only) {
    search_indexer_ = std::make_unique<SearchIndexer>(
        [index = search_index_.get()](std::int64_t min_tail_rows) {
          return index->step(min_tail_rows);
        },
        log_, SearchIndexer::Options{});
  }
}

void SqliteStore::stop_search_indexer() {
  std::unique_ptr<SearchIndexer> indexer;
  {
    Lock lock(mutex_);
    indexer = std::move(search_indexer_);
  }
}

FlushResult SqliteStore::disconnect(bool flush) {
  stop_search_indexer();
  Lock lock(mutex_);
  FlushResult result;
  if (!db_) return result;
  if (flush) result = flush_locked();
  search_index_.reset();
  checkpointer_.reset();
  db_.reset();
  user_cache_.clear();
  user_hashes_.clear();

  user_id_.clear();
  return result;
}

FlushResult SqliteStore::flush() {
  Lock lock(mutex_);
  return flush_locked();
}

FlushResult SqliteStore::flush_locked() {
  mutex_.assert_held();
  user_cache_.clear();
  user_hashes_.clear();
  Database& database = db();
  Transaction transaction(database);
  FlushResult result{.discarded_outbox_entries = database.integer("SELECT COUNT(*) FROM outbox")};
  database.exec(R"(DELETE FROM reactions; DELETE FROM messages; DELETE FROM members;
                   DELETE FROM reads; DELETE FROM drafts; DELETE FROM channel_queries;
                   DELETE FROM saved_queries; DELETE FROM channels; DELETE FROM users;
                   DELETE FROM connection_state; DELETE FROM outbox; DELETE FROM work;
                   DELETE FROM leases; DELETE FROM uploads;)");
  // The rowids start again from 1, and name other messages.
  search::restart_index(database);
  transaction.commit();
  // The index's copy of the text goes now, not at the next step, which a logout never sees. The
  // store is flushed whatever happens to the index: it starts over at its next step anyway.
  try {
    search_index_->catch_up();
  } catch (const ChatError& e) {
    log_->warn("flushed, but the search index is not emptied yet: {}", e.what());
  }
  log_->info("flushed; {} outbox entries discarded", result.discarded_outbox_entries);
  return result;
}

bool SqliteStore::is_connected() {
  Lock lock(mutex_);
  return db_ != nullptr;
}

std::optional<std::string> SqliteStore::user_id() {
  Lock lock(mutex_);
  if (!db_) return std::nullopt;
  return user_id_;
}

ApplyResult SqliteStore::apply(const Batch& batch) {
  Lock lock(mutex_);
  user_cache_.clear();  // a write may change any user
  Database& database = db();
  ApplyResult result;
  Transaction transaction(database);
  Writer writer(database, result, user_hashes_, user_id_);
  for (const auto& mutation : batch)
    std::visit(writer, mutation);
  if (const std::int64_t applied = search_index_->applied_change(); applied > pruned_change_) {
    database.query("DELETE FROM search_changes WHERE seq <= ?1").bind(1, applied).run();
    pruned_change_ = applied;
  }
  transaction.commit();
  if (user_hashes_.size() > kMaxUserHashes) user_hashes_.clear();
  for (const auto& [id, hash] : writer.written_users())
    user_hashes_[id] = hash;
  if (search_indexer_) search_indexer_->wrote();
  return result;
}

std::int64_t SqliteStore::rows_changed() {
  Lock lock(mutex_);
  return sqlite3_total_changes64(db().handle());
}

}  // namespace chatkeep::store

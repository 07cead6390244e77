#include "search/index_file.hpp"

#include <sqlite3.h>

#include <algorithm>

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "search/message_index.hpp"

namespace chatkeep::search {

using sqlite::Database;
using sqlite::ReadTransaction;
using sqlite::Transaction;

namespace {

// A write transaction of the index's file alone. BEGIN IMMEDIATE takes the write lock of every
// attached database, and would wait for the store's writer; a deferred BEGIN whose first
// statement writes the index takes the index's lock only, and reads one snapshot of the store.
class IndexTransaction {
 public:
  explicit IndexTransaction(Database& db) : db_(db) {
    db_.exec("BEGIN");
    try {
      db_.exec("UPDATE progress SET id = id");
    } catch (const ChatError&) {
      sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }
  ~IndexTransaction() {
    if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  IndexTransaction(const IndexTransaction&) = delete;
  IndexTransaction& operator=(const IndexTransaction&) = delete;
  void commit() {
    db_.exec("COMMIT");
    open_ = false;
  }

 private:
  Database& db_;
  bool open_ = true;
};

constexpr std::int64_t kIndexFileVersion = 1;

// The two indexes, each keeping its own text (so that a row is taken out by rowid alone).
const char* const kIndexTables =
    "CREATE VIRTUAL TABLE message_words USING fts5(body, tokenize = " CHATKEEP_WORD_TOKENIZER
    ", prefix = '2 3');"
    "CREATE VIRTUAL TABLE message_unspaced USING fts5(body, tokenize = 'trigram');";

const char* const kIndexSchema = R"sql(
CREATE TABLE progress (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  generation INTEGER,
  indexed_through INTEGER NOT NULL,
  backlog INTEGER NOT NULL,
  tail_from INTEGER NOT NULL,
  applied_change INTEGER NOT NULL
);
INSERT INTO progress VALUES (1, NULL, 0, 0, 0, 0);
)sql";

}  // namespace

const char* const kIndexInItsOwnFile = R"sql(
DROP TRIGGER message_search_insert;
DROP TRIGGER message_unspaced_insert;
DROP TRIGGER message_search_delete;
DROP TRIGGER message_unspaced_delete;
DROP TRIGGER message_search_update;
DROP TRIGGER message_unspaced_update;
DROP VIEW message_search_text;
DROP VIEW message_unspaced_text;
DROP TABLE message_words;
DROP TABLE message_unspaced;
DROP TABLE search_index;

-- `backlog`: the largest rowid when the generation began, the rows the index starts over with.
CREATE TABLE search_source (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  generation INTEGER NOT NULL,
  backlog INTEGER NOT NULL
);
INSERT INTO search_source (id, generation, backlog)
  VALUES (1, random(), (SELECT COALESCE(MAX(rowid), 0) FROM messages));
-- AUTOINCREMENT: the index replays the changes after the last it replayed, so a sequence number
-- must never come back after the queue is emptied.
-- `top`, of a deletion: the largest rowid left, above which rowids may come back.
CREATE TABLE search_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  message INTEGER NOT NULL,
  top INTEGER
);
-- Inserts queue nothing: new rows are the tail, found by rowid. Most updates (reactions, reply
-- counts) leave the indexed text as it was, and queue nothing either.
CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
  INSERT INTO search_changes (message, top)
    VALUES (OLD.rowid, (SELECT COALESCE(MAX(rowid), 0) FROM messages));
END;
CREATE TRIGGER message_search_update AFTER UPDATE OF data ON messages
WHEN chatkeep_indexed_text(OLD.data) IS NOT chatkeep_indexed_text(NEW.data) BEGIN
  INSERT INTO search_changes (message) VALUES (NEW.rowid);
END;
)sql";

std::filesystem::path index_path(const std::filesystem::path& store_path) {
  return store_path.string() + "-search";
}

void restart_index(Database& store) {
  store.exec(R"(DELETE FROM search_changes;
                UPDATE search_source SET generation = random(),
                  backlog = (SELECT COALESCE(MAX(rowid), 0) FROM messages))");
}

std::uintmax_t index_bytes(const std::filesystem::path& store_path) {
  std::uintmax_t bytes = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(index_path(store_path).string() + suffix, ec);
    if (!ec) bytes += size;
  }
  return bytes;
}

IndexFile::IndexFile(std::filesystem::path store_path, Access access)
    : store_path_(std::move(store_path)), access_(access) {}

IndexFile::~IndexFile() = default;

Database* IndexFile::open_locked() {
  if (db_) return db_.get();
  const std::filesystem::path path = index_path(store_path_);
  if (access_ == Access::read_only && !std::filesystem::exists(path)) return nullptr;
  if (access_ == Access::read_write) sqlite::create_private_file(path);
  auto db =
      std::make_unique<Database>(path, access_ == Access::read_only ? Database::Access::read_only
                                                                    : Database::Access::read_write);
  db->exec("PRAGMA busy_timeout = 10000");
  const std::int64_t version = db->integer("PRAGMA user_version");
  if (version > kIndexFileVersion) {
    throw ChatError(ErrorCode::storage,
                    fmt::format("the search index {} is from a newer chatkeep", path.string()));
  }
  if (access_ == Access::read_write) {
    db->exec("PRAGMA journal_mode = WAL");
    db->exec("PRAGMA synchronous = NORMAL");
    db->exec("PRAGMA journal_size_limit = 8388608");
    if (version < kIndexFileVersion) {
      Transaction transaction(*db);
      if (db->integer("PRAGMA user_version") == 0) {
        db->exec(std::string(kIndexSchema) + kIndexTables);
        db->exec(fmt::format("PRAGMA user_version = {}", kIndexFileVersion));
      }
      transaction.commit();
    }
  } else if (version < kIndexFileVersion) {
    return nullptr;  // created, never written: nothing in it
  }
  // The store, which this connection only reads (and cannot write when it is read-only).
  db->query("ATTACH DATABASE ?1 AS store").bind(1, store_path_.string()).run();
  // A search looks up each match's row in the store: as much cache as the store's own
  // connection has (user_database.cpp).
  db->exec("PRAGMA store.cache_size = -16384");
  db_ = std::move(db);
  return db_.get();
}

IndexProgress IndexFile::progress_locked(Database& db) {
  auto q = db.query(R"(SELECT p.generation IS s.generation, p.indexed_through, p.backlog,
                              p.tail_from, (SELECT COALESCE(MAX(rowid), 0) FROM store.messages),
                              (SELECT COUNT(*) FROM store.search_changes
                               WHERE seq > p.applied_change),
                              p.applied_change, s.generation, s.backlog
                       FROM progress p, store.search_source s)");
  if (!q.next()) throw ChatError(ErrorCode::storage, "the search index has no progress row");
  IndexProgress p{.current = q.integer(0) != 0,
                  .indexed_through = q.integer(1),
                  .backlog = q.integer(2),
                  .tail_from = q.integer(3),
                  .last_rowid = q.integer(4),
                  .pending_changes = q.integer(5),
                  .applied_change = q.integer(6),
                  .generation = q.integer(7),
                  .generation_backlog = q.integer(8)};
  applied_change_ = p.applied_change;
  return p;
}

void IndexFile::save_locked(Database& db, const IndexProgress& p) {
  db.query(R"(UPDATE progress SET generation = ?1, indexed_through = ?2, backlog = ?3,
                                  tail_from = ?4, applied_change = ?5)")
      .bind(1, p.generation)
      .bind(2, p.indexed_through)
      .bind(3, p.backlog)
      .bind(4, p.tail_from)
      .bind(5, p.applied_change)
      .run();
}

void IndexFile::start_over_locked(Database& db, IndexProgress& p) {
  // Dropped, not emptied: a million rows go in one statement, not one a row.
  db.exec("DROP TABLE message_words; DROP TABLE message_unspaced;");
  db.exec(kIndexTables);
  p.current = true;
  p.indexed_through = 0;
  // What the store held when the generation began; what it wrote since is the tail. Changes
  // queued meanwhile are of rows not indexed yet, read as they are when they are.
  p.backlog = p.tail_from = std::min(p.generation_backlog, p.last_rowid);
  p.applied_change = db.integer("SELECT COALESCE(MAX(seq), 0) FROM store.search_changes");
  save_locked(db, p);
}

void IndexFile::replay_changes_locked(Database& db, IndexProgress& p, std::int64_t changes) {
  std::int64_t through = p.applied_change;
  {
    auto q = db.query(
        "SELECT MAX(seq) FROM (SELECT seq FROM store.search_changes WHERE seq > ?1 "
        "ORDER BY seq LIMIT ?2)");
    q.bind(1, p.applied_change).bind(2, changes);
    if (q.next() && !q.is_null(0)) through = q.integer(0);
  }
  if (through == p.applied_change) return;
  // A rowid above the lowest top among these deletions may have come back since, as another
  // message, which queues nothing: from there on, rows are the tail.
  {
    auto q = db.query("SELECT MIN(top) FROM store.search_changes WHERE seq > ?1 AND seq <= ?2");
    q.bind(1, p.applied_change).bind(2, through);
    if (q.next() && !q.is_null(0)) {
      const std::int64_t top = q.integer(0);
      p.tail_from = std::min(p.tail_from, top);
      p.backlog = std::min(p.backlog, top);
      if (p.indexed_through >= p.backlog) p.indexed_through = p.backlog = 0;
    }
  }
  // Out, whatever the index holds of them; then in again, as they are now, those that count.
  for (const char* table : {"message_words", "message_unspaced"}) {
    db.query(fmt::format("DELETE FROM {} WHERE rowid IN (SELECT message FROM store.search_changes "
                         "WHERE seq > ?1 AND seq <= ?2)",
                         table))
        .bind(1, p.applied_change)
        .bind(2, through)
        .run();
  }
  put_rows_locked(db,
                  "rowid IN (SELECT message FROM store.search_changes WHERE seq > ?1 AND "
                  "seq <= ?2) AND rowid <= ?3 AND (rowid > ?4 OR rowid <= ?5)",
                  [&](sqlite::Query& q) {
                    q.bind(1, p.applied_change)
                        .bind(2, through)
                        .bind(3, p.tail_from)
                        .bind(4, p.backlog)
                        .bind(5, p.indexed_through);
                  });
  p.applied_change = through;
  p.pending_changes = 0;  // of those read; the next step reads them again
}

void IndexFile::put_rows_locked(Database& db, const std::string& where,
                                const std::function<void(sqlite::Query&)>& bind) {
  // REPLACE: a rowid that came back may still be indexed as the row it was, until its deletion
  // is replayed.
  struct Index {
    const char* table;
    const char* body;  // of t, the row's indexed text
  };
  for (const Index& index :
       {Index{"message_words", "t"}, Index{"message_unspaced", "chatkeep_unspaced(t)"}}) {
    auto q = db.query(fmt::format(
        "INSERT OR REPLACE INTO {} (rowid, body) SELECT key, b FROM (SELECT key, {} AS b FROM "
        "(SELECT rowid AS key, chatkeep_indexed_text(data) AS t FROM store.messages WHERE {})) "
        "WHERE b IS NOT NULL",
        index.table, index.body, where));
    bind(q);
    q.run();
  }
}

void IndexFile::index_rows_locked(Database& db, std::int64_t after, std::int64_t through) {
  put_rows_locked(db, "rowid > ?1 AND rowid <= ?2",
                  [&](sqlite::Query& q) { q.bind(1, after).bind(2, through); });
}

bool IndexFile::step_locked(std::int64_t min_tail_rows, bool backlog_too, std::int64_t rows) {
  Database* db = open_locked();
  if (!db) return true;
  const auto has_work = [&](const IndexProgress& p) {
    return !p.current || p.pending_changes > 0 || p.tail_rows() > min_tail_rows ||
           (backlog_too && p.backlog != 0);
  };
  {
    // Looked at first without the write lock, which another process's index may hold.
    ReadTransaction look(*db);
    if (!has_work(progress_locked(*db))) return true;
  }
  IndexTransaction transaction(*db);
  IndexProgress p = progress_locked(*db);
  if (!has_work(p)) return true;
  if (!p.current) {
    start_over_locked(*db, p);
  } else {
    if (p.pending_changes > 0) {
      replay_changes_locked(*db, p, rows);
    } else if (p.tail_rows() > min_tail_rows) {
      // Every tail row is above the backlog (tail_from >= backlog): each counts once it is in.
      const std::int64_t through = std::min(p.last_rowid, p.tail_from + rows);
      index_rows_locked(*db, p.tail_from, through);
      p.tail_from = through;
    } else if (p.backlog != 0) {
      const std::int64_t through = std::min(p.backlog, p.indexed_through + rows);
      index_rows_locked(*db, p.indexed_through, through);
      const bool done = through >= p.backlog;
      p.indexed_through = done ? 0 : through;
      p.backlog = done ? 0 : p.backlog;
    }
    save_locked(*db, p);
  }
  transaction.commit();
  applied_change_ = p.applied_change;  // committed: the store may delete the changes up to it
  return false;
}

bool IndexFile::step(std::int64_t min_tail_rows) {
  std::lock_guard lock(mutex_);
  return step_locked(min_tail_rows, min_tail_rows == 0, kRowsPerStep);
}

void IndexFile::catch_up() {
  std::lock_guard lock(mutex_);
  if (access_ == Access::read_only) return;
  while (!step_locked(0, false, 10 * kRowsPerStep)) {
  }
}

IndexProgress IndexFile::progress() {
  std::lock_guard lock(mutex_);
  Database* db = open_locked();
  if (!db) return {};
  ReadTransaction snapshot(*db);
  return progress_locked(*db);
}

bool IndexFile::read(const std::function<void(Database&, const IndexProgress&)>& read) {
  std::lock_guard lock(mutex_);
  Database* db = open_locked();
  if (!db) return false;
  ReadTransaction snapshot(*db);
  read(*db, progress_locked(*db));
  return true;
}

std::string IndexFile::check() {
  std::lock_guard lock(mutex_);
  Database* db = open_locked();
  if (!db) return "";
  // One transaction: every change replayed, then every count from the same snapshot.
  IndexTransaction transaction(*db);
  IndexProgress p = progress_locked(*db);
  if (!p.current) return "";  // starting over at its next step
  while (p.pending_changes > 0) {
    replay_changes_locked(*db, p, 100 * kRowsPerStep);
    p.pending_changes = db->integer(
        fmt::format("SELECT COUNT(*) FROM store.search_changes WHERE seq > {}", p.applied_change));
  }
  save_locked(*db, p);
  std::string problems;
  for (const char* table : {"message_words", "message_unspaced"}) {
    try {
      db->exec(fmt::format("INSERT INTO {0} ({0}, rank) VALUES ('integrity-check', 1)", table));
    } catch (const ChatError& e) {
      problems += fmt::format("{}: {}\n", table, e.what());
    }
  }
  const std::string counted = fmt::format("m.rowid <= {} AND (m.rowid > {} OR m.rowid <= {})",
                                          p.tail_from, p.backlog, p.indexed_through);
  struct Table {
    const char* name;
    const char* text;  // of m.data, as the table holds it
  };
  for (const Table& t :
       {Table{"message_words", "chatkeep_indexed_text(m.data)"},
        Table{"message_unspaced", "chatkeep_unspaced(chatkeep_indexed_text(m.data))"}}) {
    const auto want = db->integer(fmt::format(
        "SELECT COUNT(*) FROM store.messages m WHERE {} AND {} IS NOT NULL", counted, t.text));
    const auto have = db->integer(fmt::format("SELECT COUNT(*) FROM {}_docsize", t.name));
    if (want != have) {
      problems += fmt::format("{}: {} rows indexed, {} messages to index\n", t.name, have, want);
    }
    const auto stale = db->integer(
        fmt::format("SELECT COUNT(*) FROM {} i JOIN store.messages m ON m.rowid = i.rowid "
                    "WHERE i.body IS NOT {}",
                    t.name, t.text));
    if (stale > 0) problems += fmt::format("{}: {} rows indexed with other text\n", t.name, stale);
  }
  transaction.commit();
  applied_change_ = p.applied_change;
  return problems;
}

}  // namespace chatkeep::search

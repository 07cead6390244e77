#pragma once

// The client store's full-text index of messages, in a file of its own beside the store
// (<store>-search), written only by its own connection. The store's writer never touches it:
// indexing a message costs more than the rest of its insert (FTS5's prefix indexes most), and in
// the store's file it could only run under the store's one write lock, between the writer's
// transactions. Here it runs on another core while the writer goes on (issue 22).
//
// The index file holds two FTS5 tables that keep their own copy of the text they index, so that
// taking a row out needs only its rowid (message_index.hpp has the tokenizers and the text):
//   message_words     unicode61 with diacritics removed, with prefix indexes
//   message_unspaced  trigram, for the rows whose text has unspaced words
// and one row of progress. Its connection attaches the store (as `store`) and reads the rows to
// index from it, so one transaction of the index reads one snapshot of the store.
//
// What the index holds, by the rule on a message's rowid r (search/message_index.hpp's, now
// kept in this file):
//   r <= tail_from  AND  (r > backlog  OR  r <= indexed_through)
// New rows above tail_from are the tail, indexed lowest first; rows up to backlog that were
// stored before the index existed (or before it started over) are indexed lowest first too,
// after the tail. A search indexes the tail before it reads, so it misses no new row; while the
// backlog lasts it says its results are partial.
//
// Edits and deletions cannot wait for the index, and the two files cannot commit together. So the
// store's triggers queue each rowid whose indexed text changed (an edit, a soft or hard delete,
// a truncation's cascade) in its own `search_changes` table, in the writer's transaction; a step
// here replays them: it takes the row out of the index and, if the row still exists and
// counts, puts it back as it is now. Replaying a change twice gives the same index, and the
// index's transaction records how far it replayed (applied_change), so a crash between the two
// files' commits loses nothing. The store deletes the replayed changes in its next write.
//
// A rowid may come back (SQLite numbers a new row one past the largest left), as another message,
// and an insert queues nothing. So a deletion queues the largest rowid it left (`top`), and its
// replay lowers tail_from and backlog to it, before any row of the same step goes in: a row that
// came back is then in the tail. Changes replay in their order, and the tail waits until none
// is left, so it never indexes a row before the deletion that let its rowid come back; every
// insert replaces what the index still holds under the same rowid.
//
// The store's `search_source.generation`, a random number, names the numbering of its rows. A
// VACUUM (which may renumber them), a flush and a failed check give it a new one, and note the
// largest rowid then (`backlog`); the index, finding a generation not its own, starts over with
// those rows as backlog and the rows written since as the tail. That also covers an index file
// left beside another store, or copied without its store.
//
// Thread-safety: every method may be called from any thread; they run one at a time on the
// file's connection, which is opened by the first that needs it (not by the store's connect: a
// screen hydrated at once pays nothing for it).

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "sqlite/database.hpp"

namespace chatkeep::search {

// Where the index of the store at `store_path` is: beside it, named as SQLite names a
// database's other files, so that whatever moves or removes db_<id>.sqlite* takes it along.
std::filesystem::path index_path(const std::filesystem::path& store_path);

// The store's migration that moves the index out of its file: drops migrations 10-14's index,
// creates the queue of changes, its triggers and the generation.
extern const char* const kIndexInItsOwnFile;

// Makes the index start over from the store's rows, in the caller's transaction of the store.
void restart_index(sqlite::Database& store);

// The index's bytes on disk (its file and WAL); 0 when it has none.
std::uintmax_t index_bytes(const std::filesystem::path& store_path);

struct IndexProgress {
  bool current = false;  // the index is of the store's rows as they are numbered now
  std::int64_t indexed_through = 0;
  std::int64_t backlog = 0;  // 0: none
  std::int64_t tail_from = 0;
  std::int64_t last_rowid = 0;          // the store's largest message rowid
  std::int64_t pending_changes = 0;     // queued by the store, not yet replayed
  std::int64_t applied_change = 0;      // the last change replayed
  std::int64_t generation = 0;          // the store's
  std::int64_t generation_backlog = 0;  // the store's rows when its generation began
  std::int64_t tail_rows() const { return last_rowid > tail_from ? last_rowid - tail_from : 0; }
  bool complete() const {
    return current && backlog == 0 && tail_rows() == 0 && pending_changes == 0;
  }
};

class IndexFile {
 public:
  enum class Access { read_only, read_write };
  // Rows indexed per step: a few milliseconds of work.
  static constexpr std::int64_t kRowsPerStep = 500;

  // The index of the store at `store_path`, which must exist. Read-only, a missing index file
  // reads as an index with nothing in it.
  IndexFile(std::filesystem::path store_path, Access access);
  ~IndexFile();
  IndexFile(const IndexFile&) = delete;
  IndexFile& operator=(const IndexFile&) = delete;

  // One step of what waits, in one transaction: starting over, else replaying changes, else the
  // tail if more than `min_tail_rows` rows wait, else (only when min_tail_rows is 0) the
  // backlog. True when it found none of that to do.
  bool step(std::int64_t min_tail_rows);

  // Steps until no change and no row of the tail waits: what a search does first.
  void catch_up();

  IndexProgress progress();

  // Runs `read` on the connection (the store attached as `store`) in one read transaction, with
  // the progress it read in the same snapshot. Read-only without an index file, nothing runs and
  // false is returned.
  bool read(const std::function<void(sqlite::Database&, const IndexProgress&)>& read);

  // Whether the index agrees with the store, after replaying every change: FTS5's own check of
  // each table, the rows indexed against the rows that count, and each indexed text against the
  // row's. Empty when it does; else what disagrees.
  std::string check();

  // The last change replayed and committed, as this process last read or wrote it: the store
  // may delete the changes up to it.
  std::int64_t applied_change() const { return applied_change_; }

 private:
  sqlite::Database* open_locked();  // nullptr: read-only and no file
  IndexProgress progress_locked(sqlite::Database& db);
  // The steps, in the caller's transaction of the index; save_locked writes `p` as they left it.
  void start_over_locked(sqlite::Database& db, IndexProgress& p);
  // Replays up to `changes` changes, moving p.applied_change past them (and the tail and the
  // backlog down to where rowids may have come back).
  void replay_changes_locked(sqlite::Database& db, IndexProgress& p, std::int64_t changes);
  // Puts the store's rows that `where` selects (its parameters bound by `bind`) into both
  // indexes, as they are now.
  void put_rows_locked(sqlite::Database& db, const std::string& where,
                       const std::function<void(sqlite::Query&)>& bind);
  void index_rows_locked(sqlite::Database& db, std::int64_t after, std::int64_t through);
  void save_locked(sqlite::Database& db, const IndexProgress& p);
  bool step_locked(std::int64_t min_tail_rows, bool backlog_too, std::int64_t rows);

  const std::filesystem::path store_path_;
  const Access access_;
  std::mutex mutex_;
  std::unique_ptr<sqlite::Database> db_;
  std::atomic<std::int64_t> applied_change_ = 0;
};

}  // namespace chatkeep::search

#include "store/maintenance.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include <sqlite3.h>

#include "search/index_file.hpp"

namespace chatkeep::store {

boost::json::object maintain(sqlite::Database& db, const RetentionOptions& retention,
                             Timestamp now) {
  boost::json::object report;
  std::int64_t deleted = 0;
  {
    sqlite::Transaction transaction(db);
    // A message the outbox refers to (a local echo, an edit waiting) stays whatever its age.
    constexpr const char* kKeep = " AND id NOT IN (SELECT message_id FROM outbox)";
    constexpr const char* kCut = " RETURNING channel, created_at, parent_id";
    // Per channel, and per thread of a reply cut, the newest message cut: history up to it is a
    // gap from now on (a message the outbox kept, older, is not contiguous with what follows the
    // cut). The channel's own history is the thread ''.
    std::map<std::pair<std::int64_t, std::string>, std::int64_t> cut;
    auto run = [&](sqlite::Query query) {
      while (query.next()) {
        for (const std::string& thread : {std::string(), std::string(query.text(2))}) {
          std::int64_t& newest =
              cut.try_emplace({query.integer(0), thread}, INT64_MIN).first->second;
          newest = std::max(newest, query.integer(1));
        }
        ++deleted;
      }
    };
    if (retention.max_age) {
      const std::int64_t before =
          now.unix_micros() -
          std::chrono::duration_cast<std::chrono::microseconds>(*retention.max_age).count();
      run(std::move(
          db.query(std::string("DELETE FROM messages WHERE created_at < ?1") + kKeep + kCut)
              .bind(1, before)));
    }
    if (retention.max_messages_per_channel) {
      run(std::move(db.query(std::string(R"(DELETE FROM messages WHERE rowid IN (
                 SELECT rowid FROM (SELECT rowid, ROW_NUMBER() OVER (PARTITION BY channel
                   ORDER BY created_at DESC, rowid DESC) AS newest FROM messages)
                 WHERE newest > ?1))") +
                             kKeep + kCut)
                        .bind(1, *retention.max_messages_per_channel)));
    }
    for (const auto& [where, newest] : cut) {
      db.query(R"(INSERT INTO gaps (channel, thread, after, before) VALUES (?1, ?2, ?3, ?4)
                  ON CONFLICT (channel, thread, after)
                  DO UPDATE SET before = MAX(before, excluded.before))")
          .bind(1, where.first)
          .bind(2, where.second)
          .bind(3, INT64_MIN)
          .bind(4, newest + 1)
          .run();
    }
    transaction.commit();
  }
  report["deleted_messages"] = deleted;

  // Incremental vacuum needs auto_vacuum set before the file has tables: a database made without
  // it is rebuilt once with it.
  if (db.integer("PRAGMA auto_vacuum") != 2) {
    db.exec("PRAGMA auto_vacuum = INCREMENTAL");
    db.exec("VACUUM");
    // VACUUM may renumber the messages' rowids, which the search index names them by.
    sqlite::Transaction transaction(db);
    search::restart_index(db);
    transaction.commit();
    report["search_index_restarted"] = true;
  }
  const std::int64_t free_before = db.integer("PRAGMA freelist_count");
  db.exec("PRAGMA incremental_vacuum");
  report["freed_pages"] = free_before - db.integer("PRAGMA freelist_count");

  {
    auto q = db.query("PRAGMA wal_checkpoint(PASSIVE)");
    report["checkpointed"] = q.next() ? q.integer(2) : 0;
  }
  std::string integrity;
  {
    auto q = db.query("PRAGMA quick_check");
    while (q.next())
      integrity += (integrity.empty() ? "" : "; ") + std::string(q.text(0));
  }
  report["integrity"] = integrity;
  const std::string disagreement = search::IndexFile(sqlite3_db_filename(db.handle(), "main"),
                                                     search::IndexFile::Access::read_write)
                                       .check();
  report["search_index"] = disagreement.empty() ? "ok" : disagreement;
  if (!disagreement.empty()) {
    // An index that disagrees is rebuilt from the messages, which are the truth: searches are
    // partial meanwhile, never wrong.
    sqlite::Transaction transaction(db);
    search::restart_index(db);
    transaction.commit();
    report["search_index_restarted"] = true;
  }
  return report;
}

}  // namespace chatkeep::store

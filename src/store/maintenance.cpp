#include "store/maintenance.hpp"

#include <string>

namespace chatkeep::store {

boost::json::object maintain(sqlite::Database& db, const RetentionOptions& retention,
                             Timestamp now) {
  boost::json::object report;
  std::int64_t deleted = 0;
  {
    sqlite::Transaction transaction(db);
    // A message the outbox refers to (a local echo, an edit waiting) stays whatever its age.
    constexpr const char* kKeep = "id NOT IN (SELECT message_id FROM outbox)";
    if (retention.max_age) {
      const std::int64_t before =
          now.unix_micros() -
          std::chrono::duration_cast<std::chrono::microseconds>(*retention.max_age).count();
      db.query(std::string("DELETE FROM messages WHERE created_at < ?1 AND ") + kKeep)
          .bind(1, before)
          .run();
      deleted += db.changes();
    }
    if (retention.max_messages_per_channel) {
      db.query(std::string(R"(DELETE FROM messages WHERE rowid IN (
                 SELECT rowid FROM (SELECT rowid, ROW_NUMBER() OVER (PARTITION BY channel
                   ORDER BY created_at DESC, rowid DESC) AS newest FROM messages)
                 WHERE newest > ?1) AND )") +
               kKeep)
          .bind(1, *retention.max_messages_per_channel)
          .run();
      deleted += db.changes();
    }
    transaction.commit();
  }
  report["deleted_messages"] = deleted;

  // Incremental vacuum needs auto_vacuum set before the file has tables: a database made without
  // it is rebuilt once with it.
  if (db.integer("PRAGMA auto_vacuum") != 2) {
    db.exec("PRAGMA auto_vacuum = INCREMENTAL");
    db.exec("VACUUM");
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
  return report;
}

}  // namespace chatkeep::store

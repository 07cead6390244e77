// Leases: a job only one process may do at a time (delivering the outbox) is held by one holder
// (process/holder.hpp) until a time, in the `leases` table of the user's database, which every
// process sharing the database sees. A lease is taken over when it runs out, or at once when its
// holder's process is gone.

#include "process/holder.hpp"
#include "store/schema.hpp"
#include "store/sqlite_store.hpp"

namespace chatkeep::store {

const std::string_view kLeasesTable = R"sql(
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  held_until INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

bool SqliteStore::acquire_lease(const std::string& name, const std::string& holder, Timestamp now,
                                Timestamp until) {
  Lock lock(mutex_);
  Database& database = db();
  Transaction transaction(database);
  database
      .query(R"(INSERT INTO leases (name, holder, held_until) VALUES (?1, ?2, ?3)
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                  held_until = excluded.held_until
                WHERE leases.holder = excluded.holder OR leases.held_until < ?4)")
      .bind(1, name)
      .bind(2, holder)
      .bind(3, until.unix_micros())
      .bind(4, now.unix_micros())
      .run();
  std::string current;
  {
    auto q = database.query("SELECT holder FROM leases WHERE name = ?1");
    q.bind(1, name);
    if (q.next()) current = q.text(0);
  }
  if (current != holder && !process::holder_alive(current)) {
    database.query("UPDATE leases SET holder = ?2, held_until = ?3 WHERE name = ?1")
        .bind(1, name)
        .bind(2, holder)
        .bind(3, until.unix_micros())
        .run();
    current = holder;
  }
  transaction.commit();
  const bool held = current == holder;
  return held;
}

void SqliteStore::release_lease(const std::string& name, const std::string& holder) {
  Lock lock(mutex_);
  db().query("DELETE FROM leases WHERE name = ?1 AND holder = ?2")
      .bind(1, name)
      .bind(2, holder)
      .run();
}

}  // namespace chatkeep::store

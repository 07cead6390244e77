#pragma once

// Keeping a user's database small and sound (the background maintenance work's job): retention
// of messages per channel, incremental vacuum, a WAL checkpoint and an integrity check.

#include <boost/json/object.hpp>

#include "chatkeep/storage.hpp"
#include "chatkeep/timestamp.hpp"
#include "sqlite/database.hpp"

namespace chatkeep::store {

// Runs every step on `db` (a connection of its own to the user's database) and reports what each
// did: deleted_messages, freed_pages, checkpointed (WAL frames), integrity ("ok" or SQLite's
// findings), search_index ("ok" or how the search index disagrees with the messages, in which
// case it is restarted: search_index_restarted). Messages the outbox still refers to are never
// deleted.
boost::json::object maintain(sqlite::Database& db, const RetentionOptions& retention,
                             Timestamp now);

}  // namespace chatkeep::store

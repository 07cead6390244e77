#pragma once

// Takes a store's database back to schema 11 (the version is the caller's to set), for tests of
// the migrations after it: what each of them added goes. Each migration after 11 adds its undoing
// here.

#include "search/message_index.hpp"
#include "sqlite/database.hpp"

namespace chatkeep::testing {

inline void undo_migrations_after_11(sqlite::Database& db) {
  // 17: the search index back in the store's file, as migrations 10, 11 and 14 made it (every
  // row as backlog).
  db.exec(R"(DROP TRIGGER message_search_delete; DROP TRIGGER message_search_update;
             DROP TABLE search_changes; DROP TABLE search_source;)");
  db.exec(search::kSearchIndexSchema);
  db.exec(search::kSearchIndexPrefixes);
  db.exec(search::kSearchIndexTail);
  // 16: the outbox's indexes as they were.
  db.exec(R"(DROP INDEX outbox_by_parent;
             CREATE INDEX outbox_by_parent ON outbox (json_extract(payload, '$.message.parent_id'))
               WHERE kind = 'send_message';
             CREATE INDEX outbox_by_channel ON outbox (cid, id);
             CREATE INDEX channels_by_last_message ON channels (last_message_at, cid);)");
  // 15: the counters go back into the JSON.
  db.exec(
      R"(UPDATE channels SET data = json_set(data, '$.hidden', json(IIF(hidden, 'true', 'false')))
               WHERE hidden IS NOT NULL;
             UPDATE channels SET data = json_set(data, '$.truncated_at', truncated_at)
               WHERE truncated_at IS NOT NULL;
             ALTER TABLE channels DROP COLUMN hidden; ALTER TABLE channels DROP COLUMN truncated_at;
             UPDATE reads SET data = json_set(data, '$.unread_messages', unread_messages)
               WHERE unread_messages IS NOT NULL;
             ALTER TABLE reads DROP COLUMN unread_messages;)");
  // 14: the search index's tail. Migration 14 makes the views and triggers again.
  db.exec(R"(DROP VIEW message_search_text; DROP VIEW message_unspaced_text;
             DROP TRIGGER message_search_insert; DROP TRIGGER message_unspaced_insert;
             DROP TRIGGER message_search_delete; DROP TRIGGER message_unspaced_delete;
             DROP TRIGGER message_search_update; DROP TRIGGER message_unspaced_update;
             ALTER TABLE search_index DROP COLUMN tail_from;)");
  // 13 and 12.
  db.exec(R"(DROP INDEX messages_mentioning; ALTER TABLE messages DROP COLUMN mentions;
             DROP TABLE departed_members;)");
}

}  // namespace chatkeep::testing

#pragma once

// Takes a store's database back to schema 11 (the version is the caller's to set), for tests of
// the migrations after it: what each of them added goes. Each migration after 11 adds its undoing
// here.

#include "sqlite/database.hpp"

namespace chatkeep::testing {

inline void undo_migrations_after_11(sqlite::Database& db) {
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

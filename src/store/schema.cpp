#include "store/schema.hpp"

#include <array>

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "search/index_file.hpp"
#include "search/message_index.hpp"
#include "work/work_table.hpp"

namespace chatkeep::store {
namespace {

// Forward-only migrations; migration i takes a database from version i to i + 1. Never edit one
// that has shipped: add the next.
//
// Layout rules: the columns that reads filter or sort on are real, indexed columns; the rest of an
// object is its JSON (`data`), without what the columns and joins restore (ids, users). Times
// used for ordering are microseconds since the epoch. Users are stored once and joined.
// The outbox and the connection state are local-only: nothing cascades into them.
//
// Messages are the bulk of the writes, and every index entry a message adds dirties a page that
// is written twice (WAL, then checkpoint). So messages name their channel by its integer key, and
// the channel index holds (channel, in_channel, created_at) only: ties on created_at are broken
// by rowid (arrival order), which every index carries anyway. See BENCHMARKS.md.
const std::array<const char*, 17> kMigrations = {
    R"sql(
CREATE TABLE users (
  id TEXT PRIMARY KEY NOT NULL,
  data TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE channels (
  key INTEGER PRIMARY KEY,
  cid TEXT UNIQUE NOT NULL,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  created_by_id TEXT,
  created_at INTEGER,
  updated_at INTEGER,
  last_message_at INTEGER,
  member_count INTEGER,
  data TEXT NOT NULL
);
CREATE INDEX channels_by_last_message ON channels (last_message_at, cid);

CREATE TABLE messages (
  id TEXT UNIQUE NOT NULL,
  channel INTEGER NOT NULL REFERENCES channels (key) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  user_id TEXT,
  parent_id TEXT,
  show_in_channel INTEGER NOT NULL DEFAULT 0,
  pinned INTEGER NOT NULL DEFAULT 0,
  in_channel INTEGER GENERATED ALWAYS AS (parent_id IS NULL OR show_in_channel) VIRTUAL,
  data TEXT NOT NULL
);
CREATE INDEX messages_by_channel ON messages (channel, in_channel, created_at);
CREATE INDEX messages_by_parent ON messages (parent_id, created_at) WHERE parent_id IS NOT NULL;
CREATE INDEX messages_pinned ON messages (channel, created_at) WHERE pinned = 1;

CREATE TABLE reactions (
  message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (message_id, user_id, type)
) WITHOUT ROWID;

CREATE TABLE members (
  cid TEXT NOT NULL REFERENCES channels (cid) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  created_at INTEGER,
  data TEXT NOT NULL,
  PRIMARY KEY (cid, user_id)
) WITHOUT ROWID;

CREATE TABLE reads (
  cid TEXT NOT NULL REFERENCES channels (cid) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (cid, user_id)
) WITHOUT ROWID;

CREATE TABLE drafts (
  cid TEXT NOT NULL REFERENCES channels (cid) ON DELETE CASCADE,
  parent_id TEXT NOT NULL,  -- '' for the channel's own draft
  data TEXT NOT NULL,
  PRIMARY KEY (cid, parent_id)
) WITHOUT ROWID;

CREATE TABLE saved_queries (
  query_key TEXT PRIMARY KEY NOT NULL,  -- canonical filter and sort
  filter TEXT NOT NULL,
  sort TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE channel_queries (
  query_key TEXT NOT NULL REFERENCES saved_queries (query_key) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  cid TEXT NOT NULL REFERENCES channels (cid) ON DELETE CASCADE,
  PRIMARY KEY (query_key, position)
) WITHOUT ROWID;
CREATE INDEX channel_queries_by_cid ON channel_queries (cid);

CREATE TABLE connection_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  own_user TEXT,
  total_unread_count INTEGER,
  unread_channels INTEGER,
  unread_count INTEGER,
  last_sync_at TEXT
);

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  cid TEXT NOT NULL,
  message_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER
);
CREATE INDEX outbox_by_channel ON outbox (cid, id);
)sql",
    // 2: local echoes of the user's own sends, whose arrival at the server is yet to be counted.
    R"sql(
ALTER TABLE messages ADD COLUMN echo INTEGER NOT NULL DEFAULT 0;
)sql",
    // 3: the version of each stored message (the server's updated_at, in microseconds), so that
    // an older copy never replaces a newer one (NULL: rows from before, echoes of sends, replaced
    // by any copy), and whether the row holds a local change made on top of that version.
    R"sql(
ALTER TABLE messages ADD COLUMN version INTEGER;
ALTER TABLE messages ADD COLUMN local INTEGER NOT NULL DEFAULT 0;
)sql",
    // 4: each message read finds its outbox entries (the message's local state).
    R"sql(
CREATE INDEX outbox_by_message ON outbox (message_id);
)sql",
    // 5: background work: the work scheduler's table (its SQL is the scheduler's, kWorkTable)
    // and the leases table (leases.cpp), created by migration_5().
    nullptr,
    // 6: the URLs of the user's uploads, by channel and content (RecordUpload).
    R"sql(
CREATE TABLE uploads (
  cid TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  url TEXT NOT NULL,
  PRIMARY KEY (cid, sha256)
) WITHOUT ROWID;
)sql",
    // 7: where a channel's stored history may be missing messages (RecordPage): those created
    // strictly between after and before, in microseconds (the extremes of 64 bits: unbounded);
    R"sql(
CREATE TABLE gaps (
  channel INTEGER NOT NULL REFERENCES channels (key) ON DELETE CASCADE,
  after INTEGER NOT NULL,
  before INTEGER NOT NULL,
  PRIMARY KEY (channel, after)
) WITHOUT ROWID;
-- and a message's pending replies count on it (replay): their sends, by parent.
CREATE INDEX outbox_by_parent ON outbox (json_extract(payload, '$.message.parent_id'))
  WHERE kind = 'send_message';
)sql",
    // 8: threads' gaps beside channels' (RecordPage.parent_id); the channel's own are thread ''.
    R"sql(
CREATE TABLE gaps_by_thread (
  channel INTEGER NOT NULL REFERENCES channels (key) ON DELETE CASCADE,
  thread TEXT NOT NULL,
  after INTEGER NOT NULL,
  before INTEGER NOT NULL,
  PRIMARY KEY (channel, thread, after)
) WITHOUT ROWID;
INSERT INTO gaps_by_thread (channel, thread, after, before)
  SELECT channel, '', after, before FROM gaps;
DROP TABLE gaps;
ALTER TABLE gaps_by_thread RENAME TO gaps;
)sql",
    // 9: events of types this chatkeep does not know, counted by type (CountUnknownEvent).
    R"sql(
CREATE TABLE unknown_events (
  type TEXT PRIMARY KEY,
  count INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 10: the full-text index of messages (search_index.hpp); the messages stored before it
    // are its backlog, indexed in steps after the migration.
    search::kSearchIndexSchema,
    // 11: prefix indexes for the word index; the messages are indexed again, in steps.
    search::kSearchIndexPrefixes,
    // 12: members who left, and when (DeleteMembers.at): an older copy does not bring them back.
    R"sql(
CREATE TABLE departed_members (
  cid TEXT NOT NULL REFERENCES channels (cid) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  departed_at INTEGER NOT NULL,
  PRIMARY KEY (cid, user_id)
) WITHOUT ROWID;
)sql",
    // 13: whether a message mentions anyone (its mentioned_users is not empty), so that counting
    // a channel's unread mentions reads the few messages that mention someone, not every unread
    // one. Written by the writer from the decoded message; here from the rows already stored.
    R"sql(
ALTER TABLE messages ADD COLUMN mentions INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET mentions = 1 WHERE json_array_length(data, '$.mentioned_users') > 0;
CREATE INDEX messages_mentioning ON messages (channel, created_at) WHERE mentions;
)sql",
    // 14: the search index's tail: new messages are indexed a moment after they are written,
    // not in the writer's transaction (search/message_index.hpp).
    search::kSearchIndexTail,
    // 15: the counters every arriving message moves are columns, not fields of the JSON: each
    // member's unread count, whether the channel is hidden (a new message shows it again), and
    // its truncation (every stored message is checked against it). Rewriting JSON text for
    // them cost a third of the writer's time per message (BENCHMARKS.md). last_message_at was a
    // column already; its copy in the JSON keeps the server's sub-microsecond text and counts
    // only where it agrees with the column (rows.hpp, read_channel_columns).
    R"sql(
ALTER TABLE channels ADD COLUMN hidden INTEGER;
ALTER TABLE channels ADD COLUMN truncated_at TEXT;
UPDATE channels SET hidden = json_extract(data, '$.hidden'),
  truncated_at = json_extract(data, '$.truncated_at'),
  data = json_remove(data, '$.hidden', '$.truncated_at');
ALTER TABLE reads ADD COLUMN unread_messages INTEGER;
UPDATE reads SET unread_messages = json_extract(data, '$.unread_messages'),
  data = json_remove(data, '$.unread_messages');
)sql",
    // 16: fewer pages written per outbox entry (each enqueue of a send wrote about ten, where
    // a raw insert writes four): no read looks entries up by channel, and the index of pending
    // replies by parent holds replies only, not a NULL for every other send. Nor is the index of
    // channels by last message time worth its pages: every message arriving moved the channel's
    // entry in it, and the one read it served (channel_cids) is followed by a read of every
    // channel it names, next to which sorting the channels costs nothing.
    R"sql(
DROP INDEX channels_by_last_message;
DROP INDEX outbox_by_channel;
DROP INDEX outbox_by_parent;
CREATE INDEX outbox_by_parent ON outbox (json_extract(payload, '$.message.parent_id'))
  WHERE kind = 'send_message' AND json_extract(payload, '$.message.parent_id') IS NOT NULL;
)sql",
    // 17: the search index moves to a file of its own, indexed on a connection of its own, so
    // that indexing runs beside the writer, not between its transactions; the store keeps the
    // queue of edits and deletions the index replays (search/index_file.hpp).
    search::kIndexInItsOwnFile,
};

// Tables the store does not own are created by the code that owns them, in the migration that
// brought them: their SQL is there.
std::string migration_5() {
  return std::string(work::kWorkTable) + std::string(kLeasesTable);
}

}  // namespace

int schema_version() {
  return static_cast<int>(kMigrations.size());
}

void check_version(Database& db) {
  const auto version = db.integer("PRAGMA user_version");
  if (version > schema_version()) {
    throw ChatError(
        ErrorCode::storage,
        fmt::format("the database has schema version {}, newer than this chatkeep's {}; "
                    "open it with a newer chatkeep",
                    version, schema_version()));
  }
}

void migrate(Database& db) {
  check_version(db);
  // Up to date, as nearly every open finds it: no write lock, which another connection (the
  // app's agent) may be holding for a while.
  if (db.integer("PRAGMA user_version") >= static_cast<std::int64_t>(kMigrations.size())) return;
  // The version is read again inside each write transaction: another connection (the app and
  // its agent) may be migrating the same file.
  for (;;) {
    Transaction transaction(db);
    const auto v = static_cast<std::size_t>(db.integer("PRAGMA user_version"));
    if (v >= kMigrations.size()) return;
    db.exec(kMigrations[v] ? std::string(kMigrations[v]) : migration_5());
    db.exec(fmt::format("PRAGMA user_version = {}", v + 1));
    transaction.commit();
  }
}

}  // namespace chatkeep::store

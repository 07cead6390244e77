#include "state.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "search/message_index.hpp"

namespace chatkeep::server {

namespace {

// The schema this build writes. A file from a newer server is refused rather than misread; a
// later version adds its migration from this one beside the creation below.
constexpr std::int64_t kSchemaVersion = 5;

constexpr const char* kSchema = R"(
  CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL);
  CREATE TABLE channels (cid TEXT PRIMARY KEY NOT NULL, created_by TEXT, data TEXT NOT NULL);
  -- hidden: the member hid the channel; cleared_at: messages until then are gone for them.
  CREATE TABLE members (cid TEXT NOT NULL REFERENCES channels (cid) ON DELETE CASCADE,
    user_id TEXT NOT NULL, created_at INTEGER NOT NULL, hidden INTEGER NOT NULL DEFAULT 0,
    cleared_at INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL,
    PRIMARY KEY (cid, user_id)) WITHOUT ROWID;
  CREATE INDEX members_by_user ON members (user_id);
  -- in_channel: shown in the channel (not a thread-only reply).
  CREATE TABLE messages (id TEXT PRIMARY KEY NOT NULL,
    cid TEXT NOT NULL REFERENCES channels (cid) ON DELETE CASCADE, created_at INTEGER NOT NULL,
    user_id TEXT, parent_id TEXT, in_channel INTEGER NOT NULL, data TEXT NOT NULL);
  CREATE INDEX messages_by_channel ON messages (cid, in_channel, created_at);
  CREATE INDEX messages_by_thread ON messages (parent_id, created_at) WHERE parent_id IS NOT NULL;
  CREATE TABLE reactions (message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL, type TEXT NOT NULL, created_at INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (message_id, user_id, type)) WITHOUT ROWID;
  -- Messages a user deleted for themselves only (DELETE /messages/{id}?delete_for_me=true).
  CREATE TABLE deleted_for (message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL, PRIMARY KEY (message_id, user_id)) WITHOUT ROWID;
  -- One row per member from the day they join: unread_messages is kept by every send and read,
  -- so totals are a sum, not a count over messages.
  CREATE TABLE reads (cid TEXT NOT NULL REFERENCES channels (cid) ON DELETE CASCADE,
    user_id TEXT NOT NULL, last_read INTEGER NOT NULL, last_read_message_id TEXT,
    unread_messages INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (cid, user_id)) WITHOUT ROWID;
  CREATE INDEX reads_by_user ON reads (user_id);
  -- The log /sync reads. only_for: an event for one user's connections (hidden, notifications).
  CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, cid TEXT NOT NULL,
    created_at INTEGER NOT NULL, only_for TEXT, data TEXT NOT NULL);
  CREATE INDEX events_by_channel ON events (cid, created_at);
)";

// Version 2: uploads (state.hpp, State::Upload).
constexpr const char* kUploadsSchema = R"(
  CREATE TABLE uploads (cid TEXT NOT NULL REFERENCES channels (cid) ON DELETE CASCADE,
    hash TEXT NOT NULL, name TEXT NOT NULL, content_type TEXT NOT NULL, size INTEGER NOT NULL,
    user_id TEXT NOT NULL, created_at INTEGER NOT NULL,
    PRIMARY KEY (cid, hash, name)) WITHOUT ROWID;
  CREATE INDEX uploads_by_hash ON uploads (hash, name);
)";

// Version 3: each user's mutes of users and channels, and blocks (state_settings.cpp), and drafts
// (state_drafts.cpp). expires: unix micros, NULL for none.
constexpr const char* kSettingsSchema = R"(
  CREATE TABLE user_mutes (user_id TEXT NOT NULL, target_id TEXT NOT NULL,
    created_at INTEGER NOT NULL, expires INTEGER, PRIMARY KEY (user_id, target_id)) WITHOUT ROWID;
  CREATE TABLE channel_mutes (user_id TEXT NOT NULL,
    cid TEXT NOT NULL REFERENCES channels (cid) ON DELETE CASCADE, created_at INTEGER NOT NULL,
    expires INTEGER, PRIMARY KEY (user_id, cid)) WITHOUT ROWID;
  CREATE TABLE blocks (user_id TEXT NOT NULL, blocked_id TEXT NOT NULL,
    created_at INTEGER NOT NULL, PRIMARY KEY (user_id, blocked_id)) WITHOUT ROWID;
  -- One draft per user, channel and thread (parent_id '' for the channel's own).
  CREATE TABLE drafts (user_id TEXT NOT NULL,
    cid TEXT NOT NULL REFERENCES channels (cid) ON DELETE CASCADE, parent_id TEXT NOT NULL,
    created_at INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (user_id, cid, parent_id)) WITHOUT ROWID;
)";

}  // namespace

State::State(const std::string& db_path) : db_(db_path, sqlite::Database::Access::create) {
  // The server is its file's only user: an exclusive lock taken once spares two fcntl calls
  // per transaction, and keeps a second server off the same file.
  db_.exec(
      "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
      "PRAGMA foreign_keys = ON;");
  const std::int64_t version = db_.integer("PRAGMA user_version");
  if (version > kSchemaVersion) {
    throw ChatError(ErrorCode::storage,
                    fmt::format("{} was written by a newer chatkeep-server (schema {}, this one "
                                "reads up to {})",
                                db_path, version, kSchemaVersion));
  }
  if (version < kSchemaVersion) {
    sqlite::Transaction transaction(db_);
    if (version < 1) db_.exec(kSchema);
    if (version < 2) db_.exec(kUploadsSchema);
    if (version < 3) db_.exec(kSettingsSchema);
    // Version 4: the search index (search/message_index.hpp), the same as the client's; version
    // 5, its tail, which the server does without: every write is searchable when its answer is
    // sent. The messages stored before the index are indexed here and now.
    if (version < 4) db_.exec(search::kSearchIndexSchema);
    if (version < 5) {
      db_.exec(search::kSearchIndexTail);
      db_.exec(search::kIndexEveryWrite);
    }
    while (!search::index_search_backlog(db_, 10'000)) {
    }
    db_.exec(fmt::format("PRAGMA user_version = {}", kSchemaVersion));
    transaction.commit();
  }
}

User State::user_or_reference(const std::string& id) {
  if (auto known = user(id)) return *known;
  return User{.id = id};
}

std::optional<User> State::user(const std::string& id) {
  auto q = db_.query("SELECT data FROM users WHERE id = ?1");
  q.bind(1, id);
  if (!q.next()) return std::nullopt;
  return decode<User>(q.text(0));
}

std::vector<User> State::all_users() {
  auto q = db_.query("SELECT data FROM users ORDER BY id");
  std::vector<User> users;
  while (q.next())
    users.push_back(decode<User>(q.text(0)));
  return users;
}

std::vector<User> State::upsert_users(std::vector<User> users) {
  sqlite::Transaction transaction(db_);
  const Timestamp now = Timestamp::now();
  for (auto& user : users) {
    std::optional<User> old = this->user(user.id);
    user.created_at = old && old->created_at ? old->created_at : user.created_at.value_or(now);
    user.updated_at = now;
    db_.query(
           "INSERT INTO users (id, data) VALUES (?1, ?2) "
           "ON CONFLICT (id) DO UPDATE SET data = excluded.data")
        .bind(1, user.id)
        .bind(2, encode(user))
        .run();
  }
  transaction.commit();
  return users;
}

std::vector<User> State::update_users(std::vector<User> users) {
  sqlite::Transaction transaction(db_);
  users = upsert_users(std::move(users));
  for (const auto& user : users) {
    // As Stream's, about no channel: it goes to the user's own connections and to everyone who
    // shares a channel with them, and /sync (which reads channels' events) never gives it. A
    // channel query gives the user as they are now to whoever missed it.
    Event told = event(EventType::user_updated, "", user.id);
    told.cid.reset();
    told.channel_type.reset();
    told.channel_id.reset();
    told.user = user;
    std::set<std::string> audience{user.id};
    for (const auto& cid : channels_of(user.id)) {
      for (auto& id : member_ids(cid))
        audience.insert(std::move(id));
    }
    for (const auto& id : audience)
      append(told, id);
  }
  transaction.commit();
  return users;
}

Event State::event(EventType kind, const std::string& cid, const std::string& actor) {
  const auto colon = cid.find(':');
  return Event{.type = std::string(to_string(kind)),
               .kind = kind,
               .created_at = Timestamp::now(),
               .cid = cid,
               .channel_type = cid.substr(0, colon),
               .channel_id = cid.substr(colon + 1),
               .user = user_or_reference(actor)};
}

void State::append(Event event, std::optional<std::string> only_for) {
  // Events are for everyone: own_reactions in them is nobody's (protocol.md, reaction events).
  if (event.message) event.message->own_reactions = std::vector<Reaction>{};
  std::string frame = encode(event);
  db_.query("INSERT INTO events (cid, created_at, only_for, data) VALUES (?1, ?2, ?3, ?4)")
      .bind(1, event.cid.value_or(""))
      .bind(2, event.created_at->unix_micros())
      .bind(3, only_for)
      .bind(4, frame)
      .run();
  recorded_.push_back({std::move(event), std::move(only_for), std::move(frame)});
}

std::vector<AddressedEvent> State::take_recorded() {
  return std::exchange(recorded_, {});
}

std::vector<Event> State::events_since(const std::vector<std::string>& cids,
                                       const std::string& user_id, Timestamp after,
                                       std::size_t max) {
  std::vector<Event> events;
  for (const auto& cid : cids) {
    auto q = db_.query(R"(SELECT data FROM events
                          WHERE cid = ?1 AND created_at > ?2 AND (only_for IS NULL OR only_for = ?4)
                          ORDER BY created_at, seq LIMIT ?3)");
    q.bind(1, cid)
        .bind(2, after.unix_micros())
        .bind(3, static_cast<std::int64_t>(max + 1))
        .bind(4, user_id);
    while (q.next())
      events.push_back(decode<Event>(q.text(0)));
    if (events.size() > max) break;
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return *a.created_at < *b.created_at; });
  return events;
}

Timestamp State::read_time() {
  return Timestamp::from_unix_micros(Timestamp::now().unix_micros());
}

void State::touch_read(const std::string& cid, const std::string& user_id, Timestamp at) {
  db_.query("UPDATE reads SET last_read = max(last_read, ?3) WHERE cid = ?1 AND user_id = ?2")
      .bind(1, cid)
      .bind(2, user_id)
      .bind(3, at.unix_micros())
      .run();
}

Event State::mark_read(const std::string& cid, const std::string& user_id,
                       const std::optional<std::string>& message_id, Timestamp at) {
  sqlite::Transaction transaction(db_);
  std::optional<std::string> last_id = message_id;
  std::int64_t unread = 0;
  if (message_id) {
    auto m = message(*message_id);
    if (!m || m->cid != cid) {
      throw ChatError(ErrorCode::input, "message_id: not a message of channel " + cid, 400);
    }
    // Read up to that message: the later ones of others stay unread.
    auto q = db_.query(R"(SELECT COUNT(*) FROM messages WHERE cid = ?1 AND in_channel = 1
                          AND created_at > ?2 AND (user_id IS NULL OR user_id != ?3))");
    q.bind(1, cid).bind(2, m->created_at->unix_micros()).bind(3, user_id);
    q.next();
    unread = q.integer(0);
  } else {
    auto q = db_.query(R"(SELECT id FROM messages WHERE cid = ?1 AND in_channel = 1
                          ORDER BY created_at DESC, rowid DESC LIMIT 1)");
    q.bind(1, cid);
    if (q.next()) last_id = std::string(q.text(0));
  }
  db_.query(R"(INSERT INTO reads (cid, user_id, last_read, last_read_message_id, unread_messages)
               VALUES (?1, ?2, ?3, ?4, ?5)
               ON CONFLICT (cid, user_id) DO UPDATE SET last_read = excluded.last_read,
                 last_read_message_id = excluded.last_read_message_id,
                 unread_messages = excluded.unread_messages)")
      .bind(1, cid)
      .bind(2, user_id)
      .bind(3, at.unix_micros())
      .bind(4, last_id)
      .bind(5, unread)
      .run();
  Event read = event(EventType::message_read, cid, user_id);
  read.created_at = at;
  read.last_read_message_id = std::move(last_id);
  append(read);
  transaction.commit();
  return read;
}

std::int64_t State::unread(const std::string& cid, const std::string& user_id) {
  auto q = db_.query("SELECT unread_messages FROM reads WHERE cid = ?1 AND user_id = ?2");
  q.bind(1, cid).bind(2, user_id);
  return q.next() ? q.integer(0) : 0;
}

std::vector<Read> State::reads(const std::string& cid) {
  auto q = db_.query(R"(SELECT user_id, last_read, last_read_message_id, unread_messages
                        FROM reads WHERE cid = ?1 ORDER BY user_id)");
  q.bind(1, cid);
  std::vector<Read> reads;
  while (q.next()) {
    Read read{.user = user_or_reference(std::string(q.text(0))),
              .last_read = Timestamp::from_unix_micros(q.integer(1)),
              .unread_messages = q.integer(3)};
    if (!q.is_null(2)) read.last_read_message_id = std::string(q.text(2));
    reads.push_back(std::move(read));
  }
  return reads;
}

State::UnreadTotals State::unread_totals(const std::string& user_id) {
  auto q =
      db_.query(R"(SELECT COALESCE(SUM(unread_messages), 0), COALESCE(SUM(unread_messages > 0), 0)
                        FROM reads WHERE user_id = ?1)");
  q.bind(1, user_id);
  q.next();
  return {q.integer(0), q.integer(1)};
}

std::vector<std::string> State::channels_of(const std::string& user_id) {
  auto q = db_.query("SELECT cid FROM members WHERE user_id = ?1 ORDER BY cid");
  q.bind(1, user_id);
  std::vector<std::string> cids;
  while (q.next())
    cids.emplace_back(q.text(0));
  return cids;
}

}  // namespace chatkeep::server

#include "state.hpp"

#include <boost/json.hpp>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"

#include <utility>

#include <algorithm>
#include <climits>
#include <initializer_list>
#include <map>

namespace chatkeep::server {

namespace {

// A new channel's config, from its type (every type gets Stream's defaults for now).
ChannelConfig default_config(const std::string& type) {
  return ChannelConfig{.name = type,
                       .typing_events = true,
                       .read_events = true,
                       .connect_events = true,
                       .reactions = true,
                       .replies = true,
                       .quotes = true,
                       .search = true,
                       .mutes = true,
                       .uploads = true,
                       .url_enrichment = false,
                       .custom_events = true,
                       .max_message_length = 5000,
                       .message_retention = "infinite",
                       .automod = "disabled",
                       .commands = std::vector<Command>{}};
}

// A user joining a channel; the creator moderates it.
Member new_member(const std::string& user_id, bool creator, Timestamp now) {
  return Member{.user_id = user_id,
                .channel_role = creator ? "channel_moderator" : "channel_member",
                .role = creator ? "owner" : "member",
                .created_at = now,
                .updated_at = now,
                .banned = false,
                .shadow_banned = false,
                .notifications_muted = false};
}

}  // namespace

State::State(const std::string& db_path) : db_(db_path, true) {
  db_.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
  db_.exec(R"(
    CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS channels (cid TEXT PRIMARY KEY NOT NULL, created_by TEXT,
      data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS members (cid TEXT NOT NULL REFERENCES channels (cid),
      user_id TEXT NOT NULL, created_at INTEGER NOT NULL, data TEXT NOT NULL,
      PRIMARY KEY (cid, user_id)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY NOT NULL,
      cid TEXT NOT NULL REFERENCES channels (cid), created_at INTEGER NOT NULL, user_id TEXT,
      data TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS messages_by_channel ON messages (cid, created_at);
    CREATE TABLE IF NOT EXISTS reactions (message_id TEXT NOT NULL, user_id TEXT NOT NULL,
      type TEXT NOT NULL, created_at INTEGER NOT NULL, data TEXT NOT NULL,
      PRIMARY KEY (message_id, user_id, type)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS reads (cid TEXT NOT NULL, user_id TEXT NOT NULL,
      last_read INTEGER NOT NULL, last_read_message_id TEXT, PRIMARY KEY (cid, user_id)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, cid TEXT NOT NULL,
      created_at INTEGER NOT NULL, data TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS events_by_channel ON events (cid, created_at);
  )");
}

User State::user_or_reference(const std::string& id) {
  if (auto known = user(id)) return *known;
  return User{.id = id};
}

std::optional<Channel> State::channel(const std::string& cid) {
  auto q = db_.query(R"(SELECT data, created_by,
      (SELECT COUNT(*) FROM members WHERE cid = ?1),
      (SELECT COUNT(*) FROM messages WHERE cid = ?1) FROM channels WHERE cid = ?1)");
  q.bind(1, cid);
  if (!q.next()) return std::nullopt;
  Channel channel = decode<Channel>(q.text(0));
  if (!q.is_null(1)) channel.created_by = user_or_reference(std::string(q.text(1)));
  channel.member_count = q.integer(2);
  channel.message_count = q.integer(3);
  return channel;
}

Channel State::get_or_create_channel(Channel channel, const std::vector<std::string>& member_ids) {
  if (auto existing = this->channel(channel.cid)) return *existing;
  sqlite::Transaction transaction(db_);
  const Timestamp now = Timestamp::now();
  channel.created_at = now;
  channel.updated_at = now;
  channel.config = default_config(channel.type);
  channel.frozen = false;
  channel.disabled = false;
  std::optional<std::string> creator =
      channel.created_by ? std::optional(channel.created_by->id) : std::nullopt;
  Channel stored = channel;
  stored.created_by.reset();
  db_.query("INSERT INTO channels (cid, created_by, data) VALUES (?1, ?2, ?3)")
      .bind(1, channel.cid)
      .bind(2, creator)
      .bind(3, encode(stored))
      .run();
  for (const auto& id : member_ids) {
    const Member member = new_member(id, creator == id, now);
    db_.query(
           "INSERT OR IGNORE INTO members (cid, user_id, created_at, data) VALUES (?1, ?2, ?3, ?4)")
        .bind(1, channel.cid)
        .bind(2, id)
        .bind(3, now.unix_micros())
        .bind(4, encode(member))
        .run();
  }
  transaction.commit();
  return *this->channel(channel.cid);
}

std::vector<Member> State::members(const std::string& cid, std::int64_t limit,
                                   std::int64_t offset) {
  auto q = db_.query(R"(SELECT user_id, data FROM members WHERE cid = ?1
                        ORDER BY created_at, user_id LIMIT ?2 OFFSET ?3)");
  q.bind(1, cid).bind(2, limit).bind(3, offset);
  std::vector<Member> members;
  while (q.next()) {
    Member member = decode<Member>(q.text(1));
    member.user = user_or_reference(std::string(q.text(0)));
    members.push_back(std::move(member));
  }
  return members;
}

bool State::is_member(const std::string& cid, const std::string& user_id) {
  auto q = db_.query("SELECT 1 FROM members WHERE cid = ?1 AND user_id = ?2");
  q.bind(1, cid).bind(2, user_id);
  return q.next();
}

std::vector<std::string> State::member_ids(const std::string& cid) {
  auto q = db_.query("SELECT user_id FROM members WHERE cid = ?1 ORDER BY created_at, user_id");
  q.bind(1, cid);
  std::vector<std::string> ids;
  while (q.next())
    ids.emplace_back(q.text(0));
  return ids;
}

std::vector<std::string> State::visible_channels(const std::string& user_id) {
  auto q = db_.query(R"(SELECT cid FROM channels
                        WHERE cid IN (SELECT cid FROM members WHERE user_id = ?1)
                           OR cid NOT LIKE 'messaging:%')");
  q.bind(1, user_id);
  std::vector<std::string> cids;
  while (q.next())
    cids.emplace_back(q.text(0));
  return cids;
}

std::optional<Message> State::message(const std::string& id) {
  auto q = db_.query("SELECT data, user_id FROM messages WHERE id = ?1");
  q.bind(1, id);
  if (!q.next()) return std::nullopt;
  return read_message(q);
}

Message State::read_message(const sqlite::Query& row) {
  Message message = decode<Message>(row.text(0));
  if (!row.is_null(1)) message.user = user_or_reference(std::string(row.text(1)));
  summarize(message);
  return message;
}

void State::summarize(Message& message) {
  std::map<std::string, std::int64_t> counts, scores;
  std::map<std::string, ReactionGroup> groups;
  std::vector<Reaction> latest;
  auto q = db_.query(R"(SELECT user_id, data FROM reactions WHERE message_id = ?1
                        ORDER BY created_at DESC, user_id, type)");
  q.bind(1, message.id);
  while (q.next()) {
    Reaction reaction = decode<Reaction>(q.text(1));
    reaction.user = user_or_reference(std::string(q.text(0)));
    const std::int64_t score = reaction.score.value_or(1);
    counts[reaction.type] += 1;
    scores[reaction.type] += score;
    ReactionGroup& group = groups[reaction.type];
    group.count = group.count.value_or(0) + 1;
    group.sum_scores = group.sum_scores.value_or(0) + score;
    group.last_reaction_at = group.last_reaction_at.value_or(*reaction.created_at);
    group.first_reaction_at = reaction.created_at;  // rows come newest first
    if (latest.size() < 10) latest.push_back(std::move(reaction));
  }
  message.latest_reactions = std::move(latest);
  message.reaction_counts = std::move(counts);
  message.reaction_scores = std::move(scores);
  message.reaction_groups = std::move(groups);
}

Message State::insert_message(Message message) {
  sqlite::Transaction transaction(db_);
  if (this->message(message.id)) {
    throw ChatError(
        ErrorCode::input,
        "SendMessage failed with error: \"a message with ID " + message.id + " already exists\"",
        400);
  }
  std::optional<std::string> user_id =
      message.user ? std::optional(message.user->id) : std::nullopt;
  Message stored = message;
  stored.user.reset();
  db_.query("INSERT INTO messages (id, cid, created_at, user_id, data) VALUES (?1, ?2, ?3, ?4, ?5)")
      .bind(1, message.id)
      .bind(2, *message.cid)
      .bind(3, message.created_at->unix_micros())
      .bind(4, user_id)
      .bind(5, encode(stored))
      .run();
  db_.query("UPDATE channels SET data = json_set(data, '$.last_message_at', ?2) WHERE cid = ?1")
      .bind(1, *message.cid)
      .bind(2, message.created_at->to_string())
      .run();
  if (user_id) message.user = user_or_reference(*user_id);
  record(EventType::message_new, *message.cid, user_id.value_or(""), message);
  transaction.commit();
  return message;
}

std::vector<Message> State::messages(const std::string& cid, const MessagePagination& page) {
  const std::int64_t limit = std::clamp<std::int64_t>(page.limit.value_or(25), 0, 300);
  // A cursor is the (created_at, rowid) of the message it names.
  auto bound = [&](const std::optional<std::string>& id)
      -> std::optional<std::pair<std::int64_t, std::int64_t>> {
    if (!id) return std::nullopt;
    auto q = db_.query("SELECT created_at, rowid FROM messages WHERE id = ?1");
    q.bind(1, *id);
    if (!q.next()) return std::pair<std::int64_t, std::int64_t>{INT64_MIN, INT64_MIN};
    return std::pair{q.integer(0), q.integer(1)};
  };
  auto below = page.id_lt ? bound(page.id_lt) : bound(page.id_lte);
  auto above = page.id_gt ? bound(page.id_gt) : bound(page.id_gte);
  // A cursor that names no message of this server matches nothing.
  for (const auto& b : {below, above}) {
    if (b && b->first == INT64_MIN) return {};
  }
  const bool ascending = above && !below;
  std::string sql = "SELECT data, user_id FROM messages WHERE cid = ?1";
  if (below)
    sql +=
        page.id_lt ? " AND (created_at, rowid) < (?2, ?3)" : " AND (created_at, rowid) <= (?2, ?3)";
  if (above)
    sql +=
        page.id_gt ? " AND (created_at, rowid) > (?4, ?5)" : " AND (created_at, rowid) >= (?4, ?5)";
  sql += ascending ? " ORDER BY created_at, rowid LIMIT ?6"
                   : " ORDER BY created_at DESC, rowid DESC LIMIT ?6";
  auto q = db_.query(sql);
  q.bind(1, cid).bind(6, limit);
  if (below) q.bind(2, below->first).bind(3, below->second);
  if (above) q.bind(4, above->first).bind(5, above->second);
  std::vector<Message> messages;
  while (q.next())
    messages.push_back(read_message(q));
  if (!ascending) std::reverse(messages.begin(), messages.end());
  return messages;
}

std::optional<User> State::user(const std::string& id) {
  auto q = db_.query("SELECT data FROM users WHERE id = ?1");
  q.bind(1, id);
  if (!q.next()) return std::nullopt;
  return decode<User>(q.text(0));
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

}  // namespace chatkeep::server

namespace chatkeep::server {

Message State::update_message(const Message& changes, const std::string& actor) {
  sqlite::Transaction transaction(db_);
  auto old = message(changes.id);
  if (!old) {
    throw ChatError(ErrorCode::not_found, "message with id " + changes.id + " not found", 404);
  }
  Message updated = changes;
  updated.cid = old->cid;
  updated.user = old->user;
  updated.type = old->type;
  updated.parent_id = old->parent_id;
  updated.created_at = old->created_at;
  updated.updated_at = Timestamp::now();
  updated.message_text_updated_at =
      updated.text != old->text ? updated.updated_at : old->message_text_updated_at;
  updated.reply_count = old->reply_count;
  updated.deleted_at = old->deleted_at;
  Message stored = updated;
  stored.user.reset();
  stored.latest_reactions.reset();
  stored.own_reactions.reset();
  db_.query("UPDATE messages SET data = ?2 WHERE id = ?1")
      .bind(1, updated.id)
      .bind(2, encode(stored))
      .run();
  Message result = *message(updated.id);
  record(EventType::message_updated, *result.cid, actor, result);
  transaction.commit();
  return result;
}

Message State::delete_message(const std::string& id, bool hard, const std::string& actor) {
  sqlite::Transaction transaction(db_);
  auto old = message(id);
  if (!old) throw ChatError(ErrorCode::not_found, "message with id " + id + " not found", 404);
  Message deleted = *old;
  deleted.type = "deleted";
  deleted.deleted_at = Timestamp::now();
  if (hard) {
    db_.query("DELETE FROM reactions WHERE message_id = ?1").bind(1, id).run();
    db_.query("DELETE FROM messages WHERE id = ?1").bind(1, id).run();
  } else {
    Message stored = deleted;
    stored.user.reset();
    db_.query("UPDATE messages SET data = ?2 WHERE id = ?1")
        .bind(1, id)
        .bind(2, encode(stored))
        .run();
  }
  record(EventType::message_deleted, *deleted.cid, actor, deleted, std::nullopt, hard);
  transaction.commit();
  return deleted;
}

std::pair<Reaction, Message> State::add_reaction(const std::string& message_id,
                                                 const std::string& user_id, Reaction reaction,
                                                 bool enforce_unique) {
  sqlite::Transaction transaction(db_);
  if (!message(message_id)) {
    throw ChatError(ErrorCode::not_found, "message with id " + message_id + " not found", 404);
  }
  if (enforce_unique) {
    db_.query("DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2")
        .bind(1, message_id)
        .bind(2, user_id)
        .run();
  }
  const Timestamp now = Timestamp::now();
  reaction.message_id = message_id;
  reaction.user_id = user_id;
  reaction.score = reaction.score.value_or(1);
  reaction.created_at = now;
  reaction.updated_at = now;
  reaction.user.reset();
  db_.query(R"(INSERT INTO reactions (message_id, user_id, type, created_at, data)
               VALUES (?1, ?2, ?3, ?4, ?5)
               ON CONFLICT (message_id, user_id, type) DO UPDATE SET data = excluded.data)")
      .bind(1, message_id)
      .bind(2, user_id)
      .bind(3, reaction.type)
      .bind(4, now.unix_micros())
      .bind(5, encode(reaction))
      .run();
  reaction.user = user_or_reference(user_id);
  Message summarized = *message(message_id);
  record(enforce_unique ? EventType::reaction_updated : EventType::reaction_new, *summarized.cid,
         user_id, summarized, reaction);
  transaction.commit();
  return {reaction, summarized};
}

std::pair<Reaction, Message> State::remove_reaction(const std::string& message_id,
                                                    const std::string& user_id,
                                                    const std::string& type) {
  sqlite::Transaction transaction(db_);
  auto q =
      db_.query("SELECT data FROM reactions WHERE message_id = ?1 AND user_id = ?2 AND type = ?3");
  q.bind(1, message_id).bind(2, user_id).bind(3, type);
  if (!q.next()) throw ChatError(ErrorCode::not_found, "reaction not found", 404);
  Reaction reaction = decode<Reaction>(q.text(0));
  db_.query("DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2 AND type = ?3")
      .bind(1, message_id)
      .bind(2, user_id)
      .bind(3, type)
      .run();
  reaction.user = user_or_reference(user_id);
  Message summarized = *message(message_id);
  record(EventType::reaction_deleted, *summarized.cid, user_id, summarized, reaction);
  transaction.commit();
  return {reaction, summarized};
}

std::vector<Reaction> State::reactions_of(const std::string& message_id,
                                          const std::string& user_id) {
  auto q =
      db_.query("SELECT data FROM reactions WHERE message_id = ?1 AND user_id = ?2 ORDER BY type");
  q.bind(1, message_id).bind(2, user_id);
  std::vector<Reaction> reactions;
  while (q.next()) {
    reactions.push_back(decode<Reaction>(q.text(0)));
    reactions.back().user = user_or_reference(user_id);
  }
  return reactions;
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

void State::record(EventType kind, const std::string& cid, const std::string& actor,
                   std::optional<Message> message, std::optional<Reaction> reaction,
                   std::optional<bool> hard_delete,
                   std::optional<std::string> last_read_message_id) {
  Event e = event(kind, cid, actor);
  e.message = std::move(message);
  e.reaction = std::move(reaction);
  e.hard_delete = hard_delete;
  e.last_read_message_id = std::move(last_read_message_id);
  append(std::move(e));
}

void State::append(Event event) {
  const std::string cid = event.cid.value_or("");
  // Events are for everyone: own_reactions in them is nobody's (protocol.md, reaction events).
  if (event.message) event.message->own_reactions = std::vector<Reaction>{};
  db_.query("INSERT INTO events (cid, created_at, data) VALUES (?1, ?2, ?3)")
      .bind(1, cid)
      .bind(2, event.created_at->unix_micros())
      .bind(3, encode(event))
      .run();
  recorded_.push_back(std::move(event));
}

std::vector<Event> State::take_recorded() {
  return std::exchange(recorded_, {});
}

std::vector<Event> State::events_since(const std::vector<std::string>& cids, Timestamp after,
                                       std::size_t max) {
  std::vector<Event> events;
  for (const auto& cid : cids) {
    auto q = db_.query(R"(SELECT data FROM events WHERE cid = ?1 AND created_at > ?2
                          ORDER BY created_at, seq LIMIT ?3)");
    q.bind(1, cid).bind(2, after.unix_micros()).bind(3, static_cast<std::int64_t>(max + 1));
    while (q.next())
      events.push_back(decode<Event>(q.text(0)));
    if (events.size() > max) break;
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return *a.created_at < *b.created_at; });
  return events;
}

}  // namespace chatkeep::server

namespace chatkeep::server {

Event State::mark_read(const std::string& cid, const std::string& user_id,
                       const std::optional<std::string>& message_id) {
  sqlite::Transaction transaction(db_);
  const Timestamp now = Timestamp::now();
  std::optional<std::string> last_id = message_id;
  if (message_id) {
    auto m = message(*message_id);
    if (!m || m->cid != cid) {
      throw ChatError(ErrorCode::input, "message_id: not a message of channel " + cid, 400);
    }
  } else {
    auto q = db_.query(
        "SELECT id FROM messages WHERE cid = ?1 ORDER BY created_at DESC, rowid DESC LIMIT 1");
    q.bind(1, cid);
    if (q.next()) last_id = std::string(q.text(0));
  }
  db_.query(
         R"(INSERT INTO reads (cid, user_id, last_read, last_read_message_id) VALUES (?1, ?2, ?3, ?4)
               ON CONFLICT (cid, user_id) DO UPDATE SET last_read = excluded.last_read,
                 last_read_message_id = excluded.last_read_message_id)")
      .bind(1, cid)
      .bind(2, user_id)
      .bind(3, now.unix_micros())
      .bind(4, last_id)
      .run();
  record(EventType::message_read, cid, user_id, std::nullopt, std::nullopt, std::nullopt, last_id);
  transaction.commit();
  return recorded_.back();
}

std::int64_t State::unread(const std::string& cid, const std::string& user_id) {
  auto q = db_.query(R"(SELECT COUNT(*) FROM messages m WHERE m.cid = ?1
      AND (m.user_id IS NULL OR m.user_id != ?2)
      AND json_extract(m.data, '$.type') NOT IN ('deleted', 'reply')
      AND m.created_at > COALESCE((SELECT last_read FROM reads WHERE cid = ?1 AND user_id = ?2), 0))");
  q.bind(1, cid).bind(2, user_id);
  q.next();
  return q.integer(0);
}

std::vector<Read> State::reads(const std::string& cid) {
  std::vector<Read> reads;
  for (const auto& id : member_ids(cid)) {
    Read read{.user = user_or_reference(id), .unread_messages = unread(cid, id)};
    auto q = db_.query(
        "SELECT last_read, last_read_message_id FROM reads WHERE cid = ?1 AND user_id = ?2");
    q.bind(1, cid).bind(2, id);
    if (q.next()) {
      read.last_read = Timestamp::from_unix_micros(q.integer(0));
      if (!q.is_null(1)) read.last_read_message_id = std::string(q.text(1));
    } else {
      read.last_read = channel(cid)->created_at;  // never read: since the channel began
    }
    reads.push_back(std::move(read));
  }
  return reads;
}

std::pair<std::int64_t, std::int64_t> State::unread_totals(const std::string& user_id) {
  std::int64_t messages = 0, channels = 0;
  auto q = db_.query("SELECT cid FROM members WHERE user_id = ?1");
  q.bind(1, user_id);
  std::vector<std::string> cids;
  while (q.next())
    cids.emplace_back(q.text(0));
  for (const auto& cid : cids) {
    const std::int64_t n = unread(cid, user_id);
    messages += n;
    channels += n > 0;
  }
  return {messages, channels};
}

}  // namespace chatkeep::server

namespace chatkeep::server {

void State::add_members(const std::string& cid, const std::vector<std::string>& user_ids,
                        const std::string& actor) {
  sqlite::Transaction transaction(db_);
  const Timestamp now = Timestamp::now();
  for (const auto& id : user_ids) {
    if (is_member(cid, id)) continue;
    Member member = new_member(id, false, now);
    db_.query("INSERT INTO members (cid, user_id, created_at, data) VALUES (?1, ?2, ?3, ?4)")
        .bind(1, cid)
        .bind(2, id)
        .bind(3, now.unix_micros())
        .bind(4, encode(member))
        .run();
    member.user = user_or_reference(id);
    Event added = event(EventType::member_added, cid, actor);
    added.member = member;
    append(std::move(added));
    Event notification = event(EventType::notification_added_to_channel, cid, actor);
    notification.channel = channel(cid);
    notification.member = std::move(member);
    append(std::move(notification));
  }
  transaction.commit();
}

void State::remove_members(const std::string& cid, const std::vector<std::string>& user_ids,
                           const std::string& actor) {
  sqlite::Transaction transaction(db_);
  for (const auto& id : user_ids) {
    if (!is_member(cid, id)) continue;
    db_.query("DELETE FROM members WHERE cid = ?1 AND user_id = ?2").bind(1, cid).bind(2, id).run();
    const Member member{.user_id = id, .user = user_or_reference(id)};
    Event removed = event(EventType::member_removed, cid, actor);
    removed.member = member;
    append(std::move(removed));
    Event notification = event(EventType::notification_removed_from_channel, cid, actor);
    notification.channel = channel(cid);
    notification.member = member;
    append(std::move(notification));
  }
  transaction.commit();
}

Channel State::update_channel_data(const std::string& cid, const boost::json::object& data,
                                   const std::string& actor) {
  sqlite::Transaction transaction(db_);
  Channel old = *channel(cid);
  // The channel's own fields stay; what the caller gives replaces the rest.
  boost::json::object fields = data;
  for (const char* system :
       {"id", "type", "cid", "created_by", "created_at", "updated_at", "last_message_at",
        "member_count", "message_count", "config", "own_capabilities", "members"}) {
    fields.erase(system);
  }
  fields["id"] = old.id;
  fields["type"] = old.type;
  fields["cid"] = old.cid;
  Channel updated = from_json<Channel>(fields);
  updated.created_at = old.created_at;
  updated.updated_at = Timestamp::now();
  updated.last_message_at = old.last_message_at;
  updated.config = old.config;
  updated.frozen = updated.frozen.value_or(old.frozen.value_or(false));
  updated.disabled = updated.disabled.value_or(old.disabled.value_or(false));
  db_.query("UPDATE channels SET data = ?2 WHERE cid = ?1")
      .bind(1, cid)
      .bind(2, encode(updated))
      .run();
  Channel result = *channel(cid);
  Event changed = event(EventType::channel_updated, cid, actor);
  changed.channel = result;
  append(std::move(changed));
  transaction.commit();
  return result;
}

}  // namespace chatkeep::server

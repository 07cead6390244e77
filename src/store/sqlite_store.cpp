#include "store/sqlite_store.hpp"

#include <signal.h>
#include <sqlite3.h>

#include <cerrno>

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>

#include "chatkeep/json.hpp"
#include "log/logger.hpp"
#include "model/tables.hpp"
#include "store/schema.hpp"

namespace chatkeep::store {
namespace {

namespace json = boost::json;

constexpr std::int64_t kDefaultPageSize = 25;

// --- JSON rows -------------------------------------------------------------------------------

// A stored row's JSON, always an object. It stays a json::value so that decoding it needs no copy
// (from_json takes a value; handing it an object would copy the whole tree into one).
json::value parse_row(std::string_view data, json::storage_ptr storage = {}) {
  json::value value = parse_json(data, {}, std::move(storage));
  if (!value.is_object()) throw ChatError(ErrorCode::storage, "a stored row is not a JSON object");
  return value;
}

// A user as stored: its id first, then what is known of it (nothing when only referenced).
json::object user_object(std::string_view id, std::optional<std::string_view> data,
                         json::storage_ptr storage = {}) {
  json::object user =
      data ? std::move(parse_row(*data, storage).as_object()) : json::object(storage);
  user.insert_or_assign("id", id);
  return user;
}

// A message row: id, cid, user_id, data, the user's data. Pages of one channel know their cid
// (?1) and skip the join that would find it.
constexpr std::string_view kSelectMessages =
    "SELECT m.id, c.cid, m.user_id, m.data, u.data FROM messages m "
    "JOIN channels c ON c.key = m.channel LEFT JOIN users u ON u.id = m.user_id WHERE ";
constexpr std::string_view kSelectChannelMessages =
    "SELECT m.id, ?1, m.user_id, m.data, u.data FROM messages m "
    "LEFT JOIN users u ON u.id = m.user_id WHERE ";

std::optional<std::string_view> optional_text(const Query& row, int column) {
  if (row.is_null(column)) return std::nullopt;
  return row.text(column);
}

std::optional<std::int64_t> micros(const std::optional<Timestamp>& t) {
  if (!t || t->is_never()) return std::nullopt;
  return t->unix_micros();
}

// "{type}:{id}" split at the first colon.
std::pair<std::string, std::string> split_cid(const std::string& cid) {
  auto colon = cid.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == cid.size()) {
    throw ChatError(ErrorCode::input, fmt::format("invalid cid '{}': expected type:id", cid));
  }
  return {cid.substr(0, colon), cid.substr(colon + 1)};
}

OutboxKind parse_kind(std::string_view text) {
  for (auto kind :
       {OutboxKind::send_message, OutboxKind::update_message, OutboxKind::delete_message,
        OutboxKind::send_reaction, OutboxKind::delete_reaction, OutboxKind::mark_read}) {
    if (to_string(kind) == text) return kind;
  }
  throw ChatError(ErrorCode::storage, fmt::format("unknown outbox kind '{}'", text));
}

OutboxState parse_state(std::string_view text) {
  for (auto state : {OutboxState::queued, OutboxState::sending, OutboxState::failed}) {
    if (to_string(state) == text) return state;
  }
  throw ChatError(ErrorCode::storage, fmt::format("unknown outbox state '{}'", text));
}

// The columns an OutboxEntry is read from, in outbox_entry()'s order.
constexpr std::string_view kOutboxColumns =
    "id, kind, cid, message_id, payload, state, attempts, error, created_at, next_attempt_at";

OutboxEntry outbox_entry(Query& q) {
  OutboxEntry e;
  e.id = q.integer(0);
  e.kind = parse_kind(q.text(1));
  e.cid = q.text(2);
  e.message_id = q.text(3);
  e.payload = std::move(parse_row(q.text(4)).as_object());
  e.state = parse_state(q.text(5));
  e.attempts = q.integer(6);
  if (!q.is_null(7)) e.error = std::string(q.text(7));
  e.created_at = Timestamp::from_unix_micros(q.integer(8));
  if (!q.is_null(9)) e.next_attempt_at = Timestamp::from_unix_micros(q.integer(9));
  return e;
}

std::string query_key(const Filter& filter, const Sort& sort) {
  return filter.canonical() + "\n" + canonical_json(to_json(sort));
}

// The ORDER BY of a cached query: its sort fields that the channels table holds, then the
// position the server gave.
std::string order_by(const Sort& sort) {
  std::string order;
  const Sort effective = sort.empty() ? Sort{{.field = "last_updated"}} : sort;
  for (const auto& option : effective) {
    std::string_view column;
    if (option.field == "last_message_at")
      column = "c.last_message_at";
    else if (option.field == "created_at")
      column = "c.created_at";
    else if (option.field == "updated_at")
      column = "c.updated_at";
    else if (option.field == "member_count")
      column = "c.member_count";
    else if (option.field == "last_updated") {
      column =
          "COALESCE(MAX(c.last_message_at, c.updated_at), c.last_message_at, c.updated_at, "
          "c.created_at)";
    } else
      continue;  // a field only the server can sort on: keep its order
    order += fmt::format("{} {}, ", column,
                         option.direction == SortDirection::ascending ? "ASC" : "DESC");
  }
  return order + "q.position ASC";
}

// --- writes ----------------------------------------------------------------------------------

using UserHashes = SqliteStore::UserHashes;
// The hash recorded for a user known to exist whose stored data this connection has not seen.
constexpr std::size_t kUnknownData = 0;

// Applies the mutations of one batch inside the caller's transaction.
class Writer {
 public:
  // `users` holds what the connection knows is stored of each user (see SqliteStore); the
  // writer adds to `written`, which the caller merges into it once the batch is committed.
  Writer(Database& db, ApplyResult& result, const UserHashes& users, const std::string& me)
      : db_(db), result_(result), known_users_(users), me_(me) {}

  const UserHashes& written_users() const { return written_users_; }

  void operator()(const UpsertUsers& m) {
    for (const auto& user : m.users)
      upsert_user(user);
  }

  void operator()(const UpsertChannels& m) {
    for (const auto& given : m.channels) {
      split_cid(given.cid);
      const Channel& channel = m.partial ? keep_local_fields(given) : given;
      if (channel.created_by) upsert_user(*channel.created_by);
      db_.query(R"(INSERT INTO channels (cid, type, id, created_by_id, created_at, updated_at,
                     last_message_at, member_count, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                   ON CONFLICT (cid) DO UPDATE SET type = excluded.type, id = excluded.id,
                     created_by_id = excluded.created_by_id, created_at = excluded.created_at,
                     updated_at = excluded.updated_at, last_message_at = excluded.last_message_at,
                     member_count = excluded.member_count, data = excluded.data)")
          .bind(1, channel.cid)
          .bind(2, channel.type)
          .bind(3, channel.id)
          .bind(4, channel.created_by ? std::optional(channel.created_by->id) : std::nullopt)
          .bind(5, micros(channel.created_at))
          .bind(6, micros(channel.updated_at))
          .bind(7, micros(channel.last_message_at))
          .bind(8, channel.member_count)
          .bind(9, model::encode_except(channel, {"cid", "id", "type", "created_by"}))
          .run();
    }
  }

  void operator()(const UpsertMessages& m) {
    // Copies from the server show the user's actions still in the outbox on top (replay()): a
    // newer copy replaces the row, and without them the user's change would vanish from the
    // screen until it is delivered. The row then counts as holding a local change on the copy's
    // version. (The user's own changes and new messages are echoes: they carry them already.)
    const bool replaying = !m.local && !m.echo && outbox_has_message_entries();
    Message replayed;
    for (const auto& given : m.messages) {
      bool local_change = m.local;
      if (replaying) {
        const Replayed r = replay_pending(given, replayed);
        if (r == Replayed::removed) continue;  // deleted for good, the server to be told
        local_change = r == Replayed::changed;
      }
      const Message& message = local_change && !m.local ? replayed : given;
      // Whether the message is stored for the first time, or stored only as a local echo, when
      // that matters.
      bool first_time = false;
      bool stored_as_echo = false;
      if (m.arrived || m.echo) {
        auto known = db_.query("SELECT echo FROM messages WHERE id = ?1");
        known.bind(1, message.id);
        first_time = !known.next();
        stored_as_echo = !first_time && known.integer(0) != 0;
      }
      const std::string& cid = message.cid ? *message.cid : m.cid.value_or(std::string());
      if (cid.empty()) {
        throw ChatError(ErrorCode::input, fmt::format("message {}: cid required", message.id));
      }
      if (message.cid && m.cid && *message.cid != *m.cid) {
        throw ChatError(ErrorCode::input,
                        fmt::format("message {}: cid {} is not {}", message.id, cid, *m.cid));
      }
      if (!message.created_at) {
        throw ChatError(ErrorCode::input,
                        fmt::format("message {}: created_at required", message.id));
      }
      const std::int64_t channel = ensure_channel(cid);
      if (message.user) upsert_user(*message.user);
      // A local change always applies and keeps the version it was made on; a copy with
      // pending changes replayed on it applies as a copy and holds them as local (?14).
      db_.query(R"(INSERT INTO messages (id, channel, created_at, user_id, parent_id,
                     show_in_channel, pinned, data, echo, version, local)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?11, ?14)
                   ON CONFLICT (id) DO UPDATE SET channel = excluded.channel,
                     created_at = excluded.created_at, user_id = excluded.user_id,
                     parent_id = excluded.parent_id, show_in_channel = excluded.show_in_channel,
                     pinned = excluded.pinned, data = excluded.data,
                     echo = CASE WHEN ?10 THEN 0 ELSE echo END,
                     version = CASE WHEN ?12 THEN messages.version ELSE excluded.version END,
                     local = ?14
                   WHERE ?12 OR messages.version IS NULL OR excluded.version IS NULL
                     OR excluded.version > messages.version
                     OR (excluded.version = messages.version AND (messages.local = 0 OR ?13)))")
          .bind(1, message.id)
          .bind(2, channel)
          .bind(3, message.created_at->unix_micros())
          .bind(4, message.user ? std::optional(message.user->id) : std::nullopt)
          .bind(5, message.parent_id)
          .bind(6, std::int64_t{message.show_in_channel.value_or(false)})
          .bind(7, std::int64_t{message.pinned.value_or(false)})
          .bind(8, model::encode_except(message, {"id", "cid", "user", "own_reactions"}))
          .bind(9, std::int64_t{m.echo})
          .bind(10, std::int64_t{m.arrived})
          .bind(11, m.echo || !message.updated_at
                        ? std::nullopt
                        : std::optional(message.updated_at->unix_micros()))
          .bind(12, std::int64_t{m.local})
          .bind(13, std::int64_t{m.answer})
          .bind(14, std::int64_t{local_change})
          .run();
      if (m.arrived && stored_as_echo) {
        // The server has it now, even if a newer copy was stored already and this one skipped.
        db_.query("UPDATE messages SET echo = 0 WHERE id = ?1").bind(1, message.id).run();
      }
      if (m.arrived && (first_time || stored_as_echo)) {
        count_arrival(channel, cid, message, true);
      } else if (m.echo && first_time) {
        count_arrival(channel, cid, message, false);
      }
    }
  }

  // Asked once a batch (live events come one message a mutation); a removal leaves a stale
  // "yes", which costs a look-up per message and nothing else.
  bool outbox_has_message_entries() {
    if (!outbox_has_message_entries_) {
      auto q = db_.query("SELECT EXISTS (SELECT 1 FROM outbox WHERE message_id <> '')");
      outbox_has_message_entries_ = q.next() && q.integer(0) != 0;
    }
    return *outbox_has_message_entries_;
  }

  // `given` with the outbox's entries about it replayed on it, in the order they were made,
  // into `out` when that changed it.
  Replayed replay_pending(const Message& given, Message& out) {
    static const std::string sql =
        fmt::format("SELECT {} FROM outbox WHERE message_id = ?1 ORDER BY id", kOutboxColumns);
    auto q = db_.query(sql);
    q.bind(1, given.id);
    Replayed result = Replayed::unchanged;
    bool copied = false;
    while (q.next()) {
      if (!copied) {
        out = given;
        // Whether the copy counts the user's reactions is for its summary to say: own_reactions
        // are kept apart, and an event's are nobody's in particular.
        out.own_reactions.reset();
        copied = true;
      }
      OutboxEntry entry;
      try {
        entry = outbox_entry(q);
      } catch (const ChatError&) {
        // An entry this library cannot read (a damaged row) shows nothing; the outbox's own
        // reads report it. It must not stop every copy of its message from being stored.
        continue;
      }
      switch (replay(entry, me_, out)) {
        case Replayed::removed:
          return Replayed::removed;
        case Replayed::changed:
          result = Replayed::changed;
          break;
        case Replayed::unchanged:
          break;
      }
    }
    return result;
  }

  // Whether the stored copy of the message is newer than version `as_of` (never without one), or
  // a local change made on that version.
  bool newer_than(const std::string& message_id, const std::optional<Timestamp>& as_of) {
    if (!as_of) return false;
    auto q = db_.query("SELECT version, local FROM messages WHERE id = ?1");
    q.bind(1, message_id);
    if (!q.next() || q.is_null(0)) return false;
    return q.integer(0) > as_of->unix_micros() ||
           (q.integer(0) == as_of->unix_micros() && q.integer(1) != 0);
  }

  // A message just arrived: the channel's last message time, and (`unread`) unread counts of
  // the others.
  void count_arrival(std::int64_t channel, const std::string& cid, const Message& message,
                     bool unread) {
    const std::int64_t at = message.created_at->unix_micros();
    db_.query(R"(UPDATE channels SET last_message_at = ?2, data = json_set(data,
                   '$.last_message_at', ?3)
                 WHERE key = ?1 AND (last_message_at IS NULL OR last_message_at < ?2))")
        .bind(1, channel)
        .bind(2, at)
        .bind(3, message.created_at->to_string())
        .run();
    if (!unread || !shown_in_channel(message) || message.silent.value_or(false)) return;
    db_.query(R"(UPDATE reads SET data = json_set(data, '$.unread_messages',
                   COALESCE(json_extract(data, '$.unread_messages'), 0) + 1)
                 WHERE cid = ?1 AND user_id IS NOT ?2)")
        .bind(1, cid)
        .bind(2, message.user ? std::optional(message.user->id) : std::nullopt)
        .run();
  }

  void operator()(const UpsertMembers& m) {
    ensure_channel(m.cid);
    for (const auto& member : m.members) {
      if (member.user) upsert_user(*member.user);
      db_.query(R"(INSERT INTO members (cid, user_id, created_at, data) VALUES (?1, ?2, ?3, ?4)
                   ON CONFLICT (cid, user_id) DO UPDATE SET created_at = excluded.created_at,
                     data = excluded.data)")
          .bind(1, m.cid)
          .bind(2, member.id())
          .bind(3, micros(member.created_at))
          .bind(4, model::encode_except(member, {"user_id", "user"}))
          .run();
      // A member has a read from the day they join, with nothing unread yet.
      const Read read{
          .user = User{.id = member.id()}, .last_read = member.created_at, .unread_messages = 0};
      db_.query(R"(INSERT INTO reads (cid, user_id, data) VALUES (?1, ?2, ?3)
                   ON CONFLICT (cid, user_id) DO NOTHING)")
          .bind(1, m.cid)
          .bind(2, member.id())
          .bind(3, model::encode_except(read, {"user"}))
          .run();
    }
  }

  void operator()(const DeleteMembers& m) {
    for (const auto& user_id : m.user_ids) {
      db_.query("DELETE FROM members WHERE cid = ?1 AND user_id = ?2")
          .bind(1, m.cid)
          .bind(2, user_id)
          .run();
      db_.query("DELETE FROM reads WHERE cid = ?1 AND user_id = ?2")
          .bind(1, m.cid)
          .bind(2, user_id)
          .run();
    }
  }

  void operator()(const UpsertReads& m) {
    ensure_channel(m.cid);
    for (const auto& read : m.reads) {
      upsert_user(read.user);
      db_.query(R"(INSERT INTO reads (cid, user_id, data) VALUES (?1, ?2, ?3)
                   ON CONFLICT (cid, user_id) DO UPDATE SET data = excluded.data)")
          .bind(1, m.cid)
          .bind(2, read.user.id)
          .bind(3, model::encode_except(read, {"user"}))
          .run();
    }
  }

  void operator()(const MarkAllRead& m) {
    db_.query(R"(UPDATE reads SET data = json_set(data, '$.unread_messages', 0,
                   '$.last_read', ?2) WHERE user_id = ?1)")
        .bind(1, m.user_id)
        .bind(2, m.at.to_string())
        .run();
  }

  void operator()(const SetChannelHidden& m) {
    ensure_channel(m.cid);
    db_.query("UPDATE channels SET data = json_set(data, '$.hidden', json(?2)) WHERE cid = ?1")
        .bind(1, m.cid)
        .bind(2, m.hidden ? "true" : "false")
        .run();
  }

  void operator()(const UpsertReactions& m) {
    for (const auto& reaction : m.reactions) {
      if (reaction.message_id && newer_than(*reaction.message_id, m.as_of)) continue;
      upsert_reaction(reaction, std::nullopt, std::nullopt);
    }
  }

  void operator()(const DeleteReaction& m) {
    if (newer_than(m.message_id, m.as_of)) return;
    db_.query("DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2 AND type = ?3")
        .bind(1, m.message_id)
        .bind(2, m.user_id)
        .bind(3, m.type)
        .run();
  }

  void operator()(const ReplaceReactions& m) {
    if (newer_than(m.message_id, m.as_of)) return;
    db_.query("DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2")
        .bind(1, m.message_id)
        .bind(2, m.user_id)
        .run();
    for (const auto& reaction : m.reactions)
      upsert_reaction(reaction, m.message_id, m.user_id);
  }

  void operator()(const UpsertDrafts& m) {
    for (const auto& draft : m.drafts) {
      ensure_channel(draft.cid);
      json::object data{{"message", to_json(draft.message)},
                        {"created_at", draft.created_at.to_string()}};
      db_.query(R"(INSERT INTO drafts (cid, parent_id, data) VALUES (?1, ?2, ?3)
                   ON CONFLICT (cid, parent_id) DO UPDATE SET data = excluded.data)")
          .bind(1, draft.cid)
          .bind(2, draft.parent_id.value_or(""))
          .bind(3, json::serialize(data))
          .run();
    }
  }

  void operator()(const DeleteDraft& m) {
    db_.query("DELETE FROM drafts WHERE cid = ?1 AND parent_id = ?2")
        .bind(1, m.cid)
        .bind(2, m.parent_id.value_or(""))
        .run();
  }

  void operator()(const DeleteMessages& m) {
    // One statement per selector and kind of delete; soft deletes keep the row and its reactions.
    const std::string deleted_at = m.deleted_at.to_string();
    auto run = [&](std::string_view hard_sql, std::string_view soft_sql, auto&& bind_selector) {
      if (m.hard) {
        bind_selector(db_.query(hard_sql)).run();
      } else {
        bind_selector(db_.query(soft_sql)).bind(9, deleted_at).run();
      }
    };
    if (const auto* by_ids = std::get_if<DeleteMessages::ByIds>(&m.which)) {
      for (const auto& id : by_ids->ids) {
        run("DELETE FROM messages WHERE id = ?1",
            R"(UPDATE messages SET data = json_set(data, '$.type', 'deleted', '$.deleted_at', ?9)
               WHERE id = ?1)",
            [&](Query q) {
              q.bind(1, id);
              return q;
            });
      }
    } else if (const auto* by_channels = std::get_if<DeleteMessages::ByChannels>(&m.which)) {
      for (const auto& cid : by_channels->cids) {
        run("DELETE FROM messages WHERE channel = (SELECT key FROM channels WHERE cid = ?1)",
            R"(UPDATE messages SET data = json_set(data, '$.type', 'deleted', '$.deleted_at', ?9)
               WHERE channel = (SELECT key FROM channels WHERE cid = ?1))",
            [&](Query q) {
              q.bind(1, cid);
              return q;
            });
      }
    } else {
      const auto& by_user = std::get<DeleteMessages::ByUser>(m.which);
      // In one channel through its index; in all of them by a scan (a rare moderation event:
      // an index by user would cost every message insert a page write).
      if (by_user.cid) {
        run(R"(DELETE FROM messages
               WHERE channel = (SELECT key FROM channels WHERE cid = ?2) AND user_id = ?1)",
            R"(UPDATE messages SET data = json_set(data, '$.type', 'deleted', '$.deleted_at', ?9)
               WHERE channel = (SELECT key FROM channels WHERE cid = ?2) AND user_id = ?1)",
            [&](Query q) {
              q.bind(1, by_user.user_id).bind(2, *by_user.cid);
              return q;
            });
      } else {
        run("DELETE FROM messages WHERE user_id = ?1",
            R"(UPDATE messages SET data = json_set(data, '$.type', 'deleted', '$.deleted_at', ?9)
               WHERE user_id = ?1)",
            [&](Query q) {
              q.bind(1, by_user.user_id);
              return q;
            });
      }
    }
  }

  void operator()(const TruncateChannel& m) {
    if (m.before) {
      db_.query(R"(DELETE FROM messages
                   WHERE channel = (SELECT key FROM channels WHERE cid = ?1) AND created_at < ?2)")
          .bind(1, m.cid)
          .bind(2, m.before->unix_micros())
          .run();
    } else {
      db_.query("DELETE FROM messages WHERE channel = (SELECT key FROM channels WHERE cid = ?1)")
          .bind(1, m.cid)
          .run();
    }
  }

  void operator()(const DeleteChannels& m) {
    for (const auto& cid : m.cids) {
      db_.query("DELETE FROM channels WHERE cid = ?1").bind(1, cid).run();
      channel_keys_.erase(cid);  // a later mutation of this batch may create it anew
    }
  }

  void operator()(const SaveChannelQuery& m) {
    const std::string key = query_key(m.filter, m.sort);
    db_.query(R"(INSERT INTO saved_queries (query_key, filter, sort) VALUES (?1, ?2, ?3)
                 ON CONFLICT (query_key) DO NOTHING)")
        .bind(1, key)
        .bind(2, m.filter.canonical())
        .bind(3, canonical_json(to_json(m.sort)))
        .run();
    std::int64_t position = 0;
    if (m.append) {
      auto q = db_.query(
          "SELECT COALESCE(MAX(position) + 1, 0) FROM channel_queries WHERE query_key = ?1");
      q.bind(1, key);
      if (q.next()) position = q.integer(0);
    } else {
      db_.query("DELETE FROM channel_queries WHERE query_key = ?1").bind(1, key).run();
    }
    for (const auto& cid : m.cids) {
      ensure_channel(cid);
      // A cid already in the query (pages can overlap) keeps its first place.
      db_.query(R"(INSERT INTO channel_queries (query_key, position, cid) SELECT ?1, ?2, ?3
                   WHERE NOT EXISTS (SELECT 1 FROM channel_queries
                                     WHERE cid = ?3 AND query_key = ?1))")
          .bind(1, key)
          .bind(2, position)
          .bind(3, cid)
          .run();
      position += db_.changes();
    }
  }

  void operator()(const SetConnectionInfo& m) {
    const OwnUser& me = m.info.own_user;
    db_.query(R"(INSERT INTO connection_state (id, own_user, total_unread_count, unread_channels,
                   unread_count) VALUES (1, ?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET own_user = excluded.own_user,
                   total_unread_count = excluded.total_unread_count,
                   unread_channels = excluded.unread_channels,
                   unread_count = excluded.unread_count)")
        .bind(1, json::serialize(to_json(me)))
        .bind(2, me.total_unread_count)
        .bind(3, me.unread_channels)
        .bind(4, me.unread_count)
        .run();
  }

  void operator()(const SetUnreadCounts& m) {
    db_.query(
           R"(INSERT INTO connection_state (id, total_unread_count, unread_channels, unread_count)
                   VALUES (1, ?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET
                   total_unread_count = COALESCE(excluded.total_unread_count, total_unread_count),
                   unread_channels = COALESCE(excluded.unread_channels, unread_channels),
                   unread_count = COALESCE(excluded.unread_count, unread_count))")
        .bind(1, m.total_unread_count)
        .bind(2, m.unread_channels)
        .bind(3, m.unread_count)
        .run();
  }

  void operator()(const SetLastSyncAt& m) {
    // An upsert: the checkpoint must stick even when nothing else is stored (after a flush).
    db_.query(R"(INSERT INTO connection_state (id, last_sync_at) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET last_sync_at = excluded.last_sync_at)")
        .bind(1, m.last_sync_at.to_string())
        .run();
  }

  void operator()(const AddOutboxEntry& m) {
    const OutboxEntry& e = m.entry;
    split_cid(e.cid);
    if (!e.message_id.empty()) outbox_has_message_entries_ = true;
    db_.query(R"(INSERT INTO outbox (kind, cid, message_id, payload, state, attempts, error,
                   created_at, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9))")
        .bind(1, to_string(e.kind))
        .bind(2, e.cid)
        .bind(3, e.message_id)
        .bind(4, json::serialize(e.payload))
        .bind(5, to_string(e.state))
        .bind(6, e.attempts)
        .bind(7, e.error)
        .bind(8, e.created_at.unix_micros())
        .bind(9, micros(e.next_attempt_at))
        .run();
    result_.outbox_ids.push_back(db_.last_insert_rowid());
  }

  void operator()(const UpdateOutboxEntry& m) {
    // An entry already removed (discarded while in flight) is no error.
    db_.query(R"(UPDATE outbox SET state = ?2, attempts = ?3, error = ?4, next_attempt_at = ?5,
                   payload = COALESCE(?6, payload), created_at = COALESCE(?7, created_at)
                 WHERE id = ?1)")
        .bind(1, m.id)
        .bind(2, to_string(m.state))
        .bind(3, m.attempts)
        .bind(4, m.error)
        .bind(5, micros(m.next_attempt_at))
        .bind(6, m.payload ? std::optional(json::serialize(*m.payload)) : std::nullopt)
        .bind(7, micros(m.created_at))
        .run();
  }

  void operator()(const RemoveOutboxEntry& m) {
    db_.query("DELETE FROM outbox WHERE id = ?1").bind(1, m.id).run();
  }

 private:
  // A bare {"id"} reference adds the user if unknown but never replaces what is known of it;
  // an unchanged user is not rewritten.
  void upsert_user(const User& user) {
    if (user.id.empty()) throw ChatError(ErrorCode::input, "user id is empty");
    std::string data = model::encode_except(user, {"id"});
    const bool bare = data == "{}";
    const std::size_t hash = bare ? kUnknownData : std::hash<std::string>()(data);
    // Skip the statement when the user is known stored as it is (or, for a bare reference, at all).
    for (const UserHashes* known :
         std::initializer_list<const UserHashes*>{&written_users_, &known_users_}) {
      if (auto found = known->find(user.id); found != known->end()) {
        if (bare || found->second == hash) return;
      }
    }
    written_users_[user.id] = hash;
    if (bare) {
      db_.query("INSERT INTO users (id, data) VALUES (?1, '{}') ON CONFLICT (id) DO NOTHING")
          .bind(1, user.id)
          .run();
      return;
    }
    db_.query(R"(INSERT INTO users (id, data) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET data = excluded.data
                 WHERE data IS NOT excluded.data)")
        .bind(1, user.id)
        .bind(2, data)
        .run();
  }

  // Rows that name a channel need the channel's row; a stub stands in until the channel arrives.
  // Returns the channel's key.
  // The channel with what only queries tell (see UpsertChannels::partial) taken from the stored
  // one where it lacks them. The result lives until the next call.
  const Channel& keep_local_fields(const Channel& given) {
    merged_ = given;
    auto q = db_.query(R"(SELECT json_extract(data, '$.own_capabilities'),
                            json_extract(data, '$.config'), json_extract(data, '$.hidden'),
                            member_count FROM channels WHERE cid = ?1)");
    q.bind(1, given.cid);
    if (!q.next()) return merged_;
    if (!merged_.own_capabilities && !q.is_null(0)) {
      merged_.own_capabilities.emplace();
      const json::value stored = parse_json(q.text(0));
      for (const auto& capability : stored.as_array())
        merged_.own_capabilities->emplace_back(capability.as_string());
    }
    if (!merged_.config && !q.is_null(1)) merged_.config = decode<ChannelConfig>(q.text(1));
    if (!merged_.hidden && !q.is_null(2)) merged_.hidden = q.integer(2) != 0;
    if (!merged_.member_count && !q.is_null(3)) merged_.member_count = q.integer(3);
    return merged_;
  }

  std::int64_t ensure_channel(const std::string& cid) {
    if (auto known = channel_keys_.find(cid); known != channel_keys_.end()) return known->second;
    auto [type, id] = split_cid(cid);
    db_.query(R"(INSERT INTO channels (cid, type, id, data) VALUES (?1, ?2, ?3, '{}')
                 ON CONFLICT (cid) DO NOTHING)")
        .bind(1, cid)
        .bind(2, type)
        .bind(3, id)
        .run();
    auto q = db_.query("SELECT key FROM channels WHERE cid = ?1");
    q.bind(1, cid);
    q.next();
    return channel_keys_[cid] = q.integer(0);
  }

  void upsert_reaction(const Reaction& reaction, const std::optional<std::string>& message_id,
                       const std::optional<std::string>& user_id) {
    const std::string mid = message_id ? *message_id : reaction.message_id.value_or("");
    const std::string uid = user_id            ? *user_id
                            : reaction.user_id ? *reaction.user_id
                            : reaction.user    ? reaction.user->id
                                               : "";
    if (mid.empty() || uid.empty()) {
      throw ChatError(ErrorCode::input,
                      fmt::format("reaction {}: message_id and user_id required", reaction.type));
    }
    if (reaction.user) {
      if (reaction.user->id != uid) {
        throw ChatError(ErrorCode::input,
                        fmt::format("reaction {}: user.id does not match user_id", reaction.type));
      }
      upsert_user(*reaction.user);
    }
    db_.query(R"(INSERT INTO reactions (message_id, user_id, type, data)
                   SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?1)
                 ON CONFLICT (message_id, user_id, type) DO UPDATE SET data = excluded.data)")
        .bind(1, mid)
        .bind(2, uid)
        .bind(3, reaction.type)
        .bind(4, model::encode_except(reaction, {"message_id", "user_id", "type", "user"}))
        .run();
  }

  Database& db_;
  ApplyResult& result_;
  const UserHashes& known_users_;
  const std::string& me_;  // the connected user, whose actions the outbox holds
  std::optional<bool> outbox_has_message_entries_;
  UserHashes written_users_;
  std::unordered_map<std::string, std::int64_t> channel_keys_;  // of this batch
  Channel merged_;                                              // keep_local_fields' result
};

// The database file exists and is mode 0600, whoever made it; SQLite then gives its WAL and
// shared-memory files the same mode.
// Whether the process a lease holder names ("<pid>:...") still exists. Every process sharing a
// database in WAL mode is on this machine, so a pid that is gone means a holder that died. A
// holder named otherwise counts as alive (its lease runs out by time).
bool process_alive(const std::string& holder) {
  const auto colon = holder.find(':');
  if (colon == std::string::npos || colon == 0) return true;
  long pid = 0;
  for (char c : holder.substr(0, colon)) {
    if (c < '0' || c > '9') return true;
    pid = pid * 10 + (c - '0');
    if (pid > 1'000'000'000) return true;
  }
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

// --- lifecycle -----------------------------------------------------------------------------

SqliteStore::SqliteStore(SqlitePersistenceOptions options)
    : options_(std::move(options)), log_(log::make_logger("store", options_.log)) {}

SqliteStore::~SqliteStore() = default;

Database& SqliteStore::db() {
  if (!db_) throw ChatError(ErrorCode::invalid_state, "the store is not connected");
  return *db_;
}

void SqliteStore::connect(const std::string& user_id) {
  std::lock_guard lock(mutex_);
  if (db_) {
    if (user_id == user_id_) return;
    throw ChatError(ErrorCode::invalid_state,
                    fmt::format("the store is connected as another user; disconnect first"));
  }
  std::filesystem::path directory = options_.directory.empty()
                                        ? SqlitePersistenceClient::default_directory()
                                        : options_.directory;
  std::filesystem::path path = SqlitePersistenceClient::database_path(directory, user_id);
  if (options_.read_only) return open_read_only(path, user_id);
  sqlite::create_private_file(path);
  auto db = std::make_unique<Database>(path, Database::Access::read_write);
  if (log_->should_log(spdlog::level::trace)) {
    db->trace([log = log_](std::string_view sql) { log->trace("sql: {}", sql); });
  }
  // Check the version before anything writes: a newer database is left exactly as it is.
  check_version(*db);
  db->exec("PRAGMA busy_timeout = 5000");
  db->exec("PRAGMA journal_mode = WAL");
  const char* synchronous = options_.synchronous == Synchronous::off      ? "OFF"
                            : options_.synchronous == Synchronous::normal ? "NORMAL"
                                                                          : "FULL";
  db->exec(fmt::format("PRAGMA synchronous = {}", synchronous));
  db->exec("PRAGMA foreign_keys = ON");
  db->exec("PRAGMA temp_store = MEMORY");
  db->exec("PRAGMA journal_size_limit = 8388608");
  db->exec("PRAGMA cache_size = -16384");  // KiB
  migrate(*db);
  log_->info("connected {} ({})", user_id, path.string());
  db_ = std::move(db);
  user_id_ = user_id;
}

void SqliteStore::open_read_only(const std::filesystem::path& path, const std::string& user_id) {
  if (!std::filesystem::exists(path)) {
    throw ChatError(ErrorCode::not_found,
                    fmt::format("no database for {} at {}", user_id, path.string()));
  }
  auto db = std::make_unique<Database>(path, Database::Access::read_only);
  check_version(*db);
  if (db->integer("PRAGMA user_version") != schema_version()) {
    throw ChatError(
        ErrorCode::storage,
        fmt::format("{} is from an older chatkeep; open it once to upgrade it", path.string()));
  }
  db->exec("PRAGMA busy_timeout = 5000");
  db_ = std::move(db);
  user_id_ = user_id;
}

FlushResult SqliteStore::disconnect(bool flush) {
  std::lock_guard lock(mutex_);
  FlushResult result;
  if (!db_) return result;
  if (flush) result = flush_locked();
  db_.reset();
  user_cache_.clear();
  user_hashes_.clear();

  user_id_.clear();
  return result;
}

FlushResult SqliteStore::flush() {
  std::lock_guard lock(mutex_);
  return flush_locked();
}

FlushResult SqliteStore::flush_locked() {
  user_cache_.clear();
  user_hashes_.clear();
  Database& database = db();
  Transaction transaction(database);
  FlushResult result{.discarded_outbox_entries = database.integer("SELECT COUNT(*) FROM outbox")};
  database.exec(R"(DELETE FROM reactions; DELETE FROM messages; DELETE FROM members;
                   DELETE FROM reads; DELETE FROM drafts; DELETE FROM channel_queries;
                   DELETE FROM saved_queries; DELETE FROM channels; DELETE FROM users;
                   DELETE FROM connection_state; DELETE FROM outbox; DELETE FROM work;
                   DELETE FROM leases;)");
  transaction.commit();
  log_->info("flushed; {} outbox entries discarded", result.discarded_outbox_entries);
  return result;
}

bool SqliteStore::is_connected() {
  std::lock_guard lock(mutex_);
  return db_ != nullptr;
}

std::optional<std::string> SqliteStore::user_id() {
  std::lock_guard lock(mutex_);
  if (!db_) return std::nullopt;
  return user_id_;
}

ApplyResult SqliteStore::apply(const Batch& batch) {
  std::lock_guard lock(mutex_);
  user_cache_.clear();  // a write may change any user
  Database& database = db();
  ApplyResult result;
  Transaction transaction(database);
  Writer writer(database, result, user_hashes_, user_id_);
  for (const auto& mutation : batch)
    std::visit(writer, mutation);
  transaction.commit();
  if (user_hashes_.size() > kMaxUserHashes) user_hashes_.clear();
  for (const auto& [id, hash] : writer.written_users())
    user_hashes_[id] = hash;
  return result;
}

std::int64_t SqliteStore::rows_changed() {
  std::lock_guard lock(mutex_);
  return sqlite3_total_changes64(db().handle());
}

// --- reads ---------------------------------------------------------------------------------

std::optional<ConnectionInfo> SqliteStore::connection_info() {
  std::lock_guard lock(mutex_);
  auto q = db().query(R"(SELECT own_user, total_unread_count, unread_channels, unread_count
                         FROM connection_state WHERE id = 1)");
  if (!q.next() || q.is_null(0)) return std::nullopt;
  ConnectionInfo info{.own_user = from_json<OwnUser>(parse_row(q.text(0)))};
  if (!q.is_null(1)) info.own_user.total_unread_count = q.integer(1);
  if (!q.is_null(2)) info.own_user.unread_channels = q.integer(2);
  if (!q.is_null(3)) info.own_user.unread_count = q.integer(3);
  return info;
}

std::optional<Timestamp> SqliteStore::last_sync_at() {
  std::lock_guard lock(mutex_);
  auto q = db().query("SELECT last_sync_at FROM connection_state WHERE id = 1");
  if (!q.next() || q.is_null(0)) return std::nullopt;
  return Timestamp::parse(q.text(0));
}

std::vector<std::string> SqliteStore::channel_cids(std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto q = db().query("SELECT cid FROM channels ORDER BY last_message_at DESC, cid DESC LIMIT ?1");
  q.bind(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  std::vector<std::string> cids;
  while (q.next())
    cids.emplace_back(q.text(0));
  return cids;
}

std::optional<Channel> SqliteStore::channel(const std::string& cid) {
  std::lock_guard lock(mutex_);
  return channel_locked(cid);
}

std::optional<Channel> SqliteStore::channel_locked(const std::string& cid) {
  auto q = db().query(R"(SELECT c.cid, c.type, c.id, c.created_by_id, c.data, u.data
                         FROM channels c LEFT JOIN users u ON u.id = c.created_by_id
                         WHERE c.cid = ?1)");
  q.bind(1, cid);
  if (!q.next()) return std::nullopt;
  json::value row = parse_row(q.text(4));
  json::object& object = row.as_object();
  object.insert_or_assign("cid", q.text(0));
  object.insert_or_assign("type", q.text(1));
  object.insert_or_assign("id", q.text(2));
  Channel channel = from_json<Channel>(row);
  if (!q.is_null(3)) channel.created_by = cached_user(q.text(3), optional_text(q, 5));
  return channel;
}

const User& SqliteStore::cached_user(std::string_view id, std::optional<std::string_view> data) {
  auto found = user_cache_.find(id);
  if (found != user_cache_.end()) return found->second;
  if (user_cache_.size() >= kMaxCachedUsers) user_cache_.clear();
  json::value user(user_object(id, data));
  return user_cache_.emplace(std::string(id), from_json<User>(user)).first->second;
}

const User& SqliteStore::cached_user(std::string_view id) {
  if (auto found = user_cache_.find(id); found != user_cache_.end()) return found->second;
  auto q = db().query("SELECT data FROM users WHERE id = ?1");
  q.bind(1, id);
  return cached_user(id, q.next() ? std::optional(q.text(0)) : std::nullopt);
}

Message SqliteStore::message_from_row(const Query& row) {
  // The row's JSON lives only until it is decoded: an arena spares the allocator.
  json::monotonic_resource arena(arena_buffer_.data(), arena_buffer_.size());
  json::value value = parse_row(row.text(3), json::storage_ptr(&arena));
  json::object& object = value.as_object();
  object.insert_or_assign("id", row.text(0));
  object.insert_or_assign("cid", row.text(1));
  Message message = from_json<Message>(value);
  if (!row.is_null(2)) message.user = cached_user(row.text(2), optional_text(row, 4));
  message.own_reactions.emplace();
  return message;
}

void SqliteStore::attach_own_reactions(std::vector<Message>& messages) {
  // One query per chunk of a page rather than one per message; most messages have none.
  for_chunks(messages,
             "SELECT message_id, type, data FROM reactions WHERE user_id = ?1 AND "
             "message_id IN ",
             user_id_, [&](Message& m, const Query& q) {
               json::value reaction = parse_row(q.text(2));
               reaction.as_object().insert_or_assign("message_id", q.text(0));
               reaction.as_object().insert_or_assign("user_id", user_id_);
               reaction.as_object().insert_or_assign("type", q.text(1));
               m.own_reactions->push_back(from_json<Reaction>(reaction));
               m.own_reactions->back().user = cached_user(user_id_);
             });
}

void SqliteStore::attach_local_states(std::vector<Message>& messages) {
  // A message's state is its most pressing entry's: failed, else sending, else queued.
  auto rank = [](std::optional<LocalState> s) { return s ? static_cast<int>(*s) + 1 : 0; };
  for_chunks(messages, "SELECT message_id, state, error FROM outbox WHERE message_id IN ",
             std::nullopt, [&](Message& m, const Query& q) {
               const std::string_view state = q.text(1);
               const LocalState s = state == "failed"    ? LocalState::failed
                                    : state == "sending" ? LocalState::sending
                                                         : LocalState::queued;
               if (rank(s) <= rank(m.local_state)) return;
               m.local_state = s;
               m.local_error = q.is_null(2) ? std::nullopt : std::optional(std::string(q.text(2)));
             });
}

void SqliteStore::for_chunks(std::vector<Message>& messages, const std::string& select,
                             const std::optional<std::string>& first_parameter,
                             const std::function<void(Message&, const Query&)>& each) {
  constexpr std::size_t kChunk = 500;
  const int base = first_parameter ? 2 : 1;  // the number of the first id's parameter
  for (std::size_t first = 0; first < messages.size(); first += kChunk) {
    const std::size_t count = std::min(kChunk, messages.size() - first);
    std::string sql = select + "(";
    for (std::size_t i = 0; i < count; ++i)
      sql += fmt::format("{}?{}", i ? ", " : "", static_cast<int>(i) + base);
    sql += ")";
    auto q = db().query(sql);
    if (first_parameter) q.bind(1, *first_parameter);
    std::unordered_map<std::string_view, Message*> by_id;
    for (std::size_t i = 0; i < count; ++i) {
      Message& m = messages[first + i];
      q.bind(static_cast<int>(i) + base, m.id);
      by_id.emplace(m.id, &m);
    }
    while (q.next())
      each(*by_id.at(q.text(0)), q);
  }
}

std::vector<Message> SqliteStore::messages(const std::string& cid, const MessagePagination& page) {
  std::lock_guard lock(mutex_);
  return page_locked(Scope::channel, cid, page);
}

std::vector<Message> SqliteStore::pinned_messages(const std::string& cid,
                                                  const MessagePagination& page) {
  std::lock_guard lock(mutex_);
  return page_locked(Scope::pinned, cid, page);
}

std::vector<Message> SqliteStore::replies(const std::string& parent_id,
                                          const MessagePagination& page) {
  std::lock_guard lock(mutex_);
  return page_locked(Scope::thread, parent_id, page);
}

std::vector<Message> SqliteStore::page_locked(Scope scope, const std::string& key,
                                              const MessagePagination& page) {
  Database& database = db();
  const std::int64_t limit = page.limit.value_or(kDefaultPageSize);
  if (limit <= 0) return {};

  // A cursor is the (created_at, rowid) of the message it names; an unknown one matches nothing.
  struct Bound {
    std::int64_t created_at;
    std::int64_t rowid;
    bool inclusive;
  };
  auto resolve = [&](const std::optional<std::string>& id,
                     bool inclusive) -> std::optional<std::optional<Bound>> {
    if (!id) return std::optional<Bound>();
    auto q = database.query("SELECT created_at, rowid FROM messages WHERE id = ?1");
    q.bind(1, *id);
    if (!q.next()) return std::nullopt;
    return std::optional<Bound>(Bound{q.integer(0), q.integer(1), inclusive});
  };

  auto run = [&](const std::optional<Bound>& lower, const std::optional<Bound>& upper,
                 bool ascending, std::int64_t n) {
    std::string sql(scope == Scope::thread ? kSelectMessages : kSelectChannelMessages);
    constexpr std::string_view kChannel = "m.channel = (SELECT key FROM channels WHERE cid = ?1)";
    sql += scope == Scope::channel  ? std::string(kChannel) + " AND m.in_channel = 1"
           : scope == Scope::pinned ? std::string(kChannel) + " AND m.pinned = 1"
                                    : std::string("m.parent_id = ?1");
    if (lower)
      sql += lower->inclusive ? " AND (m.created_at, m.rowid) >= (?2, ?3)"
                              : " AND (m.created_at, m.rowid) > (?2, ?3)";
    if (upper)
      sql += upper->inclusive ? " AND (m.created_at, m.rowid) <= (?4, ?5)"
                              : " AND (m.created_at, m.rowid) < (?4, ?5)";
    sql += ascending ? " ORDER BY m.created_at ASC, m.rowid ASC LIMIT ?6"
                     : " ORDER BY m.created_at DESC, m.rowid DESC LIMIT ?6";
    auto q = database.query(sql);
    q.bind(1, key).bind(6, n);
    if (lower) q.bind(2, lower->created_at).bind(3, lower->rowid);
    if (upper) q.bind(4, upper->created_at).bind(5, upper->rowid);
    std::vector<Message> rows;
    rows.reserve(static_cast<std::size_t>(n));
    while (q.next())
      rows.push_back(message_from_row(q));
    attach_own_reactions(rows);
    attach_local_states(rows);
    if (!ascending) std::reverse(rows.begin(), rows.end());
    return rows;
  };

  if (page.id_around) {
    auto before = resolve(page.id_around, false);
    if (!before) return {};
    auto from = resolve(page.id_around, true);
    std::vector<Message> older = run(std::nullopt, *before, false, limit);
    std::vector<Message> newer = run(*from, std::nullopt, true, limit);  // the cursor and after
    const auto k = static_cast<std::size_t>(limit);
    std::size_t take_older = std::min(older.size(), (k - 1) / 2);
    const std::size_t take_newer = std::min(newer.size(), k - take_older);
    take_older = std::min(older.size(), k - take_newer);
    std::vector<Message> window(
        std::make_move_iterator(older.end() - static_cast<long>(take_older)),
        std::make_move_iterator(older.end()));
    window.insert(window.end(), std::make_move_iterator(newer.begin()),
                  std::make_move_iterator(newer.begin() + static_cast<long>(take_newer)));
    return window;
  }

  auto lower = page.id_gte ? resolve(page.id_gte, true) : resolve(page.id_gt, false);
  auto upper = page.id_lte ? resolve(page.id_lte, true) : resolve(page.id_lt, false);
  if (!lower || !upper) return {};
  // Only a lower bound: the first page after it. Otherwise the last page before the upper bound.
  const bool ascending = lower->has_value() && !upper->has_value();
  return run(*lower, *upper, ascending, limit);
}

std::optional<Message> SqliteStore::message(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto q = db().query(std::string(kSelectMessages) + "m.id = ?1");
  q.bind(1, id);
  if (!q.next()) return std::nullopt;
  std::vector<Message> one{message_from_row(q)};
  attach_own_reactions(one);
  attach_local_states(one);
  return std::move(one.front());
}

std::vector<Member> SqliteStore::members(const std::string& cid) {
  std::lock_guard lock(mutex_);
  return members_locked(cid);
}

std::vector<Member> SqliteStore::members_locked(const std::string& cid) {
  auto q = db().query(R"(SELECT m.user_id, m.data, u.data FROM members m
                         LEFT JOIN users u ON u.id = m.user_id
                         WHERE m.cid = ?1 ORDER BY m.created_at, m.user_id)");
  q.bind(1, cid);
  std::vector<Member> members;
  while (q.next()) {
    json::value row = parse_row(q.text(1));
    json::object& object = row.as_object();
    object.insert_or_assign("user_id", q.text(0));
    members.push_back(from_json<Member>(row));
    members.back().user = cached_user(q.text(0), optional_text(q, 2));
  }
  return members;
}

std::vector<Read> SqliteStore::reads(const std::string& cid) {
  std::lock_guard lock(mutex_);
  return reads_locked(cid);
}

std::vector<Read> SqliteStore::reads_locked(const std::string& cid) {
  auto q = db().query(R"(SELECT r.user_id, r.data, u.data FROM reads r
                         LEFT JOIN users u ON u.id = r.user_id
                         WHERE r.cid = ?1 ORDER BY r.user_id)");
  q.bind(1, cid);
  std::vector<Read> reads;
  while (q.next()) {
    json::value row = parse_row(q.text(1));
    row.as_object().insert_or_assign("user", json::object{{"id", q.text(0)}});
    reads.push_back(from_json<Read>(row));
    reads.back().user = cached_user(q.text(0), optional_text(q, 2));
  }
  return reads;
}

std::optional<ChannelState> SqliteStore::channel_state(const std::string& cid,
                                                       const MessagePagination& page) {
  std::lock_guard lock(mutex_);
  return channel_state_locked(cid, page);
}

std::optional<ChannelState> SqliteStore::channel_state_locked(const std::string& cid,
                                                              const MessagePagination& page) {
  std::optional<Channel> channel = channel_locked(cid);
  if (!channel) return std::nullopt;
  ChannelState state{.channel = std::move(*channel)};
  state.messages = page_locked(Scope::channel, cid, page);
  state.pinned_messages = page_locked(Scope::pinned, cid, {});
  state.members = members_locked(cid);
  for (const auto& member : *state.members) {
    if (member.id() == user_id_) state.membership = member;
  }
  state.read = reads_locked(cid);
  return state;
}

std::optional<std::vector<ChannelState>> SqliteStore::query_channels(const Filter& filter,
                                                                     const Sort& sort,
                                                                     std::size_t offset,
                                                                     std::size_t limit,
                                                                     std::size_t message_limit) {
  std::lock_guard lock(mutex_);
  Database& database = db();
  const std::string key = query_key(filter, sort);
  {
    auto saved = database.query("SELECT 1 FROM saved_queries WHERE query_key = ?1");
    saved.bind(1, key);
    if (!saved.next()) return std::nullopt;
  }
  std::vector<std::string> cids;
  {
    auto q = database.query(
        "SELECT q.cid FROM channel_queries q JOIN channels c ON c.cid = q.cid "
        "WHERE q.query_key = ?1 ORDER BY " +
        order_by(sort) + " LIMIT ?2 OFFSET ?3");
    q.bind(1, key)
        .bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)))
        .bind(3, static_cast<std::int64_t>(std::min<std::size_t>(offset, INT64_MAX)));
    while (q.next())
      cids.emplace_back(q.text(0));
  }
  std::vector<ChannelState> states;
  states.reserve(cids.size());
  MessagePagination page{.limit = static_cast<std::int64_t>(message_limit)};
  for (const auto& cid : cids) {
    if (auto state = channel_state_locked(cid, page)) states.push_back(std::move(*state));
  }
  return states;
}

std::optional<Draft> SqliteStore::draft(const std::string& cid,
                                        const std::optional<std::string>& parent_id) {
  std::lock_guard lock(mutex_);
  auto q = db().query("SELECT data FROM drafts WHERE cid = ?1 AND parent_id = ?2");
  q.bind(1, cid).bind(2, parent_id.value_or(""));
  if (!q.next()) return std::nullopt;
  json::value row = parse_row(q.text(0));
  const json::object& data = row.as_object();
  auto created_at = Timestamp::parse(data.at("created_at").as_string());
  return Draft{.cid = cid,
               .parent_id = parent_id,
               .message = from_json<Message>(data.at("message")),
               .created_at = created_at.value_or(Timestamp())};
}

bool SqliteStore::acquire_lease(const std::string& name, const std::string& holder, Timestamp now,
                                Timestamp until) {
  std::lock_guard lock(mutex_);
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
  if (current != holder && !process_alive(current)) {
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
  std::lock_guard lock(mutex_);
  db().query("DELETE FROM leases WHERE name = ?1 AND holder = ?2")
      .bind(1, name)
      .bind(2, holder)
      .run();
}

std::vector<OutboxEntry> SqliteStore::outbox(std::int64_t after_id, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto q = db().query(
      fmt::format("SELECT {} FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2", kOutboxColumns));
  q.bind(1, after_id).bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  std::vector<OutboxEntry> entries;
  while (q.next())
    entries.push_back(outbox_entry(q));
  return entries;
}

}  // namespace chatkeep::store

// The store's reads. Each takes the store's lock, and a read of several statements one read
// transaction, for the whole read: what it returns is one committed state (a channel's messages,
// members and reads agree), even when another process (the agent) writes meanwhile, and the
// statements share one WAL read lock instead of taking one each. Users are stored once, not in
// the rows that name them, and looked up once per screen: one decoded User stands behind many
// messages, members and reads (cached_user(), emptied by every write).

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>
#include <boost/json/monotonic_resource.hpp>

#include "chatkeep/json.hpp"
#include "model/tables.hpp"
#include "outbox/uploads.hpp"
#include "store/rows.hpp"
#include "store/sqlite_store.hpp"

namespace chatkeep::store {
namespace {

namespace json = boost::json;

constexpr std::int64_t kDefaultPageSize = 25;

}  // namespace

std::optional<ConnectionInfo> SqliteStore::connection_info() {
  Lock lock(mutex_);
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
  Lock lock(mutex_);
  auto q = db().query("SELECT last_sync_at FROM connection_state WHERE id = 1");
  if (!q.next() || q.is_null(0)) return std::nullopt;
  return Timestamp::parse(q.text(0));
}

std::vector<std::string> SqliteStore::channel_cids(std::size_t limit) {
  Lock lock(mutex_);
  auto q = db().query("SELECT cid FROM channels ORDER BY last_message_at DESC, cid DESC LIMIT ?1");
  q.bind(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  std::vector<std::string> cids;
  while (q.next())
    cids.emplace_back(q.text(0));
  return cids;
}

std::optional<Channel> SqliteStore::channel(const std::string& cid) {
  Lock lock(mutex_);
  return channel_locked(cid);
}

std::optional<Channel> SqliteStore::channel_locked(const std::string& cid) {
  mutex_.assert_held();
  auto q = db().query(R"(SELECT c.cid, c.type, c.id, c.created_by_id, c.data,
                           c.last_message_at, c.hidden, c.truncated_at
                         FROM channels c WHERE c.cid = ?1)");
  q.bind(1, cid);
  if (!q.next()) return std::nullopt;
  Channel channel{
      .id = std::string(q.text(2)), .type = std::string(q.text(1)), .cid = std::string(q.text(0))};
  model::read_row(parse_row(q.text(4)), channel, {"id", "type", "cid"});
  read_channel_columns(q, 5, channel);
  if (!q.is_null(3)) channel.created_by = cached_user(q.text(3));
  return channel;
}

const User& SqliteStore::cached_user(std::string_view id) {
  if (auto found = user_cache_.find(id); found != user_cache_.end()) return found->second;
  if (user_cache_.size() >= kMaxCachedUsers) user_cache_.clear();
  auto q = db().query("SELECT data FROM users WHERE id = ?1");
  q.bind(1, id);
  const json::value user(user_object(id, q.next() ? std::optional(q.text(0)) : std::nullopt));
  return user_cache_.emplace(std::string(id), from_json<User>(user)).first->second;
}

Message SqliteStore::message_from_row(const Query& row) {
  // The row's JSON lives only until it is decoded: an arena spares the allocator.
  json::monotonic_resource arena(arena_buffer_.data(), arena_buffer_.size());
  Message message{.id = std::string(row.text(0)), .cid = std::string(row.text(1))};
  model::read_row(parse_row(row.text(3), json::storage_ptr(&arena)), message, {"id", "cid"});
  if (!row.is_null(2)) message.user = cached_user(row.text(2));
  message.own_reactions.emplace();
  return message;
}

void SqliteStore::attach_own_reactions(std::vector<Message>& messages) {
  // One query per chunk of a page rather than one per message; most messages have none.
  for_chunks(messages,
             "SELECT message_id, type, data FROM reactions WHERE user_id = ?1 AND "
             "message_id IN ",
             user_id_, [&](Message& m, const Query& q) {
               Reaction& reaction =
                   m.own_reactions->emplace_back(Reaction{.type = std::string(q.text(1)),
                                                          .message_id = std::string(q.text(0)),
                                                          .user_id = user_id_,
                                                          .user = cached_user(user_id_)});
               model::read_row(parse_row(q.text(2)), reaction, {"type"});
             });
}

void SqliteStore::attach_local_states(std::vector<Message>& messages) {
  // Mostly the outbox holds nothing for any message: one step says so, where the lookup of a
  // page's ids would prepare and bind a statement of its own.
  if (messages.empty()) return;
  if (!db().query("SELECT 1 FROM outbox WHERE message_id > '' LIMIT 1").next()) {
    for (auto& m : messages)
      outbox::attach_uploads(m, {});
    return;
  }
  // A message's state is its most pressing entry's: failed, else sending, else queued.
  auto rank = [](std::optional<LocalState> s) { return s ? static_cast<int>(*s) + 1 : 0; };
  std::unordered_map<std::string, std::vector<OutboxEntry>> uploads;  // by message id
  for_chunks(
      messages, "SELECT message_id, state, error, kind, payload FROM outbox WHERE message_id IN ",
      std::nullopt, [&](Message& m, const Query& q) {
        const std::string_view state = q.text(1);
        const LocalState s = state == "failed"    ? LocalState::failed
                             : state == "sending" ? LocalState::sending
                                                  : LocalState::queued;
        const auto error = q.is_null(2) ? std::nullopt : std::optional(std::string(q.text(2)));
        if (q.text(3) == to_string(OutboxKind::upload_attachment)) {
          const json::value payload = parse_row(q.text(4));
          uploads[m.id].push_back(OutboxEntry{.kind = OutboxKind::upload_attachment,
                                              .payload = payload.as_object(),
                                              .state = s == LocalState::failed ? OutboxState::failed
                                                       : s == LocalState::sending
                                                           ? OutboxState::sending
                                                           : OutboxState::queued,
                                              .error = error});
        }
        if (rank(s) <= rank(m.local_state)) return;
        m.local_state = s;
        m.local_error = error;
      });
  for (auto& m : messages)
    outbox::attach_uploads(m, uploads[m.id]);
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
  Lock lock(mutex_);
  ReadTransaction snapshot(db());
  return page_locked(Scope::channel, cid, page);
}

std::vector<Message> SqliteStore::pinned_messages(const std::string& cid,
                                                  const MessagePagination& page) {
  Lock lock(mutex_);
  ReadTransaction snapshot(db());
  return page_locked(Scope::pinned, cid, page);
}

std::vector<Message> SqliteStore::replies(const std::string& parent_id,
                                          const MessagePagination& page) {
  Lock lock(mutex_);
  ReadTransaction snapshot(db());
  return page_locked(Scope::thread, parent_id, page);
}

std::vector<Message> SqliteStore::page_locked(Scope scope, const std::string& key,
                                              const MessagePagination& page) {
  mutex_.assert_held();
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
    // A limit is a bound, not a size: "everything after this message" asks for a million.
    rows.reserve(static_cast<std::size_t>(std::min<std::int64_t>(n, 256)));
    while (q.next())
      rows.push_back(message_from_row(q));
    if (scope == Scope::pinned) {
      // A pin that expired is over, though nothing said so to the row.
      std::erase_if(rows,
                    [now = Timestamp::now()](const Message& m) { return !pinned_at_time(m, now); });
    }
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
  Lock lock(mutex_);
  ReadTransaction snapshot(db());
  auto q = db().query(std::string(kSelectMessages) + "m.id = ?1");
  q.bind(1, id);
  if (!q.next()) return std::nullopt;
  std::vector<Message> one{message_from_row(q)};
  attach_own_reactions(one);
  attach_local_states(one);
  return std::move(one.front());
}

std::vector<Member> SqliteStore::members(const std::string& cid) {
  Lock lock(mutex_);
  return members_locked(cid);
}

std::vector<Member> SqliteStore::members_locked(const std::string& cid) {
  mutex_.assert_held();
  auto q = db().query(R"(SELECT m.user_id, m.data FROM members m
                         WHERE m.cid = ?1 ORDER BY m.created_at, m.user_id)");
  q.bind(1, cid);
  std::vector<Member> members;
  while (q.next()) {
    Member& member = members.emplace_back();
    member.user_id = std::string(q.text(0));
    model::read_row(parse_row(q.text(1)), member, {"user_id"});
    member.user = cached_user(q.text(0));
  }
  return members;
}

std::vector<Read> SqliteStore::reads(const std::string& cid) {
  Lock lock(mutex_);
  ReadTransaction snapshot(db());
  return reads_locked(cid);
}

std::vector<Read> SqliteStore::reads_locked(const std::string& cid) {
  mutex_.assert_held();
  auto q = db().query(R"(SELECT r.user_id, r.data, r.unread_messages FROM reads r
                         WHERE r.cid = ?1 ORDER BY r.user_id)");
  q.bind(1, cid);
  std::vector<Read> reads;
  while (q.next())
    reads.push_back(stored_read(q, 1, cached_user(q.text(0))));
  for (auto& read : reads) {
    if (read.user.id == user_id_) read.unread_mentions = unread_mentions_locked(cid, read);
  }
  return reads;
}

// The stored messages after the user's last read that mention them and count as unread
// (counts_as_unread, and not their own).
std::int64_t SqliteStore::unread_mentions_locked(const std::string& cid, const Read& read) {
  mutex_.assert_held();
  auto q = db().query(R"(SELECT COUNT(*) FROM messages m JOIN channels c ON c.key = m.channel
      WHERE c.cid = ?1 AND m.mentions AND m.created_at > ?2 AND m.in_channel
        AND m.user_id IS NOT ?3
        AND NOT COALESCE(json_extract(m.data, '$.silent'), 0)
        AND NOT COALESCE(json_extract(m.data, '$.shadowed'), 0)
        AND COALESCE(json_extract(m.data, '$.type'), 'regular') <> 'system'
        AND EXISTS (SELECT 1 FROM json_each(m.data, '$.mentioned_users') u
          WHERE (CASE WHEN u.type = 'object' THEN json_extract(u.value, '$.id') ELSE u.value END)
            = ?3))");
  q.bind(1, cid)
      .bind(2, read.last_read ? read.last_read->unix_micros() : INT64_MIN)
      .bind(3, user_id_);
  return q.next() ? q.integer(0) : 0;
}

std::optional<ChannelState> SqliteStore::channel_state(const std::string& cid,
                                                       const MessagePagination& page) {
  Lock lock(mutex_);
  ReadTransaction snapshot(db());
  return channel_state_locked(cid, page);
}

std::optional<ChannelState> SqliteStore::channel_state_locked(const std::string& cid,
                                                              const MessagePagination& page) {
  mutex_.assert_held();
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
  Lock lock(mutex_);
  Database& database = db();
  ReadTransaction snapshot(database);
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
  Lock lock(mutex_);
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

std::optional<std::string> SqliteStore::uploaded_url(const std::string& cid,
                                                     const std::string& sha256) {
  Lock lock(mutex_);
  auto q = db().query("SELECT url FROM uploads WHERE cid = ?1 AND sha256 = ?2");
  q.bind(1, cid).bind(2, sha256);
  if (!q.next()) return std::nullopt;
  return std::string(q.text(0));
}

// One pass over the user's reads; mentions are counted only where something is unread.
UnreadCounts SqliteStore::unread_counts() {
  Lock lock(mutex_);
  ReadTransaction snapshot(db());
  auto q = db().query(R"(SELECT r.cid, r.data, r.unread_messages FROM reads r
      WHERE r.user_id = ?1 AND r.unread_messages > 0
        AND r.cid NOT IN (SELECT json_extract(m.value, '$.channel.cid')
          FROM connection_state c, json_each(c.own_user, '$.channel_mutes') m))");
  q.bind(1, user_id_);
  UnreadCounts counts;
  std::vector<std::pair<std::string, Read>> unread;
  while (q.next())
    unread.emplace_back(std::string(q.text(0)), stored_read(q, 1, User{.id = user_id_}));
  for (const auto& [cid, read] : unread) {
    counts.total_unread_count += read.unread_messages.value_or(0);
    counts.unread_channels += 1;
    counts.unread_mentions += unread_mentions_locked(cid, read);
  }
  return counts;
}

std::vector<HistoryGap> SqliteStore::gaps(const std::string& cid) {
  return thread_gaps(cid, "");
}

// The channel's own history is the thread ''.
std::vector<HistoryGap> SqliteStore::thread_gaps(const std::string& cid,
                                                 const std::string& parent_id) {
  Lock lock(mutex_);
  auto q = db().query(R"(SELECT g.after, g.before FROM gaps g JOIN channels c ON c.key = g.channel
                         WHERE c.cid = ?1 AND g.thread = ?2 ORDER BY g.after)");
  q.bind(1, cid).bind(2, parent_id);
  std::vector<HistoryGap> gaps;
  while (q.next()) {
    HistoryGap gap;
    if (q.integer(0) != INT64_MIN) gap.after = Timestamp::from_unix_micros(q.integer(0));
    if (q.integer(1) != INT64_MAX) gap.before = Timestamp::from_unix_micros(q.integer(1));
    gaps.push_back(gap);
  }
  return gaps;
}

std::vector<OutboxEntry> SqliteStore::outbox(std::int64_t after_id, std::size_t limit) {
  Lock lock(mutex_);
  auto q = db().query(
      fmt::format("SELECT {} FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2", kOutboxColumns));
  q.bind(1, after_id).bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  std::vector<OutboxEntry> entries;
  while (q.next())
    entries.push_back(outbox_entry(q));
  return entries;
}

}  // namespace chatkeep::store

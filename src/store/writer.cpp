// The writer: how a batch's mutations become rows (persistence.hpp states the rules; this is how
// they are kept).
//
// Messages carry the hard part. A message arrives many times: as an event, in a query's state, in
// /sync's catch-up, in the server's answer to the user's own action, and first of all (for the
// user's own sends) as a local echo, before the server has it. The copies come in any order, so
// the row keeps two facts beside the message's JSON:
//
//   version  the server's updated_at of the copy stored (NULL for an echo, or a row from before
//            versions): a copy older than the stored one is skipped, a copy without one always
//            replaces it;
//   local    whether the row holds a change of the user's made on top of that version, which the
//            server has not answered yet (an edit, a deletion, a reaction shown in the summary).
//
// A local change (`UpsertMessages::local`) always applies and keeps the version it was made on;
// after it, copies of that same version (a re-watch of the channel, a replayed event) no longer
// replace the row, since they do not show the change. A newer copy does, and so does the
// server's answer to the change (`answer`), which is at least as new as what it was made on.
//
// A newer copy would still undo what the user did and the server has not seen. So every copy
// that is neither an echo nor a local change is stored with the outbox's entries about its message
// replayed on it (replay(), outbox.hpp), in the order they were made, and then counts as local on
// its own version. A pending hard deletion keeps the copy out altogether. Delivery removes an entry
// before its answer is stored, so the answer is replayed on with what is still waiting only.
//
// Echoes of sends (`echo`) move the channel's last_message_at but count no unread message: the
// server's copy (`arrived`) does that the first time it is stored, which the `echo` column marks
// as not yet having happened. Reactions follow their message's version: a change that came with
// an older copy than the stored one is skipped (newer_than()).
//
// Users are written once per batch and connection: a message stream repeats the same users, and
// UserHashes remembers what was committed, so that an unchanged user costs no statement.

#include "store/writer.hpp"

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

#include "chatkeep/json.hpp"
#include "model/tables.hpp"
#include "outbox/rules.hpp"
#include "store/gaps.hpp"
#include "store/read_order.hpp"
#include "store/rows.hpp"
#include "store/stale_copies.hpp"

namespace chatkeep::store {
namespace {

namespace json = boost::json;

// The hash recorded for a user known to exist whose stored data this connection has not seen.
constexpr std::size_t kUnknownData = 0;

}  // namespace

// --- users ---------------------------------------------------------------------------------------
// Every object that names a user records it here once.

void Writer::operator()(const UpsertUsers& m) {
  for (const auto& user : m.users)
    upsert_user(user);
}

void Writer::upsert_user(const User& user) {
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

// --- channels ------------------------------------------------------------------------------------
// A channel is one row keyed by an integer that messages name it by; stubs stand in for channels
// known only by cid.

void Writer::operator()(const UpsertChannels& m) {
  for (const auto& given : m.channels) {
    split_cid(given.cid);
    const Channel* chosen = m.partial ? &keep_local_fields(given) : &given;
    // A copy never takes the last message time back: an answer can be older than a message
    // stored since (TruncateChannel is what takes it back). Nor the latest truncation.
    {
      auto q = db_.query("SELECT last_message_at, truncated_at FROM channels WHERE cid = ?1");
      q.bind(1, given.cid);
      if (q.next()) {
        auto merged = [&]() -> Channel& {
          if (chosen != &merged_) merged_ = given;
          chosen = &merged_;
          return merged_;
        };
        if (!q.is_null(0) &&
            (!chosen->last_message_at || chosen->last_message_at->unix_micros() < q.integer(0))) {
          merged().last_message_at = Timestamp::from_unix_micros(q.integer(0));
        }
        const auto truncated = q.is_null(1) ? std::nullopt : Timestamp::parse(q.text(1));
        if (truncated && (!chosen->truncated_at || *chosen->truncated_at < *truncated)) {
          merged().truncated_at = truncated;
        }
      }
      truncations_.erase(given.cid);
    }
    const Channel& channel = *chosen;
    if (channel.created_by) upsert_user(*channel.created_by);
    db_.query(R"(INSERT INTO channels (cid, type, id, created_by_id, created_at, updated_at,
                   last_message_at, member_count, data, hidden, truncated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (cid) DO UPDATE SET type = excluded.type, id = excluded.id,
                   created_by_id = excluded.created_by_id, created_at = excluded.created_at,
                   updated_at = excluded.updated_at, last_message_at = excluded.last_message_at,
                   member_count = excluded.member_count, data = excluded.data,
                   hidden = excluded.hidden, truncated_at = excluded.truncated_at)")
        .bind(1, channel.cid)
        .bind(2, channel.type)
        .bind(3, channel.id)
        .bind(4, channel.created_by ? std::optional(channel.created_by->id) : std::nullopt)
        .bind(5, micros(channel.created_at))
        .bind(6, micros(channel.updated_at))
        .bind(7, micros(channel.last_message_at))
        .bind(8, channel.member_count)
        .bind(9, model::encode_except(
                     channel, {"cid", "id", "type", "created_by", "hidden", "truncated_at"}))
        .bind(10, channel.hidden ? std::optional<std::int64_t>(*channel.hidden) : std::nullopt)
        .bind(11, channel.truncated_at ? std::optional(channel.truncated_at->to_string())
                                       : std::nullopt)
        .run();
  }
}

const Channel& Writer::keep_local_fields(const Channel& given) {
  merged_ = given;
  auto q = db_.query(R"(SELECT json_extract(data, '$.own_capabilities'),
                          json_extract(data, '$.config'), hidden, member_count
                        FROM channels WHERE cid = ?1)");
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

std::int64_t Writer::ensure_channel(const std::string& cid) {
  if (auto known = channel_keys_.find(cid); known != channel_keys_.end()) return known->second;
  // Its truncation with it: every message stored asks for both.
  auto q = db_.query("SELECT key, truncated_at FROM channels WHERE cid = ?1");
  q.bind(1, cid);
  if (q.next()) {
    truncations_[cid] = q.is_null(1) ? std::nullopt : Timestamp::parse(q.text(1));
    return channel_keys_[cid] = q.integer(0);
  }
  auto [type, id] = split_cid(cid);
  db_.query("INSERT INTO channels (cid, type, id, data) VALUES (?1, ?2, ?3, '{}')")
      .bind(1, cid)
      .bind(2, type)
      .bind(3, id)
      .run();
  truncations_[cid] = std::nullopt;
  return channel_keys_[cid] = db_.last_insert_rowid();
}

void Writer::operator()(const SetChannelHidden& m) {
  ensure_channel(m.cid);
  db_.query("UPDATE channels SET hidden = ?2 WHERE cid = ?1")
      .bind(1, m.cid)
      .bind(2, std::int64_t{m.hidden})
      .run();
}

void Writer::operator()(const DeleteChannels& m) {
  for (const auto& cid : m.cids) {
    db_.query("DELETE FROM channels WHERE cid = ?1").bind(1, cid).run();
    channel_keys_.erase(cid);  // a later mutation of this batch may create it anew
    truncations_.erase(cid);
  }
}

// --- messages ------------------------------------------------------------------------------------
// Versions, echoes, local changes and the replay of pending actions: see the essay above.

void Writer::operator()(const UpsertMessages& m) {
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
    if (m.arrived || m.echo || m.with_reads) {
      auto known = db_.query("SELECT echo FROM messages WHERE id = ?1");
      known.bind(1, message.id);
      first_time = !known.next();
      stored_as_echo = !first_time && known.integer(0) != 0;
    }
    const std::string& cid = message_channel(message, m.cid);
    const std::int64_t channel = ensure_channel(cid);
    if (!m.local && !m.echo &&
        taken_by_truncation(m.arrived, *message.created_at, truncated_at(cid))) {
      continue;
    }
    if (message.user) upsert_user(*message.user);
    // A local change always applies and keeps the version it was made on; a copy with
    // pending changes replayed on it applies as a copy and holds them as local (?14).
    db_.query(R"(INSERT INTO messages (id, channel, created_at, user_id, parent_id,
                   show_in_channel, pinned, data, echo, version, local, mentions)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?11, ?14, ?15)
                 ON CONFLICT (id) DO UPDATE SET channel = excluded.channel,
                   created_at = excluded.created_at, user_id = excluded.user_id,
                   parent_id = excluded.parent_id, show_in_channel = excluded.show_in_channel,
                   pinned = excluded.pinned, data = excluded.data, mentions = excluded.mentions,
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
        .bind(11, m.echo || !message.updated_at ? std::nullopt
                                                : std::optional(message.updated_at->unix_micros()))
        .bind(12, std::int64_t{m.local})
        .bind(13, std::int64_t{m.answer})
        .bind(14, std::int64_t{local_change})
        .bind(15, std::int64_t{message.mentioned_users && !message.mentioned_users->empty()})
        .run();
    if ((m.arrived || m.with_reads) && stored_as_echo) {
      // The server has it now, even if a newer copy was stored already and this one skipped.
      db_.query("UPDATE messages SET echo = 0 WHERE id = ?1").bind(1, message.id).run();
    }
    if (m.arrived && (first_time || stored_as_echo)) {
      count_arrival(channel, cid, message, true, m.muted_by);
    } else if (m.echo && first_time) {
      count_arrival(channel, cid, message, false, m.muted_by);
    }
    // A reply heard of for the first time counts on its parent (its echo counted already), a
    // message of the same channel: a peer's parent id moves nothing elsewhere.
    if (m.arrived && first_time && message.parent_id) {
      db_.query(R"(UPDATE messages SET data = json_set(data, '$.reply_count',
                     COALESCE(json_extract(data, '$.reply_count'), 0) + 1)
                   WHERE id = ?1 AND channel = ?2)")
          .bind(1, *message.parent_id)
          .bind(2, channel)
          .run();
    }
  }
}

bool Writer::outbox_has_message_entries() {
  if (!outbox_has_message_entries_) {
    auto q = db_.query("SELECT EXISTS (SELECT 1 FROM outbox WHERE message_id > '')");
    outbox_has_message_entries_ = q.next() && q.integer(0) != 0;
  }
  return *outbox_has_message_entries_;
}

Replayed Writer::replay_pending(const Message& given, Message& out) {
  static const std::string sql = fmt::format(R"(SELECT {} FROM outbox WHERE message_id = ?1
                     OR (kind = 'send_message' AND json_extract(payload, '$.message.parent_id') = ?1)
                     ORDER BY id)",
                                             kOutboxColumns);
  auto q = db_.query(sql);
  q.bind(1, given.id);
  std::vector<OutboxEntry> entries;
  while (q.next()) {
    try {
      entries.push_back(outbox_entry(q));
    } catch (const ChatError&) {
      // An entry this library cannot read (a damaged row) shows nothing; the outbox's own
      // reads report it. It must not stop every copy of its message from being stored.
    }
  }
  return outbox::replay_all(entries, me_, given, out);
}

void Writer::count_arrival(std::int64_t channel, const std::string& cid, const Message& message,
                           bool unread, const std::vector<std::string>& muted_by) {
  // A reply that lives only in its thread leaves the channel as it was (Stream's rule).
  if (!shown_in_channel(message)) return;
  // A new message (`unread`) also brings a channel the user hid back (Stream's hide/show): the
  // server shows it again without an event of its own.
  db_.query(R"(UPDATE channels SET last_message_at = max(COALESCE(last_message_at, ?2), ?2),
                 hidden = CASE WHEN ?3 AND hidden THEN 0 ELSE hidden END
               WHERE key = ?1 AND (last_message_at IS NULL OR last_message_at < ?2
                                   OR (?3 AND hidden)))")
      .bind(1, channel)
      .bind(2, message.created_at->unix_micros())
      .bind(3, std::int64_t{unread})
      .run();
  if (!unread || !counts_as_unread(message)) return;
  // Everyone's but the sender's and theirs who muted the sender.
  const auto sender = message.user ? std::optional(message.user->id) : std::nullopt;
  if (muted_by.empty()) {
    db_.query(R"(UPDATE reads SET unread_messages = COALESCE(unread_messages, 0) + 1
                 WHERE cid = ?1 AND user_id IS NOT ?2)")
        .bind(1, cid)
        .bind(2, sender)
        .run();
    return;
  }
  json::array muted;
  for (const auto& id : muted_by)
    muted.emplace_back(id);
  db_.query(R"(UPDATE reads SET unread_messages = COALESCE(unread_messages, 0) + 1
               WHERE cid = ?1 AND user_id IS NOT ?2
                 AND user_id NOT IN (SELECT value FROM json_each(?3)))")
      .bind(1, cid)
      .bind(2, sender)
      .bind(3, json::serialize(muted))
      .run();
}

void Writer::operator()(const DeleteMessages& m) {
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

void Writer::operator()(const TruncateChannel& m) {
  db_.query(R"(UPDATE reads SET unread_messages = 0 WHERE cid = ?1 AND (?2 OR user_id = ?3))")
      .bind(1, m.cid)
      .bind(2, std::int64_t{m.for_everyone})
      .bind(3, me_)
      .run();
  // A message whose send is still in the outbox reaches the server after the truncation.
  db_.query(R"(DELETE FROM messages
               WHERE channel = (SELECT key FROM channels WHERE cid = ?1)
                 AND (?2 IS NULL OR created_at < ?2)
                 AND id NOT IN (SELECT message_id FROM outbox WHERE kind = 'send_message'))")
      .bind(1, m.cid)
      .bind(2, m.before ? std::optional(m.before->unix_micros()) : std::nullopt)
      .run();
  // The last message time is the newest message left shown in the channel, if any.
  std::optional<std::int64_t> newest;
  {
    auto q = db_.query(R"(SELECT MAX(created_at) FROM messages
                          WHERE channel = (SELECT key FROM channels WHERE cid = ?1) AND in_channel)");
    q.bind(1, m.cid);
    if (q.next() && !q.is_null(0)) newest = q.integer(0);
  }
  if (newest) {
    db_.query("UPDATE channels SET last_message_at = ?2 WHERE cid = ?1")
        .bind(1, m.cid)
        .bind(2, *newest)
        .run();
  } else {
    db_.query(R"(UPDATE channels SET last_message_at = NULL,
                   data = json_remove(data, '$.last_message_at') WHERE cid = ?1)")
        .bind(1, m.cid)
        .run();
  }
}

// --- reactions -----------------------------------------------------------------------------------
// Reactions of messages not stored are skipped; a change from an older copy of the message than the
// stored one is too.

void Writer::operator()(const UpsertReactions& m) {
  for (const auto& reaction : m.reactions) {
    if (reaction.message_id && newer_than(*reaction.message_id, m.as_of)) continue;
    upsert_reaction(reaction, std::nullopt, std::nullopt);
  }
}

void Writer::operator()(const DeleteReaction& m) {
  if (newer_than(m.message_id, m.as_of)) return;
  db_.query("DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2 AND type = ?3")
      .bind(1, m.message_id)
      .bind(2, m.user_id)
      .bind(3, m.type)
      .run();
}

void Writer::operator()(const ReplaceReactions& m) {
  if (newer_than(m.message_id, m.as_of)) return;
  db_.query("DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2")
      .bind(1, m.message_id)
      .bind(2, m.user_id)
      .run();
  for (const auto& reaction : m.reactions)
    upsert_reaction(reaction, m.message_id, m.user_id);
}

void Writer::upsert_reaction(const Reaction& reaction, const std::optional<std::string>& message_id,
                             const std::optional<std::string>& user_id) {
  const auto [mid, uid] = reaction_owner(reaction, message_id, user_id);
  if (reaction.user) upsert_user(*reaction.user);
  db_.query(R"(INSERT INTO reactions (message_id, user_id, type, data)
                 SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?1)
               ON CONFLICT (message_id, user_id, type) DO UPDATE SET data = excluded.data)")
      .bind(1, mid)
      .bind(2, uid)
      .bind(3, reaction.type)
      .bind(4, model::encode_except(reaction, {"message_id", "user_id", "type", "user"}))
      .run();
}

bool Writer::newer_than(const std::string& message_id, const std::optional<Timestamp>& as_of) {
  if (!as_of) return false;
  auto q = db_.query("SELECT version, local FROM messages WHERE id = ?1");
  q.bind(1, message_id);
  if (!q.next() || q.is_null(0)) return false;
  return q.integer(0) > as_of->unix_micros() ||
         (q.integer(0) == as_of->unix_micros() && q.integer(1) != 0);
}

// --- members and reads ---------------------------------------------------------------------------
// A read belongs to a member: it comes and goes with them.

void Writer::operator()(const UpsertMembers& m) {
  ensure_channel(m.cid);
  for (const auto& member : m.members) {
    if (member.user) upsert_user(*member.user);
    if (!outlives_departure(m.cid, member)) continue;
    db_.query(R"(INSERT INTO members (cid, user_id, created_at, data) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (cid, user_id) DO UPDATE SET created_at = excluded.created_at,
                   data = excluded.data)")
        .bind(1, m.cid)
        .bind(2, member.id())
        .bind(3, micros(member.created_at))
        .bind(4, model::encode_except(member, {"user_id", "user"}))
        .run();
    // A member has a read from the day they join, with nothing unread yet. Its time is
    // the server's to tell (a guess would outrank the server's read: read_order.hpp).
    db_.query(R"(INSERT INTO reads (cid, user_id, unread_messages, data) VALUES (?1, ?2, 0, '{}')
                 ON CONFLICT (cid, user_id) DO NOTHING)")
        .bind(1, m.cid)
        .bind(2, member.id())
        .run();
  }
}

// A copy of a member made after their departure, if any, ends it; an older one (or one without
// a time) is skipped.
bool Writer::outlives_departure(const std::string& cid, const Member& member) {
  auto q = db_.query("SELECT departed_at FROM departed_members WHERE cid = ?1 AND user_id = ?2");
  q.bind(1, cid).bind(2, member.id());
  if (!q.next()) return true;
  if (!made_after_departure(member, q.integer(0))) return false;
  db_.query("DELETE FROM departed_members WHERE cid = ?1 AND user_id = ?2")
      .bind(1, cid)
      .bind(2, member.id())
      .run();
  return true;
}

void Writer::operator()(const DeleteMembers& m) {
  for (const auto& user_id : m.user_ids) {
    db_.query("DELETE FROM members WHERE cid = ?1 AND user_id = ?2")
        .bind(1, m.cid)
        .bind(2, user_id)
        .run();
    db_.query("DELETE FROM reads WHERE cid = ?1 AND user_id = ?2")
        .bind(1, m.cid)
        .bind(2, user_id)
        .run();
    if (!m.at) continue;
    db_.query(R"(INSERT INTO departed_members (cid, user_id, departed_at)
                 SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM channels WHERE cid = ?1)
                 ON CONFLICT (cid, user_id) DO UPDATE SET
                   departed_at = max(departed_at, excluded.departed_at))")
        .bind(1, m.cid)
        .bind(2, user_id)
        .bind(3, m.at->unix_micros())
        .run();
  }
}

void Writer::operator()(const UpsertReads& m) {
  ensure_channel(m.cid);
  const bool before_truncation =
      m.of_channel && counted_before_truncation(m.truncated_at, truncated_at(m.cid));
  for (const auto& given : m.reads) {
    upsert_user(given.user);
    {
      auto q = db_.query(R"(SELECT 1 FROM departed_members d WHERE cid = ?1 AND user_id = ?2
                              AND NOT EXISTS (SELECT 1 FROM members
                                              WHERE cid = d.cid AND user_id = d.user_id))");
      q.bind(1, m.cid).bind(2, given.user.id);
      if (q.next()) continue;  // gone: the read of a departed user who is no member
    }
    std::optional<Read> stored;
    {
      auto q = db_.query("SELECT data, unread_messages FROM reads WHERE cid = ?1 AND user_id = ?2");
      q.bind(1, m.cid).bind(2, given.user.id);
      if (q.next()) stored = stored_read(q, 0, User{.id = given.user.id});
    }
    const Read read =
        before_truncation ? moved_forward(stored, std::move(given)) : later_read(stored, given);
    db_.query(R"(INSERT INTO reads (cid, user_id, data, unread_messages) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (cid, user_id) DO UPDATE SET data = excluded.data,
                   unread_messages = excluded.unread_messages)")
        .bind(1, m.cid)
        .bind(2, read.user.id)
        .bind(3, model::encode_except(read, {"user", "unread_messages"}))
        .bind(4, read.unread_messages)
        .run();
  }
}

std::optional<Timestamp> Writer::truncated_at(const std::string& cid) {
  if (auto known = truncations_.find(cid); known != truncations_.end()) return known->second;
  auto q = db_.query("SELECT truncated_at FROM channels WHERE cid = ?1");
  q.bind(1, cid);
  std::optional<Timestamp> truncated;
  if (q.next() && !q.is_null(0)) truncated = Timestamp::parse(q.text(0));
  return truncations_[cid] = truncated;
}

void Writer::operator()(const MarkAllRead& m) {
  db_.query(R"(UPDATE reads SET unread_messages = 0, data = json_set(data, '$.last_read', ?2)
               WHERE user_id = ?1)")
      .bind(1, m.user_id)
      .bind(2, m.at.to_string())
      .run();
}

// --- drafts --------------------------------------------------------------------------------------

void Writer::operator()(const UpsertDrafts& m) {
  for (const auto& draft : m.drafts) {
    // The newest write wins, by when it was written.
    auto stored = db_.query(R"(SELECT json_extract(data, '$.created_at') FROM drafts
                               WHERE cid = ?1 AND parent_id = ?2)");
    stored.bind(1, draft.cid).bind(2, draft.parent_id.value_or(""));
    if (stored.next()) {
      const auto at = Timestamp::parse(stored.text(0));
      if (at && draft.created_at < *at) continue;
    }
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

void Writer::operator()(const DeleteDraft& m) {
  db_.query("DELETE FROM drafts WHERE cid = ?1 AND parent_id = ?2")
      .bind(1, m.cid)
      .bind(2, m.parent_id.value_or(""))
      .run();
}

// --- saved_queries and channel_queries -----------------------------------------------------------
// The query cache: which channels a query answered with, in the server's order.

void Writer::operator()(const SaveChannelQuery& m) {
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

// --- connection_state ----------------------------------------------------------------------------
// One row: the own user, the unread totals and the /sync checkpoint.

void Writer::operator()(const SetConnectionInfo& m) {
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

void Writer::operator()(const SetUnreadCounts& m) {
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

void Writer::operator()(const SetLastSyncAt& m) {
  // An upsert: the checkpoint must stick even when nothing else is stored (after a flush).
  db_.query(R"(INSERT INTO connection_state (id, last_sync_at) VALUES (1, ?1)
               ON CONFLICT (id) DO UPDATE SET last_sync_at = excluded.last_sync_at)")
      .bind(1, m.last_sync_at.to_string())
      .run();
}

// --- outbox --------------------------------------------------------------------------------------
// The user's actions the server has not confirmed; rows are local-only: nothing cascades into them.

void Writer::operator()(const AddOutboxEntry& m) {
  const OutboxEntry& e = m.entry;
  if (!e.cid.empty()) split_cid(e.cid);  // empty: an action about no channel
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

void Writer::operator()(const UpdateOutboxEntry& m) {
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

void Writer::operator()(const RemoveOutboxEntry& m) {
  db_.query("DELETE FROM outbox WHERE id = ?1").bind(1, m.id).run();
}

// --- uploads -------------------------------------------------------------------------------------
// Local-only like the outbox: what the user's own uploads became on the server.

void Writer::operator()(const RecordUpload& m) {
  split_cid(m.cid);
  db_.query("INSERT OR REPLACE INTO uploads (cid, sha256, url) VALUES (?1, ?2, ?3)")
      .bind(1, m.cid)
      .bind(2, m.sha256)
      .bind(3, m.url)
      .run();
}

// --- gaps ----------------------------------------------------------------------------------------
// What a page proves is store/gaps.cpp's; here, what was stored before it, and the table.

void Writer::operator()(const RecordPage& m) {
  const std::int64_t channel = ensure_channel(m.cid);
  const std::string thread = m.parent_id.value_or("");  // '': the channel's own history
  // Which messages the page is of: those shown in the channel, or the thread's replies.
  const std::string scope = m.parent_id ? "parent_id = ?3" : "in_channel";
  auto stored_at = [&](const std::string& id) -> std::optional<std::int64_t> {
    auto q =
        db_.query(std::string("SELECT created_at FROM messages WHERE id = ?1 AND channel = ?2") +
                  (m.parent_id ? " AND parent_id = ?3" : ""));
    q.bind(1, id).bind(2, channel);
    if (m.parent_id) q.bind(3, *m.parent_id);
    if (!q.next()) return std::nullopt;
    return q.integer(0);
  };
  const std::optional<std::string> cursor = page_cursor(m.page);
  const std::optional<std::int64_t> cursor_at = cursor ? stored_at(*cursor) : std::nullopt;
  const std::optional<Span> span = covered_span(m, cursor_at);
  if (!span) return;
  bool joined = cursor_at.has_value();
  for (std::size_t i = 0; i < m.messages.size() && !joined; ++i)
    joined = stored_at(m.messages[i].first).has_value();

  std::vector<Gap> gaps;
  {
    auto q = db_.query("SELECT after, before FROM gaps WHERE channel = ?1 AND thread = ?2");
    q.bind(1, channel).bind(2, thread);
    while (q.next())
      gaps.emplace_back(q.integer(0), q.integer(1));
  }
  if (!joined) {
    // Stored messages beyond an open end of a page that joins nothing stored: between them the
    // server may hold more.
    auto neighbour = [&](const char* extreme, const char* beyond,
                         std::int64_t at) -> std::optional<std::int64_t> {
      auto q =
          db_.query(fmt::format("SELECT {}(created_at) FROM messages WHERE channel = ?1 AND "
                                "{} AND created_at {} ?2",
                                extreme, scope, beyond));
      q.bind(1, channel).bind(2, at);
      if (m.parent_id) q.bind(3, *m.parent_id);
      if (!q.next() || q.is_null(0)) return std::nullopt;
      return q.integer(0);
    };
    if (span->lo != INT64_MIN) {
      if (auto below = neighbour("MAX", "<", span->lo)) gaps.emplace_back(*below, span->lo);
    }
    if (span->hi != INT64_MAX) {
      if (auto above = neighbour("MIN", ">", span->hi)) gaps.emplace_back(span->hi, *above);
    }
  }
  gaps = without(gaps, *span);
  db_.query("DELETE FROM gaps WHERE channel = ?1 AND thread = ?2")
      .bind(1, channel)
      .bind(2, thread)
      .run();
  for (const auto& [after, before] : gaps) {
    db_.query(R"(INSERT INTO gaps (channel, thread, after, before) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (channel, thread, after)
                 DO UPDATE SET before = MAX(before, excluded.before))")
        .bind(1, channel)
        .bind(2, thread)
        .bind(3, after)
        .bind(4, before)
        .run();
  }
}

void Writer::operator()(const ForgetUpload& m) {
  db_.query("DELETE FROM uploads WHERE cid = ?1 AND url = ?2").bind(1, m.cid).bind(2, m.url).run();
}

// --- unknown_events ------------------------------------------------------------------------------

void Writer::operator()(const CountUnknownEvent& m) {
  const std::string type = m.type.substr(0, kMaxUnknownEventTypeLength);
  db_.query(R"(INSERT INTO unknown_events (type, count)
               SELECT ?1, 1 WHERE (SELECT COUNT(*) FROM unknown_events) < ?2
               ON CONFLICT (type) DO UPDATE SET count = count + 1)")
      .bind(1, type)
      .bind(2, static_cast<std::int64_t>(kMaxUnknownEventTypes))
      .run();
}

}  // namespace chatkeep::store

// State: messages, threads and reactions.

#include <algorithm>
#include <climits>
#include <map>
#include <tuple>

#include <boost/json/serialize.hpp>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "state.hpp"

namespace chatkeep::server {

namespace {

ChatError no_message(const std::string& id) {
  return ChatError(ErrorCode::not_found, "message with id " + id + " not found", 404);
}

}  // namespace

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

std::vector<Message> State::search_messages(const std::string& user_id,
                                            const std::vector<std::string>& cids,
                                            const std::optional<search::SearchTerms>& terms,
                                            bool by_relevance, std::size_t max) {
  const std::string words = terms ? terms->fts5_words() : "";
  std::string sql = "SELECT m.data, m.user_id FROM ";
  sql += words.empty() ? "messages m" : "message_words w JOIN messages m ON m.rowid = w.rowid";
  // Not deleted (soft deletes leave the index, so only a search without terms sees them), not
  // deleted for the reader, not before the reader's cleared history.
  sql += R"( WHERE m.cid IN (SELECT value FROM json_each(?1))
             AND json_extract(m.data, '$.type') IS NOT 'deleted'
             AND m.id NOT IN (SELECT message_id FROM deleted_for WHERE user_id = ?2)
             AND m.created_at > (SELECT cleared_at FROM members
                                 WHERE cid = m.cid AND user_id = ?2))";
  std::vector<std::string> values;
  if (!words.empty()) {
    sql += " AND message_words MATCH ?3";
    values.push_back(words);
  }
  for (const auto& s : terms ? terms->substrings : std::vector<std::string>{}) {
    const auto i = std::to_string(values.size() + 3);
    if (search::code_points(s) >= 3) {
      sql += " AND m.rowid IN (SELECT rowid FROM message_unspaced WHERE message_unspaced MATCH ?" +
             i + ")";
      values.push_back(search::fts5_quoted(s));
    } else {
      sql +=
          " AND m.rowid IN (SELECT id FROM message_unspaced_docsize)"
          " AND instr(lower(chatkeep_indexed_text(m.data)), lower(?" +
          i + ")) > 0";
      values.push_back(s);
    }
  }
  sql += by_relevance && !words.empty() ? " ORDER BY bm25(message_words), m.created_at DESC"
                                        : " ORDER BY m.created_at DESC, m.rowid DESC";
  sql += " LIMIT " + std::to_string(max);
  boost::json::array list;
  for (const auto& cid : cids)
    list.emplace_back(cid);
  auto q = db_.query(sql);
  q.bind(1, boost::json::serialize(list)).bind(2, user_id);
  for (std::size_t i = 0; i < values.size(); ++i)
    q.bind(static_cast<int>(i + 3), values[i]);
  std::vector<Message> found;
  while (q.next())
    found.push_back(read_message(q));
  return found;
}

void State::write_message(const Message& message) {
  Message stored = message;
  stored.user.reset();
  stored.latest_reactions.reset();
  stored.own_reactions.reset();
  stored.reaction_counts.reset();
  stored.reaction_scores.reset();
  stored.reaction_groups.reset();
  db_.query("UPDATE messages SET data = ?2 WHERE id = ?1")
      .bind(1, message.id)
      .bind(2, encode(stored))
      .run();
}

void State::touch_message(const std::string& id, Timestamp at) {
  db_.query("UPDATE messages SET data = json_set(data, '$.updated_at', ?2) WHERE id = ?1")
      .bind(1, id)
      .bind(2, at.to_string())
      .run();
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
  auto exists = db_.query("SELECT 1 FROM messages WHERE id = ?1");
  exists.bind(1, message.id);
  if (exists.next()) {
    throw ChatError(
        ErrorCode::input,
        "SendMessage failed with error: \"a message with ID " + message.id + " already exists\"",
        400);
  }
  const std::string cid = *message.cid;
  if (message.parent_id) {
    auto parent = this->message(*message.parent_id);
    if (!parent || parent->cid != cid || parent->parent_id) {
      throw ChatError(ErrorCode::input,
                      "parent_id: " + *message.parent_id + " is not a message of channel " + cid,
                      400);
    }
    db_.query(R"(UPDATE messages SET data = json_set(data, '$.reply_count',
                   COALESCE(json_extract(data, '$.reply_count'), 0) + 1) WHERE id = ?1)")
        .bind(1, *message.parent_id)
        .run();
  }
  std::optional<std::string> user_id =
      message.user ? std::optional(message.user->id) : std::nullopt;
  Message stored = message;
  stored.user.reset();
  const bool shown = shown_in_channel(message);
  db_.query(R"(INSERT INTO messages (id, cid, created_at, user_id, parent_id, in_channel, data)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))")
      .bind(1, message.id)
      .bind(2, cid)
      .bind(3, message.created_at->unix_micros())
      .bind(4, user_id)
      .bind(5, message.parent_id)
      .bind(6, std::int64_t{shown})
      .bind(7, encode(stored))
      .run();
  if (shown) {
    db_.query("UPDATE channels SET data = json_set(data, '$.last_message_at', ?2) WHERE cid = ?1")
        .bind(1, cid)
        .bind(2, message.created_at->to_string())
        .run();
    if (counts_as_unread(message)) {
      // Everyone's but the sender's, and not of those who muted the sender (Stream's rule).
      db_.query(R"(UPDATE reads SET unread_messages = unread_messages + 1
                   WHERE cid = ?1 AND user_id IS NOT ?2
                     AND user_id NOT IN (SELECT user_id FROM user_mutes WHERE target_id = ?2
                                           AND (expires IS NULL OR expires > ?3)))")
          .bind(1, cid)
          .bind(2, user_id)
          .bind(3, message.created_at->unix_micros())
          .run();
    }
    // A new message brings a hidden channel back (Stream's hide/show).
    db_.query("UPDATE members SET hidden = 0 WHERE cid = ?1 AND hidden = 1").bind(1, cid).run();
  }
  if (user_id) message.user = user_or_reference(*user_id);
  Event created = event(EventType::message_new, cid, user_id.value_or(""));
  created.message = message;
  append(std::move(created));
  if (message.parent_id) {
    // The parent's reply_count moved: watchers hear of it as an update, or a client that stored
    // the reply from a page before its event came would keep the old count.
    Event parent_updated = event(EventType::message_updated, cid, user_id.value_or(""));
    parent_updated.message = this->message(*message.parent_id);
    append(std::move(parent_updated));
  }
  // Sent from its draft: the draft of its channel or thread goes (Stream's rule).
  if (user_id) delete_draft(*user_id, cid, message.parent_id.value_or(""));
  transaction.commit();
  return message;
}

std::vector<Message> State::messages(const std::string& cid, const MessagePagination& page,
                                     const std::string& reader,
                                     const std::optional<std::string>& parent_id, Timestamp after) {
  const std::int64_t limit = std::clamp<std::int64_t>(page.limit.value_or(25), 0, 300);
  // A cursor is the (created_at, rowid) of the message it names, a message of this channel: one
  // of another channel would tell when it was written to a reader who may not see it.
  auto bound = [&](const std::optional<std::string>& id)
      -> std::optional<std::pair<std::int64_t, std::int64_t>> {
    if (!id) return std::nullopt;
    auto q = db_.query("SELECT created_at, rowid FROM messages WHERE id = ?1 AND cid = ?2");
    q.bind(1, *id).bind(2, cid);
    if (!q.next()) return std::pair<std::int64_t, std::int64_t>{INT64_MIN, INT64_MIN};
    return std::pair{q.integer(0), q.integer(1)};
  };
  // The messages between two bounds, each (created_at, rowid, inclusive): the first n after
  // the lower one when it is the only one, else the last n before the upper one; ascending.
  using Bound = std::optional<std::tuple<std::int64_t, std::int64_t, bool>>;
  auto run = [&](const Bound& below, const Bound& above, std::int64_t n) {
    const bool ascending = above && !below;
    std::string sql = parent_id
                          ? "SELECT data, user_id FROM messages WHERE parent_id = ?7"
                          : "SELECT data, user_id FROM messages WHERE cid = ?1 AND in_channel = 1";
    sql += " AND created_at > ?8";
    sql += " AND id NOT IN (SELECT message_id FROM deleted_for WHERE user_id = ?9)";
    if (below) {
      sql += std::get<2>(*below) ? " AND (created_at, rowid) <= (?2, ?3)"
                                 : " AND (created_at, rowid) < (?2, ?3)";
    }
    if (above) {
      sql += std::get<2>(*above) ? " AND (created_at, rowid) >= (?4, ?5)"
                                 : " AND (created_at, rowid) > (?4, ?5)";
    }
    sql += ascending ? " ORDER BY created_at, rowid LIMIT ?6"
                     : " ORDER BY created_at DESC, rowid DESC LIMIT ?6";
    auto q = db_.query(sql);
    q.bind(6, n).bind(8, after == Timestamp() ? INT64_MIN : after.unix_micros()).bind(9, reader);
    if (parent_id) {
      q.bind(7, *parent_id);
    } else {
      q.bind(1, cid);
    }
    if (below) q.bind(2, std::get<0>(*below)).bind(3, std::get<1>(*below));
    if (above) q.bind(4, std::get<0>(*above)).bind(5, std::get<1>(*above));
    std::vector<Message> messages;
    while (q.next())
      messages.push_back(read_message(q));
    if (!ascending) std::reverse(messages.begin(), messages.end());
    return messages;
  };
  auto with = [](std::optional<std::pair<std::int64_t, std::int64_t>> b, bool inclusive) -> Bound {
    if (!b) return std::nullopt;
    return std::tuple{b->first, b->second, inclusive};
  };

  // Around a message: up to (limit - 1) / 2 before it, it and what follows, and more before it
  // when fewer follow (Stream's id_around).
  if (page.id_around) {
    const auto at = bound(page.id_around);
    if (!at || at->first == INT64_MIN || limit == 0) return {};
    std::vector<Message> older = run(with(at, false), std::nullopt, limit);
    std::vector<Message> newer = run(std::nullopt, with(at, true), limit);
    const auto k = static_cast<std::size_t>(limit);
    std::size_t take_older = std::min(older.size(), (k - 1) / 2);
    const std::size_t take_newer = std::min(newer.size(), k - take_older);
    take_older = std::min(older.size(), k - take_newer);
    std::vector<Message> around(older.end() - static_cast<long>(take_older), older.end());
    around.insert(around.end(), newer.begin(), newer.begin() + static_cast<long>(take_newer));
    return around;
  }
  const auto below = page.id_lt ? with(bound(page.id_lt), false) : with(bound(page.id_lte), true);
  const auto above = page.id_gt ? with(bound(page.id_gt), false) : with(bound(page.id_gte), true);
  // A cursor that names no message of this server matches nothing.
  for (const auto& b : {below, above}) {
    if (b && std::get<0>(*b) == INT64_MIN) return {};
  }
  return run(below, above, limit);
}

std::vector<Message> State::pinned_messages(const std::string& cid, std::int64_t limit) {
  auto q = db_.query(R"(SELECT data, user_id FROM messages
                        WHERE cid = ?1 AND json_extract(data, '$.pinned') = 1
                        ORDER BY json_extract(data, '$.pinned_at') DESC LIMIT ?2)");
  q.bind(1, cid).bind(2, limit);
  std::vector<Message> pinned;
  const Timestamp now = Timestamp::now();
  while (q.next()) {
    Message m = read_message(q);
    if (pinned_at_time(m, now)) pinned.push_back(std::move(m));  // an expired pin is over
  }
  return pinned;
}

Message State::update_message(const Message& changes, const std::string& actor) {
  sqlite::Transaction transaction(db_);
  auto old = message(changes.id);
  if (!old) throw no_message(changes.id);
  Message updated = changes;
  updated.cid = old->cid;
  updated.user = old->user;
  updated.type = old->type;
  updated.parent_id = old->parent_id;
  updated.show_in_channel = old->show_in_channel;
  updated.created_at = old->created_at;
  updated.updated_at = Timestamp::now();
  updated.message_text_updated_at =
      updated.text != old->text ? updated.updated_at : old->message_text_updated_at;
  updated.reply_count = old->reply_count;
  updated.deleted_at = old->deleted_at;
  // Pinning stamps who and when; unpinning forgets both.
  if (updated.pinned.value_or(false) && !old->pinned.value_or(false)) {
    updated.pinned_at = updated.updated_at;
    updated.pinned_by = user_or_reference(actor);
  } else if (updated.pinned.value_or(false)) {
    updated.pinned_at = old->pinned_at;
    updated.pinned_by = old->pinned_by;
  } else {
    updated.pinned = false;
    updated.pinned_at.reset();
    updated.pinned_by.reset();
    updated.pin_expires.reset();
  }
  write_message(updated);
  Message result = *message(updated.id);
  Event changed = event(EventType::message_updated, *result.cid, actor);
  changed.message = result;
  append(std::move(changed));
  transaction.commit();
  return result;
}

Message State::delete_message(const std::string& id, bool hard, const std::string& actor) {
  sqlite::Transaction transaction(db_);
  auto old = message(id);
  if (!old) throw no_message(id);
  Message deleted = *old;
  deleted.type = "deleted";
  deleted.deleted_at = Timestamp::now();
  deleted.updated_at = deleted.deleted_at;
  if (hard) {
    db_.query("DELETE FROM messages WHERE id = ?1").bind(1, id).run();  // reactions cascade
  } else {
    write_message(deleted);
  }
  Event gone = event(EventType::message_deleted, *deleted.cid, actor);
  gone.message = deleted;
  gone.hard_delete = hard;
  append(std::move(gone));
  transaction.commit();
  return deleted;
}

Message State::delete_message_for(const std::string& id, const std::string& user_id) {
  sqlite::Transaction transaction(db_);
  auto old = message(id);
  if (!old) throw no_message(id);
  db_.query("INSERT OR IGNORE INTO deleted_for (message_id, user_id) VALUES (?1, ?2)")
      .bind(1, id)
      .bind(2, user_id)
      .run();
  Message deleted = *old;
  deleted.type = "deleted";
  deleted.deleted_at = Timestamp::now();
  deleted.extra["deleted_for_me"] = true;
  Event gone = event(EventType::message_deleted, *deleted.cid, user_id);
  gone.message = deleted;
  gone.hard_delete = false;
  gone.extra["deleted_for_me"] = true;
  append(std::move(gone), user_id);
  transaction.commit();
  return deleted;
}

std::pair<Reaction, Message> State::add_reaction(const std::string& message_id,
                                                 const std::string& user_id, Reaction reaction,
                                                 bool enforce_unique) {
  sqlite::Transaction transaction(db_);
  if (!message(message_id)) throw no_message(message_id);
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
  touch_message(message_id, now);
  Message summarized = *message(message_id);
  Event added = event(enforce_unique ? EventType::reaction_updated : EventType::reaction_new,
                      *summarized.cid, user_id);
  added.message = summarized;
  added.reaction = reaction;
  append(std::move(added));
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
  touch_message(message_id, Timestamp::now());
  Message summarized = *message(message_id);
  Event removed = event(EventType::reaction_deleted, *summarized.cid, user_id);
  removed.message = summarized;
  removed.reaction = reaction;
  append(std::move(removed));
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

}  // namespace chatkeep::server

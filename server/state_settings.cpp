// Each user's own settings on chatkeep-server: a membership's pin and archive, mutes of users and
// channels (with an expiry), blocks. They are private: every change is told to the user's own
// connections alone, and recorded in the log for the user alone.

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "routes.hpp"
#include "state.hpp"

namespace chatkeep::server {

namespace json = boost::json;

namespace {

std::optional<std::int64_t> expiry(Timestamp now, std::optional<std::int64_t> micros) {
  if (!micros) return std::nullopt;
  return now.unix_micros() + *micros;
}

}  // namespace

void State::tell_settings(EventType kind, const std::string& user_id) {
  Event told = event(kind, "", user_id);
  told.cid.reset();  // about no channel
  told.channel_type.reset();
  told.channel_id.reset();
  told.me = own_user(user_id);
  append(std::move(told), user_id);
}

Member State::set_membership(const std::string& cid, const std::string& user_id,
                             const json::object& body) {
  sqlite::Transaction transaction(db_);
  auto q = db_.query("SELECT data FROM members WHERE cid = ?1 AND user_id = ?2");
  q.bind(1, cid).bind(2, user_id);
  if (!q.next()) {
    throw ChatError(ErrorCode::not_allowed, fmt::format("user '{}' is not a member", user_id), 403);
  }
  Member member = decode<Member>(q.text(0));
  json::object fields;
  apply_partial_update(body, fields, [](std::string_view field) {
    if (field != "pinned" && field != "archived") {
      throw ChatError(ErrorCode::input, fmt::format("{}: may not be changed", field), 400);
    }
  });
  const Timestamp now = Timestamp::now();
  auto stamp = [&](std::string_view field, std::optional<Timestamp>& at) {
    const json::value* v = fields.if_contains(field);
    if (v && !v->is_bool()) {
      throw ChatError(ErrorCode::input, fmt::format("{}: expected boolean", field), 400);
    }
    if (!v || !v->as_bool()) {
      at.reset();
    } else if (!at) {
      at = now;
    }
  };
  // What the body leaves alone stays: only named fields change.
  std::optional<Timestamp> pinned = member.pinned_at, archived = member.archived_at;
  const json::value* set = body.if_contains("set");
  const json::value* unset = body.if_contains("unset");
  auto named = [&](std::string_view field) {
    if (set && set->as_object().contains(field)) return true;
    if (!unset) return false;
    for (const auto& u : unset->as_array())
      if (u.is_string() && u.as_string() == field) return true;
    return false;
  };
  if (named("pinned")) stamp("pinned", pinned);
  if (named("archived")) stamp("archived", archived);
  member.pinned_at = pinned;
  member.archived_at = archived;
  member.updated_at = now;
  db_.query("UPDATE members SET data = ?3 WHERE cid = ?1 AND user_id = ?2")
      .bind(1, cid)
      .bind(2, user_id)
      .bind(3, encode(member))
      .run();
  member.user = user_or_reference(user_id);
  Event updated = event(EventType::member_updated, cid, user_id);
  updated.member = member;
  append(std::move(updated), user_id);
  transaction.commit();
  return member;
}

void State::mute_user(const std::string& user_id, const std::string& target_id,
                      std::optional<std::int64_t> minutes) {
  if (!user(target_id)) {
    throw ChatError(ErrorCode::not_found, fmt::format("user '{}' does not exist", target_id), 404);
  }
  if (target_id == user_id) throw ChatError(ErrorCode::input, "a user cannot mute themselves", 400);
  sqlite::Transaction transaction(db_);
  const Timestamp now = Timestamp::now();
  db_.query(R"(INSERT INTO user_mutes (user_id, target_id, created_at, expires)
               VALUES (?1, ?2, ?3, ?4)
               ON CONFLICT (user_id, target_id) DO UPDATE SET expires = excluded.expires)")
      .bind(1, user_id)
      .bind(2, target_id)
      .bind(3, now.unix_micros())
      .bind(4, expiry(now, minutes ? std::optional(*minutes * 60'000'000) : std::nullopt))
      .run();
  tell_settings(EventType::notification_mutes_updated, user_id);
  transaction.commit();
}

void State::unmute_user(const std::string& user_id, const std::string& target_id) {
  sqlite::Transaction transaction(db_);
  db_.query("DELETE FROM user_mutes WHERE user_id = ?1 AND target_id = ?2")
      .bind(1, user_id)
      .bind(2, target_id)
      .run();
  tell_settings(EventType::notification_mutes_updated, user_id);
  transaction.commit();
}

void State::mute_channel(const std::string& user_id, const std::string& cid,
                         std::optional<std::int64_t> milliseconds) {
  sqlite::Transaction transaction(db_);
  const Timestamp now = Timestamp::now();
  db_.query(R"(INSERT INTO channel_mutes (user_id, cid, created_at, expires) VALUES (?1, ?2, ?3, ?4)
               ON CONFLICT (user_id, cid) DO UPDATE SET expires = excluded.expires)")
      .bind(1, user_id)
      .bind(2, cid)
      .bind(3, now.unix_micros())
      .bind(4, expiry(now, milliseconds ? std::optional(*milliseconds * 1000) : std::nullopt))
      .run();
  tell_settings(EventType::notification_channel_mutes_updated, user_id);
  transaction.commit();
}

void State::unmute_channel(const std::string& user_id, const std::string& cid) {
  sqlite::Transaction transaction(db_);
  db_.query("DELETE FROM channel_mutes WHERE user_id = ?1 AND cid = ?2")
      .bind(1, user_id)
      .bind(2, cid)
      .run();
  tell_settings(EventType::notification_channel_mutes_updated, user_id);
  transaction.commit();
}

void State::block_user(const std::string& user_id, const std::string& blocked_id) {
  if (!user(blocked_id)) {
    throw ChatError(ErrorCode::not_found, fmt::format("user '{}' does not exist", blocked_id), 404);
  }
  if (blocked_id == user_id)
    throw ChatError(ErrorCode::input, "a user cannot block themselves", 400);
  db_.query(R"(INSERT INTO blocks (user_id, blocked_id, created_at) VALUES (?1, ?2, ?3)
               ON CONFLICT DO NOTHING)")
      .bind(1, user_id)
      .bind(2, blocked_id)
      .bind(3, Timestamp::now().unix_micros())
      .run();
}

void State::unblock_user(const std::string& user_id, const std::string& blocked_id) {
  db_.query("DELETE FROM blocks WHERE user_id = ?1 AND blocked_id = ?2")
      .bind(1, user_id)
      .bind(2, blocked_id)
      .run();
}

OwnUser State::own_user(const std::string& user_id) {
  OwnUser own;
  static_cast<User&>(own) = user_or_reference(user_id);
  const UnreadTotals totals = unread_totals(user_id);
  own.total_unread_count = totals.messages;
  own.unread_channels = totals.channels;
  own.unread_count = totals.messages;
  own.devices = std::vector<Device>{};
  const std::int64_t now = Timestamp::now().unix_micros();
  const User me = user_or_reference(user_id);
  auto time = [](const sqlite::Query& q, int column) -> std::optional<Timestamp> {
    if (q.is_null(column)) return std::nullopt;
    return Timestamp::from_unix_micros(q.integer(column));
  };
  own.mutes.emplace();
  auto mutes = db_.query(R"(SELECT target_id, created_at, expires FROM user_mutes
                            WHERE user_id = ?1 AND (expires IS NULL OR expires > ?2)
                            ORDER BY created_at, target_id)");
  mutes.bind(1, user_id).bind(2, now);
  while (mutes.next()) {
    own.mutes->push_back(Mute{.user = me,
                              .target = user_or_reference(std::string(mutes.text(0))),
                              .created_at = time(mutes, 1),
                              .updated_at = time(mutes, 1),
                              .expires = time(mutes, 2)});
  }
  own.channel_mutes.emplace();
  auto channel_mutes = db_.query(R"(SELECT cid, created_at, expires FROM channel_mutes
                                    WHERE user_id = ?1 AND (expires IS NULL OR expires > ?2)
                                    ORDER BY created_at, cid)");
  channel_mutes.bind(1, user_id).bind(2, now);
  while (channel_mutes.next()) {
    own.channel_mutes->push_back(ChannelMute{.user = me,
                                             .channel = channel(std::string(channel_mutes.text(0))),
                                             .created_at = time(channel_mutes, 1),
                                             .updated_at = time(channel_mutes, 1),
                                             .expires = time(channel_mutes, 2)});
  }
  own.blocked_user_ids.emplace();
  auto blocks = db_.query("SELECT blocked_id FROM blocks WHERE user_id = ?1 ORDER BY blocked_id");
  blocks.bind(1, user_id);
  while (blocks.next())
    own.blocked_user_ids->emplace_back(blocks.text(0));
  return own;
}

}  // namespace chatkeep::server

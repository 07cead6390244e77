// State: channels, their members, hiding and truncating.

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "state.hpp"

namespace chatkeep::server {

namespace {

// A new channel's config, from its type (every type gets Stream's defaults).
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
  std::vector<Member> added;
  for (const auto& id : member_ids) {
    if (is_member(channel.cid, id)) continue;
    added.push_back(new_member(id, creator == id, now));
    db_.query("INSERT INTO members (cid, user_id, created_at, data) VALUES (?1, ?2, ?3, ?4)")
        .bind(1, channel.cid)
        .bind(2, id)
        .bind(3, now.unix_micros())
        .bind(4, encode(added.back()))
        .run();
    db_.query("INSERT INTO reads (cid, user_id, last_read) VALUES (?1, ?2, ?3)")
        .bind(1, channel.cid)
        .bind(2, id)
        .bind(3, now.unix_micros())
        .run();
  }
  // The other members hear of their new channel, as when added later.
  Channel created = *this->channel(channel.cid);
  for (Member& member : added) {
    const std::string id = member.id();
    if (id == creator) continue;
    member.user = user_or_reference(id);
    Event notification =
        event(EventType::notification_added_to_channel, channel.cid, creator.value_or(id));
    notification.channel = created;
    notification.member = std::move(member);
    append(std::move(notification), id);
  }
  transaction.commit();
  return created;
}

Channel State::update_channel_data(const std::string& cid, const boost::json::object& data,
                                   const std::string& actor) {
  sqlite::Transaction transaction(db_);
  Channel old = *channel(cid);
  // The channel's own fields stay; what the caller gives replaces the rest.
  Channel updated = with_channel_data(old, data);
  updated.updated_at = Timestamp::now();
  updated.frozen = updated.frozen.value_or(false);
  updated.disabled = updated.disabled.value_or(false);
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

// Each member hears of a deletion or truncation as notification.*, addressed to them alone and
// delivered only where they do not watch the channel (the watchers get the channel event, which
// follows); recorded before the channel event, while they still watch it.
void State::notify_members(EventType kind, const Channel& channel, const std::string& actor) {
  for (const auto& member : member_ids(channel.cid)) {
    Event notification = event(kind, channel.cid, actor);
    notification.channel = channel;
    append(std::move(notification), member);
  }
}

Channel State::delete_channel(const std::string& cid, const std::string& actor) {
  sqlite::Transaction transaction(db_);
  Channel deleted = *channel(cid);
  deleted.deleted_at = Timestamp::now();
  notify_members(EventType::notification_channel_deleted, deleted, actor);
  // Reactions go with their messages, members, messages and reads with the channel (cascades).
  db_.query("DELETE FROM channels WHERE cid = ?1").bind(1, cid).run();
  Event gone = event(EventType::channel_deleted, cid, actor);
  gone.channel = deleted;
  append(std::move(gone));
  transaction.commit();
  return deleted;
}

Channel State::truncate_channel(const std::string& cid, const std::string& actor) {
  sqlite::Transaction transaction(db_);
  const Timestamp now = Timestamp::now();
  db_.query("DELETE FROM messages WHERE cid = ?1").bind(1, cid).run();
  db_.query("UPDATE reads SET unread_messages = 0 WHERE cid = ?1").bind(1, cid).run();
  db_.query(R"(UPDATE channels SET data = json_remove(json_set(data, '$.truncated_at', ?2,
                 '$.updated_at', ?2), '$.last_message_at') WHERE cid = ?1)")
      .bind(1, cid)
      .bind(2, now.to_string())
      .run();
  Channel truncated = *channel(cid);
  notify_members(EventType::notification_channel_truncated, truncated, actor);
  Event event = this->event(EventType::channel_truncated, cid, actor);
  event.channel = truncated;
  append(std::move(event));
  transaction.commit();
  return truncated;
}

void State::hide_channel(const std::string& cid, const std::string& user_id, bool clear_history) {
  sqlite::Transaction transaction(db_);
  const Timestamp now = Timestamp::now();
  db_.query(R"(UPDATE members SET hidden = 1,
                 cleared_at = CASE WHEN ?3 THEN ?4 ELSE cleared_at END
               WHERE cid = ?1 AND user_id = ?2)")
      .bind(1, cid)
      .bind(2, user_id)
      .bind(3, std::int64_t{clear_history})
      .bind(4, now.unix_micros())
      .run();
  if (clear_history) {
    db_.query("UPDATE reads SET unread_messages = 0 WHERE cid = ?1 AND user_id = ?2")
        .bind(1, cid)
        .bind(2, user_id)
        .run();
  }
  Event hidden = event(EventType::channel_hidden, cid, user_id);
  hidden.channel = channel(cid);
  hidden.clear_history = clear_history;
  append(std::move(hidden), user_id);
  transaction.commit();
}

void State::show_channel(const std::string& cid, const std::string& user_id) {
  sqlite::Transaction transaction(db_);
  db_.query("UPDATE members SET hidden = 0 WHERE cid = ?1 AND user_id = ?2")
      .bind(1, cid)
      .bind(2, user_id)
      .run();
  Event visible = event(EventType::channel_visible, cid, user_id);
  visible.channel = channel(cid);
  append(std::move(visible), user_id);
  transaction.commit();
}

bool State::hidden(const std::string& cid, const std::string& user_id) {
  auto q = db_.query("SELECT hidden FROM members WHERE cid = ?1 AND user_id = ?2");
  q.bind(1, cid).bind(2, user_id);
  return q.next() && q.integer(0) != 0;
}

Timestamp State::cleared_at(const std::string& cid, const std::string& user_id) {
  auto q = db_.query("SELECT cleared_at FROM members WHERE cid = ?1 AND user_id = ?2");
  q.bind(1, cid).bind(2, user_id);
  return q.next() && q.integer(0) != 0 ? Timestamp::from_unix_micros(q.integer(0)) : Timestamp();
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

void State::add_members(const std::string& cid, const std::vector<std::string>& user_ids,
                        const std::string& actor) {
  insert_members(cid, user_ids, actor, false);
}

void State::invite_members(const std::string& cid, const std::vector<std::string>& user_ids,
                           const std::string& actor) {
  insert_members(cid, user_ids, actor, true);
}

void State::answer_invite(const std::string& cid, const std::string& user_id, bool accept) {
  sqlite::Transaction transaction(db_);
  auto q = db_.query("SELECT data FROM members WHERE cid = ?1 AND user_id = ?2");
  q.bind(1, cid).bind(2, user_id);
  std::optional<Member> member;
  if (q.next()) member = decode<Member>(q.text(0));
  if (!member || !member->invited.value_or(false) || member->invite_accepted_at ||
      member->invite_rejected_at) {
    throw ChatError(ErrorCode::input,
                    fmt::format("user '{}' has no invite to answer in '{}'", user_id, cid), 400);
  }
  const Timestamp now = Timestamp::now();
  (accept ? member->invite_accepted_at : member->invite_rejected_at) = now;
  member->updated_at = now;
  db_.query("UPDATE members SET data = ?3 WHERE cid = ?1 AND user_id = ?2")
      .bind(1, cid)
      .bind(2, user_id)
      .bind(3, encode(*member))
      .run();
  member->user = user_or_reference(user_id);
  Event updated = event(EventType::member_updated, cid, user_id);
  updated.member = member;
  append(std::move(updated));
  Event told = event(
      accept ? EventType::notification_invite_accepted : EventType::notification_invite_rejected,
      cid, user_id);
  told.channel = channel(cid);
  told.member = std::move(member);
  append(std::move(told), user_id);
  transaction.commit();
}

void State::insert_members(const std::string& cid, const std::vector<std::string>& user_ids,
                           const std::string& actor, bool invited) {
  sqlite::Transaction transaction(db_);
  const Timestamp now = Timestamp::now();
  for (const auto& id : user_ids) {
    if (is_member(cid, id)) continue;
    Member member = new_member(id, false, now);
    if (invited) member.invited = true;
    db_.query("INSERT INTO members (cid, user_id, created_at, data) VALUES (?1, ?2, ?3, ?4)")
        .bind(1, cid)
        .bind(2, id)
        .bind(3, now.unix_micros())
        .bind(4, encode(member))
        .run();
    db_.query("INSERT OR REPLACE INTO reads (cid, user_id, last_read) VALUES (?1, ?2, ?3)")
        .bind(1, cid)
        .bind(2, id)
        .bind(3, now.unix_micros())
        .run();
    member.user = user_or_reference(id);
    Event added = event(EventType::member_added, cid, actor);
    added.member = member;
    append(std::move(added));
    Event notification =
        event(invited ? EventType::notification_invited : EventType::notification_added_to_channel,
              cid, actor);
    notification.channel = channel(cid);
    notification.member = std::move(member);
    append(std::move(notification), id);
  }
  transaction.commit();
}

void State::remove_members(const std::string& cid, const std::vector<std::string>& user_ids,
                           const std::string& actor) {
  sqlite::Transaction transaction(db_);
  for (const auto& id : user_ids) {
    if (!is_member(cid, id)) continue;
    db_.query("DELETE FROM members WHERE cid = ?1 AND user_id = ?2").bind(1, cid).bind(2, id).run();
    db_.query("DELETE FROM reads WHERE cid = ?1 AND user_id = ?2").bind(1, cid).bind(2, id).run();
    const Member member{.user_id = id, .user = user_or_reference(id)};
    Event removed = event(EventType::member_removed, cid, actor);
    removed.member = member;
    append(std::move(removed));
    Event notification = event(EventType::notification_removed_from_channel, cid, actor);
    notification.channel = channel(cid);
    notification.member = member;
    append(std::move(notification), id);
  }
  transaction.commit();
}

}  // namespace chatkeep::server

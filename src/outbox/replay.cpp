// replay(), declared in chatkeep/persistence.hpp: an outbox entry's action on a copy of its
// message. Entries come from the store, so a payload of the wrong shape (an old or damaged row)
// changes nothing rather than failing the write that replays it.

#include <map>
#include <string>
#include <vector>

#include "chatkeep/json.hpp"
#include "chatkeep/persistence.hpp"
#include "outbox/rules.hpp"

namespace chatkeep {

namespace json = boost::json;

namespace {

const json::object* object_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

// `me`'s reaction of `type` if `message` counts it: its own reactions say so when it has them (a
// stored copy has the store's record of them, which includes the echoes of pending reactions),
// else its latest reactions do (a server copy's summary as the server made it).
const Reaction* counted_reaction(const Message& message, const std::string& me,
                                 const std::string& type) {
  const auto by = [](const Reaction& r) {
    return r.user_id ? *r.user_id : r.user ? r.user->id : std::string();
  };
  const auto& reactions = message.own_reactions ? message.own_reactions : message.latest_reactions;
  if (!reactions) return nullptr;
  for (const auto& r : *reactions) {
    if (r.type == type && by(r) == me) return &r;
  }
  return nullptr;
}

void add_to_summary(Message& message, const std::string& type, std::int64_t score, int delta) {
  auto& counts = message.reaction_counts.emplace(
      message.reaction_counts.value_or(std::map<std::string, std::int64_t>{}));
  auto& scores = message.reaction_scores.emplace(
      message.reaction_scores.value_or(std::map<std::string, std::int64_t>{}));
  counts[type] += delta;
  scores[type] += delta * score;
  if (counts[type] <= 0) {
    counts.erase(type);
    scores.erase(type);
  }
}

// The fields an edit sends, on the message. Those only a new message takes (parent_id,
// show_in_channel, quoted_message_id, silent) are left alone.
void edit(const json::object& fields, Message& message) {
  for (const auto& [key, value] : fields) {
    if (key == "id" || key == "parent_id" || key == "show_in_channel" ||
        key == "quoted_message_id" || key == "silent") {
      continue;
    }
    if (key == "text") {
      if (value.is_string()) message.text = std::string(value.as_string());
    } else if (key == "attachments") {
      if (!value.is_array()) continue;
      try {
        std::vector<Attachment> attachments;
        for (const auto& a : value.as_array())
          attachments.push_back(from_json<Attachment>(a));
        message.attachments = std::move(attachments);
      } catch (const ChatError&) {
      }
    } else if (key == "mentioned_users") {
      if (!value.is_array()) continue;
      // By id, as sent; a user the message already names keeps what is known of them.
      std::vector<User> users;
      for (const auto& id : value.as_array()) {
        if (!id.is_string()) continue;
        User user{.id = std::string(id.as_string())};
        for (const auto& known : message.mentioned_users.value_or(std::vector<User>{}))
          if (known.id == user.id) user = known;
        users.push_back(std::move(user));
      }
      message.mentioned_users = std::move(users);
    } else {
      message.extra[key] = value;
    }
  }
}

// A pin as the server makes it: by `me`, at the time of the action; pinning again keeps the first
// pin's time and author. An unpin clears all of it.
void pin(bool pinned, const std::string& me, Timestamp at, Message& message) {
  if (pinned && !message.pinned.value_or(false)) {
    message.pinned_at = at;
    message.pinned_by = User{.id = me};
  } else if (!pinned) {
    message.pinned_at.reset();
    message.pinned_by.reset();
    message.pin_expires.reset();
  }
  message.pinned = pinned;
}

// A partial update's `set` and `unset` on the message, as chatkeep-server applies them.
Replayed partial_update(const OutboxEntry& entry, const std::string& me, Message& message) {
  const json::value* unset = entry.payload.if_contains("unset");
  if (unset && !unset->is_array()) unset = nullptr;
  const auto* set = object_at(entry.payload, "set");
  if (unset) {
    for (const auto& field : unset->as_array()) {
      if (!field.is_string()) continue;
      const std::string_view name = field.as_string();
      if (name == "pinned") {
        pin(false, me, entry.created_at, message);
      } else if (name == "pin_expires") {
        message.pin_expires.reset();
      } else if (name == "text") {
        message.text.reset();
      } else if (name == "attachments") {
        message.attachments = std::vector<Attachment>{};
      } else if (name == "mentioned_users") {
        message.mentioned_users = std::vector<User>{};
      } else {
        message.extra.erase(name);
      }
    }
  }
  if (set) {
    json::object fields;
    for (const auto& [key, value] : *set) {
      if (key == "pinned") {
        if (value.is_bool()) pin(value.as_bool(), me, entry.created_at, message);
      } else if (key == "pin_expires") {
        if (value.is_null()) message.pin_expires.reset();
        if (value.is_string()) message.pin_expires = Timestamp::parse(value.as_string());
      } else {
        fields[key] = value;
      }
    }
    edit(fields, message);
  }
  return set || unset ? Replayed::changed : Replayed::unchanged;
}

}  // namespace

Replayed replay(const OutboxEntry& entry, const std::string& me, Message& message) {
  switch (entry.kind) {
    case OutboxKind::update_message:
      if (const auto* fields = object_at(entry.payload, "message")) {
        // A full update: the custom fields it leaves out are gone, as on the server.
        std::vector<std::string> left_out;
        for (const auto& [key, value] : message.extra)
          if (sender_may_set(key) && !fields->contains(key)) left_out.emplace_back(key);
        for (const auto& key : left_out)
          message.extra.erase(key);
        edit(*fields, message);
        return Replayed::changed;
      }
      return Replayed::unchanged;
    case OutboxKind::partial_update_message:
      return partial_update(entry, me, message);
    case OutboxKind::delete_message: {
      const json::value* hard = entry.payload.if_contains("hard");
      if (hard && hard->is_bool() && hard->as_bool()) return Replayed::removed;
      message.type = "deleted";
      message.deleted_at = entry.created_at;
      return Replayed::changed;
    }
    case OutboxKind::send_reaction: {
      const std::string type = outbox::reaction_type(entry);
      if (type.empty() || counted_reaction(message, me, type)) return Replayed::unchanged;
      std::int64_t score = 1;
      if (const auto* reaction = object_at(entry.payload, "reaction")) {
        if (const json::value* s = reaction->if_contains("score"); s && s->is_int64()) {
          score = s->as_int64();
        }
      }
      add_to_summary(message, type, score, 1);
      return Replayed::changed;
    }
    case OutboxKind::delete_reaction: {
      const std::string type = outbox::reaction_type(entry);
      const Reaction* counted = type.empty() ? nullptr : counted_reaction(message, me, type);
      if (!counted) return Replayed::unchanged;
      add_to_summary(message, type, counted->score.value_or(1), -1);
      return Replayed::changed;
    }
    case OutboxKind::send_message:
      // A reply on its way counts on its parent, as the server will count it.
      if (entry.message_id != message.id) {
        const auto* sent = object_at(entry.payload, "message");
        const json::value* parent = sent ? sent->if_contains("parent_id") : nullptr;
        if (parent && parent->is_string() && parent->as_string() == message.id) {
          message.reply_count = message.reply_count.value_or(0) + 1;
          return Replayed::changed;
        }
      }
      return Replayed::unchanged;
    case OutboxKind::mark_read:
    case OutboxKind::upload_attachment:
    case OutboxKind::delete_upload:
    case OutboxKind::set_channel_hidden:
    case OutboxKind::set_channel_muted:
    case OutboxKind::update_membership:
    case OutboxKind::set_user_muted:
    case OutboxKind::set_user_blocked:
    case OutboxKind::save_draft:
    case OutboxKind::delete_draft:
    case OutboxKind::update_channel:
    case OutboxKind::partial_update_channel:
    case OutboxKind::partial_update_user:
    case OutboxKind::create_channel:
    case OutboxKind::delete_channel:
    case OutboxKind::truncate_channel:
    case OutboxKind::update_members:
    case OutboxKind::answer_invite:
      break;  // about no message (settings: outbox/settings.hpp; channels: channel_actions.cpp)
  }
  return Replayed::unchanged;
}

namespace outbox {

Replayed replay_all(const std::vector<OutboxEntry>& entries, const std::string& me,
                    const Message& message, Message& out) {
  if (entries.empty()) return Replayed::unchanged;
  out = message;
  out.own_reactions.reset();
  Replayed result = Replayed::unchanged;
  for (const auto& entry : entries) {
    switch (replay(entry, me, out)) {
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

}  // namespace outbox

}  // namespace chatkeep

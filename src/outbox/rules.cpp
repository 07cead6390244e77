#include "outbox/rules.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace chatkeep::outbox {

namespace json = boost::json;

namespace {

// Not yet tried: the server cannot have seen it, so it may still be rewritten or cancelled. (A
// queued entry that failed before may have reached the server, a timeout say.)
bool untried(const OutboxEntry& e) {
  return e.state == OutboxState::queued && e.attempts == 0;
}

// The untried edits of a message (and its partial updates, with `partial`), to be dropped.
void add_untried_edits(const std::vector<OutboxEntry>& pending, const std::string& message_id,
                       bool partial, std::vector<std::int64_t>& out) {
  for (const auto& e : pending) {
    if ((e.kind == OutboxKind::update_message ||
         (partial && e.kind == OutboxKind::partial_update_message)) &&
        e.message_id == message_id && untried(e)) {
      out.push_back(e.id);
    }
  }
}

// The fields a partial update sets or unsets.
std::set<std::string> touched_fields(const json::object& payload) {
  std::set<std::string> fields;
  if (const json::value* set = payload.if_contains("set"); set && set->is_object()) {
    for (const auto& [key, value] : set->as_object())
      fields.insert(key);
  }
  if (const json::value* unset = payload.if_contains("unset"); unset && unset->is_array()) {
    for (const auto& key : unset->as_array())
      if (key.is_string()) fields.insert(std::string(key.as_string()));
  }
  return fields;
}

const OutboxEntry* find_send(const std::vector<OutboxEntry>& pending,
                             const std::string& message_id) {
  for (const auto& e : pending) {
    if (e.kind == OutboxKind::send_message && e.message_id == message_id) return &e;
  }
  return nullptr;
}

// Whether a new setting of kind `now` makes an untried one of kind `before`, about the same
// thing, needless.
bool replaces(OutboxKind now, OutboxKind before) {
  switch (now) {
    case OutboxKind::save_draft:
    case OutboxKind::delete_draft:
      return before == OutboxKind::save_draft || before == OutboxKind::delete_draft;
    case OutboxKind::update_channel:
      return before == OutboxKind::update_channel || before == OutboxKind::partial_update_channel;
    default:
      return now == before;
  }
}

}  // namespace

json::object message_of(const json::object& payload) {
  const json::value* m = payload.if_contains("message");
  return m && m->is_object() ? m->as_object() : json::object{};
}

bool flag(const json::object& payload, std::string_view name) {
  const json::value* v = payload.if_contains(name);
  return v && v->is_bool() && v->as_bool();
}

std::string setting_target(const OutboxEntry& e) {
  if (e.kind == OutboxKind::set_user_muted || e.kind == OutboxKind::set_user_blocked) {
    const json::value* user = e.payload.if_contains("user_id");
    return user && user->is_string() ? std::string(user->as_string()) : std::string();
  }
  if (e.kind == OutboxKind::save_draft || e.kind == OutboxKind::delete_draft) {
    return e.cid + '/' + draft_parent(e).value_or("");
  }
  return e.cid;
}

std::optional<std::string> draft_parent(const OutboxEntry& e) {
  const json::value* parent = e.payload.if_contains("parent_id");
  if (e.kind == OutboxKind::save_draft) {
    const json::object message = message_of(e.payload);
    parent = message.if_contains("parent_id");
    if (parent && parent->is_string() && !parent->as_string().empty()) {
      return std::string(parent->as_string());
    }
    return std::nullopt;
  }
  if (parent && parent->is_string() && !parent->as_string().empty()) {
    return std::string(parent->as_string());
  }
  return std::nullopt;
}

bool leaves(const OutboxEntry& entry, const std::string& me) {
  if (entry.kind != OutboxKind::update_members) return false;
  const json::value* removed = entry.payload.if_contains("remove_members");
  return removed && removed->is_array() &&
         std::find(removed->as_array().begin(), removed->as_array().end(), json::value(me)) !=
             removed->as_array().end();
}

bool changes_channel(OutboxKind kind) {
  return kind == OutboxKind::delete_channel || kind == OutboxKind::truncate_channel ||
         kind == OutboxKind::update_members || kind == OutboxKind::answer_invite;
}

std::string reaction_type(const OutboxEntry& e) {
  if (const json::value* r = e.payload.if_contains("reaction"); r && r->is_object()) {
    if (const json::value* t = r->as_object().if_contains("type"); t && t->is_string()) {
      return std::string(t->as_string());
    }
  }
  if (const json::value* t = e.payload.if_contains("type"); t && t->is_string()) {
    return std::string(t->as_string());
  }
  return {};
}

Enqueue plan_enqueue(const std::vector<OutboxEntry>& pending, const OutboxEntry& action) {
  Enqueue plan;
  const OutboxEntry* send =
      action.message_id.empty() ? nullptr : find_send(pending, action.message_id);
  switch (action.kind) {
    case OutboxKind::update_message:
      // Folded into an untried send, unless a partial update of the message waits between them:
      // the edit, a full update, must still undo the custom fields that one sets.
      if (send && untried(*send) &&
          std::none_of(pending.begin(), pending.end(), [&](const OutboxEntry& e) {
            return e.kind == OutboxKind::partial_update_message &&
                   e.message_id == action.message_id;
          })) {
        // The edit becomes part of the send: the server only ever sees the final message.
        json::object message = message_of(send->payload);
        for (const auto& [key, value] : message_of(action.payload))
          message[key] = value;
        plan.payload = send->payload;
        plan.payload["message"] = std::move(message);
        plan.rewrite = send->id;
        plan.add = false;
      } else {
        // A later edit replaces an earlier one that has not been tried (a partial update of
        // other fields still goes).
        add_untried_edits(pending, action.message_id, false, plan.remove);
      }
      break;
    case OutboxKind::delete_message:
      if (send && untried(*send)) {
        // Never sent, now deleted: nothing of the message reaches the server.
        for (const auto& e : pending) {
          if (e.message_id == action.message_id) plan.remove.push_back(e.id);
        }
        plan.add = false;
      } else {
        // Edits not yet tried of a message about to go are pointless.
        add_untried_edits(pending, action.message_id, true, plan.remove);
      }
      break;
    case OutboxKind::partial_update_message: {
      // An untried partial update whose every field this one sets again says nothing the server
      // needs (a pin and an unpin, both untried, leave only the unpin).
      const auto fields = touched_fields(action.payload);
      for (const auto& e : pending) {
        if (e.kind != OutboxKind::partial_update_message || e.message_id != action.message_id ||
            !untried(e)) {
          continue;
        }
        const auto before = touched_fields(e.payload);
        if (std::includes(fields.begin(), fields.end(), before.begin(), before.end())) {
          plan.remove.push_back(e.id);
        }
      }
      break;
    }
    case OutboxKind::delete_reaction: {
      const std::string type = reaction_type(action);
      for (const auto& e : pending) {
        if (e.kind == OutboxKind::send_reaction && e.message_id == action.message_id &&
            untried(e) && reaction_type(e) == type) {
          // Added and removed before the server saw the add: the add need not go. The removal
          // still does, as the reaction may have been there before the add.
          plan.remove.push_back(e.id);
        }
      }
      break;
    }
    case OutboxKind::mark_read:
      // Read marks of a channel collapse into the last; marking again is harmless, so even one
      // tried before may go.
      for (const auto& e : pending) {
        if (e.kind == OutboxKind::mark_read && e.cid == action.cid &&
            e.state == OutboxState::queued) {
          plan.remove.push_back(e.id);
        }
      }
      break;
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
      // The latest setting of a thing is the one that counts; an untried earlier one need not
      // go. Except a hide that clears the history, which the server must still do. A draft's
      // save and deletion replace each other, a channel's update replaces its partial updates;
      // a partial update (of a membership, a channel, the own user) replaces one only if it
      // sets every field that one does.
      for (const auto& e : pending) {
        if (!replaces(action.kind, e.kind) || !untried(e) ||
            setting_target(e) != setting_target(action) ||
            (e.kind == OutboxKind::set_channel_hidden && flag(e.payload, "clear_history"))) {
          continue;
        }
        if (action.kind == OutboxKind::update_membership ||
            action.kind == OutboxKind::partial_update_channel ||
            action.kind == OutboxKind::partial_update_user) {
          const auto now = touched_fields(action.payload), before = touched_fields(e.payload);
          if (!std::includes(now.begin(), now.end(), before.begin(), before.end())) continue;
        }
        plan.remove.push_back(e.id);
      }
      break;
    case OutboxKind::delete_channel:
      // A channel created and deleted before the server saw its creation: nothing of it goes.
      for (const auto& e : pending) {
        if (e.kind == OutboxKind::create_channel && e.cid == action.cid && untried(e)) {
          for (const auto& other : pending) {
            if (other.cid == action.cid) plan.remove.push_back(other.id);
          }
          plan.add = false;
          break;
        }
      }
      break;
    case OutboxKind::send_message: {
      // Sending takes the draft it came from away (the server does the same): an untried save
      // of that draft need not go.
      std::optional<std::string> parent;
      const json::object message = message_of(action.payload);
      if (const json::value* p = message.if_contains("parent_id"); p && p->is_string()) {
        parent = std::string(p->as_string());
      }
      const std::string draft = action.cid + '/' + parent.value_or("");
      for (const auto& e : pending) {
        if (e.kind == OutboxKind::save_draft && untried(e) && setting_target(e) == draft) {
          plan.remove.push_back(e.id);
        }
      }
      break;
    }
    case OutboxKind::create_channel:
    case OutboxKind::truncate_channel:
    case OutboxKind::update_members:
    case OutboxKind::answer_invite:
    case OutboxKind::send_reaction:
    case OutboxKind::upload_attachment:
    case OutboxKind::delete_upload:
      break;
  }
  return plan;
}

std::vector<std::int64_t> due_entries(const std::vector<OutboxEntry>& pending, Timestamp now) {
  std::set<std::string> failed_sends;
  std::set<std::string> uncreated;  // channels whose creation failed: the rest there waits for it
  // Files still to upload (not failed), by message, in id order.
  std::map<std::string, std::vector<const OutboxEntry*>> uploads;
  for (const auto& e : pending) {
    if (e.kind == OutboxKind::send_message && e.state == OutboxState::failed) {
      failed_sends.insert(e.message_id);
    }
    if (e.kind == OutboxKind::create_channel && e.state == OutboxState::failed) {
      uncreated.insert(e.cid);
    }
    if (e.kind == OutboxKind::upload_attachment && e.state != OutboxState::failed) {
      uploads[e.message_id].push_back(&e);
    }
  }
  auto is_due = [&](const OutboxEntry& e) {
    return e.state == OutboxState::queued && (!e.next_attempt_at || *e.next_attempt_at <= now);
  };
  std::set<std::string> held;  // channels whose next entry is decided
  std::vector<std::int64_t> due;
  for (const auto& e : pending) {
    if (held.contains(e.cid) || e.state == OutboxState::failed || uncreated.contains(e.cid)) {
      continue;
    }
    if (e.kind != OutboxKind::send_message && !e.message_id.empty() &&
        failed_sends.contains(e.message_id)) {
      continue;
    }
    held.insert(e.cid);
    // A send or an edit goes with the URLs of its files, so after them, wherever they are in the
    // outbox (an edit may add files to a message queued long before): its files go in its place
    // in the channel's order, one at a time.
    if (auto files = uploads.find(e.message_id);
        files != uploads.end() &&
        (e.kind == OutboxKind::send_message || e.kind == OutboxKind::update_message)) {
      if (is_due(*files->second.front())) due.push_back(files->second.front()->id);
      continue;
    }
    if (is_due(e)) due.push_back(e.id);
  }
  return due;
}

std::optional<Timestamp> next_due(const std::vector<OutboxEntry>& pending) {
  std::optional<Timestamp> next;
  for (const auto& e : pending) {
    if (e.state != OutboxState::queued) continue;
    const Timestamp at = e.next_attempt_at.value_or(e.created_at);
    if (!next || at < *next) next = at;
  }
  return next;
}

Verdict judge(OutboxKind kind, const ChatError& error) {
  if (kind == OutboxKind::send_message && error.code() == ErrorCode::input &&
      error.message().find("already exists") != std::string::npos) {
    return Verdict::delivered;
  }
  // Deleting what is gone already, or a reaction that is not there, leaves the server as wanted.
  if ((kind == OutboxKind::delete_message || kind == OutboxKind::delete_reaction ||
       kind == OutboxKind::delete_upload || kind == OutboxKind::delete_draft ||
       kind == OutboxKind::delete_channel) &&
      error.code() == ErrorCode::not_found) {
    return Verdict::delivered;
  }
  return error.retriable() ? Verdict::retry : Verdict::failed;
}

Verdict judge(const OutboxEntry& entry, const std::string& me, const ChatError& error) {
  // Only a leave alone: a removal of others too may be refused for them.
  if (error.code() == ErrorCode::not_allowed && leaves(entry, me) &&
      entry.payload.at("remove_members").as_array().size() == 1) {
    return Verdict::delivered;
  }
  return judge(entry.kind, error);
}

std::chrono::milliseconds retry_delay(std::int64_t failures, const RetryPolicy& policy,
                                      std::mt19937& random) {
  auto delay = policy.first_delay;
  for (std::int64_t i = 1; i < failures && delay < policy.max_delay; ++i)
    delay *= 2;
  delay = std::min(delay, policy.max_delay);
  std::uniform_int_distribution<std::int64_t> jitter(delay.count() / 2, delay.count());
  return std::chrono::milliseconds(jitter(random));
}

std::vector<std::int64_t> expired_entries(const std::vector<OutboxEntry>& pending, Timestamp now,
                                          const RetryPolicy& policy) {
  const auto max_age_micros =
      std::chrono::duration_cast<std::chrono::microseconds>(policy.max_age).count();
  std::vector<std::int64_t> expired;
  for (const auto& e : pending) {
    if (e.state == OutboxState::queued &&
        now.unix_micros() - e.created_at.unix_micros() > max_age_micros) {
      expired.push_back(e.id);
    }
  }
  return expired;
}

std::vector<std::int64_t> interrupted_entries(const std::vector<OutboxEntry>& pending) {
  std::vector<std::int64_t> interrupted;
  for (const auto& e : pending) {
    if (e.state == OutboxState::sending) interrupted.push_back(e.id);
  }
  return interrupted;
}

}  // namespace chatkeep::outbox

#include "outbox/settings.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "chatkeep/json.hpp"
#include "outbox/rules.hpp"

namespace chatkeep::outbox {

namespace json = boost::json;

namespace {

// A mute's length in `Unit`s, if the payload gives one the server takes (ten years at most).
template <class Unit>
std::optional<Unit> length(const json::object& payload, std::string_view name) {
  const json::value* v = payload.if_contains(name);
  if (!v || !v->is_int64() || v->as_int64() <= 0 || Unit(v->as_int64()) > kLongestMute) {
    return std::nullopt;
  }
  return Unit(v->as_int64());
}

Timestamp after(Timestamp from, std::chrono::microseconds by) {
  return Timestamp::from_unix_micros(from.unix_micros() + by.count());
}

void show_hidden(const std::vector<OutboxEntry>& pending, const std::string& cid,
                 std::optional<bool>& hidden) {
  for (const auto& e : pending) {
    if (e.kind == OutboxKind::set_channel_hidden && e.cid == cid)
      hidden = flag(e.payload, "hidden");
  }
}

// A membership field the user sets (pinned → pinned_at): set keeps the time of an earlier set.
void set_time(const json::object& set, const std::vector<std::string>& unset,
              std::string_view field, Timestamp at, std::optional<Timestamp>& time) {
  if (std::find(unset.begin(), unset.end(), field) != unset.end()) time.reset();
  if (const json::value* v = set.if_contains(field); v && v->is_bool()) {
    if (!v->as_bool()) {
      time.reset();
    } else if (!time) {
      time = at;
    }
  }
}

void show_membership(const std::vector<OutboxEntry>& pending, const std::string& cid,
                     Member& member) {
  for (const auto& e : pending) {
    if (e.kind != OutboxKind::update_membership || e.cid != cid) continue;
    const json::value* set = e.payload.if_contains("set");
    const json::object fields = set && set->is_object() ? set->as_object() : json::object();
    std::vector<std::string> unset;
    if (const json::value* u = e.payload.if_contains("unset"); u && u->is_array()) {
      for (const auto& name : u->as_array())
        if (name.is_string()) unset.emplace_back(name.as_string());
    }
    set_time(fields, unset, "pinned", e.created_at, member.pinned_at);
    set_time(fields, unset, "archived", e.created_at, member.archived_at);
  }
}

template <class T, class Pred>
void erase_by(std::optional<std::vector<T>>& list, const Pred& which) {
  if (list) std::erase_if(*list, which);
}

void show_on_own_user(const std::vector<OutboxEntry>& pending, const std::string& me,
                      OwnUser& own) {
  for (const auto& e : pending) {
    const std::string target = setting_target(e);
    switch (e.kind) {
      case OutboxKind::set_user_muted: {
        erase_by(own.mutes, [&](const Mute& m) { return m.target && m.target->id == target; });
        if (!flag(e.payload, "muted")) break;
        Mute mute{.user = User{.id = me}, .target = User{.id = target}, .created_at = e.created_at};
        if (auto minutes = length<std::chrono::minutes>(e.payload, "timeout"))
          mute.expires = after(e.created_at, *minutes);
        if (!own.mutes) own.mutes.emplace();
        own.mutes->push_back(std::move(mute));
        break;
      }
      case OutboxKind::set_channel_muted: {
        erase_by(own.channel_mutes,
                 [&](const ChannelMute& m) { return m.channel && m.channel->cid == e.cid; });
        if (!flag(e.payload, "muted")) break;
        const auto colon = e.cid.find(':');
        ChannelMute mute{.user = User{.id = me},
                         .channel = Channel{.id = e.cid.substr(colon + 1),
                                            .type = e.cid.substr(0, colon),
                                            .cid = e.cid},
                         .created_at = e.created_at};
        if (auto ms = length<std::chrono::milliseconds>(e.payload, "expiration"))
          mute.expires = after(e.created_at, *ms);
        if (!own.channel_mutes) own.channel_mutes.emplace();
        own.channel_mutes->push_back(std::move(mute));
        break;
      }
      case OutboxKind::set_user_blocked:
        erase_by(own.blocked_user_ids, [&](const std::string& id) { return id == target; });
        if (!flag(e.payload, "blocked")) break;
        if (!own.blocked_user_ids) own.blocked_user_ids.emplace();
        own.blocked_user_ids->push_back(target);
        break;
      default:
        break;
    }
  }
}

// The names a partial update's payload unsets.
std::vector<std::string> unset_of(const json::object& payload) {
  std::vector<std::string> names;
  if (const json::value* u = payload.if_contains("unset"); u && u->is_array()) {
    for (const auto& name : u->as_array())
      if (name.is_string()) names.emplace_back(name.as_string());
  }
  return names;
}

json::object object_at(const json::object& payload, std::string_view name) {
  const json::value* v = payload.if_contains(name);
  return v && v->is_object() ? v->as_object() : json::object{};
}

// `fields` with a partial update's set and unset applied to the names `settable` allows.
template <class Settable>
void apply_partial(const json::object& payload, const Settable& settable, json::object& fields) {
  for (const auto& name : unset_of(payload))
    if (settable(name)) fields.erase(name);
  for (const auto& [key, value] : object_at(payload, "set"))
    if (settable(key)) fields[key] = value;
}

// A channel's data as the pending updates of it leave it. A payload the model cannot take (a
// damaged row) changes nothing.
void show_channel_data(const std::vector<OutboxEntry>& pending, Channel& channel) {
  for (const auto& e : pending) {
    if (e.cid != channel.cid) continue;
    try {
      if (e.kind == OutboxKind::update_channel) {
        channel = with_channel_data(channel, object_at(e.payload, "data"));
      } else if (e.kind == OutboxKind::partial_update_channel) {
        json::object data = to_json(channel).as_object();
        apply_partial(
            e.payload, [](std::string_view name) { return !server_owned_channel_field(name); },
            data);
        channel = with_channel_data(channel, data);
      }
    } catch (const ChatError&) {
    }
  }
}

// The own user (as a User or an OwnUser) as the pending partial updates of it leave it.
template <class U>
void show_own_fields(const std::vector<OutboxEntry>& pending, U& user) {
  for (const auto& e : pending) {
    if (e.kind != OutboxKind::partial_update_user) continue;
    try {
      json::object fields = to_json(user).as_object();
      apply_partial(e.payload, self_may_set, fields);
      user = from_json<U>(fields);
    } catch (const ChatError&) {
    }
  }
}

// A draft's save or deletion as a store mutation.
Mutation draft_change(const OutboxEntry& e, const std::string& me) {
  if (e.kind == OutboxKind::delete_draft) {
    return DeleteDraft{.cid = e.cid, .parent_id = draft_parent(e)};
  }
  Draft draft{.cid = e.cid, .parent_id = draft_parent(e), .created_at = e.created_at};
  try {
    draft.message = from_json<Message>(message_of(e.payload));
  } catch (const ChatError&) {
  }
  draft.message.cid = e.cid;
  draft.message.parent_id = draft.parent_id;
  draft.message.user = User{.id = me};
  return UpsertDrafts{{std::move(draft)}};
}

// Each pending draft's latest change in place of the batch's copies of that draft.
void show_drafts(const std::vector<OutboxEntry>& pending, const std::string& me, Batch& batch) {
  std::map<std::string, const OutboxEntry*> latest;  // by setting_target
  for (const auto& e : pending) {
    if (e.kind == OutboxKind::save_draft || e.kind == OutboxKind::delete_draft) {
      latest[setting_target(e)] = &e;
    }
  }
  if (latest.empty()) return;
  auto target = [](const std::string& cid, const std::optional<std::string>& parent) {
    return cid + '/' + parent.value_or("");
  };
  std::set<std::string> shown;
  for (auto& m : batch) {
    if (auto* drafts = std::get_if<UpsertDrafts>(&m)) {
      std::erase_if(drafts->drafts, [&](const Draft& d) {
        const std::string t = target(d.cid, d.parent_id);
        if (!latest.contains(t)) return false;
        shown.insert(t);
        return true;
      });
    } else if (auto* gone = std::get_if<DeleteDraft>(&m)) {
      const std::string t = target(gone->cid, gone->parent_id);
      if (latest.contains(t)) {
        shown.insert(t);
        gone->cid.clear();  // deletes nothing; replaced below
      }
    }
  }
  std::erase_if(batch, [](const Mutation& m) {
    const auto* gone = std::get_if<DeleteDraft>(&m);
    return gone && gone->cid.empty();
  });
  for (const auto& t : shown)
    batch.push_back(draft_change(*latest.at(t), me));
}

}  // namespace

bool is_setting(OutboxKind kind) {
  switch (kind) {
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
      return true;
    default:
      return false;
  }
}

bool shows_settings(const Batch& batch, const std::string& me) {
  return std::any_of(batch.begin(), batch.end(), [&](const Mutation& m) {
    if (const auto* members = std::get_if<UpsertMembers>(&m)) {
      return std::any_of(members->members.begin(), members->members.end(),
                         [&](const Member& member) { return member.id() == me; });
    }
    if (const auto* users = std::get_if<UpsertUsers>(&m)) {
      return std::any_of(users->users.begin(), users->users.end(),
                         [&](const User& user) { return user.id == me; });
    }
    return std::holds_alternative<UpsertChannels>(m) || std::holds_alternative<UpsertDrafts>(m) ||
           std::holds_alternative<DeleteDraft>(m) || std::holds_alternative<SetChannelHidden>(m) ||
           std::holds_alternative<SetConnectionInfo>(m);
  });
}

void show_settings(const std::vector<OutboxEntry>& pending, const std::string& me, Batch& batch) {
  for (auto& m : batch) {
    if (auto* channels = std::get_if<UpsertChannels>(&m)) {
      for (auto& channel : channels->channels) {
        show_channel_data(pending, channel);
        show_hidden(pending, channel.cid, channel.hidden);
      }
    } else if (auto* hidden = std::get_if<SetChannelHidden>(&m)) {
      std::optional<bool> value = hidden->hidden;
      show_hidden(pending, hidden->cid, value);
      hidden->hidden = *value;
    } else if (auto* members = std::get_if<UpsertMembers>(&m)) {
      for (auto& member : members->members)
        if (member.id() == me) show_membership(pending, members->cid, member);
    } else if (auto* info = std::get_if<SetConnectionInfo>(&m)) {
      show_on_own_user(pending, me, info->info.own_user);
      show_own_fields(pending, info->info.own_user);
    } else if (auto* users = std::get_if<UpsertUsers>(&m)) {
      for (auto& user : users->users)
        if (user.id == me) show_own_fields(pending, user);
    }
  }
  show_drafts(pending, me, batch);
}

}  // namespace chatkeep::outbox

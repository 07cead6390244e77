// The channel's life as the user changes it (outbox.hpp: create_channel, delete_channel,
// truncate_channel, update_members, answer_invite): each queued like a message's actions, in the
// channel's lane, and shown at once. A creation is the lane's first entry, so everything done in
// the new channel goes after it; a creation the server refuses stays failed, holding the lane,
// until the app retries it or discards it (which takes the channel away). The other changes, once
// refused, leave the outbox and the channel is given back as the server has it
// (OutboxDelivery::give_back_channel).

#include <algorithm>

#include <boost/json.hpp>

#include "client/client_core.hpp"

namespace chatkeep {

namespace json = boost::json;

namespace {

// The user ids of `payload[name]`, an array of strings.
std::vector<std::string> ids_at(const json::object& payload, std::string_view name) {
  std::vector<std::string> ids;
  if (const json::value* list = payload.if_contains(name); list && list->is_array()) {
    for (const auto& id : list->as_array())
      if (id.is_string()) ids.emplace_back(id.as_string());
  }
  return ids;
}

Member new_member(const std::string& user_id, Timestamp at, const char* role) {
  Member member;
  member.user_id = user_id;
  member.user = User{.id = user_id};
  member.channel_role = role;
  member.created_at = at;
  member.updated_at = at;
  return member;
}

}  // namespace

const std::string& ClientCore::user_id() const {
  require_session();
  return session_->user.id;
}

std::optional<Draft> ClientCore::draft(const std::string& cid,
                                       const std::optional<std::string>& parent_id) {
  require_session();
  return store_->draft(cid, parent_id);
}

void ClientCore::change_channel(OutboxEntry action) {
  require_session();
  const std::string me = session_->user.id;
  const Timestamp now = Timestamp::now();
  const auto stored = store_->channel_state(action.cid, MessagePagination{.limit = 0});
  if (!stored && action.kind != OutboxKind::create_channel) {
    throw ChatError(ErrorCode::not_found, "channel " + action.cid + " is not stored");
  }
  Batch echo;
  switch (action.kind) {
    case OutboxKind::create_channel: {
      // The user is among its members: the server lets nobody make a channel without joining.
      json::value& data = action.payload["data"];
      if (!data.is_object()) data = json::object{};
      json::object& fields = data.as_object();
      std::vector<std::string> members = ids_at(fields, "members");
      if (std::find(members.begin(), members.end(), me) == members.end()) members.push_back(me);
      fields["members"] = json::array(members.begin(), members.end());
      if (stored) break;  // the server answers with the channel as it is
      const auto colon = action.cid.find(':');
      Channel base{.id = action.cid.substr(colon + 1),
                   .type = action.cid.substr(0, colon),
                   .cid = action.cid,
                   .created_at = now,
                   .updated_at = now,
                   .created_by = User{.id = me},
                   .member_count = static_cast<std::int64_t>(members.size())};
      json::object custom = fields;
      custom.erase("members");
      echo.push_back(UpsertChannels{{with_channel_data(base, custom)}});
      std::vector<Member> rows;
      for (const auto& id : members)
        rows.push_back(new_member(id, now, id == me ? "channel_moderator" : "channel_member"));
      echo.push_back(UpsertMembers{action.cid, std::move(rows)});
      break;
    }
    case OutboxKind::delete_channel:
      echo.push_back(DeleteChannels{{action.cid}});
      break;
    case OutboxKind::truncate_channel: {
      // The user's sends still queued here go before the truncation, which takes them too.
      std::vector<std::string> unsent;
      for (const auto& e : store_->outbox(0, outbox::kWholeOutbox))
        if (e.kind == OutboxKind::send_message && e.cid == action.cid)
          unsent.push_back(e.message_id);
      echo.push_back(TruncateChannel{action.cid, now, true});
      if (!unsent.empty()) {
        echo.push_back(DeleteMessages{.which = DeleteMessages::ByIds{std::move(unsent)}});
      }
      break;
    }
    case OutboxKind::update_members: {
      if (outbox::leaves(action, me)) {
        echo.push_back(DeleteChannels{{action.cid}});  // out of the user's channels
        break;
      }
      const auto removed = ids_at(action.payload, "remove_members");
      if (!removed.empty()) echo.push_back(DeleteMembers{action.cid, removed});
      std::vector<Member> added;
      for (const auto& id : ids_at(action.payload, "add_members"))
        added.push_back(new_member(id, now, "channel_member"));
      for (const auto& id : ids_at(action.payload, "invites")) {
        added.push_back(new_member(id, now, "channel_member"));
        added.back().invited = true;
      }
      if (!added.empty()) echo.push_back(UpsertMembers{action.cid, std::move(added)});
      break;
    }
    case OutboxKind::answer_invite: {
      if (!stored->membership) {
        throw ChatError(ErrorCode::not_found, "the user is not a stored member of " + action.cid);
      }
      Member answered = *stored->membership;
      if (outbox::flag(action.payload, "accept_invite")) {
        answered.invite_accepted_at = now;
      } else {
        answered.invite_rejected_at = now;
      }
      echo.push_back(UpsertMembers{action.cid, {std::move(answered)}});
      break;
    }
    default:
      throw ChatError(ErrorCode::input, "not a change of a channel's life");
  }
  // The creator watches what she makes (the creation watches it; reconnects watch it again),
  // and stops watching what she leaves or deletes.
  const bool gone = std::any_of(echo.begin(), echo.end(), [](const Mutation& m) {
    return std::holds_alternative<DeleteChannels>(m);
  });
  if (action.kind == OutboxKind::create_channel) {
    action.payload["watch"] = true;
    watched_.insert(action.cid);
    news_.erase(action.cid);
  } else if (gone) {
    // Neither answers to earlier queries nor events sent before the server has the action bring
    // it back (ClientCore::departed).
    watched_.erase(action.cid);
    proven_.erase(action.cid);
    news_[action.cid] = {.at = ++news_count_, .departed = true};
  }
  enqueue(std::move(action), std::move(echo));
}

}  // namespace chatkeep

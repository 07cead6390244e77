// The user's own writes (DESIGN.md, "The outbox"): each action and its local echo commit in one
// transaction, after the outbox's rules have said what it does to the entries already queued.

#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "chatkeep/uuid.hpp"
#include "client/client_core.hpp"
#include "outbox/rules.hpp"

namespace chatkeep {

namespace json = boost::json;

namespace {

// The fields of a message a client sends (protocol.md, "send message"): what the user may set,
// mentioned users as ids, custom fields at the root.
json::object sendable(const Message& message) {
  const Message m = sender_settable(message);
  json::object out = m.extra;
  out["id"] = m.id;
  if (m.text) out["text"] = *m.text;
  if (m.attachments) {
    json::array list;
    for (const auto& a : *m.attachments)
      list.push_back(to_json(a));
    out["attachments"] = std::move(list);
  }
  if (m.mentioned_users) {
    json::array ids;
    for (const auto& u : *m.mentioned_users)
      ids.emplace_back(u.id);
    out["mentioned_users"] = std::move(ids);
  }
  if (m.parent_id) out["parent_id"] = *m.parent_id;
  if (m.show_in_channel) out["show_in_channel"] = *m.show_in_channel;
  if (m.quoted_message_id) out["quoted_message_id"] = *m.quoted_message_id;
  if (m.silent) out["silent"] = *m.silent;
  return out;
}

}  // namespace

void ClientCore::require_session() const {
  if (!session_) throw ChatError(ErrorCode::invalid_state, "no user is connected");
}

Message ClientCore::stored_message(const std::string& id) {
  auto message = store_->message(id);
  if (!message) throw ChatError(ErrorCode::not_found, "message " + id + " is not stored");
  return std::move(*message);
}

void ClientCore::enqueue(OutboxEntry action, Batch echo, const Adjust& adjust) {
  action.created_at = Timestamp::now();
  const auto pending = store_->outbox(0, outbox::kWholeOutbox);
  const outbox::Enqueue plan = outbox::plan_enqueue(pending, action);
  if (adjust) adjust(plan, action, echo);
  for (auto id : plan.remove)
    echo.push_back(RemoveOutboxEntry{id});
  if (plan.rewrite) {
    for (const auto& e : pending) {
      if (e.id != *plan.rewrite) continue;
      echo.push_back(UpdateOutboxEntry{.id = e.id,
                                       .state = e.state,
                                       .attempts = e.attempts,
                                       .error = e.error,
                                       .next_attempt_at = e.next_attempt_at,
                                       .payload = plan.payload});
    }
  }
  if (plan.add) {
    echo.push_back(AddOutboxEntry{std::move(action)});
  }
  store_->apply(echo);
  post([this] { outbox_->pump(); });
}

Message ClientCore::send_message(const std::string& cid, Message message) {
  require_session();
  if (message.id.empty()) message.id = make_uuid_v4();
  message.cid = cid;
  message.user = session_->user;
  message.type = message.type.value_or(message.parent_id ? "reply" : "regular");
  message.created_at = Timestamp::now();
  OutboxEntry action{.kind = OutboxKind::send_message,
                     .cid = cid,
                     .message_id = message.id,
                     .payload = {{"message", sendable(message)}}};
  enqueue(std::move(action), {UpsertMessages{.cid = cid, .messages = {message}, .echo = true}});
  message.local_state = LocalState::queued;
  return message;
}

void ClientCore::update_message(Message message) {
  require_session();
  Message stored = stored_message(message.id);
  const std::string cid = stored.cid.value_or("");
  OutboxEntry action{.kind = OutboxKind::update_message,
                     .cid = cid,
                     .message_id = message.id,
                     .payload = {{"message", sendable(message)}}};
  Batch echo = echo_of(action, std::move(stored));
  enqueue(std::move(action), std::move(echo));
}

void ClientCore::delete_message(const std::string& id, bool hard) {
  require_session();
  Message stored = stored_message(id);
  const std::string cid = stored.cid.value_or("");
  OutboxEntry action{.kind = OutboxKind::delete_message,
                     .cid = cid,
                     .message_id = id,
                     .payload = {{"hard", hard}}};
  const auto echo = [&](const outbox::Enqueue& plan, const OutboxEntry& stamped, Batch& batch) {
    if (hard || !plan.add) {
      // Never sent (the send is cancelled) or deleted for good: the row goes.
      batch.push_back(DeleteMessages{.which = DeleteMessages::ByIds{{id}}, .hard = true});
    } else {
      batch = echo_of(stamped, std::move(stored));  // deleted_at is the action's time
    }
  };
  enqueue(std::move(action), {}, echo);
}

Batch ClientCore::echo_of(const OutboxEntry& action, Message stored) {
  if (replay(action, session_->user.id, stored) != Replayed::changed) return {};
  std::optional<std::string> cid = stored.cid;
  return {UpsertMessages{.cid = std::move(cid), .messages = {std::move(stored)}, .local = true}};
}

void ClientCore::send_reaction(const std::string& message_id, Reaction reaction) {
  require_session();
  Message stored = stored_message(message_id);
  reaction.message_id = message_id;
  reaction.user_id = session_->user.id;
  reaction.created_at = Timestamp::now();
  json::object body = reaction.extra;
  body["type"] = reaction.type;
  if (reaction.score) body["score"] = *reaction.score;
  OutboxEntry action{.kind = OutboxKind::send_reaction,
                     .cid = stored.cid.value_or(""),
                     .message_id = message_id,
                     .payload = {{"reaction", std::move(body)}}};
  Batch echo = echo_of(action, std::move(stored));
  echo.push_back(UpsertReactions{{std::move(reaction)}});
  enqueue(std::move(action), std::move(echo));
}

void ClientCore::delete_reaction(const std::string& message_id, const std::string& type) {
  require_session();
  Message stored = stored_message(message_id);
  OutboxEntry action{.kind = OutboxKind::delete_reaction,
                     .cid = stored.cid.value_or(""),
                     .message_id = message_id,
                     .payload = {{"type", type}}};
  Batch echo = echo_of(action, std::move(stored));
  echo.push_back(DeleteReaction{message_id, session_->user.id, type});
  enqueue(std::move(action), std::move(echo));
}

void ClientCore::mark_read(const std::string& cid) {
  require_session();
  Read read{
      .user = User{.id = session_->user.id}, .last_read = Timestamp::now(), .unread_messages = 0};
  enqueue(OutboxEntry{.kind = OutboxKind::mark_read, .cid = cid},
          {UpsertReads{cid, {std::move(read)}}});
}

std::vector<OutboxEntry> ClientCore::outbox_entries() {
  require_session();
  return store_->outbox(0, outbox::kWholeOutbox);
}

void ClientCore::retry(std::int64_t id) {
  require_session();
  for (const auto& e : store_->outbox(0, outbox::kWholeOutbox)) {
    if (e.id != id) continue;
    if (e.state != OutboxState::failed) return;  // already on its way
    // A fresh start in its place in the channel's order: the age limit counts from now, the
    // backoff from the first failure.
    store_->apply({UpdateOutboxEntry{
        .id = id, .state = OutboxState::queued, .created_at = Timestamp::now()}});
    post([this] { outbox_->pump(); });
    return;
  }
  throw ChatError(ErrorCode::not_found, "no outbox entry " + std::to_string(id));
}

void ClientCore::discard(std::int64_t id) {
  require_session();
  const auto pending = store_->outbox(0, outbox::kWholeOutbox);
  for (const auto& e : pending) {
    if (e.id != id) continue;
    if (e.state == OutboxState::sending) {
      throw ChatError(ErrorCode::invalid_state, "the entry is being delivered");
    }
    Batch batch{RemoveOutboxEntry{id}};
    if (e.kind == OutboxKind::send_message) {
      // The message never reached the server: its echo and what was queued about it go too.
      for (const auto& other : pending) {
        if (other.id != id && other.message_id == e.message_id) {
          batch.push_back(RemoveOutboxEntry{other.id});
        }
      }
      batch.push_back(DeleteMessages{.which = DeleteMessages::ByIds{{e.message_id}}, .hard = true});
    }
    store_->apply(batch);
    if (e.kind != OutboxKind::send_message && e.kind != OutboxKind::mark_read) {
      // Its echo shows a change that will not happen, and copies of the version it was made on
      // do not replace an echo: the server's copy does, as an answer. (Offline, the echo stays
      // until the message next changes.)
      api_->message(e.message_id, [this, cid = e.cid, serial = session_serial_](Result<Message> m) {
        if (serial != session_serial_) return;
        if (m.error) {
          log_->warn("refreshing a message after a discard: {}", m.error->message());
          return;
        }
        try {
          store_->apply(
              {UpsertMessages{.cid = cid, .messages = {std::move(*m.value)}, .answer = true}});
        } catch (const ChatError& error) {
          log_->error("storing a message after a discard: {}", error.what());
        }
      });
    }
    return;
  }
  throw ChatError(ErrorCode::not_found, "no outbox entry " + std::to_string(id));
}

}  // namespace chatkeep

// The user's own writes (DESIGN.md, "The outbox"): each action and its local echo commit in one
// transaction, after the outbox's rules have said what it does to the entries already queued.

#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "chatkeep/uuid.hpp"
#include "client/client_core.hpp"
#include "files/content_type.hpp"
#include "outbox/message_to_send.hpp"
#include "outbox/rules.hpp"
#include "outbox/settings.hpp"

namespace chatkeep {

namespace json = boost::json;

namespace {

// A file the user attached, as its message shows it until the server has it.
Attachment local_attachment(const outbox::Upload& file) {
  Attachment a;
  a.type = files::attachment_type(file.mime_type);
  a.title = file.name;
  a.mime_type = file.mime_type;
  a.file_size = file.size;
  a.extra[outbox::kUploadKey] = file.key;
  a.upload = AttachmentUpload{.key = file.key,
                              .local_file = file.path,
                              .state = UploadState::queued,
                              .bytes_total = file.size};
  return a;
}

// Adds `files` to the message's attachments, and their upload entries to `batch`.
void attach(Message& message, const std::vector<outbox::Upload>& files, Batch& batch) {
  if (files.empty()) return;
  if (!message.attachments) message.attachments.emplace();
  for (const auto& file : files) {
    message.attachments->push_back(local_attachment(file));
    batch.push_back(AddOutboxEntry{OutboxEntry{.kind = OutboxKind::upload_attachment,
                                               .cid = message.cid.value_or(""),
                                               .message_id = message.id,
                                               .payload = outbox::to_payload(file),
                                               .created_at = Timestamp::now()}});
  }
}

// The message's local attachments (their keys) that `message` leaves out of `before`'s, each
// either cancelled (its upload entry removed) or, uploaded already while its message waits,
// taken back from the server (a delete_upload entry). `cancelled` gets the keys the cache may
// let go of.
void drop_left_out(const std::vector<OutboxEntry>& pending, const json::object& before,
                   const std::optional<std::vector<Attachment>>& after, const std::string& cid,
                   const std::string& message_id, Batch& batch,
                   std::vector<std::string>& cancelled) {
  std::set<std::string> kept;
  if (after) {
    for (const auto& a : *after) {
      if (auto key = outbox::upload_key(a.extra)) kept.insert(*key);
    }
  }
  for (const auto& key : outbox::upload_keys(before)) {
    if (kept.contains(key)) continue;
    bool queued = false;
    for (const auto& e : pending) {
      if (e.kind != OutboxKind::upload_attachment || e.message_id != message_id) continue;
      const json::value* k = e.payload.if_contains("key");
      if (k && k->is_string() && k->as_string() == key) {
        batch.push_back(RemoveOutboxEntry{e.id});
        queued = true;
      }
    }
    if (queued) {
      cancelled.push_back(key);
    } else if (auto done = outbox::uploaded(before, key)) {
      batch.push_back(ForgetUpload{.cid = cid, .url = done->url});
      batch.push_back(
          AddOutboxEntry{OutboxEntry{.kind = OutboxKind::delete_upload,
                                     .cid = cid,
                                     .message_id = message_id,
                                     .payload = {{"url", done->url}, {"image", done->image}},
                                     .created_at = Timestamp::now()}});
    }
  }
}

// For a message that will now never be sent: its files' uploads are cancelled (the keys the
// cache may let go of go to `cancelled`), and those uploaded already are taken back from the
// server (delete_upload entries, into `batch`).
void take_back_files(const std::vector<OutboxEntry>& pending, const std::string& cid,
                     const std::string& message_id, Batch& batch,
                     std::vector<std::string>& cancelled) {
  for (const auto& e : pending) {
    const json::value* before = e.payload.if_contains("message");
    if (e.kind != OutboxKind::send_message || e.message_id != message_id || !before ||
        !before->is_object()) {
      continue;
    }
    Batch removals;  // whoever cancels the message removes its entries already
    drop_left_out(pending, before->as_object(), std::nullopt, cid, message_id, removals, cancelled);
    for (auto& m : removals) {
      if (!std::holds_alternative<RemoveOutboxEntry>(m)) batch.push_back(std::move(m));
    }
  }
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

Message ClientCore::send_message(const std::string& cid, Message message,
                                 std::vector<outbox::Upload> files) {
  require_session();
  if (message.id.empty()) message.id = make_uuid_v4();
  message.cid = cid;
  message.user = session_->user;
  message.type = message.type.value_or(message.parent_id ? "reply" : "regular");
  message.created_at = Timestamp::now();
  // The quote as the server will show it: the stored message, one level deep.
  message.quoted_message.reset();
  if (message.quoted_message_id) {
    if (std::optional<Message> quoted = store_->message(*message.quoted_message_id)) {
      quoted->quoted_message.reset();
      message.quoted_message = std::make_shared<const Message>(std::move(*quoted));
    }
  }
  Batch uploads;
  attach(message, files, uploads);
  OutboxEntry action{.kind = OutboxKind::send_message,
                     .cid = cid,
                     .message_id = message.id,
                     .payload = {{"message", outbox::message_to_send(message)}}};
  // The echo, the uploads and the send (after them) in one transaction; a reply's parent counts
  // it at once, as the server will (later copies of the parent replay it until then).
  Batch batch{UpsertMessages{.cid = cid, .messages = {message}, .echo = true}};
  if (message.parent_id) {
    if (std::optional<Message> parent = store_->message(*message.parent_id)) {
      Message counted = *parent;
      if (replay(action, session_->user.id, counted) == Replayed::changed) {
        batch.push_back(UpsertMessages{.cid = cid, .messages = {counted}, .local = true});
      }
    }
  }
  batch.insert(batch.end(), uploads.begin(), uploads.end());
  // The draft it came from goes, as it will on the server.
  batch.push_back(DeleteDraft{cid, message.parent_id});
  enqueue(std::move(action), std::move(batch));
  message.local_state = LocalState::queued;
  return message;
}

void ClientCore::update_message(Message message, std::vector<outbox::Upload> files) {
  require_session();
  Message stored = stored_message(message.id);
  const std::string cid = stored.cid.value_or("");
  message.cid = cid;
  if (!files.empty() && !message.attachments) message.attachments = stored.attachments;
  Batch uploads;
  attach(message, files, uploads);
  const auto pending = store_->outbox(0, outbox::kWholeOutbox);
  std::vector<std::string> cancelled;
  // Local attachments left out of an edit before the message was sent.
  for (const auto& e : pending) {
    if (e.kind != OutboxKind::send_message || e.message_id != message.id || !message.attachments) {
      continue;
    }
    const json::value* before = e.payload.if_contains("message");
    if (before && before->is_object()) {
      drop_left_out(pending, before->as_object(), message.attachments, cid, message.id, uploads,
                    cancelled);
    }
  }
  OutboxEntry action{.kind = OutboxKind::update_message,
                     .cid = cid,
                     .message_id = message.id,
                     .payload = {{"message", outbox::message_to_send(message)}}};
  Batch echo = echo_of(action, std::move(stored));
  echo.insert(echo.end(), uploads.begin(), uploads.end());
  enqueue(std::move(action), std::move(echo));
  for (const auto& key : cancelled)
    session_->files->remove(key);
}

void ClientCore::delete_message(const std::string& id, bool hard) {
  require_session();
  Message stored = stored_message(id);
  const std::string cid = stored.cid.value_or("");
  OutboxEntry action{.kind = OutboxKind::delete_message,
                     .cid = cid,
                     .message_id = id,
                     .payload = {{"hard", hard}}};
  std::vector<std::string> cancelled;
  const auto echo = [&](const outbox::Enqueue& plan, const OutboxEntry& stamped, Batch& batch) {
    if (hard || !plan.add) {
      // Never sent (the send is cancelled) or deleted for good: the row goes.
      batch.push_back(DeleteMessages{.which = DeleteMessages::ByIds{{id}}, .hard = true});
    } else {
      batch = echo_of(stamped, std::move(stored));  // deleted_at is the action's time
    }
    // Never sent: its files are not uploaded, or are taken back from the server.
    if (!plan.add)
      take_back_files(store_->outbox(0, outbox::kWholeOutbox), cid, id, batch, cancelled);
  };
  enqueue(std::move(action), {}, echo);
  for (const auto& key : cancelled)
    session_->files->remove(key);
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

void ClientCore::partial_update_message(const std::string& id, json::object set,
                                        std::vector<std::string> unset) {
  require_session();
  if (set.empty() && unset.empty()) throw ChatError(ErrorCode::input, "nothing to set or unset");
  Message stored = stored_message(id);
  json::array names(unset.begin(), unset.end());
  OutboxEntry action{.kind = OutboxKind::partial_update_message,
                     .cid = stored.cid.value_or(""),
                     .message_id = id,
                     .payload = {{"set", std::move(set)}, {"unset", std::move(names)}}};
  const auto echo = [&](const outbox::Enqueue&, const OutboxEntry& stamped, Batch& batch) {
    batch = echo_of(stamped, std::move(stored));  // pinned_at is the action's time
  };
  enqueue(std::move(action), {}, echo);
}

void ClientCore::mark_read(const std::string& cid) {
  require_session();
  Read read{
      .user = User{.id = session_->user.id}, .last_read = Timestamp::now(), .unread_messages = 0};
  enqueue(OutboxEntry{.kind = OutboxKind::mark_read, .cid = cid},
          {UpsertReads{cid, {std::move(read)}}});
}

void ClientCore::change_setting(OutboxEntry action) {
  require_session();
  const std::string me = session_->user.id;
  // The stored copy the setting shows on.
  Batch copies;
  switch (action.kind) {
    case OutboxKind::set_channel_hidden:
      copies.push_back(SetChannelHidden{action.cid, false});
      break;
    case OutboxKind::update_membership: {
      auto state = store_->channel_state(action.cid, MessagePagination{.limit = 0});
      if (!state || !state->membership) {
        throw ChatError(ErrorCode::not_found, "the user is not a stored member of " + action.cid);
      }
      copies.push_back(UpsertMembers{action.cid, {*state->membership}});
      break;
    }
    case OutboxKind::update_channel:
    case OutboxKind::partial_update_channel: {
      auto state = store_->channel_state(action.cid, MessagePagination{.limit = 0});
      if (!state) throw ChatError(ErrorCode::not_found, "channel " + action.cid + " is not stored");
      copies.push_back(UpsertChannels{{std::move(state->channel)}});
      break;
    }
    case OutboxKind::save_draft:
    case OutboxKind::delete_draft:
      copies.push_back(DeleteDraft{action.cid, outbox::draft_parent(action)});
      break;
    default: {  // the own user's
      std::optional<ConnectionInfo> info = store_->connection_info();
      if (!info) info.emplace().own_user.id = me;
      if (action.kind == OutboxKind::partial_update_user) {
        copies.push_back(UpsertUsers{{static_cast<const User&>(info->own_user)}});
      }
      copies.push_back(SetConnectionInfo{std::move(*info)});
      break;
    }
  }
  settings_pending_ = true;
  enqueue(std::move(action), {},
          [&](const outbox::Enqueue&, const OutboxEntry& stamped, Batch& echo) {
            echo = std::move(copies);
            outbox::show_settings({stamped}, me, echo);
            // Hidden with its history cleared: the messages until now go for this user.
            if (stamped.kind == OutboxKind::set_channel_hidden &&
                outbox::flag(stamped.payload, "hidden") &&
                outbox::flag(stamped.payload, "clear_history")) {
              echo.push_back(TruncateChannel{stamped.cid, stamped.created_at});
            }
          });
}

void ClientCore::save_draft(const std::string& cid, Message draft) {
  require_session();
  // A draft's message has an id, as the server's drafts do, so that its copies read as messages.
  if (draft.id.empty()) draft.id = make_uuid_v4();
  change_setting(OutboxEntry{.kind = OutboxKind::save_draft,
                             .cid = cid,
                             .payload = {{"message", outbox::message_to_send(draft)}}});
}

void ClientCore::update_own_user(json::object set, std::vector<std::string> unset) {
  require_session();
  if (set.empty() && unset.empty()) throw ChatError(ErrorCode::input, "nothing to set or unset");
  for (const auto& [key, value] : set) {
    if (!self_may_set(key))
      throw ChatError(ErrorCode::input, "the server owns " + std::string(key));
  }
  for (const auto& name : unset) {
    if (!self_may_set(name)) throw ChatError(ErrorCode::input, "the server owns " + name);
  }
  // The fields must make a user (a name that is a string...).
  json::object fields = to_json(User{.id = session_->user.id}).as_object();
  for (const auto& [key, value] : set)
    fields[key] = value;
  (void)from_json<User>(fields);
  change_setting(OutboxEntry{
      .kind = OutboxKind::partial_update_user,
      .payload = {{"set", std::move(set)}, {"unset", json::array(unset.begin(), unset.end())}}});
}

std::vector<OutboxEntry> ClientCore::outbox_entries() {
  require_session();
  return store_->outbox(0, outbox::kWholeOutbox);
}

void ClientCore::retry(std::int64_t id) {
  require_session();
  const auto pending = store_->outbox(0, outbox::kWholeOutbox);
  for (const auto& e : pending) {
    if (e.id != id) continue;
    if (e.state != OutboxState::failed) return;  // already on its way
    // A fresh start in its place in the channel's order: the age limit counts from now, the
    // backoff from the first failure.
    Batch batch{
        UpdateOutboxEntry{.id = id, .state = OutboxState::queued, .created_at = Timestamp::now()}};
    // A message and its files fail together (outbox_uploads.cpp), and are retried together.
    const bool with_files = e.kind == OutboxKind::upload_attachment ||
                            e.kind == OutboxKind::send_message ||
                            e.kind == OutboxKind::update_message;
    for (const auto& other : pending) {
      if (!with_files || other.id == id || other.message_id != e.message_id ||
          other.state != OutboxState::failed ||
          (other.kind != OutboxKind::upload_attachment && other.kind != OutboxKind::send_message &&
           other.kind != OutboxKind::update_message)) {
        continue;
      }
      batch.push_back(UpdateOutboxEntry{
          .id = other.id, .state = OutboxState::queued, .created_at = Timestamp::now()});
    }
    store_->apply(batch);
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
    if (e.kind == OutboxKind::create_channel) {
      // Never created: the channel goes, with everything waiting in it.
      for (const auto& other : pending) {
        if (other.cid == e.cid && other.id != id) batch.push_back(RemoveOutboxEntry{other.id});
      }
      batch.push_back(DeleteChannels{{e.cid}});
      store_->apply(batch);
      return;
    }
    std::vector<std::string> staged;  // files the cache holds for this message only
    const bool unsent =
        e.kind == OutboxKind::send_message ||
        (e.kind == OutboxKind::upload_attachment &&
         std::any_of(pending.begin(), pending.end(), [&](const OutboxEntry& o) {
           return o.kind == OutboxKind::send_message && o.message_id == e.message_id;
         }));
    if (unsent) {
      // The message never reached the server: its echo and what was queued about it go too,
      // files included (a file of a message is nothing without it).
      for (const auto& other : pending) {
        if (other.message_id != e.message_id) continue;
        if (other.id != id) batch.push_back(RemoveOutboxEntry{other.id});
        if (other.kind == OutboxKind::upload_attachment) {
          staged.push_back(outbox::upload_of(other).key);
        }
      }
      batch.push_back(DeleteMessages{.which = DeleteMessages::ByIds{{e.message_id}}, .hard = true});
      take_back_files(pending, e.cid, e.message_id, batch, staged);
    } else if (e.kind == OutboxKind::upload_attachment) {
      staged.push_back(outbox::upload_of(e).key);
    }
    store_->apply(batch);
    for (const auto& key : staged)
      session_->files->remove(key);
    if (!unsent && e.kind != OutboxKind::mark_read && e.kind != OutboxKind::upload_attachment &&
        e.kind != OutboxKind::delete_upload) {
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

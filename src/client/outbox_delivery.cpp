// Delivering the outbox: the due entries (outbox/rules.hpp) go to the server one per channel at a
// time while the socket is up; the answer and the entry's removal commit together; transient
// failures back off, permanent ones mark the entry failed with the server's reason. Only the
// client holding the store's outbox lease delivers, so that an app and its agent sharing a
// database never both send an entry.
//
// Every request is a typed Api call (call_for()). An answer the store cannot take, or one that
// does not show the action done, ends the attempt like a failure: retried a few times, then
// failed with the reason, for the app to retry or discard.
//
// A send or an edit that fails for good stays in the outbox, failed: it holds what the user wrote,
// which only the user may give up. The other actions hold nothing the user would lose, so one the
// server refuses for good (a pin of a message deleted since) is dropped at once, and the state it
// showed is given back as the server has it (give_back()), as a discard does.

#include "client/outbox_delivery.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "model/draft.hpp"
#include "outbox/settings.hpp"
#include "outbox/uploads.hpp"
#include "sync/writes.hpp"

namespace chatkeep {

namespace json = boost::json;

namespace {

bool hard_deletion(const OutboxEntry& entry) {
  const json::value* hard = entry.payload.if_contains("hard");
  return entry.kind == OutboxKind::delete_message && hard && hard->is_bool() && hard->as_bool();
}

// Whether the entry is about a message (and its answer carries it).
bool about_message(OutboxKind kind) {
  switch (kind) {
    case OutboxKind::send_message:
    case OutboxKind::update_message:
    case OutboxKind::delete_message:
    case OutboxKind::send_reaction:
    case OutboxKind::delete_reaction:
    case OutboxKind::partial_update_message:
      return true;
    default:
      return false;
  }
}

// The channel and members of a {"channel", "members"} answer, as writes.
void add_channel_answer(const OutboxEntry& entry, const json::object& answer, Batch& writes) {
  const json::value* channel = answer.if_contains("channel");
  if (!channel) throw ChatError(ErrorCode::input, "no channel in it");
  Channel copy = from_json<Channel>(*channel);
  if (copy.cid != entry.cid) {
    throw ChatError(ErrorCode::input,
                    fmt::format("channel '{}' where '{}' was changed", copy.cid, entry.cid));
  }
  writes.push_back(UpsertChannels{{std::move(copy)}});
  if (const json::value* members = answer.if_contains("members"); members && members->is_array()) {
    std::vector<Member> rows;
    for (const auto& member : members->as_array())
      rows.push_back(from_json<Member>(member));
    writes.push_back(UpsertMembers{entry.cid, std::move(rows)});
  }
}

// What a 2xx answer must hold for the store: the message the entry is about (its id, its
// channel), and for a reaction the reaction; a created channel's state; the channel and members
// after a change of members; the draft saved. A hard deletion, a read mark and a setting need
// nothing. An answer without what it must hold proves nothing was done, so it does not count as
// delivered. Throws ChatError when the answer lacks what the entry needs stored.
void read_answer(const OutboxEntry& entry, const json::object& answer, const std::string& me,
                 std::optional<Message>& message, std::optional<Reaction>& reaction,
                 Batch& writes) {
  switch (entry.kind) {
    case OutboxKind::create_channel: {
      auto state = from_json<ChannelState>(answer);
      if (state.channel.cid != entry.cid) {
        throw ChatError(ErrorCode::input, fmt::format("channel '{}' where '{}' was created",
                                                      state.channel.cid, entry.cid));
      }
      sync::add_channel_state_writes(std::move(state), me, writes);
      return;
    }
    case OutboxKind::update_members:
      // Unless she left: then the channel is gone for her.
      if (!outbox::leaves(entry, me)) add_channel_answer(entry, answer, writes);
      return;
    case OutboxKind::answer_invite:
      return add_channel_answer(entry, answer, writes);
    case OutboxKind::save_draft: {
      const json::value* draft = answer.if_contains("draft");
      if (!draft) throw ChatError(ErrorCode::input, "no draft in it");
      Draft saved = model::read_draft(*draft, model::Path("draft"));
      if (saved.cid != entry.cid || saved.parent_id != outbox::draft_parent(entry)) {
        throw ChatError(ErrorCode::input, "a draft of another channel or thread");
      }
      // The server's copy, with the server's time, in place of the echo whatever its time.
      writes.push_back(DeleteDraft{saved.cid, saved.parent_id});
      writes.push_back(UpsertDrafts{{std::move(saved)}});
      return;
    }
    default:
      break;
  }
  if (!about_message(entry.kind) || hard_deletion(entry)) {
    return;  // the echo is what the server now has; its events bring the server's own copies
  }
  const json::value* m = answer.if_contains("message");
  if (!m) throw ChatError(ErrorCode::input, "no message in it");
  message = from_json<Message>(*m);
  if (message->id != entry.message_id) {
    throw ChatError(ErrorCode::input,
                    fmt::format("message '{}' where '{}' was sent", message->id, entry.message_id));
  }
  if (message->cid && !entry.cid.empty() && *message->cid != entry.cid) {
    throw ChatError(ErrorCode::input,
                    fmt::format("a message of channel '{}', not '{}'", *message->cid, entry.cid));
  }
  if (entry.kind == OutboxKind::send_reaction) {
    const json::value* r = answer.if_contains("reaction");
    if (!r) throw ChatError(ErrorCode::input, "no reaction in it");
    reaction = from_json<Reaction>(*r);
  }
}

}  // namespace

Event outbox_event(EventType kind, const OutboxEntry& e, const std::optional<ChatError>& error) {
  Event event{.type = std::string(to_string(kind)), .kind = kind};
  event.created_at = Timestamp::now();
  event.cid = e.cid;
  json::object entry{
      {"id", e.id}, {"kind", to_string(e.kind)}, {"cid", e.cid}, {"message_id", e.message_id}};
  if (error) entry["error"] = error->message();
  event.extra["outbox_entry"] = std::move(entry);
  return event;
}

OutboxDelivery::OutboxDelivery(boost::asio::io_context& io, Lent lent, const OutboxOptions& options,
                               std::shared_ptr<spdlog::logger> log)
    : lent_(std::move(lent)),
      options_(options),
      retry_policy_{.first_delay = options.first_retry_delay,
                    .max_delay = options.max_retry_delay,
                    .max_age = options.max_age},
      log_(std::move(log)),
      io_(io),
      lease_timer_(io),
      retry_timer_(io) {}

void OutboxDelivery::start(std::string user_id) {
  ++session_;
  user_id_ = std::move(user_id);
  keep_lease();
}

void OutboxDelivery::stop() {
  ++session_;
  user_id_.reset();
  lease_timer_.cancel();
  retry_timer_.cancel();
  for (auto& [id, cancel] : std::exchange(uploads_, {}))
    cancel();
  progress_told_.clear();
  if (std::exchange(lease_held_, false)) {
    try {
      lent_.store.release_lease("outbox", lease_holder_);
    } catch (const ChatError& e) {
      log_->error("releasing the outbox lease failed: {}", e.what());
    }
  }
}

// Whether this client may deliver the outbox: it holds the store's outbox lease, renewed when a
// third of it has gone. Taking it (at start, or over from a process that died) queues again what
// its last holder had in flight.
bool OutboxDelivery::hold_lease() {
  const auto now = std::chrono::steady_clock::now();
  if (lease_held_ && now - lease_renewed_at_ < options_.lease_duration / 3) return true;
  const Timestamp wall = Timestamp::now();
  const bool held = lent_.store.acquire_lease(
      "outbox", lease_holder_, wall,
      Timestamp::from_unix_micros(
          wall.unix_micros() +
          std::chrono::duration_cast<std::chrono::microseconds>(options_.lease_duration).count()));
  if (held && !lease_held_) {
    log_->info("delivering the outbox (holding its lease)");
    rescue();
  }
  if (!held && lease_held_) log_->warn("another process took over the outbox");
  lease_held_ = held;
  if (held) lease_renewed_at_ = now;
  return held;
}

// While a user is connected, every second (or third of the lease, if shorter): the lease is
// renewed or watched for, and the outbox looked at again (another process may have added to it).
void OutboxDelivery::keep_lease() {
  lease_timer_.expires_after(
      std::min<std::chrono::milliseconds>(options_.lease_duration / 3, std::chrono::seconds(1)));
  lease_timer_.async_wait([this, session = session_](boost::system::error_code ec) {
    if (ec || session != session_ || !user_id_) return;
    try {
      if (hold_lease()) pump();
    } catch (const ChatError& e) {
      log_->error("the outbox lease: {}", e.what());
    }
    keep_lease();
  });
}

void OutboxDelivery::rescue() {
  Batch batch;
  for (const auto& e : lent_.store.outbox(0, outbox::kWholeOutbox)) {
    if (e.state != OutboxState::sending) continue;
    // In flight when the process ended: whether it arrived is unknown, and message ids make a
    // second send harmless, so it is queued again.
    batch.push_back(UpdateOutboxEntry{
        .id = e.id, .state = OutboxState::queued, .attempts = e.attempts, .error = e.error});
  }
  if (!batch.empty()) {
    log_->info("{} outbox entries interrupted by the last exit are queued again", batch.size());
    lent_.store.apply(batch);
  }
}

void OutboxDelivery::wake() {
  Batch batch;
  for (const auto& e : lent_.store.outbox(0, outbox::kWholeOutbox)) {
    if (e.state == OutboxState::queued && e.next_attempt_at) {
      batch.push_back(UpdateOutboxEntry{
          .id = e.id, .state = e.state, .attempts = e.attempts, .error = e.error});
    }
  }
  if (!batch.empty()) lent_.store.apply(batch);
  pump();
}

void OutboxDelivery::pump() {
  if (!user_id_ || !lent_.online()) return;
  std::vector<OutboxEntry> pending;
  try {
    if (!hold_lease()) return;  // another process delivers
    pending = lent_.store.outbox(0, outbox::kWholeOutbox);
    const Timestamp now = Timestamp::now();
    if (auto expired = outbox::expired_entries(pending, now, retry_policy_); !expired.empty()) {
      Batch batch;
      for (auto& e : pending) {
        if (std::find(expired.begin(), expired.end(), e.id) == expired.end()) continue;
        e.state = OutboxState::failed;
        e.error = "not delivered within the outbox's age limit";
        batch.push_back(UpdateOutboxEntry{
            .id = e.id, .state = e.state, .attempts = e.attempts, .error = e.error});
        lent_.emit(
            outbox_event(EventType::outbox_failed, e, ChatError(ErrorCode::cancelled, *e.error)));
      }
      lent_.store.apply(batch);
    }
    for (auto id : outbox::due_entries(pending, now)) {
      for (const auto& e : pending) {
        if (e.id == id) attempt(e);
      }
    }
  } catch (const ChatError& e) {
    log_->error("delivering the outbox failed: {}", e.what());
    return;
  }
  // Wake up when the next backed-off entry is due.
  std::vector<OutboxEntry> waiting;
  for (auto& e : pending) {
    if (e.state == OutboxState::queued && e.next_attempt_at) waiting.push_back(std::move(e));
  }
  if (auto next = outbox::next_due(waiting)) {
    const auto wait = std::chrono::microseconds(
        std::max<std::int64_t>(0, next->unix_micros() - Timestamp::now().unix_micros()));
    retry_timer_.expires_after(wait);
    retry_timer_.async_wait([this, session = session_](boost::system::error_code ec) {
      if (!ec && session == session_) pump();
    });
  }
}

void OutboxDelivery::attempt(const OutboxEntry& entry) {
  lent_.store.apply({UpdateOutboxEntry{.id = entry.id,
                                       .state = OutboxState::sending,
                                       .attempts = entry.attempts,
                                       .error = entry.error}});
  if (entry.kind == OutboxKind::upload_attachment) return attempt_upload(entry);
  lent_.authorized([this, entry](Callback<json::object> done) { call_for(entry, std::move(done)); },
                   [this, entry, session = session_](Result<json::object> r) {
                     // The user left: the entry waits, sending, for the next start.
                     if (session != session_) return;
                     settle_attempt(entry, std::move(r));
                   });
}

void OutboxDelivery::call_for(const OutboxEntry& e, Callback<json::object> done) {
  using boost::beast::http::verb;
  using outbox::flag;
  switch (e.kind) {
    case OutboxKind::send_message:
      return lent_.api.send_message(e.cid, outbox::sendable(e.payload), std::move(done));
    case OutboxKind::update_message:
      return lent_.api.update_message(e.message_id, outbox::sendable(e.payload), std::move(done));
    case OutboxKind::delete_message:
      return lent_.api.delete_message(e.message_id, hard_deletion(e), std::move(done));
    case OutboxKind::send_reaction:
      return lent_.api.send_reaction(e.message_id, e.payload, std::move(done));
    case OutboxKind::delete_reaction:
      return lent_.api.delete_reaction(e.message_id, outbox::reaction_type(e), std::move(done));
    case OutboxKind::mark_read:
      return lent_.api.mark_read(e.cid, e.payload, std::move(done));
    case OutboxKind::set_channel_hidden:
      return flag(e.payload, "hidden")
                 ? lent_.api.call(verb::post, api::channel_path(e.cid) + "/hide",
                                  {{"clear_history", flag(e.payload, "clear_history")}},
                                  std::move(done))
                 : lent_.api.call(verb::post, api::channel_path(e.cid) + "/show", {},
                                  std::move(done));
    case OutboxKind::set_channel_muted: {
      json::object body{{"channel_cids", json::array{e.cid}}};
      if (const json::value* ms = e.payload.if_contains("expiration")) body["expiration"] = *ms;
      return lent_.api.call(
          verb::post,
          flag(e.payload, "muted") ? "/moderation/mute/channel" : "/moderation/unmute/channel",
          std::move(body), std::move(done));
    }
    case OutboxKind::update_membership:
      return lent_.api.call(verb::patch, api::channel_path(e.cid) + "/member", e.payload,
                            std::move(done));
    case OutboxKind::set_user_muted: {
      json::object body{{"target_ids", json::array{outbox::setting_target(e)}}};
      if (const json::value* minutes = e.payload.if_contains("timeout")) body["timeout"] = *minutes;
      return lent_.api.call(verb::post,
                            flag(e.payload, "muted") ? "/moderation/mute" : "/moderation/unmute",
                            std::move(body), std::move(done));
    }
    case OutboxKind::set_user_blocked:
      return lent_.api.call(verb::post,
                            flag(e.payload, "blocked") ? "/users/block" : "/users/unblock",
                            {{"blocked_user_id", outbox::setting_target(e)}}, std::move(done));
    case OutboxKind::partial_update_message:
      return lent_.api.call(verb::put, "/messages/" + api::encoded(e.message_id), e.payload,
                            std::move(done));
    case OutboxKind::save_draft:
      return lent_.api.call(verb::post, api::channel_path(e.cid) + "/draft", e.payload,
                            std::move(done));
    case OutboxKind::delete_draft: {
      const auto parent = outbox::draft_parent(e);
      return lent_.api.call(verb::delete_, api::channel_path(e.cid) + "/draft", {}, std::move(done),
                            parent ? "parent_id=" + api::encoded(*parent) : std::string());
    }
    case OutboxKind::update_channel:
    case OutboxKind::update_members:
    case OutboxKind::answer_invite:
      return lent_.api.call(verb::post, api::channel_path(e.cid), e.payload, std::move(done));
    case OutboxKind::partial_update_channel:
      return lent_.api.call(verb::patch, api::channel_path(e.cid), e.payload, std::move(done));
    case OutboxKind::partial_update_user: {
      json::object update = e.payload;
      update["id"] = *user_id_;
      return lent_.api.call(verb::patch, "/users", {{"users", json::array{std::move(update)}}},
                            std::move(done));
    }
    case OutboxKind::create_channel: {
      json::object body = e.payload;  // with watch: the socket hears of it from now on
      body["state"] = true;
      body["messages"] = {{"limit", 0}};
      return lent_.api.call(verb::post, api::channel_path(e.cid) + "/query", std::move(body),
                            std::move(done));
    }
    case OutboxKind::delete_channel:
      return lent_.api.call(verb::delete_, api::channel_path(e.cid), {}, std::move(done));
    case OutboxKind::truncate_channel:
      return lent_.api.call(verb::post, api::channel_path(e.cid) + "/truncate", {},
                            std::move(done));
    case OutboxKind::delete_upload: {
      const json::value* url = e.payload.if_contains("url");
      const json::value* image = e.payload.if_contains("image");
      if (!url || !url->is_string() || !image || !image->is_bool()) break;
      return lent_.api.delete_file(e.cid, image->as_bool(), std::string(url->as_string()),
                                   std::move(done));
    }
    case OutboxKind::upload_attachment:
      break;  // attempt_upload()
  }
  done({.error = ChatError(ErrorCode::input, "an outbox entry of no known kind")});
}

void OutboxDelivery::settle_attempt(const OutboxEntry& entry, Result<json::object> r) {
  if (r) {
    std::optional<Message> message;
    std::optional<Reaction> reaction;
    Batch writes;
    try {
      read_answer(entry, *r.value, *user_id_, message, reaction, writes);
    } catch (const ChatError& e) {
      return unusable_answer(entry, e.message());
    } catch (const std::exception& e) {
      return unusable_answer(entry, e.what());
    }
    return finish(entry, std::move(message), std::move(reaction), std::move(writes));
  }
  const outbox::Verdict verdict = outbox::judge(entry, *user_id_, *r.error);
  if (verdict == outbox::Verdict::delivered) {
    if (!about_message(entry.kind) || hard_deletion(entry)) return finish(entry, std::nullopt);
    // Done before (a send whose answer was lost, a removal of what is gone): the server's copy
    // replaces the local echo, which no event will (nothing changed on the server this time).
    return lent_.api.message(entry.message_id,
                             [this, entry, session = session_](Result<Message> m) {
                               if (session != session_) return;
                               std::optional<Message> copy = std::move(m.value);
                               if (copy && copy->id != entry.message_id) copy.reset();
                               finish(entry, std::move(copy));
                             });
  }
  record_failure(entry, verdict, *r.error);
}

// A 2xx answer the client cannot use (a broken server or proxy): the attempt ends, and is tried
// again a few times with backoff (the actions are idempotent, so a retry is safe if it was done),
// then fails with the reason, for the app to retry or discard.
void OutboxDelivery::unusable_answer(const OutboxEntry& entry, const std::string& why) {
  constexpr std::int64_t kTries = 3;
  const ChatError error(ErrorCode::input, "the server's answer is unusable: " + why, 0, false);
  log_->warn("outbox entry {} ({}): {}", entry.id, to_string(entry.kind), error.message());
  record_failure(entry,
                 entry.attempts + 1 >= kTries ? outbox::Verdict::failed : outbox::Verdict::retry,
                 error);
}

void OutboxDelivery::record_failure(const OutboxEntry& entry, outbox::Verdict verdict,
                                    const ChatError& error) {
  const std::int64_t failures = entry.attempts + 1;
  UpdateOutboxEntry update{.id = entry.id, .attempts = failures, .error = error.message()};
  if (verdict == outbox::Verdict::retry) {
    update.state = OutboxState::queued;
    const auto delay = outbox::retry_delay(failures, retry_policy_, random_);
    update.next_attempt_at = Timestamp::from_unix_micros(
        Timestamp::now().unix_micros() +
        std::chrono::duration_cast<std::chrono::microseconds>(delay).count());
  } else {
    update.state = OutboxState::failed;
  }
  try {
    lent_.store.apply({std::move(update)});
  } catch (const ChatError& e) {
    log_->error("recording an outbox failure failed: {}", e.what());
  }
  if (verdict == outbox::Verdict::failed) {
    log_->warn("outbox entry {} ({}) failed: {}", entry.id, to_string(entry.kind), error.message());
    lent_.emit(outbox_event(EventType::outbox_failed, entry, error));
    if (entry.kind == OutboxKind::upload_attachment) fail_dependents(entry, error);
    if (entry.kind == OutboxKind::partial_update_message || outbox::is_setting(entry.kind) ||
        outbox::changes_channel(entry.kind)) {
      give_back(entry);
    }
  }
  pump();
}

void OutboxDelivery::give_back(const OutboxEntry& entry) {
  if (outbox::is_setting(entry.kind)) return give_back_setting(entry);
  if (outbox::changes_channel(entry.kind)) return give_back_channel(entry);
  lent_.api.message(entry.message_id, [this, entry, session = session_](Result<Message> m) {
    if (session != session_) return;
    // Removed with the server's copy in one write, so that nothing stored shows the action
    // afterwards. Without a copy (offline again) the entry still goes: the next copy of the
    // message that arrives is then stored as it is.
    Batch batch{RemoveOutboxEntry{entry.id}};
    if (m.value && m.value->id == entry.message_id) {
      batch.push_back(
          UpsertMessages{.cid = entry.cid, .messages = {std::move(*m.value)}, .answer = true});
    } else if (m.error && m.error->code() == ErrorCode::not_found) {
      batch.push_back(
          DeleteMessages{.which = DeleteMessages::ByIds{{entry.message_id}}, .hard = true});
    }
    try {
      lent_.store.apply(batch);
    } catch (const ChatError& e) {
      log_->error("giving back the state of a refused action: {}", e.what());
    }
  });
}

void OutboxDelivery::finish(const OutboxEntry& entry, std::optional<Message> message,
                            std::optional<Reaction> reaction, Batch writes) {
  // The entry goes first: the answer already shows it, and the store replays only the entries
  // still waiting on the copies it stores.
  Batch batch{RemoveOutboxEntry{entry.id}};
  if (!writes.empty()) {
    // A later setting of the same thing, still waiting, shows over the answer.
    const auto pending = lent_.store.outbox(0, outbox::kWholeOutbox);
    if (std::any_of(pending.begin(), pending.end(), [&](const OutboxEntry& e) {
          return e.id != entry.id && outbox::is_setting(e.kind);
        })) {
      std::vector<OutboxEntry> others;
      for (const auto& e : pending)
        if (e.id != entry.id) others.push_back(e);
      outbox::show_settings(others, *user_id_, writes);
    }
    batch.insert(batch.end(), std::make_move_iterator(writes.begin()),
                 std::make_move_iterator(writes.end()));
  }
  if (message) {
    batch.push_back(
        UpsertMessages{.cid = entry.cid, .messages = {std::move(*message)}, .answer = true});
  }
  // The user's own reaction is what their latest action on it made it, whatever events about it
  // arrived since the echo (own reactions change only through the user's actions, delivered in
  // order): an older event may have undone the echo.
  if (entry.kind == OutboxKind::send_reaction && reaction) {
    reaction->message_id = entry.message_id;
    reaction->user_id = *user_id_;
    batch.push_back(UpsertReactions{{std::move(*reaction)}});
  } else if (entry.kind == OutboxKind::delete_reaction) {
    batch.push_back(DeleteReaction{entry.message_id, *user_id_, outbox::reaction_type(entry)});
  }
  try {
    lent_.store.apply(batch);
  } catch (const ChatError& e) {
    // The removal went with the refused answer; the attempt must still end, or the entry would
    // stay `sending` until the next start.
    return unusable_answer(entry, "the store refused it: " + e.message());
  }
  lent_.emit(outbox_event(EventType::outbox_delivered, entry, std::nullopt));
  pump();
}

// A refused setting of a channel: the channel as the server has it for the user. Of another user:
// there is no call that answers with the own user, so a refused mute or block is taken back from
// the stored own user (the server made none); a refused unmute or unblock leaves it as it is
// until the next connection's greeting.
void OutboxDelivery::give_back_setting(const OutboxEntry& entry) {
  auto store = [this, entry](Batch batch) {
    batch.insert(batch.begin(), RemoveOutboxEntry{entry.id});
    try {
      lent_.store.apply(batch);
    } catch (const ChatError& e) {
      log_->error("giving back the state of a refused setting: {}", e.what());
    }
  };
  if (entry.kind == OutboxKind::save_draft || entry.kind == OutboxKind::delete_draft) {
    const auto parent = outbox::draft_parent(entry);
    return lent_.api.call(
        boost::beast::http::verb::get, api::channel_path(entry.cid) + "/draft", {},
        [this, entry, parent, store, session = session_](Result<json::object> r) {
          if (session != session_) return;
          Batch batch;
          if (r.error && r.error->code() == ErrorCode::not_found) {
            batch.push_back(DeleteDraft{entry.cid, parent});
          } else if (const json::value* d = r ? r.value->if_contains("draft") : nullptr) {
            try {
              batch.push_back(DeleteDraft{entry.cid, parent});
              batch.push_back(UpsertDrafts{{model::read_draft(*d, model::Path("draft"))}});
            } catch (const ChatError& e) {
              batch.clear();
              log_->warn("the server's draft: {}", e.message());
            }
          }
          store(std::move(batch));
        },
        parent ? "parent_id=" + api::encoded(*parent) : std::string());
  }
  if (entry.kind == OutboxKind::partial_update_user) {
    // The own user as the server has it: the users query answers with its user fields.
    json::object payload{{"filter_conditions", {{"id", *user_id_}}}};
    return lent_.api.call(
        boost::beast::http::verb::get, "/users", {},
        [this, store, session = session_](Result<json::object> r) {
          if (session != session_) return;
          Batch batch;
          try {
            const json::value* users = r ? r.value->if_contains("users") : nullptr;
            auto info = lent_.store.connection_info();
            if (users && users->is_array() && !users->as_array().empty() && info) {
              User user = from_json<User>(users->as_array().front());
              if (user.id == *user_id_) {
                static_cast<User&>(info->own_user) = user;
                batch.push_back(UpsertUsers{{std::move(user)}});
                batch.push_back(SetConnectionInfo{std::move(*info)});
              }
            }
          } catch (const ChatError& e) {
            batch.clear();
            log_->warn("the server's own user: {}", e.message());
          }
          store(std::move(batch));
        },
        "payload=" + api::encoded(json::serialize(payload)));
  }
  if (entry.kind == OutboxKind::set_user_muted || entry.kind == OutboxKind::set_user_blocked) {
    Batch batch;
    const char* flag = entry.kind == OutboxKind::set_user_muted ? "muted" : "blocked";
    if (auto info = lent_.store.connection_info(); info && outbox::flag(entry.payload, flag)) {
      OutboxEntry undone = entry;
      undone.payload[flag] = false;
      batch.push_back(SetConnectionInfo{std::move(*info)});
      outbox::show_settings({undone}, *user_id_, batch);
    }
    return store(std::move(batch));
  }
  give_back_channel(entry);
}

// A refused change of a channel: the channel as the server has it for the user, or gone when
// she may no longer see it. Without an answer (offline again) the entry still goes: the next
// copy of the channel is stored as it is.
void OutboxDelivery::give_back_channel(const OutboxEntry& entry) {
  // The channel's data, members and membership; its messages too only when the change was to
  // them (an answer's messages replace the user's own reactions, which her later entries may be
  // changing meanwhile).
  const std::int64_t messages = entry.kind == OutboxKind::truncate_channel ? 25 : 0;
  lent_.api.query_channel(entry.cid, {{"state", true}, {"messages", {{"limit", messages}}}},
                          [this, entry, messages, session = session_](Result<ChannelState> r) {
                            if (session != session_) return;
                            Batch batch{RemoveOutboxEntry{entry.id}};
                            if (r) {
                              // Not its reads: unread counts move with events, and events the
                              // answer already counts may still be on their way here. Nor its
                              // pinned messages, which the change was not about.
                              r.value->read.reset();
                              if (!messages) r.value->pinned_messages.reset();
                              sync::add_channel_state_writes(std::move(*r.value), *user_id_, batch);
                            } else if (r.error->code() == ErrorCode::not_found ||
                                       r.error->code() == ErrorCode::not_allowed) {
                              batch.push_back(DeleteChannels{{entry.cid}});
                            }
                            try {
                              lent_.store.apply(batch);
                            } catch (const ChatError& e) {
                              log_->error("giving back a channel after a refused change: {}",
                                          e.what());
                            }
                          });
}

}  // namespace chatkeep

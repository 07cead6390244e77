// Delivering the outbox: the due entries (outbox/rules.hpp) go to the server one per channel at a
// time while the socket is up; the answer and the entry's removal commit together; transient
// failures back off, permanent ones mark the entry failed with the server's reason. Only the
// client holding the store's outbox lease delivers, so that an app and its agent sharing a
// database never both send an entry.

#include <unistd.h>

#include <random>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "client/client_core.hpp"
#include "outbox/rules.hpp"

namespace chatkeep {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {

constexpr std::size_t kWholeOutbox = 1'000'000;

struct Request {
  verb method;
  std::string path;
  json::object body;
  std::string query;
};

Request request_for(const OutboxEntry& e) {
  const std::string message_path = "/messages/" + api::encoded(e.message_id);
  switch (e.kind) {
    case OutboxKind::send_message:
      return {verb::post, api::channel_path(e.cid) + "/message", e.payload, ""};
    case OutboxKind::update_message:
      return {verb::post, message_path, e.payload, ""};
    case OutboxKind::delete_message: {
      const json::value* hard = e.payload.if_contains("hard");
      return {verb::delete_,
              message_path,
              {},
              hard && hard->is_bool() && hard->as_bool() ? "hard=true" : ""};
    }
    case OutboxKind::send_reaction:
      return {verb::post, message_path + "/reaction", e.payload, ""};
    case OutboxKind::delete_reaction:
      return {verb::delete_,
              message_path + "/reaction/" + api::encoded(outbox::reaction_type(e)),
              {},
              ""};
    case OutboxKind::mark_read:
      return {verb::post, api::channel_path(e.cid) + "/read", e.payload, ""};
  }
  return {verb::post, "/", {}, ""};
}

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

}  // namespace

std::string ClientCore::new_lease_holder() {
  return fmt::format("{}:{:016x}", ::getpid(), std::random_device{}() * 0x9E3779B97F4A7C15ull);
}

// Whether this client may deliver the outbox: it holds the store's outbox lease, renewed when a
// third of it has gone. Taking it (at start, or over from a process that died) queues again what
// its last holder had in flight.
bool ClientCore::hold_outbox_lease() {
  const auto now = std::chrono::steady_clock::now();
  if (outbox_lease_ && now - lease_renewed_at_ < options_.outbox.lease_duration / 3) return true;
  const Timestamp wall = Timestamp::now();
  const bool held = store_->acquire_lease(
      "outbox", lease_holder_, wall,
      Timestamp::from_unix_micros(
          wall.unix_micros() +
          std::chrono::duration_cast<std::chrono::microseconds>(options_.outbox.lease_duration)
              .count()));
  if (held && !outbox_lease_) {
    log_->info("delivering the outbox (holding its lease)");
    rescue_outbox();
  }
  if (!held && outbox_lease_) log_->warn("another process took over the outbox");
  outbox_lease_ = held;
  if (held) lease_renewed_at_ = now;
  return held;
}

// While a user is connected, every second (or third of the lease, if shorter): the lease is
// renewed or watched for, and the outbox looked at again (another process may have added to it).
void ClientCore::keep_outbox_lease() {
  lease_timer_.expires_after(std::min<std::chrono::milliseconds>(options_.outbox.lease_duration / 3,
                                                                 std::chrono::seconds(1)));
  lease_timer_.async_wait([this, serial = session_serial_](boost::system::error_code ec) {
    if (ec || serial != session_serial_ || !session_) return;
    try {
      if (hold_outbox_lease()) pump_outbox();
    } catch (const ChatError& e) {
      log_->error("the outbox lease: {}", e.what());
    }
    keep_outbox_lease();
  });
}

void ClientCore::rescue_outbox() {
  Batch batch;
  for (const auto& e : store_->outbox(0, kWholeOutbox)) {
    if (e.state != OutboxState::sending) continue;
    // In flight when the process ended: whether it arrived is unknown, and message ids make a
    // second send harmless, so it is queued again.
    batch.push_back(UpdateOutboxEntry{
        .id = e.id, .state = OutboxState::queued, .attempts = e.attempts, .error = e.error});
  }
  if (!batch.empty()) {
    log_->info("{} outbox entries interrupted by the last exit are queued again", batch.size());
    store_->apply(batch);
  }
}

void ClientCore::wake_outbox() {
  Batch batch;
  for (const auto& e : store_->outbox(0, kWholeOutbox)) {
    if (e.state == OutboxState::queued && e.next_attempt_at) {
      batch.push_back(UpdateOutboxEntry{
          .id = e.id, .state = e.state, .attempts = e.attempts, .error = e.error});
    }
  }
  if (!batch.empty()) store_->apply(batch);
  pump_outbox();
}

void ClientCore::pump_outbox() {
  if (!session_ || link_ != Link::up) return;
  std::vector<OutboxEntry> pending;
  try {
    if (!hold_outbox_lease()) return;  // another process delivers
    pending = store_->outbox(0, kWholeOutbox);
    const Timestamp now = Timestamp::now();
    if (auto expired = outbox::expired_entries(pending, now, retry_policy_); !expired.empty()) {
      Batch batch;
      for (auto& e : pending) {
        if (std::find(expired.begin(), expired.end(), e.id) == expired.end()) continue;
        e.state = OutboxState::failed;
        e.error = "not delivered within the outbox's age limit";
        batch.push_back(UpdateOutboxEntry{
            .id = e.id, .state = e.state, .attempts = e.attempts, .error = e.error});
        emit(outbox_event(EventType::outbox_failed, e, ChatError(ErrorCode::cancelled, *e.error)));
      }
      store_->apply(batch);
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
    outbox_timer_.expires_after(wait);
    outbox_timer_.async_wait([this, serial = session_serial_](boost::system::error_code ec) {
      if (!ec && serial == session_serial_) pump_outbox();
    });
  }
}

void ClientCore::attempt(const OutboxEntry& entry) {
  store_->apply({UpdateOutboxEntry{.id = entry.id,
                                   .state = OutboxState::sending,
                                   .attempts = entry.attempts,
                                   .error = entry.error}});
  Request request = request_for(entry);
  authorized<json::object>(
      [this, request](Callback<json::object> done) {
        api_->call(request.method, request.path, request.body, std::move(done), request.query);
      },
      [this, entry, serial = session_serial_](Result<json::object> r) {
        if (serial != session_serial_) return;  // the user left; the entry waits, sending
        settle_attempt(entry, std::move(r));
      });
}

void ClientCore::settle_attempt(const OutboxEntry& entry, Result<json::object> r) {
  if (r) {
    std::optional<Message> message;
    std::optional<Reaction> reaction;
    try {
      read_answer(entry, *r.value, message, reaction);
    } catch (const ChatError& e) {
      return unusable_answer(entry, e.message());
    } catch (const std::exception& e) {
      return unusable_answer(entry, e.what());
    }
    return finish_delivery(entry, std::move(message), std::move(reaction));
  }
  const outbox::Verdict verdict = outbox::judge(entry.kind, *r.error);
  if (verdict == outbox::Verdict::delivered) {
    if (entry.kind == OutboxKind::mark_read || hard_deletion(entry)) {
      return finish_delivery(entry, std::nullopt);
    }
    // Done before (a send whose answer was lost, a removal of what is gone): the server's copy
    // replaces the local echo, which no event will (nothing changed on the server this time).
    return api_->message(entry.message_id,
                         [this, entry, serial = session_serial_](Result<Message> m) {
                           if (serial != session_serial_) return;
                           std::optional<Message> copy = std::move(m.value);
                           if (copy && copy->id != entry.message_id) copy.reset();
                           finish_delivery(entry, std::move(copy));
                         });
  }
  record_failure(entry, verdict, *r.error);
}

bool ClientCore::hard_deletion(const OutboxEntry& entry) {
  return entry.kind == OutboxKind::delete_message && entry.payload.contains("hard") &&
         entry.payload.at("hard") == true;
}

// What a 2xx answer must hold for the store: the message the entry is about (its id, its
// channel), and for a reaction the reaction. A hard deletion and a read mark need nothing. An
// answer without them proves nothing was done, so it does not count as delivered.
void ClientCore::read_answer(const OutboxEntry& entry, const json::object& answer,
                             std::optional<Message>& message, std::optional<Reaction>& reaction) {
  if (entry.kind == OutboxKind::mark_read || hard_deletion(entry)) return;
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

// A 2xx answer the client cannot use (a broken server or proxy): the attempt ends, and is tried
// again a few times with backoff (the actions are idempotent, so a retry is safe if it was done),
// then fails with the reason, for the app to retry or discard.
void ClientCore::unusable_answer(const OutboxEntry& entry, const std::string& why) {
  constexpr std::int64_t kTries = 3;
  const ChatError error(ErrorCode::input, "the server's answer is unusable: " + why, 0, false);
  log_->warn("outbox entry {} ({}): {}", entry.id, to_string(entry.kind), error.message());
  record_failure(entry,
                 entry.attempts + 1 >= kTries ? outbox::Verdict::failed : outbox::Verdict::retry,
                 error);
}

void ClientCore::record_failure(const OutboxEntry& entry, outbox::Verdict verdict,
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
    store_->apply({std::move(update)});
  } catch (const ChatError& e) {
    log_->error("recording an outbox failure failed: {}", e.what());
  }
  if (verdict == outbox::Verdict::failed) {
    log_->warn("outbox entry {} ({}) failed: {}", entry.id, to_string(entry.kind), error.message());
    emit(outbox_event(EventType::outbox_failed, entry, error));
  }
  pump_outbox();
}

void ClientCore::finish_delivery(const OutboxEntry& entry, std::optional<Message> message,
                                 std::optional<Reaction> reaction) {
  // The entry goes first: the answer already shows it, and the store replays only the entries
  // still waiting on the copies it stores.
  Batch batch{RemoveOutboxEntry{entry.id}};
  if (message) {
    batch.push_back(
        UpsertMessages{.cid = entry.cid, .messages = {std::move(*message)}, .answer = true});
  }
  // The user's own reaction is what their latest action on it made it, whatever events about it
  // arrived since the echo (own reactions change only through the user's actions, delivered in
  // order): an older event may have undone the echo.
  if (entry.kind == OutboxKind::send_reaction && reaction) {
    reaction->message_id = entry.message_id;
    reaction->user_id = session_->user.id;
    batch.push_back(UpsertReactions{{std::move(*reaction)}});
  } else if (entry.kind == OutboxKind::delete_reaction) {
    batch.push_back(
        DeleteReaction{entry.message_id, session_->user.id, outbox::reaction_type(entry)});
  }
  try {
    store_->apply(batch);
  } catch (const ChatError& e) {
    // The removal went with the refused answer; the attempt must still end, or the entry would
    // stay `sending` until the next start.
    return unusable_answer(entry, "the store refused it: " + e.message());
  }
  emit(outbox_event(EventType::outbox_delivered, entry, std::nullopt));
  pump_outbox();
}

}  // namespace chatkeep

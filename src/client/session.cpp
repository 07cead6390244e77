// A user's session on the client's core: connect_user opens the store and the user's files, then
// keeps a connection (connection.hpp) open with the user's token for as long as the session
// lasts. What the connection reports decides the rest: a greeting answers connect_user and starts
// catch-up; a loss falls back to the cache (offline-first) and reconnects with backoff; a refused
// token is replaced once per attempt (code 40); any other refusal is final.

#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "chatkeep/uuid.hpp"
#include "client/client_core.hpp"
#include "sync/writes.hpp"

namespace chatkeep {

namespace json = boost::json;

void ClientCore::connect_user(User user, std::string token, TokenProvider provider,
                              Callback<OwnUser> done) {
  auto fail = [&](ChatError error) { deliver([done, error] { done({.error = error}); }); };
  if (session_) {
    return fail(ChatError(ErrorCode::invalid_state,
                          "already connected as " + session_->user.id + "; disconnect_user first"));
  }
  if (user.id.empty()) return fail(ChatError(ErrorCode::input, "the user needs an id"));
  try {
    store_->connect(user.id);
    checkpoint_ = store_->last_sync_at();
    // Until a greeting tells the server's own: the best known, pending mutes and all.
    if (auto info = store_->connection_info()) server_mutes_ = sync::mutes_of(info->own_user);
  } catch (const ChatError& e) {
    return fail(e);
  }
  ++session_serial_;
  connection_->forget_failures();
  api_->set_user(user.id, token);
  session_ = Session{std::move(user), std::move(token), std::move(provider), std::move(done)};
  try {
    open_user_files(*session_);
  } catch (const ChatError& e) {
    session_.reset();
    store_->disconnect(false);
    return fail(e);
  }
  settings_pending_ = true;
  outbox_->start(session_->user.id);
  if (!session_->token.empty()) return open_socket();
  if (!session_->provider) {
    ChatError error(ErrorCode::authentication, "neither a token nor a token provider");
    end_session();
    return fail(error);
  }
  refresh_token([this](std::optional<ChatError> error) {
    if (!error) return open_socket();
    on_refused(std::move(*error));
  });
}

void ClientCore::refresh_token(std::function<void(std::optional<ChatError>)> then) {
  std::weak_ptr<ClientCore> weak = weak_from_this();
  session_->provider([weak, serial = session_serial_, then](Result<std::string> r) mutable {
    auto self = weak.lock();
    if (!self) return;
    self->post([self, serial, then = std::move(then), r = std::move(r)]() mutable {
      if (serial != self->session_serial_ || !self->session_) return;
      if (!r || r.value->empty()) {
        return then(r.error.value_or(
            ChatError(ErrorCode::authentication, "the token provider gave no token")));
      }
      self->session_->token = *r.value;
      self->api_->set_user(self->session_->user.id, *r.value);
      then(std::nullopt);
    });
  });
}

std::string ClientCore::connect_target() {
  // The server takes user_details as what the user says of themselves: only what is known is
  // sent, or a server that replaces the user would wipe the rest. That is what the app gave,
  // or when it gave only the id, the own user as last stored.
  User details = self_settable(session_->user);
  if (!details.name && !details.image && !details.language && details.extra.empty()) {
    try {
      if (auto cached = store_->connection_info(); cached && cached->own_user.id == details.id) {
        details = self_settable(cached->own_user);
      }
    } catch (const ChatError& e) {
      log_->warn("reading the stored own user failed: {}", e.what());
    }
  }
  const json::object request{{"user_id", session_->user.id},
                             {"user_details", to_json(details)},
                             {"client_request_id", make_uuid_v4()}};
  return "/connect?json=" + api::encoded(json::serialize(request)) +
         "&api_key=" + api::encoded(api_key_) + "&authorization=" + api::encoded(session_->token) +
         "&stream-auth-type=jwt&X-Stream-Client=" + api::encoded(api_->client_name());
}

void ClientCore::open_socket() {
  connection_->open(connect_target(), session_->user.id + "--" + make_uuid_v4());
}

void ClientCore::on_frame(json::value frame) {
  Event event;
  try {
    event = from_json<Event>(frame);
  } catch (const ChatError& e) {
    log_->warn("a malformed event, skipped: {}", e.message());
    return;
  }
  if (catching_up_) {
    held_.push_back(std::move(event));
    return;
  }
  apply_live(std::move(event));
}

void ClientCore::on_greeted(Event hello) {
  api_->set_connection_id(connection_->connection_id());
  greeted_at_ = hello.created_at.value_or(Timestamp::now());
  server_now_ = greeted_at_;
  OwnUser me = *hello.me;
  server_mutes_ = sync::mutes_of(me);

  Batch batch;
  sync::add_event_writes(hello, session_->user.id, batch);
  const bool resume = checkpoint_.has_value();
  if (!resume) {
    // The first connection of this store: nothing to catch up on; events count from now.
    checkpoint_ = greeted_at_;
    batch.push_back(SetLastSyncAt{*checkpoint_});
  }
  write(std::move(batch));
  if (auto done = std::exchange(session_->connected, nullptr)) {
    deliver([done, me] { done({.value = me}); });
  }
  emit_connection_changed(true);
  start_catch_up();
}

void ClientCore::on_refused(ChatError error) {
  connection_->close();  // the close that follows is expected
  api_->set_connection_id(std::nullopt);
  if (error.code() == ErrorCode::token_expired && session_->provider &&
      connection_->failures() < 3) {
    // An expired token is worth one new one per attempt; a provider that keeps handing out
    // expired tokens fails like bad credentials after three.
    connection_->count_failure();
    log_->info("the token expired; fetching a new one");
    return refresh_token([this](std::optional<ChatError> e) {
      if (!e) return open_socket();
      on_refused(std::move(*e));
    });
  }
  log_->error("the server refused the connection: {}", error.what());
  if (auto done = std::exchange(session_->connected, nullptr)) {
    end_session();
    return deliver([done, error] { done({.error = error}); });
  }
  // Refused on a reconnect: the session stays (the cache still answers) but stops connecting.
  Event event{.type = "connection.error", .kind = EventType::connection_error};
  event.created_at = Timestamp::now();
  event.error = json::object{{"code", static_cast<int>(error.code())},
                             {"message", error.message()},
                             {"StatusCode", error.http_status()}};
  emit(event);
}

void ClientCore::on_lost(const std::string& why, bool was_up) {
  api_->set_connection_id(std::nullopt);
  if (catching_up_) {
    // Whatever was held comes again from /sync on the next connection (it is newer than the
    // checkpoint, which only catch-up moved while it ran).
    catching_up_ = false;
    held_.clear();
  }
  proven_.clear();
  follows_checked_at_.reset();
  log_->info("the connection is down ({}); reconnecting", why);
  if (was_up) emit_connection_changed(false);
  if (auto done = std::exchange(session_->connected, nullptr)) {
    std::optional<ConnectionInfo> cached;
    try {
      cached = store_->connection_info();
    } catch (const ChatError& e) {
      log_->error("reading the cached user failed: {}", e.what());
    }
    if (!cached) {
      ChatError error(ErrorCode::network,
                      "could not reach the server (" + why +
                          ") and no earlier connection of this user is cached",
                      0, true);
      end_session();
      return deliver([done, error] { done({.error = error}); });
    }
    // Offline-first: the cached user answers, and connecting goes on in the background.
    deliver([done, me = cached->own_user] { done({.value = me}); });
  }
  schedule_reconnect();
}

void ClientCore::schedule_reconnect() {
  connection_->reconnect_later([this, serial = session_serial_] {
    if (serial == session_serial_ && session_) open_socket();
  });
}

void ClientCore::network_available() {
  // Only a client waiting out its backoff: not one connecting or up, nor one refused for good.
  if (!session_ || !connection_->reconnect_now()) return;
  log_->info("the network is back; reconnecting now");
  open_socket();
}

void ClientCore::end_session() {
  ++session_serial_;
  connection_->close();
  outbox_->stop();
  api_->set_connection_id(std::nullopt);
  api_->set_user("", "");
  session_.reset();
  watched_.clear();
  proven_.clear();
  follows_checked_at_.reset();
  typing_->clear();
  catching_up_ = false;
  held_.clear();
  applied_live_.clear();
  checkpoint_.reset();
  greeted_at_.reset();
  server_now_.reset();
  server_mutes_.clear();
  settle_writes(true);
  try {
    store_->disconnect(false);
  } catch (const ChatError& e) {
    log_->error("closing the store failed: {}", e.what());
  }
}

FlushResult ClientCore::disconnect_user(bool flush) {
  if (!session_) return {};
  const bool was_up = connection_->up();
  if (auto done = std::exchange(session_->connected, nullptr)) {
    deliver([done] {
      done({.error = ChatError(ErrorCode::cancelled, "disconnected before connecting")});
    });
  }
  FlushResult result;
  if (flush) {
    settle_writes(true);
    result = store_->flush();
    flush_user_files();
  }
  end_session();
  if (was_up) emit_connection_changed(false);
  return result;
}

void ClientCore::emit_connection_changed(bool online) {
  Event event{.type = "connection.changed", .kind = EventType::connection_changed};
  event.created_at = Timestamp::now();
  event.online = online;
  emit(event);
}

}  // namespace chatkeep

// The socket's life (protocol.md, "WebSocket"): connect with the user's token, the first frame
// that decides, keep-alive, reconnect with backoff, code 40 refresh, and permanent refusal.

#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "chatkeep/uuid.hpp"
#include "client/client_core.hpp"
#include "net/backoff.hpp"
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
  } catch (const ChatError& e) {
    return fail(e);
  }
  ++session_serial_;
  failures_ = 0;
  api_->set_user(user.id, token);
  session_ = Session{std::move(user), std::move(token), std::move(provider), std::move(done)};
  try {
    open_user_files(*session_);
  } catch (const ChatError& e) {
    session_.reset();
    store_->disconnect(false);
    return fail(e);
  }
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
  link_ = Link::connecting;
  awaiting_hello_ = true;
  const std::uint64_t serial = ++socket_serial_;
  net::Endpoint ws_endpoint = endpoint_;
  const std::string client_id = session_->user.id + "--" + make_uuid_v4();
  socket_ = std::make_unique<net::WebSocket>(
      io_.get_executor(), std::move(ws_endpoint), tls_,
      net::WebSocketOptions{.connect_timeout = options_.connect_timeout,
                            .ping_interval = options_.ping_interval,
                            .dead_after = options_.dead_after,
                            .ping = [client_id] {
                              return json::serialize(
                                  json::object{{"type", "health.check"}, {"client_id", client_id}});
                            }});
  greeting_timer_.expires_after(options_.connect_timeout);
  greeting_timer_.async_wait([this, serial](boost::system::error_code ec) {
    if (ec || serial != socket_serial_ || !awaiting_hello_) return;
    on_lost("no greeting from the server within " +
            std::to_string(options_.connect_timeout.count()) + " ms");
  });
  socket_->open(connect_target(),
                net::WebSocket::Handlers{
                    .frame =
                        [this, serial](std::string text) {
                          if (serial == socket_serial_) on_frame(std::move(text));
                        },
                    .closed =
                        [this, serial](boost::system::error_code ec, int close_code) {
                          if (serial != socket_serial_) return;
                          on_lost(close_code ? "closed with code " + std::to_string(close_code)
                                             : ec.message());
                        }},
                [this, serial](boost::system::error_code ec) {
                  if (serial == socket_serial_ && ec) on_lost("could not connect: " + ec.message());
                });
}

void ClientCore::on_frame(std::string text) {
  json::value frame;
  try {
    frame = parse_json(text);
  } catch (const ChatError& e) {
    // The first frame decides; junk there is no greeting, and waiting on would never end.
    if (awaiting_hello_) return on_lost("a first frame that is not JSON: " + e.message());
    log_->warn("a frame that is not JSON, skipped: {}", e.message());
    return;
  }
  if (awaiting_hello_) return on_hello(frame);
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

void ClientCore::on_hello(const json::value& frame) {
  awaiting_hello_ = false;
  greeting_timer_.cancel();
  const json::object* object = frame.if_object();
  const json::value* error = object ? object->if_contains("error") : nullptr;
  if (error) {
    // A server that cannot take the socket now (5xx) is tried again; other refusals are final.
    const ChatError refusal = error_from_json(*error, 0);
    if (refusal.http_status() >= 500) return on_lost("socket refused: " + refusal.message());
    return on_refused(error_from_json(*error, 401));
  }
  Event hello;
  try {
    hello = from_json<Event>(frame);
  } catch (const ChatError& e) {
    return on_lost("a malformed first frame: " + e.message());
  }
  if (hello.kind != EventType::health_check || !hello.me || !hello.connection_id) {
    return on_lost("the first frame is not a health.check with the own user");
  }
  link_ = Link::up;
  failures_ = 0;
  connection_id_ = hello.connection_id;
  api_->set_connection_id(connection_id_);
  greeted_at_ = hello.created_at.value_or(Timestamp::now());
  server_now_ = greeted_at_;
  OwnUser me = *hello.me;

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
  ++socket_serial_;  // the close that follows is expected
  socket_.reset();
  link_ = Link::down;
  connection_id_.reset();
  api_->set_connection_id(std::nullopt);
  if (error.code() == ErrorCode::token_expired && session_->provider && failures_ < 3) {
    // An expired token is worth one new one per attempt; a provider that keeps handing out
    // expired tokens fails like bad credentials after three.
    ++failures_;
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

void ClientCore::on_lost(const std::string& why) {
  ++socket_serial_;
  // The socket may be what called us: let it finish before it goes.
  post([dead = std::shared_ptr<net::WebSocket>(std::move(socket_))] {});
  const bool was_up = link_ == Link::up;
  link_ = Link::down;
  awaiting_hello_ = false;
  connection_id_.reset();
  api_->set_connection_id(std::nullopt);
  if (catching_up_) {
    // Whatever was held comes again from /sync on the next connection (it is newer than the
    // checkpoint, which only catch-up moved while it ran).
    catching_up_ = false;
    held_.clear();
  }
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
  const auto delay = net::reconnect_delay(++failures_, random_);
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([this, serial = session_serial_](boost::system::error_code ec) {
    if (ec || serial != session_serial_ || !session_ || link_ != Link::down) return;
    open_socket();
  });
}

void ClientCore::network_available() {
  // Only a client waiting out its backoff: not one connecting or up, nor one refused for good
  // (whose timer has run out).
  if (!session_ || link_ != Link::down ||
      reconnect_timer_.expiry() <= std::chrono::steady_clock::now()) {
    return;
  }
  log_->info("the network is back; reconnecting now");
  reconnect_timer_.cancel();
  open_socket();
}

void ClientCore::end_session() {
  ++session_serial_;
  ++socket_serial_;
  socket_.reset();
  reconnect_timer_.cancel();
  greeting_timer_.cancel();
  outbox_->stop();
  link_ = Link::down;
  awaiting_hello_ = false;
  connection_id_.reset();
  api_->set_connection_id(std::nullopt);
  api_->set_user("", "");
  session_.reset();
  watched_.clear();
  catching_up_ = false;
  held_.clear();
  checkpoint_.reset();
  greeted_at_.reset();
  server_now_.reset();
  settle_writes(true);
  try {
    store_->disconnect(false);
  } catch (const ChatError& e) {
    log_->error("closing the store failed: {}", e.what());
  }
}

FlushResult ClientCore::disconnect_user(bool flush) {
  if (!session_) return {};
  const bool was_up = link_ == Link::up;
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

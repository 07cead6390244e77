#include "client/connection.hpp"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "net/backoff.hpp"

namespace chatkeep {

namespace json = boost::json;

Connection::Connection(boost::asio::io_context& io, net::Endpoint endpoint,
                       std::shared_ptr<boost::asio::ssl::context> tls, const ClientOptions& options,
                       Handlers handlers, std::shared_ptr<spdlog::logger> log)
    : io_(io),
      endpoint_(std::move(endpoint)),
      tls_(std::move(tls)),
      connect_timeout_(options.connect_timeout),
      ping_interval_(options.ping_interval),
      dead_after_(options.dead_after),
      handlers_(std::move(handlers)),
      log_(std::move(log)),
      greeting_timer_(io),
      reconnect_timer_(io) {}

void Connection::open(const std::string& target, const std::string& client_id) {
  link_ = Link::connecting;
  awaiting_greeting_ = true;
  const std::uint64_t serial = ++serial_;
  socket_ = std::make_unique<net::WebSocket>(
      io_.get_executor(), endpoint_, tls_,
      net::WebSocketOptions{.connect_timeout = connect_timeout_,
                            .ping_interval = ping_interval_,
                            .dead_after = dead_after_,
                            .ping = [client_id] {
                              return json::serialize(
                                  json::object{{"type", "health.check"}, {"client_id", client_id}});
                            }});
  greeting_timer_.expires_after(connect_timeout_);
  greeting_timer_.async_wait([this, serial](boost::system::error_code ec) {
    if (ec || serial != serial_ || !awaiting_greeting_) return;
    drop("no greeting from the server within " + std::to_string(connect_timeout_.count()) + " ms");
  });
  socket_->open(
      target,
      net::WebSocket::Handlers{
          .frame =
              [this, serial](std::string text) {
                if (serial == serial_) on_frame(std::move(text));
              },
          .closed =
              [this, serial](boost::system::error_code ec, int close_code) {
                if (serial != serial_) return;
                drop(close_code ? "closed with code " + std::to_string(close_code) : ec.message());
              }},
      [this, serial](boost::system::error_code ec) {
        if (serial == serial_ && ec) drop("could not connect: " + ec.message());
      });
}

void Connection::on_frame(std::string text) {
  json::value frame;
  try {
    frame = parse_json(text);
  } catch (const ChatError& e) {
    // The first frame decides; junk there is no greeting, and waiting on would never end.
    if (awaiting_greeting_) return drop("a first frame that is not JSON: " + e.message());
    log_->warn("a frame that is not JSON, skipped: {}", e.message());
    return;
  }
  if (awaiting_greeting_) return on_greeting(frame);
  handlers_.frame(std::move(frame));
}

void Connection::on_greeting(const json::value& frame) {
  awaiting_greeting_ = false;
  greeting_timer_.cancel();
  const json::object* object = frame.if_object();
  const json::value* error = object ? object->if_contains("error") : nullptr;
  if (error) {
    // A server that cannot take the socket now (5xx) is tried again; other refusals are final.
    const ChatError refusal = error_from_json(*error, 0);
    if (refusal.http_status() >= 500) return drop("socket refused: " + refusal.message());
    return handlers_.refused(error_from_json(*error, 401));
  }
  Event hello;
  try {
    hello = from_json<Event>(frame);
  } catch (const ChatError& e) {
    return drop("a malformed first frame: " + e.message());
  }
  if (hello.kind != EventType::health_check || !hello.me || !hello.connection_id) {
    return drop("the first frame is not a health.check with the own user");
  }
  link_ = Link::up;
  failures_ = 0;
  connection_id_ = hello.connection_id;
  handlers_.greeted(std::move(hello));
}

void Connection::drop(const std::string& why) {
  ++serial_;
  // The socket may be what called us: let it finish before it goes.
  boost::asio::post(io_, [dead = std::shared_ptr<net::WebSocket>(std::move(socket_))] {});
  const bool was_up = link_ == Link::up;
  link_ = Link::down;
  awaiting_greeting_ = false;
  connection_id_.reset();
  handlers_.lost(why, was_up);
}

void Connection::close() {
  ++serial_;
  socket_.reset();
  reconnect_timer_.cancel();
  greeting_timer_.cancel();
  link_ = Link::down;
  awaiting_greeting_ = false;
  connection_id_.reset();
}

void Connection::reconnect_later(std::function<void()> reopen) {
  const auto delay = net::reconnect_delay(++failures_, random_);
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([this, reopen = std::move(reopen)](boost::system::error_code ec) {
    if (ec || link_ != Link::down) return;
    reopen();
  });
}

bool Connection::reconnect_now() {
  // Only a connection waiting out its backoff: not one connecting or up, nor one whose wait has
  // run out (refused for good).
  if (link_ != Link::down || reconnect_timer_.expiry() <= std::chrono::steady_clock::now()) {
    return false;
  }
  reconnect_timer_.cancel();
  return true;
}

}  // namespace chatkeep

#pragma once

// The connection part of a ChatClient: the socket's life (protocol.md, "WebSocket") on the
// client's network thread. It owns the socket, the first frame that decides whether the server
// took it, the deadline for that frame, and the reconnect backoff; it knows nothing of users,
// tokens, the store or catch-up, which the core's session (session.cpp) decides on from what the
// connection reports through its Handlers.
//
// States: down -> connecting (open()) -> up (a valid greeting) -> down (lost, refused, close()).
// Every socket has a serial; callbacks of a socket that is no longer the current one are
// dropped, so a report always concerns the socket the connection has now.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>

#include "chatkeep/client.hpp"
#include "net/endpoint.hpp"
#include "net/websocket.hpp"

namespace chatkeep {

class Connection {
 public:
  // What the connection reports, each on the network thread, never from inside open() or
  // close(). After `refused` and `lost` the link is down and nothing reconnects by itself.
  struct Handlers {
    // The server took the socket: its first frame was a health.check with the own user and a
    // connection id. The link is up.
    std::function<void(Event hello)> greeted;
    // Every later frame that is JSON (others are logged and skipped).
    std::function<void(boost::json::value frame)> frame;
    // The server refused the socket (a first frame with an error other than a 5xx).
    std::function<void(ChatError error)> refused;
    // The socket went, or never came up; `was_up`: it had been greeted.
    std::function<void(const std::string& why, bool was_up)> lost;
  };

  Connection(boost::asio::io_context& io, net::Endpoint endpoint,
             std::shared_ptr<boost::asio::ssl::context> tls, const ClientOptions& options,
             Handlers handlers, std::shared_ptr<spdlog::logger> log);

  // Opens a socket to `target` (the /connect URL), replacing any; pings name `client_id`. The
  // greeting must come within ClientOptions::connect_timeout, counted from now.
  void open(const std::string& target, const std::string& client_id);
  // Drops the socket and any reconnect wait, reporting nothing.
  void close();
  // Drops the socket and reports it `lost` (a caller that found the connection unusable).
  void drop(const std::string& why);

  // After a loss: `reopen` runs once the backoff for the failures so far has passed, unless the
  // link is no longer down by then.
  void reconnect_later(std::function<void()> reopen);
  // Ends a backoff wait at once: whether one was running (its `reopen` is then the caller's).
  bool reconnect_now();
  // Consecutive failures (losses before a greeting, and those the session counts), for the
  // backoff; a greeting starts the count again.
  int failures() const { return failures_; }
  void count_failure() { ++failures_; }
  void forget_failures() { failures_ = 0; }

  bool up() const { return link_ == Link::up; }
  bool down() const { return link_ == Link::down; }
  // The current socket's serial: what a job started on one socket compares to see it still runs.
  std::uint64_t serial() const { return serial_; }
  const std::optional<std::string>& connection_id() const { return connection_id_; }

 private:
  enum class Link { down, connecting, up };

  void on_frame(std::string text);
  void on_greeting(const boost::json::value& frame);

  boost::asio::io_context& io_;
  const net::Endpoint endpoint_;
  const std::shared_ptr<boost::asio::ssl::context> tls_;
  const std::chrono::milliseconds connect_timeout_;
  const std::chrono::milliseconds ping_interval_;
  const std::chrono::milliseconds dead_after_;
  Handlers handlers_;
  std::shared_ptr<spdlog::logger> log_;

  std::unique_ptr<net::WebSocket> socket_;
  boost::asio::steady_timer greeting_timer_;
  boost::asio::steady_timer reconnect_timer_;
  std::uint64_t serial_ = 0;
  Link link_ = Link::down;
  bool awaiting_greeting_ = false;
  int failures_ = 0;
  std::mt19937 random_{std::random_device{}()};
  std::optional<std::string> connection_id_;
};

}  // namespace chatkeep

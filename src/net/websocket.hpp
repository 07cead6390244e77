#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include "net/endpoint.hpp"

namespace chatkeep::net {

struct WebSocketOptions {
  std::chrono::milliseconds connect_timeout{10'000};  // TCP, TLS and the upgrade together
  std::chrono::milliseconds ping_interval{25'000};    // a keep-alive frame this often
  std::chrono::milliseconds dead_after{35'000};       // nothing received this long: dead
  std::function<std::string()> ping;                  // the keep-alive frame; none if empty
};

// One WebSocket connection (ws, or wss verified with `tls`). It sends `ping()` every
// ping_interval and declares the connection dead when nothing has arrived for dead_after. It
// never reconnects: its owner decides when to open a new one. Handlers run on `executor`; the
// methods may be called from any thread. Knows nothing of chat.
class WebSocket {
 public:
  struct Handlers {
    std::function<void(std::string)> frame;  // each text frame, in order
    // Once, when an open connection ends: the error (timed_out when it went dead) and the
    // peer's close code, 0 when it sent none.
    std::function<void(boost::system::error_code, int close_code)> closed;
  };

  WebSocket(boost::asio::any_io_executor executor, Endpoint endpoint,
            std::shared_ptr<boost::asio::ssl::context> tls, WebSocketOptions options);
  ~WebSocket();  // closes without calling `closed`
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  // Connects and upgrades at `target` (path and query below the base path); `opened` gets the
  // error, if any; on success frames flow to `handlers`.
  void open(std::string target, Handlers handlers,
            std::function<void(boost::system::error_code)> opened);
  void send(std::string frame);
  // Ends the connection with a normal close; `closed` runs with operation_aborted.
  void close();

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace chatkeep::net

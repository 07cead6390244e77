#pragma once

// A plain WebSocket client for tests against a server on loopback.

#include <cstdint>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

namespace chatkeep::testing {

class WsClient {
 public:
  // Opens `target` (e.g. "/connect?..."); the handshake must succeed.
  WsClient(std::uint16_t port, const std::string& target) : ws_(io_) {
    boost::beast::get_lowest_layer(ws_).connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    boost::beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
    ws_.handshake("127.0.0.1", target);
  }

  boost::json::value read() {
    boost::beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
    boost::beast::flat_buffer buffer;
    ws_.read(buffer);
    return boost::json::parse(boost::beast::buffers_to_string(buffer.data()));
  }

  void write(const std::string& text) {
    ws_.text(true);
    ws_.write(boost::asio::buffer(text));
  }

  // Reads until the server closes; returns the close code (or -1 if it did not close).
  int read_until_closed() {
    try {
      for (;;)
        (void)read();
    } catch (const boost::system::system_error& e) {
      if (e.code() == boost::beast::websocket::error::closed) return ws_.reason().code;
    }
    return -1;
  }

 private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
};

}  // namespace chatkeep::testing

#pragma once

// A plain blocking WebSocket client for tests against a server on loopback.

#include <cstdint>
#include <memory>
#include <string>

#include <boost/json/value.hpp>

namespace chatkeep::testing {

class WsClient {
 public:
  // Opens `target` (e.g. "/connect?..."); the handshake must succeed.
  WsClient(std::uint16_t port, const std::string& target);
  ~WsClient();

  boost::json::value read();  // the next frame, parsed; waits 10 s at most
  void write(const std::string& text);
  // Reads until the server closes; returns the close code (or -1 if it did not close).
  int read_until_closed();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chatkeep::testing

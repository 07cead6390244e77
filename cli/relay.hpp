#pragma once

// A TCP relay on loopback between an app and the server: what the demo and `chat`'s /offline cut
// to take the app's network away (open connections close, new ones are refused) and restore to
// give it back. Bytes pass as they are, so TLS runs end to end through it.

#include <cstdint>
#include <memory>
#include <string>

namespace chatkeep::cli {

class Relay {
 public:
  // Listens on a free loopback port and forwards each connection to `host`:`port` (resolved for
  // each connection), on a thread of its own.
  Relay(std::string host, std::uint16_t port);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  std::uint16_t port() const;
  void cut();
  void restore();

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace chatkeep::cli

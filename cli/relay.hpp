#pragma once

// A TCP relay on loopback between an app and the server: what the demo cuts to take the app's
// network away (open connections close, new ones are refused) and restores to give it back.

#include <cstdint>
#include <memory>

namespace chatkeep::cli {

class Relay {
 public:
  // Listens on a free loopback port and forwards each connection to 127.0.0.1:`target_port`, on
  // a thread of its own.
  explicit Relay(std::uint16_t target_port);
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

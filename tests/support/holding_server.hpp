#pragma once

// An HTTP server on loopback that holds every request until `wanted` connections each have one
// waiting, then answers them all (200, the request's target as the body) and waits again: a
// client that does not use that many connections at once gets no answer.

#include <cstddef>
#include <cstdint>
#include <memory>

namespace chatkeep::testing {

class HoldingServer {
 public:
  explicit HoldingServer(std::size_t wanted);  // listening, on its own thread
  ~HoldingServer();
  std::uint16_t port() const;
  std::size_t accepted() const;  // connections so far

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chatkeep::testing

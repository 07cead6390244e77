#pragma once

// Polling for what another process or thread will make true.

#include <chrono>
#include <thread>

namespace chatkeep::cli {

// Whether `condition` came to hold within `limit`, checked every 20 ms.
template <class F>
bool wait_until(F condition, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace chatkeep::cli

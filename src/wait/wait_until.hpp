#pragma once

// Polling for what another thread or process will make true, where nothing announces it.

#include <chrono>
#include <thread>

namespace chatkeep {

// Whether `condition` came to hold within `limit`, checked every `every`.
template <class F>
bool wait_until(F condition, std::chrono::milliseconds limit,
                std::chrono::milliseconds every = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(every);
  }
  return true;
}

}  // namespace chatkeep

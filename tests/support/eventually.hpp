#pragma once

#include <chrono>
#include <thread>

namespace chatkeep::testing {

// Polls `condition` until it holds (10 s at most); whether it did.
template <class F>
bool eventually(F condition, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace chatkeep::testing

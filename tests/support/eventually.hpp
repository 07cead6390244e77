#pragma once

#include <chrono>

#include "wait/wait_until.hpp"

namespace chatkeep::testing {

// Polls `condition` until it holds (10 s at most); whether it did.
template <class F>
bool eventually(F condition, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  return wait_until(std::move(condition), limit);
}

}  // namespace chatkeep::testing

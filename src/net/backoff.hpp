#pragma once

#include <chrono>
#include <random>

namespace chatkeep::net {

// How long to wait before reconnecting after `failures` consecutive failures (1 for the first),
// as Stream's clients do (protocol.md, "WebSocket"): uniformly random in
// [min(max(250, (n-1)*2000), 25000), min(500 + n*2000, 25000)) milliseconds.
std::chrono::milliseconds reconnect_delay(int failures, std::mt19937& random);

}  // namespace chatkeep::net

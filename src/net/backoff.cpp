#include "net/backoff.hpp"

#include <algorithm>

namespace chatkeep::net {

std::chrono::milliseconds reconnect_delay(int failures, std::mt19937& random) {
  const std::int64_t n = std::max(failures, 1);
  const std::int64_t low =
      std::min<std::int64_t>(std::max<std::int64_t>(250, (n - 1) * 2000), 25'000);
  const std::int64_t high = std::min<std::int64_t>(500 + n * 2000, 25'000);
  if (high <= low) return std::chrono::milliseconds(low);
  std::uniform_int_distribution<std::int64_t> pick(low, high - 1);
  return std::chrono::milliseconds(pick(random));
}

}  // namespace chatkeep::net

#pragma once

// The scheduler's rules (WorkManager's), pure functions over times in microseconds since the
// epoch: the limits requests are held to, backoff waits, and periodic windows.

#include <chrono>
#include <cstdint>

#include "chatkeep/work.hpp"

namespace chatkeep::work {

using std::chrono::microseconds;

constexpr microseconds kMinPeriod = std::chrono::minutes(15);
constexpr microseconds kMinFlex = std::chrono::minutes(5);
constexpr microseconds kMinBackoff = std::chrono::seconds(10);
constexpr microseconds kMaxBackoff = std::chrono::hours(5);
constexpr std::size_t kMaxDataBytes = 10 * 1024;

// A request's timing as it will be kept: the period raised to the minimum, the flex window
// within [5 min, period] (the whole period when absent), the backoff delay within its bounds.
struct Timing {
  std::int64_t initial_delay = 0;
  std::int64_t period = 0;  // 0: one-off
  std::int64_t flex = 0;
  BackoffPolicy backoff = BackoffPolicy::exponential;
  std::int64_t backoff_delay = 0;
};
Timing timing_of(const WorkRequest& request);

// The wait before the next run after `attempts` runs that asked to retry (1 for the first):
// delay × attempts (linear) or delay × 2^(attempts-1) (exponential), at most 5 hours.
std::int64_t backoff_wait(const Timing& timing, std::int64_t attempts);

// A period of periodic work and when in it the work runs: the start of its last `flex`.
struct Window {
  std::int64_t period_start = 0;
  std::int64_t run_at = 0;
};
Window first_window(const Timing& timing, std::int64_t now);
// The window of the period after the one under way at `now`, periods counted from
// `period_start` (a device asleep for hours runs the work once, not once per period missed).
Window next_window(const Timing& timing, std::int64_t period_start, std::int64_t now);

}  // namespace chatkeep::work

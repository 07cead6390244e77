#include "work/rules.hpp"

#include <algorithm>

namespace chatkeep::work {

Timing timing_of(const WorkRequest& request) {
  Timing t;
  t.initial_delay = std::max<std::int64_t>(
      0, std::chrono::duration_cast<microseconds>(request.initial_delay).count());
  if (request.period) {
    t.period =
        std::max(std::chrono::duration_cast<microseconds>(*request.period), kMinPeriod).count();
    const std::int64_t flex =
        request.flex ? std::chrono::duration_cast<microseconds>(*request.flex).count() : t.period;
    t.flex = std::clamp(flex, kMinFlex.count(), t.period);
  }
  t.backoff = request.backoff;
  t.backoff_delay = std::clamp(std::chrono::duration_cast<microseconds>(request.backoff_delay),
                               kMinBackoff, kMaxBackoff)
                        .count();
  return t;
}

std::int64_t backoff_wait(const Timing& timing, std::int64_t attempts) {
  const std::int64_t n = std::max<std::int64_t>(attempts, 1);
  if (timing.backoff == BackoffPolicy::linear) {
    return std::min(timing.backoff_delay * n, kMaxBackoff.count());
  }
  std::int64_t wait = timing.backoff_delay;
  for (std::int64_t i = 1; i < n && wait < kMaxBackoff.count(); ++i)
    wait *= 2;
  return std::min(wait, kMaxBackoff.count());
}

Window first_window(const Timing& timing, std::int64_t now) {
  const std::int64_t start = now + timing.initial_delay;
  return {start, start + timing.period - timing.flex};
}

Window next_window(const Timing& timing, std::int64_t period_start, std::int64_t now) {
  // The period after the one under way now: a device asleep for hours runs the work once.
  const std::int64_t elapsed = std::max<std::int64_t>(now - period_start, 0);
  const std::int64_t start = period_start + (elapsed / timing.period + 1) * timing.period;
  return {start, start + timing.period - timing.flex};
}

}  // namespace chatkeep::work

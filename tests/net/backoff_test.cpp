#include <gtest/gtest.h>

#include "net/backoff.hpp"

namespace chatkeep {
namespace {

TEST(Backoff, DelaysStayInStreamsRangesAndSpread) {
  std::mt19937 random(7);
  struct Range {
    int n;
    std::int64_t low, high;
  };
  for (const Range& r :
       {Range{1, 250, 2500}, Range{2, 2000, 4500}, Range{5, 8000, 10500}, Range{12, 22000, 24500},
        Range{13, 24000, 25000}, Range{50, 25000, 25000}}) {
    std::int64_t seen_low = INT64_MAX, seen_high = 0;
    for (int i = 0; i < 2000; ++i) {
      const auto ms = net::reconnect_delay(r.n, random).count();
      seen_low = std::min(seen_low, ms);
      seen_high = std::max(seen_high, ms);
      ASSERT_GE(ms, r.low) << "n=" << r.n;
      if (r.high > r.low) {
        ASSERT_LT(ms, r.high) << "n=" << r.n;
      } else {
        ASSERT_EQ(ms, r.low);
      }
    }
    if (r.high - r.low > 100) {
      EXPECT_LT(seen_low, r.low + (r.high - r.low) / 4) << "n=" << r.n;  // random, not fixed
      EXPECT_GT(seen_high, r.high - (r.high - r.low) / 4) << "n=" << r.n;
    }
  }
  EXPECT_GE(net::reconnect_delay(0, random).count(), 250);  // nonsense counts as a first failure
}

}  // namespace
}  // namespace chatkeep

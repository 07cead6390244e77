// The keyed list diff: applied to a copy of the old list, any diff gives the new one.

#include "state/list_diff.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace chatkeep::state {
namespace {

struct Item {
  std::string key;
  int version = 0;
};

ListDiff<Item> diff(const std::vector<Item>& before, const std::vector<Item>& after) {
  std::vector<const Item*> was, is;
  for (const auto& item : before)
    was.push_back(&item);
  for (const auto& item : after)
    is.push_back(&item);
  return diff_lists<Item>(
      was, is, [](const Item& i) { return i.key; },
      [](const Item& a, const Item& b) { return a.version == b.version; });
}

bool equal(const std::vector<Item>& a, const std::vector<Item>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Item& x, const Item& y) {
    return x.key == y.key && x.version == y.version;
  });
}

TEST(ListDiffTest, SmallCasesSayWhatHappened) {
  using Kind = ListChange<Item>::Kind;
  const std::vector<Item> abc = {{"a"}, {"b"}, {"c"}};
  EXPECT_TRUE(diff(abc, abc).empty());
  auto moved = diff(abc, {{"c"}, {"a"}, {"b"}});
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].kind, Kind::move);
  EXPECT_EQ(moved[0].index, 2u);
  EXPECT_EQ(moved[0].to, 0u);
  EXPECT_FALSE(moved[0].item);
  auto updated = diff(abc, {{"a"}, {"b", 1}, {"c"}});
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(updated[0].kind, Kind::update);
  EXPECT_EQ(updated[0].index, 1u);
  auto changed = diff(abc, {{"a"}, {"x"}, {"c"}});
  ASSERT_EQ(changed.size(), 2u);
  EXPECT_EQ(changed[0].kind, Kind::remove);
  EXPECT_EQ(changed[1].kind, Kind::insert);
}

TEST(ListDiffTest, AnyDiffAppliedToTheOldListGivesTheNewOne) {
  std::mt19937 random(20261206);
  for (int round = 0; round < 2000; ++round) {
    std::vector<Item> before;
    const int n = static_cast<int>(random() % 12);
    for (int i = 0; i < n; ++i)
      before.push_back({std::to_string(i), 0});
    std::vector<Item> after;
    for (const auto& item : before) {
      if (random() % 4 == 0) continue;  // removed
      after.push_back({item.key, static_cast<int>(random() % 3 == 0)});
    }
    for (int i = 0; i < static_cast<int>(random() % 4); ++i)
      after.push_back({"new" + std::to_string(i), 0});
    std::shuffle(after.begin(), after.end(), random);
    std::vector<Item> copy = before;
    apply_diff(copy, diff(before, after));
    ASSERT_TRUE(equal(copy, after)) << "round " << round;
  }
}

}  // namespace
}  // namespace chatkeep::state

// The promise every Subscription makes (the client's events, the scheduler's work, the
// preferences, the clock all keep their listeners in a ListenerList): once reset() returns, the
// listener is not running anywhere and is never called again.

#include "listeners/listener_list.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

namespace chatkeep {
namespace {

using namespace std::chrono_literals;

TEST(ListenerListTest, CalledInOrderUntilRemoved) {
  ListenerList<int> list;
  std::vector<std::string> heard;
  Subscription a = list.add([&](int n) { heard.push_back("a" + std::to_string(n)); });
  Subscription b = list.add([&](int n) { heard.push_back("b" + std::to_string(n)); });
  list.call(1);
  const auto earlier = list.snapshot();
  a.reset();
  list.call(2);
  for (const auto& listener : earlier)  // taken before a's removal: a stays silent
    listener(3);
  EXPECT_EQ(heard, (std::vector<std::string>{"a1", "b1", "b2", "b3"}));
  EXPECT_FALSE(list.empty());
  b.reset();
  EXPECT_TRUE(list.empty());
}

TEST(ListenerListTest, RemovalWaitsForACallInProgressOnAnotherThread) {
  ListenerList<> list;
  std::atomic<bool> in_call{false}, removing{false};
  auto owned = std::make_unique<int>(0);  // what the listener uses, freed right after removal
  int* target = owned.get();
  Subscription subscription = list.add([&, target] {
    in_call = true;
    while (!removing)
      std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(50ms);  // a removal that did not wait would be over by now
    ++*target;
    in_call = false;
  });
  std::thread caller([&] { list.call(); });
  while (!in_call)
    std::this_thread::sleep_for(1ms);
  removing = true;
  subscription.reset();
  EXPECT_FALSE(in_call);
  EXPECT_EQ(*owned, 1);
  owned.reset();
  list.call();  // not called again: it would write to freed memory
  caller.join();
}

TEST(ListenerListTest, AListenerMayRemoveItselfAndKeepsItsCapturesUntilItReturns) {
  ListenerList<> list;
  Subscription subscription;
  auto captured = std::make_shared<std::string>("still here");
  std::string seen;
  int calls = 0;
  subscription = list.add([&, captured] {
    ++calls;
    subscription.reset();
    seen = *captured;  // the listener's own captures outlive its removal while it runs
  });
  captured.reset();
  list.call();
  list.call();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, "still here");
}

TEST(ListenerListTest, SubscriptionsMayOutliveTheList) {
  Subscription subscription;
  {
    ListenerList<int> list;
    subscription = list.add([](int) {});
  }
  subscription.reset();  // nothing to remove from (ASan would see a use after free)
}

}  // namespace
}  // namespace chatkeep

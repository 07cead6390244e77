// Message paging by id cursors: empty channels, exact page boundaries, ties on created_at,
// threads and pins.

#include <gtest/gtest.h>

#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/testing/builders.hpp"
#include "chatkeep/testing/temp_dir.hpp"

namespace chatkeep {
namespace {

using namespace testing;

const std::string kCid = "messaging:general";

class PagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.connect("alice");
    // m00..m09 at seconds 0..9, then t2, t0, t1 all at second 10 (a tie: arrival order), with
    // thread-only replies r0, r1 and a reply shown in the channel, s0.
    std::vector<Message> messages;
    for (int i = 0; i < 10; ++i)
      messages.push_back(make_message(id(i), kCid, i));
    for (const char* tie : {"t2", "t0", "t1"})
      messages.push_back(make_message(tie, kCid, 10));
    Message r0 = make_message("r0", kCid, 3), r1 = make_message("r1", kCid, 12),
            s0 = make_message("s0", kCid, 11);
    r0.parent_id = r1.parent_id = s0.parent_id = "m02";
    s0.show_in_channel = true;
    messages[4].pinned = messages[7].pinned = true;
    messages.insert(messages.end(), {r0, r1, s0});
    store_.apply({UpsertMessages{{}, messages}});
  }

  static std::string id(int i) { return "m0" + std::to_string(i); }

  std::vector<std::string> ids(const std::vector<Message>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages)
      out.push_back(m.id);
    return out;
  }

  std::vector<std::string> page(MessagePagination p) { return ids(store_.messages(kCid, p)); }

  TempDir dir_;
  SqlitePersistenceClient store_{{.directory = dir_.path()}};
};

using Ids = std::vector<std::string>;

TEST_F(PagingTest, LatestPageIsAscendingWithTiesInArrivalOrder) {
  EXPECT_EQ(page({.limit = 5}), (Ids{"m09", "t2", "t0", "t1", "s0"}));
  EXPECT_EQ(page({}).size(), 14u);  // default 25: 10 + 3 ties + s0; r0, r1 are thread-only
}

TEST_F(PagingTest, BeforeAndAfterACursor) {
  EXPECT_EQ(page({.limit = 3, .id_lt = "m05"}), (Ids{"m02", "m03", "m04"}));
  EXPECT_EQ(page({.limit = 3, .id_lte = "m05"}), (Ids{"m03", "m04", "m05"}));
  EXPECT_EQ(page({.limit = 3, .id_gt = "m05"}), (Ids{"m06", "m07", "m08"}));
  EXPECT_EQ(page({.limit = 3, .id_gte = "m05"}), (Ids{"m05", "m06", "m07"}));
  // Through the tie: t2 < t0 < t1 at the same time, and an upsert keeps a message's place.
  store_.apply({UpsertMessages{{}, {make_message("t2", kCid, 10)}}});
  EXPECT_EQ(page({.limit = 2, .id_gt = "t0"}), (Ids{"t1", "s0"}));
  EXPECT_EQ(page({.limit = 2, .id_lt = "t1"}), (Ids{"t2", "t0"}));
  EXPECT_EQ(page({.limit = 10, .id_lt = "t1", .id_gt = "t2"}), (Ids{"t0"}));
}

TEST_F(PagingTest, ExactBoundaries) {
  EXPECT_EQ(page({.limit = 3, .id_lt = "m03"}), (Ids{"m00", "m01", "m02"}));
  EXPECT_TRUE(page({.limit = 3, .id_lt = "m00"}).empty());
  EXPECT_EQ(page({.limit = 1, .id_lte = "m00"}), (Ids{"m00"}));
  EXPECT_TRUE(page({.limit = 3, .id_gt = "s0"}).empty());
  EXPECT_EQ(page({.limit = 100, .id_gt = "t2"}), (Ids{"t0", "t1", "s0"}));
  EXPECT_TRUE(page({.limit = 0}).empty());
}

TEST_F(PagingTest, AroundACursorCentresAndFills) {
  EXPECT_EQ(page({.limit = 5, .id_around = "m05"}), (Ids{"m03", "m04", "m05", "m06", "m07"}));
  EXPECT_EQ(page({.limit = 4, .id_around = "m05"}), (Ids{"m04", "m05", "m06", "m07"}));
  // Near the start the window fills from the newer side, near the end from the older one.
  EXPECT_EQ(page({.limit = 4, .id_around = "m00"}), (Ids{"m00", "m01", "m02", "m03"}));
  EXPECT_EQ(page({.limit = 4, .id_around = "s0"}), (Ids{"t2", "t0", "t1", "s0"}));
}

TEST_F(PagingTest, UnknownCursorOrChannelGivesNothing) {
  EXPECT_TRUE(page({.id_lt = "nope"}).empty());
  EXPECT_TRUE(page({.id_around = "nope"}).empty());
  EXPECT_TRUE(store_.messages("messaging:empty", {}).empty());
}

TEST_F(PagingTest, ThreadRepliesAndPins) {
  EXPECT_EQ(ids(store_.replies("m02", {})), (Ids{"r0", "s0", "r1"}));
  EXPECT_EQ(ids(store_.replies("m02", {.limit = 1, .id_gt = "r0"})), (Ids{"s0"}));
  EXPECT_TRUE(store_.replies("m05", {}).empty());
  EXPECT_EQ(ids(store_.pinned_messages(kCid, {})), (Ids{"m04", "m07"}));
  EXPECT_EQ(ids(store_.pinned_messages(kCid, {.limit = 1})), (Ids{"m07"}));
}

}  // namespace
}  // namespace chatkeep

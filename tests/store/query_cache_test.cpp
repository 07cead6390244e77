// The channel-query cache: filter and sort give an ordered list of cids, read back in the order
// of the query's sort on what is cached now.

#include <gtest/gtest.h>

#include "chatkeep/json.hpp"
#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/testing/builders.hpp"
#include "chatkeep/testing/temp_dir.hpp"

namespace chatkeep {
namespace {

using namespace testing;
using Cids = std::vector<std::string>;

class QueryCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.connect("alice");
    Channel a = make_channel("a", 30), b = make_channel("b", 20), c = make_channel("c", 10);
    a.member_count = 5;
    b.member_count = 9;
    c.member_count = 1;
    store_.apply(
        {UpsertChannels{{a, b, c}},
         UpsertMessages{
             {}, {make_message("a1", "messaging:a", 30), make_message("b1", "messaging:b", 20)}}});
  }

  Cids cids(const Filter& f, const Sort& s, std::size_t offset = 0, std::size_t limit = 30) {
    auto states = store_.query_channels(f, s, offset, limit, 25);
    EXPECT_TRUE(states);
    Cids out;
    for (const auto& state : states.value_or(std::vector<ChannelState>{})) {
      out.push_back(state.channel.cid);
    }
    return out;
  }

  TempDir dir_;
  SqlitePersistenceClient store_{{.directory = dir_.path()}};
  const Filter mine = Filter::in("members", boost::json::array{"alice"});
  const Sort recent{{.field = "last_message_at", .direction = SortDirection::descending}};
};

TEST_F(QueryCacheTest, NeverSavedIsNotEmpty) {
  EXPECT_FALSE(store_.query_channels(mine, recent, 0, 30, 25));
  store_.apply({SaveChannelQuery{mine, recent, {}}});
  auto saved = store_.query_channels(mine, recent, 0, 30, 25);
  ASSERT_TRUE(saved);
  EXPECT_TRUE(saved->empty());
}

TEST_F(QueryCacheTest, OrderFollowsTheSortOnCachedData) {
  store_.apply({SaveChannelQuery{mine, recent, {"messaging:a", "messaging:b", "messaging:c"}}});
  EXPECT_EQ(cids(mine, recent), (Cids{"messaging:a", "messaging:b", "messaging:c"}));
  // A new message in c, cached while offline, moves it to the top.
  Channel c = make_channel("c", 40);
  store_.apply({UpsertChannels{{c}}});
  EXPECT_EQ(cids(mine, recent), (Cids{"messaging:c", "messaging:a", "messaging:b"}));
  Sort by_members{{.field = "member_count", .direction = SortDirection::ascending}};
  store_.apply({SaveChannelQuery{mine, by_members, {"messaging:c", "messaging:a", "messaging:b"}}});
  EXPECT_EQ(cids(mine, by_members), (Cids{"messaging:c", "messaging:a", "messaging:b"}));
}

TEST_F(QueryCacheTest, FieldsOnlyTheServerKnowsKeepTheServersOrder) {
  Sort custom{{.field = "priority", .direction = SortDirection::descending}};
  store_.apply({SaveChannelQuery{mine, custom, {"messaging:b", "messaging:c", "messaging:a"}}});
  EXPECT_EQ(cids(mine, custom), (Cids{"messaging:b", "messaging:c", "messaging:a"}));
}

TEST_F(QueryCacheTest, FilterAndSortBothKeyTheCache) {
  store_.apply({SaveChannelQuery{mine, recent, {"messaging:a"}}});
  EXPECT_FALSE(store_.query_channels(mine, {}, 0, 30, 25));
  EXPECT_FALSE(store_.query_channels(Filter::eq("type", "team"), recent, 0, 30, 25));
  // Key order inside the filter does not matter.
  auto same = Filter::from_json(parse_json(R"({"members":{"$in":["alice"]}})"));
  EXPECT_EQ(cids(same, recent), (Cids{"messaging:a"}));
}

TEST_F(QueryCacheTest, ReplaceAppendAndPage) {
  Sort server_order{{.field = "priority"}};
  store_.apply({SaveChannelQuery{mine, server_order, {"messaging:a", "messaging:b"}}});
  store_.apply({SaveChannelQuery{mine, server_order, {"messaging:b", "messaging:c"}, true}});
  EXPECT_EQ(cids(mine, server_order), (Cids{"messaging:a", "messaging:b", "messaging:c"}));
  EXPECT_EQ(cids(mine, server_order, 1, 1), (Cids{"messaging:b"}));
  EXPECT_TRUE(cids(mine, server_order, 5, 10).empty());
  store_.apply({SaveChannelQuery{mine, server_order, {"messaging:c"}}});
  EXPECT_EQ(cids(mine, server_order), (Cids{"messaging:c"}));
}

TEST_F(QueryCacheTest, EachChannelComesWithItsLatestMessages) {
  store_.apply(
      {UpsertMessages{
           {}, {make_message("a0", "messaging:a", 5), make_message("a2", "messaging:a", 35)}},
       SaveChannelQuery{mine, recent, {"messaging:a", "messaging:b"}}});
  auto states = store_.query_channels(mine, recent, 0, 30, 2);
  ASSERT_EQ(states->size(), 2u);
  ASSERT_EQ((*states)[0].messages->size(), 2u);
  EXPECT_EQ((*states)[0].messages->at(0).id, "a1");
  EXPECT_EQ((*states)[0].messages->at(1).id, "a2");
  EXPECT_EQ((*states)[1].messages->size(), 1u);
}

}  // namespace
}  // namespace chatkeep

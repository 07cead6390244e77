// POST /channels on chatkeep-server: what a user may see, Stream's filters and sorts, paging.

#include <gtest/gtest.h>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "chatkeep/json.hpp"
#include "support/server_fixture.hpp"

namespace chatkeep {
namespace {

using testing::verb;

class QueryChannelsTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    // a, b, c: alice's messaging channels, written to in the order c, a, b; bob is in b only.
    ASSERT_EQ(query("alice", "messaging:a", R"({"data":{"members":["alice"],"level":1}})").status,
              200u);
    ASSERT_EQ(
        query("alice", "messaging:b", R"({"data":{"members":["alice","bob"],"level":2}})").status,
        200u);
    ASSERT_EQ(
        query("alice", "messaging:c", R"({"data":{"members":["alice"],"level":3,"archived":true}})")
            .status,
        200u);
    ASSERT_EQ(query("bob", "livestream:stage", R"({"data":{"members":["bob"],"level":9}})").status,
              200u);
    for (const char* cid : {"messaging:c", "messaging:a", "messaging:b"}) {
      ASSERT_EQ(send("alice", cid, R"({"text":"hello"})").status, 200u);
    }
  }

  std::vector<std::string> cids(const std::string& user, const std::string& body) {
    auto r = call(user, verb::post, "/channels", body);
    EXPECT_EQ(r.status, 200u) << r.text;
    std::vector<std::string> out;
    if (!r.json.is_object()) return out;
    for (const auto& state : r.json.at("channels").as_array()) {
      out.push_back(from_json<ChannelState>(state).channel.cid);
    }
    return out;
  }
};

using Cids = std::vector<std::string>;

TEST_F(QueryChannelsTest, MembersFilterAndDefaultSort) {
  const std::string mine = R"({"filter_conditions":{"members":{"$in":["alice"]}})";
  // Default sort: last_updated, newest first.
  EXPECT_EQ(cids("alice", mine + "}"), (Cids{"messaging:b", "messaging:a", "messaging:c"}));
  EXPECT_EQ(cids("alice", mine + R"(,"sort":[{"field":"last_message_at","direction":1}]})"),
            (Cids{"messaging:c", "messaging:a", "messaging:b"}));
  // Bob sees only what he may: his messaging channel and the open one.
  EXPECT_EQ(cids("bob", R"({"filter_conditions":{},"sort":[{"field":"level","direction":1}]})"),
            (Cids{"messaging:b", "livestream:stage"}));
}

TEST_F(QueryChannelsTest, OperatorsOnBuiltInAndCustomFields) {
  auto sorted = [](std::string filter) {
    return R"({"filter_conditions":)" + filter + R"(,"sort":[{"field":"level","direction":1}]})";
  };
  EXPECT_EQ(cids("alice", sorted(R"({"type":"messaging","level":{"$gte":2}})")),
            (Cids{"messaging:b", "messaging:c"}));
  EXPECT_EQ(cids("alice", sorted(R"({"level":{"$in":[1,3]}})")),
            (Cids{"messaging:a", "messaging:c"}));
  EXPECT_EQ(cids("alice", sorted(R"({"level":{"$nin":[1,3]},"type":{"$ne":"livestream"}})")),
            (Cids{"messaging:b"}));
  EXPECT_EQ(cids("alice", sorted(R"({"archived":{"$exists":false},"type":"messaging"})")),
            (Cids{"messaging:a", "messaging:b"}));
  EXPECT_EQ(cids("alice", sorted(R"({"$or":[{"level":1},{"cid":"messaging:c"}]})")),
            (Cids{"messaging:a", "messaging:c"}));
  EXPECT_EQ(cids("alice", sorted(R"({"$nor":[{"level":1}],"members":{"$in":["alice"]}})")),
            (Cids{"messaging:b", "messaging:c"}));
  EXPECT_EQ(cids("alice", sorted(R"({"$and":[{"member_count":2},{"created_by_id":"alice"}]})")),
            (Cids{"messaging:b"}));
  EXPECT_EQ(cids("alice",
                 sorted(R"({"last_message_at":{"$gt":"2000-01-01T00:00:00Z"},"level":{"$lt":3}})")),
            (Cids{"messaging:a", "messaging:b"}));
}

TEST_F(QueryChannelsTest, PagingAndStateInEachResult) {
  const std::string base =
      R"({"filter_conditions":{"type":"messaging"},"sort":[{"field":"level","direction":-1}])";
  EXPECT_EQ(cids("alice", base + R"(,"limit":2})"), (Cids{"messaging:c", "messaging:b"}));
  EXPECT_EQ(cids("alice", base + R"(,"limit":2,"offset":2})"), (Cids{"messaging:a"}));
  EXPECT_EQ(cids("alice", base + R"(,"limit":500})").size(), 3u);  // at most 30 a page
  auto r = call("alice", verb::post, "/channels", base + R"(,"limit":1,"message_limit":0})");
  ChannelState state = from_json<ChannelState>(r.json.at("channels").at(0));
  EXPECT_TRUE(state.messages->empty());
  EXPECT_EQ(state.membership->id(), "alice");
  // The same as a GET with a payload parameter.
  const std::string payload =
      boost::urls::encode(base + R"(,"limit":1})", boost::urls::unreserved_chars);
  r = call("alice", verb::get, "/channels?payload=" + payload);
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(r.json.at("channels").as_array().size(), 1u);
}

TEST_F(QueryChannelsTest, BadQueriesNameTheProblem) {
  auto r =
      call("alice", verb::post, "/channels", R"({"filter_conditions":{"level":{"$regex":"x"}}})");
  expect_error(r, 400, 4);
  EXPECT_EQ(r.json.at("message"), "query.filter_conditions.level.$regex: unknown operator");
  expect_error(call("alice", verb::post, "/channels", R"({"sort":[]})"), 400, 4);
  expect_error(call("alice", verb::post, "/channels",
                    R"({"filter_conditions":{},"sort":[{"field":"x","direction":2}]})"),
               400, 4);
}

}  // namespace
}  // namespace chatkeep

// GET /search on chatkeep-server: Stream's payload over its FTS5 index, only in channels the
// caller is a member of, with message filters, sorts and pages; bad payloads answer 400.

#include <gtest/gtest.h>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "chatkeep/json.hpp"
#include "support/server_fixture.hpp"

namespace chatkeep {
namespace {

using testing::verb;

class SearchRouteTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_EQ(query("alice", "messaging:general", R"({"data":{"members":["alice","bob"]}})").status,
              200u);
    ASSERT_EQ(query("carol", "messaging:secret", R"({"data":{"members":["carol","bob"]}})").status,
              200u);
  }

  testing::HttpResponse search(const std::string& user, const std::string& payload) {
    return call(user, verb::get,
                "/search?payload=" + boost::urls::encode(payload, boost::urls::unreserved_chars));
  }

  std::vector<std::string> ids(const std::string& user, const std::string& payload) {
    auto r = search(user, payload);
    EXPECT_EQ(r.status, 200u) << r.text;
    std::vector<std::string> out;
    if (r.status != 200u) return out;
    for (const auto& result : r.json.at("results").as_array()) {
      const auto& message = result.at("message");
      EXPECT_TRUE(message.as_object().contains("channel")) << "each result carries its channel";
      out.emplace_back(message.at("id").as_string());
    }
    return out;
  }

  void put(const std::string& user, const std::string& cid, const std::string& id,
           const std::string& text, const std::string& more = "") {
    auto r = send(user, cid, R"({"id":")" + id + R"(","text":")" + text + "\"" + more + "}");
    ASSERT_EQ(r.status, 200u) << r.text;
  }
};

using Ids = std::vector<std::string>;

constexpr const char* kMine = R"("filter_conditions":{"members":{"$in":["alice"]}})";

TEST_F(SearchRouteTest, FindsByTextInTheCallersChannelsOnly) {
  put("alice", "messaging:general", "g1", "Déjà vu at the café");
  put("bob", "messaging:general", "g2", "coffee at noon");
  put("carol", "messaging:secret", "s1", "the café is a secret");
  put("bob", "messaging:general", "g3", "北京大学 🎉");
  EXPECT_EQ(ids("alice", std::string("{") + kMine + R"(,"query":"cafe"})"), Ids{"g1"});
  EXPECT_EQ(ids("alice", std::string("{") + kMine + R"(,"query":"deja"})"), Ids{"g1"});
  EXPECT_EQ(ids("alice", std::string("{") + kMine + R"(,"query":"北京"})"), Ids{"g3"});
  EXPECT_EQ(ids("alice", std::string("{") + kMine + R"(,"query":"🎉"})"), Ids{"g3"});
  // Not a member of messaging:secret: a filter naming it finds nothing there.
  EXPECT_EQ(ids("alice", R"({"filter_conditions":{"cid":"messaging:secret"},"query":"cafe"})"),
            Ids{});
  EXPECT_EQ(ids("bob", R"({"filter_conditions":{"type":"messaging"},"query":"cafe",
                           "sort":[{"field":"created_at","direction":-1}]})"),
            (Ids{"s1", "g1"}));
  // Deleted messages are not found; deleted for me neither.
  ASSERT_EQ(call("alice", verb::delete_, "/messages/g1").status, 200u);
  EXPECT_EQ(ids("alice", std::string("{") + kMine + R"(,"query":"cafe"})"), Ids{});
  ASSERT_EQ(call("alice", verb::delete_, "/messages/g2?delete_for_me=true").status, 200u);
  EXPECT_EQ(ids("alice", std::string("{") + kMine + R"(,"query":"coffee"})"), Ids{});
  EXPECT_EQ(ids("bob", std::string("{") + kMine + R"(,"query":"coffee"})"), Ids{"g2"});
}

TEST_F(SearchRouteTest, MessageFiltersSortsAndPages) {
  for (int i = 0; i < 5; ++i)
    put(i % 2 ? "bob" : "alice", "messaging:general", "m" + std::to_string(i),
        "report " + std::to_string(i));
  put("bob", "messaging:general", "f1", "report with a file",
      R"(,"attachments":[{"type":"file","title":"q3.pdf","asset_url":"https://x/q3.pdf"}])");
  const std::string newest = R"("sort":[{"field":"created_at","direction":-1}])";
  EXPECT_EQ(ids("alice", std::string("{") + kMine + "," + newest +
                             R"(,"message_filter_conditions":{"text":{"$autocomplete":"report"},
                                 "user.id":"bob"}})"),
            (Ids{"f1", "m3", "m1"}));
  EXPECT_EQ(ids("alice", std::string("{") + kMine +
                             R"(,"message_filter_conditions":{"attachments":{"$exists":true}}})"),
            Ids{"f1"});
  EXPECT_EQ(ids("alice", std::string("{") + kMine + R"(,"query":"q3"})"), Ids{"f1"});
  // Pages by offset, and by next.
  auto first =
      search("alice", std::string("{") + kMine + "," + newest + R"(,"query":"report","limit":4})");
  ASSERT_EQ(first.status, 200u) << first.text;
  ASSERT_EQ(first.json.at("results").as_array().size(), 4u);
  const std::string next(first.json.at("next").as_string());
  EXPECT_EQ(ids("alice", std::string("{") + kMine + "," + newest +
                             R"(,"query":"report","limit":4,"next":")" + next + "\"}"),
            (Ids{"m1", "m0"}));
  EXPECT_EQ(ids("alice", std::string("{") + kMine + "," + newest +
                             R"(,"query":"report","limit":2,"offset":1})"),
            (Ids{"m4", "m3"}));
}

TEST_F(SearchRouteTest, BadPayloadsAnswer400) {
  for (const std::string& payload : std::vector<std::string>{
           R"({"query":"x"})", R"({"filter_conditions":{},"query":"x"})",
           std::string("{") + kMine + "}", std::string("{") + kMine + R"(,"query":5})",
           std::string("{") + kMine + R"(,"query":"!!!"})",
           std::string("{") + kMine + R"(,"query":"x","limit":1000})",
           std::string("{") + kMine + R"(,"query":"x","offset":5000})",
           std::string("{") + kMine + R"(,"query":"x","next":"zzz"})",
           std::string("{") + kMine + R"(,"query":"x","next":"5","offset":2})",
           std::string("{") + kMine + R"(,"query":"x","sort":[{"field":"text"}]})",
           std::string("{") + kMine + R"(,"message_filter_conditions":{"text":{"$in":[1]}}})",
           std::string("{") + kMine + R"(,"message_filter_conditions":{"a":{"$bogus":1}}})",
           std::string("{") + kMine + R"(,"query":")" + std::string(2000, 'a') + "\"}"}) {
    expect_error(search("alice", payload), 400, 4);
  }
  expect_error(call("alice", verb::get, "/search?payload=nope"), 400, 4);
}

}  // namespace
}  // namespace chatkeep

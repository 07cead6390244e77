// Querying users and channel members on chatkeep-server.

#include <gtest/gtest.h>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "support/server_fixture.hpp"

namespace chatkeep {
namespace {

using testing::verb;

class DirectoryTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    testing::HttpClient admin(port_);
    auto r =
        admin.send(verb::post, std::string("/users?api_key=") + testing::kKey,
                   R"({"users":{"dave":{"id":"dave","name":"Dave","role":"admin","team":"blue"},
                     "erin":{"id":"erin","name":"Erin","team":"red"}}})",
                   {{"Authorization", make_server_token(testing::kSecret)}});
    ASSERT_EQ(r.status, 200u) << r.text;
    ASSERT_EQ(query("alice", "messaging:general", R"({"data":{"members":["alice","bob","dave"]}})")
                  .status,
              200u);
  }

  std::vector<std::string> ids(const std::string& user, const std::string& path,
                               const std::string& payload, const char* list) {
    auto r = call(user, verb::get,
                  path + "?payload=" + boost::urls::encode(payload, boost::urls::unreserved_chars));
    EXPECT_EQ(r.status, 200u) << r.text;
    std::vector<std::string> out;
    if (r.status != 200u) return out;
    for (const auto& item : r.json.at(list).as_array()) {
      const auto& id = item.as_object().contains("user_id") ? item.at("user_id") : item.at("id");
      out.emplace_back(id.as_string());
    }
    return out;
  }

  std::vector<std::string> users(const std::string& payload) {
    return ids("alice", "/users", payload, "users");
  }
  std::vector<std::string> members(const std::string& user, const std::string& payload) {
    return ids(user, "/members", payload, "members");
  }
};

using Ids = std::vector<std::string>;

TEST_F(DirectoryTest, UsersByFilterSortAndPage) {
  EXPECT_EQ(users(R"({"filter_conditions":{}})"), (Ids{"alice", "bob", "carol", "dave", "erin"}));
  EXPECT_EQ(users(R"({"filter_conditions":{"id":{"$in":["erin","bob","zed"]}}})"),
            (Ids{"bob", "erin"}));
  EXPECT_EQ(users(R"({"filter_conditions":{"team":"blue"}})"), (Ids{"dave"}));
  EXPECT_EQ(
      users(
          R"({"filter_conditions":{"name":{"$gte":"Carol"}},"sort":[{"field":"name","direction":-1}]})"),
      (Ids{"erin", "dave", "carol"}));
  EXPECT_EQ(users(R"({"filter_conditions":{},"limit":2,"offset":1})"), (Ids{"bob", "carol"}));
  expect_error(call("alice", verb::get, "/users?payload=%7B%22filter_conditions%22%3A1%7D"), 400,
               4);
  expect_error(call("alice", verb::get, "/users?payload=nope"), 400, 4);
}

TEST_F(DirectoryTest, MembersOfAChannelByFilter) {
  const std::string general = R"("type":"messaging","id":"general")";
  EXPECT_EQ(members("bob", "{" + general + "}"), (Ids{"alice", "bob", "dave"}));
  EXPECT_EQ(members("bob", "{" + general + R"(,"filter_conditions":{"name":"Dave"}})"),
            (Ids{"dave"}));
  EXPECT_EQ(members("bob", "{" + general + R"(,"filter_conditions":{"id":{"$ne":"bob"}}})"),
            (Ids{"alice", "dave"}));
  EXPECT_EQ(members("bob", "{" + general +
                               R"(,"filter_conditions":{"channel_role":"channel_moderator"}})"),
            (Ids{"alice"}));
  EXPECT_EQ(members("bob", "{" + general + R"(,"limit":1,"offset":2})"), (Ids{"dave"}));
  expect_error(call("carol", verb::get,
                    "/members?payload=" +
                        boost::urls::encode("{" + general + "}", boost::urls::unreserved_chars)),
               403, 17);
  expect_error(call("bob", verb::get, "/members?payload=%7B%7D"), 400, 4);
}

}  // namespace
}  // namespace chatkeep

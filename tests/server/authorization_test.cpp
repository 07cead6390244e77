// Who may change what on chatkeep-server: every state-changing route, tried as the channel's
// owner, a member, a non-member and a removed member, in a members-only type (messaging) and an
// open one (livestream). What is allowed is exactly what the server reports in
// own_capabilities. (Defect: any member of a messaging channel could rename and freeze it, add
// any user and remove its creator; in open types non-members could remove every member.)

#include <gtest/gtest.h>

#include <functional>

#include "chatkeep/json.hpp"
#include "support/server_fixture.hpp"

namespace chatkeep {
namespace {

using testing::HttpResponse;
using testing::verb;

enum class Role { owner, member, non_member, removed };

const char* name(Role role) {
  switch (role) {
    case Role::owner:
      return "owner";
    case Role::member:
      return "member";
    case Role::non_member:
      return "non-member";
    case Role::removed:
      return "removed member";
  }
  return "?";
}

const char* user_of(Role role) {
  switch (role) {
    case Role::owner:
      return "alice";
    case Role::member:
      return "bob";
    case Role::non_member:
      return "carol";
    case Role::removed:
      return "dave";
  }
  return "?";
}

class AuthorizationTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    testing::HttpClient admin(port_);
    ASSERT_EQ(admin
                  .send(verb::post, std::string("/users?api_key=") + testing::kKey,
                        R"({"users":{"dave":{"id":"dave"}}})",
                        {{"Authorization", make_server_token(testing::kSecret)}})
                  .status,
              200u);
  }

  // A fresh channel of `type`: alice made it with bob and dave, then removed dave; bob wrote
  // message "<id>-m". Returns its path, "/channels/type/id".
  std::string fresh(const std::string& type) {
    const std::string id = "room" + std::to_string(++rooms_);
    const std::string cid = type + ":" + id;
    EXPECT_EQ(query("alice", cid, R"({"data":{"members":["alice","bob","dave"]}})").status, 200u);
    EXPECT_EQ(
        call("alice", verb::post, "/channels/" + type + "/" + id, R"({"remove_members":["dave"]})")
            .status,
        200u);
    EXPECT_EQ(send("bob", cid, R"({"id":")" + id + R"(-m","text":"hi"})").status, 200u);
    last_id_ = id;
    return "/channels/" + type + "/" + id;
  }

  std::vector<std::string> capabilities_of(const std::string& type, Role role) {
    const std::string path = fresh(type);
    auto r = query(user_of(role), type + ":" + last_id_);
    std::vector<std::string> out;
    if (r.status != 200) return out;
    for (const auto& c : r.json.at("channel").at("own_capabilities").as_array())
      out.emplace_back(c.as_string());
    return out;
  }

  int rooms_ = 0;
  std::string last_id_;
};

struct Action {
  const char* what;
  const char* capability;  // what the server reports for it
  std::function<HttpResponse(AuthorizationTest&, const std::string& user, const std::string& path,
                             const std::string& message)>
      run;
};

TEST_F(AuthorizationTest, EveryStateChangingRouteFollowsTheReportedCapabilities) {
  const std::vector<Action> actions = {
      {"rename", "update-channel",
       [](auto& t, auto& user, auto& path, auto&) {
         return t.call(user, verb::post, path, R"({"data":{"name":"mine"}})");
       }},
      {"freeze", "freeze-channel",
       [](auto& t, auto& user, auto& path, auto&) {
         return t.call(user, verb::post, path, R"({"data":{"frozen":true}})");
       }},
      {"patch", "update-channel",
       [](auto& t, auto& user, auto& path, auto&) {
         return t.call(user, verb::patch, path, R"({"set":{"name":"patched"}})");
       }},
      {"add a user", "update-channel-members",
       [](auto& t, auto& user, auto& path, auto&) {
         return t.call(user, verb::post, path, R"({"add_members":["carol"]})");
       }},
      {"remove the creator", "update-channel-members",
       [](auto& t, auto& user, auto& path, auto&) {
         return t.call(user, verb::post, path, R"({"remove_members":["bob","alice"]})");
       }},
      {"leave", "leave-channel",
       [](auto& t, auto& user, auto& path, auto&) {
         return t.call(user, verb::post, path, R"({"remove_members":[")" + user + R"("]})");
       }},
      {"truncate", "truncate-channel",
       [](auto& t, auto& user, auto& path, auto&) {
         return t.call(user, verb::post, path + "/truncate", "{}");
       }},
      {"delete", "delete-channel",
       [](auto& t, auto& user, auto& path, auto&) { return t.call(user, verb::delete_, path); }},
      {"send", "send-message",
       [](auto& t, auto& user, auto& path, auto&) {
         return t.call(user, verb::post, path + "/message", R"({"message":{"text":"x"}})");
       }},
      {"react", "send-reaction",
       [](auto& t, auto& user, auto&, auto& message) {
         return t.call(user, verb::post, "/messages/" + message + "/reaction",
                       R"({"reaction":{"type":"like"}})");
       }},
      {"pin", "pin-message",
       [](auto& t, auto& user, auto&, auto& message) {
         return t.call(user, verb::put, "/messages/" + message, R"({"set":{"pinned":true}})");
       }},
      {"type", "typing-events",
       [](auto& t, auto& user, auto& path, auto&) {
         return t.call(user, verb::post, path + "/event", R"({"event":{"type":"typing.start"}})");
       }},
  };
  for (const std::string type : {"messaging", "livestream"}) {
    for (Role role : {Role::owner, Role::member, Role::non_member, Role::removed}) {
      const auto granted = capabilities_of(type, role);
      for (const auto& action : actions) {
        const std::string path = fresh(type);
        const bool may =
            std::find(granted.begin(), granted.end(), action.capability) != granted.end();
        const HttpResponse r = action.run(*this, user_of(role), path, last_id_ + "-m");
        const std::string where = type + ", " + name(role) + ", " + action.what;
        if (may) {
          EXPECT_EQ(r.status, 200u) << where << ": " << r.text;
        } else {
          EXPECT_TRUE(r.status == 403u || r.status == 404u) << where << ": " << r.text;
        }
      }
    }
  }
}

TEST_F(AuthorizationTest, WhatEachRoleIsGranted) {
  using Caps = std::vector<std::string>;
  auto has = [](const Caps& caps, const char* c) {
    return std::find(caps.begin(), caps.end(), c) != caps.end();
  };
  const Caps owner = capabilities_of("messaging", Role::owner);
  const Caps member = capabilities_of("messaging", Role::member);
  for (const char* c : {"update-channel", "update-channel-members", "delete-channel",
                        "truncate-channel", "freeze-channel", "send-message"}) {
    EXPECT_TRUE(has(owner, c)) << c;
  }
  for (const char* c : {"update-channel", "update-channel-members", "delete-channel",
                        "truncate-channel", "freeze-channel"}) {
    EXPECT_FALSE(has(member, c)) << c;
  }
  EXPECT_TRUE(has(member, "send-message"));
  EXPECT_TRUE(has(member, "leave-channel"));
  EXPECT_TRUE(capabilities_of("messaging", Role::non_member).empty());  // not even readable
  EXPECT_EQ(capabilities_of("livestream", Role::non_member), Caps{"read-events"});
  EXPECT_EQ(capabilities_of("livestream", Role::removed), Caps{"read-events"});
}

// A frozen channel takes no messages or reactions, from anyone.
TEST_F(AuthorizationTest, AFrozenChannelTakesNoMessages) {
  const std::string path = fresh("messaging");
  ASSERT_EQ(call("alice", verb::post, path, R"({"data":{"frozen":true}})").status, 200u);
  expect_error(call("bob", verb::post, path + "/message", R"({"message":{"text":"x"}})"), 403, 17);
  expect_error(call("alice", verb::post, path + "/message", R"({"message":{"text":"x"}})"), 403,
               17);
}

}  // namespace
}  // namespace chatkeep

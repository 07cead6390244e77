// chatkeep-server against users who try what they may not: fields only the server sets, ids
// that cannot be addressed, scores and lengths past their bounds. Each was a defect found when
// the server was attacked; each test failed before its fix.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "chatkeep/json.hpp"
#include "support/server_fixture.hpp"

namespace chatkeep {
namespace {

using testing::verb;

class HostileUserTest : public testing::ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_EQ(query("alice", "messaging:general", R"({"data":{"members":["alice","bob"]}})").status,
              200u);
    ASSERT_EQ(query("carol", "messaging:secret", R"({"data":{"members":["carol"]}})").status, 200u);
    ASSERT_EQ(send("carol", "messaging:secret", R"({"id":"hidden","text":"for carol"})").status,
              200u);
    ASSERT_EQ(send("bob", "messaging:general", R"({"id":"real","text":"bob says"})").status, 200u);
  }

  testing::HttpResponse react(const std::string& user, const std::string& id,
                              const std::string& body) {
    return call(user, verb::post, "/messages/" + id + "/reaction", body);
  }
};

// Defect: a sender's quoted_message (a whole fake message attributed to another user),
// pinned_by/pinned_at, deleted_at, html, user and counts were stored verbatim and shown to others.
TEST_F(HostileUserTest, FieldsTheServerOwnsAreNeverTakenFromASender) {
  const std::string forged = R"({"id":"forged","text":"hello","html":"<script>x</script>",
      "user":{"id":"bob","name":"Bob"},"type":"system","pinned":true,"pinned_by":{"id":"bob"},
      "pinned_at":"2020-01-01T00:00:00Z","deleted_at":"2020-01-01T00:00:00Z",
      "created_at":"2000-01-01T00:00:00Z","reply_count":99,"reaction_counts":{"like":1000},
      "latest_reactions":[{"type":"like","user_id":"bob"}],
      "quoted_message":{"id":"fake","text":"bob: I resign","user":{"id":"bob"}},
      "mentioned_users":[{"id":"bob","name":"Impostor","role":"admin"}],"mood":"calm"})";
  auto r = send("alice", "messaging:general", forged);
  ASSERT_EQ(r.status, 200u) << r.text;
  auto seen = call("bob", verb::get, "/messages/forged");
  ASSERT_EQ(seen.status, 200u) << seen.text;
  const Message m = from_json<Message>(seen.json.at("message"));
  EXPECT_EQ(m.user->id, "alice");
  EXPECT_EQ(m.type, "regular");
  EXPECT_FALSE(m.html && m.html->find("script") != std::string::npos);
  EXPECT_FALSE(m.pinned.value_or(false));
  EXPECT_FALSE(m.pinned_by);
  EXPECT_FALSE(m.deleted_at);
  EXPECT_GT(*m.created_at, *Timestamp::parse("2020-01-01T00:00:00Z"));
  EXPECT_EQ(m.reply_count.value_or(0), 0);
  EXPECT_TRUE(m.reaction_counts.value_or(std::map<std::string, std::int64_t>{}).empty());
  EXPECT_TRUE(m.latest_reactions.value_or(std::vector<Reaction>{}).empty());
  EXPECT_FALSE(m.quoted_message);
  ASSERT_EQ(m.mentioned_users->size(), 1u);
  EXPECT_EQ(m.mentioned_users->at(0).name, "Bob");
  EXPECT_NE(m.mentioned_users->at(0).role, "admin");
  EXPECT_EQ(m.extra.at("mood"), "calm");

  // An edit may not set them either.
  auto edit = call("alice", verb::post, "/messages/forged",
                   R"({"message":{"text":"edited","reply_count":7,"pinned_by":{"id":"bob"},
                       "user":{"id":"bob"},"reaction_counts":{"like":5}}})");
  ASSERT_EQ(edit.status, 200u) << edit.text;
  const Message edited = from_json<Message>(edit.json.at("message"));
  EXPECT_EQ(edited.text, "edited");
  EXPECT_EQ(edited.user->id, "alice");
  EXPECT_EQ(edited.reply_count.value_or(0), 0);
  EXPECT_FALSE(edited.pinned_by);
  EXPECT_TRUE(edited.reaction_counts.value_or(std::map<std::string, std::int64_t>{}).empty());
}

// The same class through a partial update: only what a sender may set, or the pin.
TEST_F(HostileUserTest, APartialUpdateMayNotNameWhatTheServerOwns) {
  ASSERT_EQ(send("alice", "messaging:general", R"({"id":"mine","text":"mine"})").status, 200u);
  for (const char* set : {R"({"html":"<script>x</script>"})",
                          R"({"quoted_message":{"id":"fake","text":"bob: I resign"}})",
                          R"({"shadowed":true})", R"({"user":{"id":"bob"}})",
                          R"({"reaction_counts":{"like":9}})", R"({"parent_id":"real"})"}) {
    expect_error(call("alice", verb::put, "/messages/mine", std::string(R"({"set":)") + set + "}"),
                 400, 4);
  }
  auto r = call("alice", verb::put, "/messages/mine",
                R"({"set":{"text":"changed","mood":"calm",
                           "mentioned_users":[{"id":"bob","name":"Impostor"}]}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  const Message m = from_json<Message>(r.json.at("message"));
  EXPECT_EQ(m.text, "changed");
  EXPECT_EQ(m.extra.at("mood"), "calm");
  ASSERT_EQ(m.mentioned_users->size(), 1u);
  EXPECT_EQ(m.mentioned_users->at(0).name, "Bob");
  // Bob may not change alice's message, nor pin it (only its author or the channel's owner may).
  expect_error(call("bob", verb::put, "/messages/mine", R"({"set":{"pinned":true}})"), 403, 17);
  expect_error(call("bob", verb::put, "/messages/mine", R"({"set":{"text":"bob's now"}})"), 403,
               17);
}

// A quote is resolved from quoted_message_id, against a message of the same channel.
TEST_F(HostileUserTest, AQuoteIsTheServersCopyOfAMessageTheSenderMaySee) {
  auto quoting = send("alice", "messaging:general",
                      R"({"id":"q1","text":"quoting","quoted_message_id":"real"})");
  ASSERT_EQ(quoting.status, 200u) << quoting.text;
  const Message m = from_json<Message>(quoting.json.at("message"));
  ASSERT_TRUE(m.quoted_message);
  EXPECT_EQ(m.quoted_message->text, "bob says");
  EXPECT_EQ(m.quoted_message->user->id, "bob");
  // Carol's message in a channel alice cannot read: no quote, and no word of it.
  auto leak =
      send("alice", "messaging:general", R"({"id":"q2","text":"x","quoted_message_id":"hidden"})");
  expect_error(leak, 400, 4);
  EXPECT_EQ(leak.text.find("for carol"), std::string::npos);
  expect_error(
      send("alice", "messaging:general", R"({"id":"q3","text":"x","quoted_message_id":"nothing"})"),
      400, 4);
}

// Defect: the path was decoded before it was split, so an id holding '/' could be created but
// never fetched, edited or deleted, and could route elsewhere; a 100 KB id made every later URL
// too long; an empty id was accepted.
TEST_F(HostileUserTest, IdsAreValidatedWhereTheyAreMadeAndEncodedSlashesStayInTheirSegment) {
  for (const std::string& id :
       std::vector<std::string>{"a/b", "", std::string(300, 'x'), "a b", "../x", "é"}) {
    const std::string encoded = boost::urls::encode(id, boost::urls::unreserved_chars);
    expect_error(send("alice", "messaging:general",
                      boost::json::serialize(boost::json::object{{"id", id}, {"text", "x"}})),
                 400, 4);
    if (id.empty()) continue;
    expect_error(query("alice", "messaging:" + encoded, R"({"data":{"members":["alice"]}})"), 400,
                 4);
  }
  // An encoded '/' in a path segment is part of the id, not a new segment: no such message, and
  // not another route.
  expect_error(call("alice", verb::get, "/messages/real%2Freplies"), 404, 16);
  expect_error(react("alice", "real", R"({"reaction":{"type":"a/b"}})"), 400, 4);
  expect_error(react("alice", "real", R"({"reaction":{"type":""}})"), 400, 4);
  testing::HttpClient admin(port_);
  auto user = admin.send(verb::post, std::string("/users?api_key=") + testing::kKey,
                         R"({"users":{"x/y":{"id":"x/y"}}})",
                         {{"Authorization", make_server_token(testing::kSecret)}});
  EXPECT_EQ(user.status, 400u) << user.text;
}

// Existence as Stream answers it: 403 code 17 for a channel the user may not read (Stream's
// clients rely on it), and nothing more: a message there is as missing as one that never was.
TEST_F(HostileUserTest, WhatAUserCannotSeeIsNotRevealed) {
  expect_error(query("alice", "messaging:secret"), 403, 17);
  for (const char* id : {"hidden", "never"}) {
    expect_error(call("alice", verb::get, std::string("/messages/") + id), 404, 16);
    expect_error(call("alice", verb::get, std::string("/messages/") + id + "/replies"), 404, 16);
    expect_error(react("alice", id, R"({"reaction":{"type":"like"}})"), 404, 16);
    expect_error(
        call("alice", verb::post, std::string("/messages/") + id, R"({"message":{"text":"x"}})"),
        404, 16);
    expect_error(call("alice", verb::delete_, std::string("/messages/") + id), 404, 16);
  }
}

// Defect: reaction scores summed past INT64_MAX and came back negative.
TEST_F(HostileUserTest, ReactionScoresAreBounded) {
  expect_error(
      react("alice", "real", R"({"reaction":{"type":"clap","score":9223372036854775807}})"), 400,
      4);
  expect_error(react("alice", "real", R"({"reaction":{"type":"clap","score":-5}})"), 400, 4);
  auto ok = react("alice", "real", R"({"reaction":{"type":"clap","score":1000000}})");
  ASSERT_EQ(ok.status, 200u) << ok.text;
  EXPECT_EQ(ok.json.at("message").at("reaction_scores").at("clap"), 1000000);
}

// Defect: the 5,000 limit on a message's length counted bytes, not characters.
TEST_F(HostileUserTest, MessageLengthCountsCharacters) {
  std::string text;
  for (int i = 0; i < 5000; ++i)
    text += "\xc3\xa9";  // é: two bytes, one character
  auto fits = send("alice", "messaging:general",
                   boost::json::serialize(boost::json::object{{"id", "long"}, {"text", text}}));
  EXPECT_EQ(fits.status, 200u) << fits.text.substr(0, 200);
  auto over =
      send("alice", "messaging:general",
           boost::json::serialize(boost::json::object{{"id", "longer"}, {"text", text + "e"}}));
  expect_error(over, 400, 20);
}

}  // namespace
}  // namespace chatkeep

// The user's own settings on the server's copies (outbox/settings.hpp): a pending setting shows
// on every copy that would otherwise undo it, whatever the copy says; other copies are left alone.

#include "outbox/settings.hpp"

#include <gtest/gtest.h>

#include "chatkeep/testing/builders.hpp"

namespace chatkeep::outbox {
namespace {

using testing::make_channel;
using testing::make_member;

namespace json = boost::json;

OutboxEntry setting(std::int64_t id, OutboxKind kind, std::string cid, json::object payload) {
  OutboxEntry e;
  e.id = id;
  e.kind = kind;
  e.cid = std::move(cid);
  e.payload = std::move(payload);
  e.created_at = Timestamp::from_unix_micros(id * 1'000'000);
  return e;
}

TEST(Settings, AHideOrShowShowsOnEveryCopyOfItsChannel) {
  const std::vector<OutboxEntry> pending{
      setting(1, OutboxKind::set_channel_hidden, "messaging:a", {{"hidden", true}}),
      setting(2, OutboxKind::send_message, "messaging:b", {}),
      setting(3, OutboxKind::set_channel_hidden, "messaging:b", {{"hidden", true}}),
      setting(4, OutboxKind::set_channel_hidden, "messaging:b", {{"hidden", false}})};
  Channel a = make_channel("a"), b = make_channel("b"), c = make_channel("c");
  a.hidden = false;
  b.hidden = true;
  Batch batch{UpsertChannels{{a, b, c}}, SetChannelHidden{"messaging:a", false},
              SetChannelHidden{"messaging:c", true}};
  ASSERT_TRUE(shows_settings(batch, "me"));
  show_settings(pending, "me", batch);
  const auto& channels = std::get<UpsertChannels>(batch[0]).channels;
  EXPECT_EQ(channels[0].hidden, true);
  EXPECT_EQ(channels[1].hidden, false) << "the latest setting counts";
  EXPECT_FALSE(channels[2].hidden) << "no setting, left as it came";
  EXPECT_TRUE(std::get<SetChannelHidden>(batch[1]).hidden);
  EXPECT_TRUE(std::get<SetChannelHidden>(batch[2]).hidden);
}

TEST(Settings, AMembershipPinOrArchiveShowsOnTheUsersOwnMembershipOnly) {
  Member mine = make_member("me"), theirs = make_member("bob");
  const Timestamp earlier = Timestamp::from_unix_micros(500'000);
  mine.archived_at = earlier;
  Batch batch{UpsertMembers{"messaging:a", {mine, theirs}}, UpsertMembers{"messaging:b", {mine}}};
  ASSERT_TRUE(shows_settings(batch, "me"));
  EXPECT_FALSE(shows_settings({UpsertMembers{"messaging:a", {theirs}}}, "me"));
  const std::vector<OutboxEntry> pending{
      setting(1, OutboxKind::update_membership, "messaging:a", {{"set", {{"pinned", true}}}}),
      setting(2, OutboxKind::update_membership, "messaging:a", {{"set", {{"archived", true}}}}),
      setting(3, OutboxKind::update_membership, "messaging:b",
              {{"set", json::object{}}, {"unset", {"archived"}}})};
  show_settings(pending, "me", batch);
  const auto& a = std::get<UpsertMembers>(batch[0]).members;
  EXPECT_EQ(a[0].pinned_at, pending[0].created_at);
  EXPECT_EQ(a[0].archived_at, earlier) << "archived before: it keeps its time";
  EXPECT_FALSE(a[1].pinned_at);
  EXPECT_FALSE(std::get<UpsertMembers>(batch[1]).members[0].archived_at);
}

TEST(Settings, MutesAndBlocksShowOnTheOwnUser) {
  OwnUser own;
  own.id = "me";
  own.mutes = std::vector<Mute>{Mute{.target = User{.id = "bob"}}};
  own.blocked_user_ids = std::vector<std::string>{"carol"};
  Batch batch{SetConnectionInfo{ConnectionInfo{own}}};
  ASSERT_TRUE(shows_settings(batch, "me"));
  const std::vector<OutboxEntry> pending{
      setting(1, OutboxKind::set_user_muted, "", {{"user_id", "bob"}, {"muted", false}}),
      setting(2, OutboxKind::set_user_muted, "",
              {{"user_id", "dave"}, {"muted", true}, {"timeout", 5}}),
      setting(3, OutboxKind::set_channel_muted, "messaging:a",
              {{"muted", true}, {"expiration", 2000}}),
      setting(4, OutboxKind::set_user_blocked, "", {{"user_id", "carol"}, {"blocked", false}}),
      setting(5, OutboxKind::set_user_blocked, "", {{"user_id", "erin"}, {"blocked", true}})};
  show_settings(pending, "me", batch);
  const OwnUser& shown = std::get<SetConnectionInfo>(batch[0]).info.own_user;
  ASSERT_EQ(shown.mutes->size(), 1u);
  EXPECT_EQ(shown.mutes->at(0).target->id, "dave");
  EXPECT_EQ(shown.mutes->at(0).expires, Timestamp::from_unix_micros(2'000'000 + 5 * 60'000'000));
  ASSERT_EQ(shown.channel_mutes->size(), 1u);
  EXPECT_EQ(shown.channel_mutes->at(0).channel->cid, "messaging:a");
  EXPECT_EQ(shown.channel_mutes->at(0).channel->type, "messaging");
  EXPECT_EQ(shown.channel_mutes->at(0).expires, Timestamp::from_unix_micros(5'000'000));
  EXPECT_EQ(shown.blocked_user_ids, std::vector<std::string>{"erin"});
}

// A length no server takes (from a damaged row) makes no time out of range: the mute shows with
// no end.
TEST(Settings, AMuteLongerThanTheServerTakesShowsWithNoEnd) {
  OwnUser own;
  own.id = "me";
  Batch batch{SetConnectionInfo{ConnectionInfo{own}}};
  show_settings({setting(1, OutboxKind::set_user_muted, "",
                         {{"user_id", "bob"}, {"muted", true}, {"timeout", INT64_MAX}})},
                "me", batch);
  const OwnUser& shown = std::get<SetConnectionInfo>(batch[0]).info.own_user;
  ASSERT_EQ(shown.mutes->size(), 1u);
  EXPECT_FALSE(shown.mutes->at(0).expires);
}

TEST(Settings, CopiesNoSettingIsAboutAreNotLookedAt) {
  EXPECT_FALSE(shows_settings({UpsertMessages{}, UpsertReads{}, UpsertUsers{}}, "me"));
  EXPECT_TRUE(is_setting(OutboxKind::set_user_blocked));
  EXPECT_FALSE(is_setting(OutboxKind::mark_read));
}

TEST(Settings, AChannelsPendingUpdatesShowOnItsCopiesButNotOnItsOwnFields) {
  const std::vector<OutboxEntry> pending{
      setting(1, OutboxKind::update_channel, "messaging:a",
              {{"data", {{"name", "Renamed"}, {"color", "red"}, {"member_count", 99}}}}),
      setting(2, OutboxKind::partial_update_channel, "messaging:a",
              {{"set", {{"topic", "news"}, {"created_by", "mallory"}}}, {"unset", {"color"}}})};
  Channel a = make_channel("a"), b = make_channel("b");
  a.name = "Old";
  a.member_count = 2;
  a.extra["stale"] = true;
  b.name = "B";
  Batch batch{UpsertChannels{{a, b}}};
  ASSERT_TRUE(shows_settings(batch, "me"));
  show_settings(pending, "me", batch);
  const auto& shown = std::get<UpsertChannels>(batch[0]).channels;
  EXPECT_EQ(shown[0].name, "Renamed");
  EXPECT_EQ(shown[0].extra.at("topic"), "news");
  EXPECT_FALSE(shown[0].extra.contains("color"));
  EXPECT_FALSE(shown[0].extra.contains("stale")) << "a full update replaces the data";
  EXPECT_EQ(shown[0].member_count, 2) << "the server's own";
  EXPECT_EQ(shown[0].created_by.has_value(), a.created_by.has_value());
  if (a.created_by) {
    EXPECT_EQ(shown[0].created_by->id, a.created_by->id);
  }
  EXPECT_EQ(shown[1].name, "B");
}

TEST(Settings, TheOwnUsersPendingUpdateShowsOnItsCopiesOnly) {
  const std::vector<OutboxEntry> pending{
      setting(1, OutboxKind::partial_update_user, "",
              {{"set", {{"name", "Alicia"}, {"role", "admin"}}}, {"unset", {"mood"}}})};
  ConnectionInfo info;
  info.own_user.id = "me";
  info.own_user.role = "user";
  info.own_user.extra["mood"] = "grey";
  User bob{.id = "bob", .name = "Bob"};
  Batch batch{SetConnectionInfo{info}, UpsertUsers{{User{.id = "me"}, bob}}};
  ASSERT_TRUE(shows_settings(batch, "me"));
  EXPECT_FALSE(shows_settings({UpsertUsers{{bob}}}, "me"));
  show_settings(pending, "me", batch);
  const OwnUser& own = std::get<SetConnectionInfo>(batch[0]).info.own_user;
  EXPECT_EQ(own.name, "Alicia");
  EXPECT_EQ(own.role, "user") << "the server's own";
  EXPECT_FALSE(own.extra.contains("mood"));
  const auto& users = std::get<UpsertUsers>(batch[1]).users;
  EXPECT_EQ(users[0].name, "Alicia");
  EXPECT_EQ(users[1].name, "Bob");
}

TEST(Settings, ADraftsLatestPendingChangeReplacesTheServersCopiesOfIt) {
  auto save = [](std::int64_t id, std::optional<std::string> parent, const char* text) {
    json::object message{{"id", "d"}, {"text", text}};
    if (parent) message["parent_id"] = *parent;
    return setting(id, OutboxKind::save_draft, "messaging:a", {{"message", std::move(message)}});
  };
  const std::vector<OutboxEntry> pending{
      save(1, std::nullopt, "older"), save(2, std::nullopt, "newest"),
      setting(3, OutboxKind::delete_draft, "messaging:a", {{"parent_id", "root"}})};
  Draft server{.cid = "messaging:a", .message = Message{.id = "s", .text = "server's"}};
  Draft thread = server;
  thread.parent_id = "root";
  Draft other = server;
  other.cid = "messaging:b";
  Batch batch{UpsertDrafts{{server, other}}, UpsertDrafts{{thread}},
              DeleteDraft{"messaging:a", std::nullopt}};
  ASSERT_TRUE(shows_settings(batch, "me"));
  show_settings(pending, "me", batch);
  std::vector<Draft> saved;
  std::vector<DeleteDraft> deleted;
  for (const auto& m : batch) {
    if (const auto* d = std::get_if<UpsertDrafts>(&m))
      saved.insert(saved.end(), d->drafts.begin(), d->drafts.end());
    if (const auto* d = std::get_if<DeleteDraft>(&m)) deleted.push_back(*d);
  }
  ASSERT_EQ(saved.size(), 2u);
  EXPECT_EQ(saved[0].cid, "messaging:b") << "no pending change: left as it came";
  EXPECT_EQ(saved[1].message.text, "newest");
  EXPECT_EQ(saved[1].message.user->id, "me");
  EXPECT_EQ(saved[1].created_at, pending[1].created_at);
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].parent_id, "root");
}

}  // namespace
}  // namespace chatkeep::outbox

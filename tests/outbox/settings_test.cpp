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

}  // namespace
}  // namespace chatkeep::outbox

// The event applier (sync/writes) against a real SQLite store: each row of protocol.md's event
// table, duplicates, and the writes of a queried channel state.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include <fmt/format.h>

#include "chatkeep/json.hpp"
#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/storage.hpp"
#include "chatkeep/testing/builders.hpp"
#include "chatkeep/testing/temp_dir.hpp"
#include "support/json_equal.hpp"
#include "sync/writes.hpp"

namespace chatkeep {
namespace {

using testing::at_second;
using testing::make_member;
using testing::make_message;
using testing::make_reaction;

constexpr const char* kCid = "messaging:general";

class WritesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.connect("alice");
    ChannelState state{.channel = testing::make_channel("general", 1),
                       .messages = std::vector<Message>{make_message("m1", kCid, 1)},
                       .members = std::vector<Member>{make_member("alice"), make_member("bob")},
                       .read = std::vector<Read>{Read{.user = testing::make_user("alice"),
                                                      .last_read = at_second(1),
                                                      .unread_messages = 0},
                                                 Read{.user = testing::make_user("bob"),
                                                      .last_read = at_second(1),
                                                      .unread_messages = 0}}};
    state.channel.own_capabilities = std::vector<std::string>{"send-message"};
    state.messages->at(0).own_reactions =
        std::vector<Reaction>{make_reaction("m1", "alice", "like")};
    Batch batch;
    sync::add_channel_state_writes(std::move(state), "alice", batch);
    store_.apply(batch);
  }

  // Applies one event as it comes off the wire; returns how many mutations it made.
  std::size_t apply(const std::string& json, const sync::Mutes& mutes = {}) {
    Batch batch;
    sync::add_event_writes(decode<Event>(json), "alice", batch, mutes);
    if (!batch.empty()) store_.apply(batch);
    return batch.size();
  }

  static std::string message_json(const std::string& id, std::int64_t second,
                                  const std::string& user = "bob", const std::string& more = "") {
    return fmt::format(R"({{"id":"{}","cid":"{}","text":"t","type":"regular","user":{{"id":"{}"}},)"
                       R"("created_at":"{}"{}}})",
                       id, kCid, user, at_second(second).to_string(), more);
  }

  std::string event(const std::string& type, std::int64_t second, const std::string& body) {
    return fmt::format(R"({{"type":"{}","created_at":"{}","cid":"{}",{}}})", type,
                       at_second(second).to_string(), kCid, body);
  }

  std::int64_t unread_of(const std::string& user) {
    for (const auto& read : store_.reads(kCid)) {
      if (read.user.id == user) return read.unread_messages.value_or(-1);
    }
    return -1;
  }

  std::vector<std::string> ids() {
    std::vector<std::string> out;
    for (const auto& m : store_.messages(kCid, MessagePagination{.limit = 100}))
      out.push_back(m.id);
    return out;
  }

  testing::TempDir dir_;
  SqlitePersistenceClient store_{SqlitePersistenceOptions{.directory = dir_.path()}};
};

// The server counts no unread for alice of a message from a user it had muted for her when it
// took the message: not before the mute was made (/sync gives such messages after it), nor
// after it ran out.
TEST_F(WritesTest, AMessageFromAUserTheServerHadMutedCountsForEveryoneElse) {
  const sync::Mutes mutes = {{"bob", {}}, {"carol", {at_second(3), at_second(6)}}};
  apply(event("message.new", 5, R"("message":)" + message_json("m2", 5, "bob")), mutes);
  apply(event("message.new", 5, R"("message":)" + message_json("m3", 5, "carol")), mutes);
  EXPECT_EQ(unread_of("alice"), 0);
  EXPECT_EQ(unread_of("bob"), 1);
  apply(event("message.new", 6, R"("message":)" + message_json("m4", 6, "carol")), mutes);
  apply(event("message.new", 7, R"("message":)" + message_json("m5", 7, "dave")), mutes);
  EXPECT_EQ(unread_of("alice"), 2);
  apply(event("message.new", 2, R"("message":)" + message_json("m6", 2, "carol")), mutes);
  EXPECT_EQ(unread_of("alice"), 3) << "sent before carol was muted";
  OwnUser me;
  me.mutes = {
      Mute{.target = User{.id = "bob"}, .created_at = at_second(1), .expires = at_second(9)},
      Mute{}};
  EXPECT_EQ(sync::mutes_of(me), (sync::Mutes{{"bob", {at_second(1), at_second(9)}}}));
}

TEST_F(WritesTest, ANewMessageIsStoredOnceAndCountedOnce) {
  const std::string frame = event(
      "message.new", 5,
      R"("message":)" + message_json("m2", 5) + R"(,"total_unread_count":7,"unread_channels":2)");
  apply(frame);
  apply(frame);  // delivered twice
  EXPECT_EQ(ids(), (std::vector<std::string>{"m1", "m2"}));
  EXPECT_EQ(unread_of("alice"), 1);
  EXPECT_EQ(unread_of("bob"), 0);  // his own
  EXPECT_EQ(store_.channel(kCid)->last_message_at, at_second(5));
  // Totals replace the cached ones (there is no own user yet: SetConnectionInfo comes first).
  apply(
      R"({"type":"health.check","connection_id":"c","me":{"id":"alice","total_unread_count":0}})");
  apply(frame);
  EXPECT_EQ(store_.connection_info()->own_user.total_unread_count, 7);
  EXPECT_EQ(store_.connection_info()->own_user.unread_channels, 2);

  // Thread-only replies and silent messages are not unread; an older message leaves
  // last_message_at alone.
  apply(event("message.new", 6,
              R"("message":)" + message_json("r1", 6, "bob", R"(,"parent_id":"m2")")));
  apply(
      event("message.new", 7, R"("message":)" + message_json("s1", 7, "bob", R"(,"silent":true)")));
  apply(event("message.new", 8, R"("message":)" + message_json("old", 3)));
  EXPECT_EQ(unread_of("alice"), 2);  // m2 and old
  EXPECT_EQ(store_.channel(kCid)->last_message_at, at_second(7));
  EXPECT_EQ(store_.replies("m2", MessagePagination{}).size(), 1u);
  EXPECT_EQ(ids(), (std::vector<std::string>{"m1", "old", "m2", "s1"}));
}

TEST_F(WritesTest, EditsAndDeletesKeepOwnReactionsAndRemoveWhatIsGone) {
  apply(event("message.updated", 5,
              R"("message":)" + message_json("m1", 1, "bob", R"(,"text":"edited")")));
  auto m1 = store_.message("m1");
  EXPECT_EQ(m1->text, "edited");
  ASSERT_EQ(m1->own_reactions->size(), 1u);  // kept through the edit

  apply(event("message.deleted", 6,
              R"("message":)" + message_json("m1", 1, "bob",
                                             R"(,"type":"deleted","deleted_at":")" +
                                                 at_second(6).to_string() + R"(")")));
  EXPECT_EQ(store_.message("m1")->type, "deleted");
  apply(event("message.deleted", 7, R"("hard_delete":true,"message":)" + message_json("m1", 1)));
  EXPECT_FALSE(store_.message("m1"));

  apply(event("message.new", 8, R"("message":)" + message_json("m3", 8)));
  apply(event("message.deleted", 9, R"("deleted_for_me":true,"message":)" + message_json("m3", 8)));
  EXPECT_FALSE(store_.message("m3"));
}

TEST_F(WritesTest, OnlyTheUsersOwnReactionsChangeOwnReactions) {
  const std::string summary = R"(,"reaction_counts":{"like":2},"latest_reactions":[])";
  apply(event("reaction.new", 5,
              R"("message":)" + message_json("m1", 1, "bob", summary) +
                  R"(,"reaction":{"type":"like","user_id":"bob","message_id":"m1"})"));
  auto m1 = store_.message("m1");
  EXPECT_EQ(m1->reaction_counts->at("like"), 2);
  ASSERT_EQ(m1->own_reactions->size(), 1u);  // bob's is not alice's

  apply(event("reaction.new", 6,
              R"("message":)" + message_json("m1", 1) +
                  R"(,"reaction":{"type":"love","user_id":"alice","message_id":"m1"})"));
  EXPECT_EQ(store_.message("m1")->own_reactions->size(), 2u);
  apply(event("reaction.updated", 7,
              R"("message":)" + message_json("m1", 1) +
                  R"(,"reaction":{"type":"wow","user_id":"alice","message_id":"m1"})"));
  m1 = store_.message("m1");
  ASSERT_EQ(m1->own_reactions->size(), 1u);  // enforce_unique: wow alone
  EXPECT_EQ(m1->own_reactions->at(0).type, "wow");
  apply(event("reaction.deleted", 8,
              R"("message":)" + message_json("m1", 1) +
                  R"(,"reaction":{"type":"wow","user":{"id":"alice"},"message_id":"m1"})"));
  EXPECT_TRUE(store_.message("m1")->own_reactions->empty());
}

TEST_F(WritesTest, ReadsOfOneChannelAndOfAll) {
  apply(event("message.new", 5, R"("message":)" + message_json("m2", 5)));
  apply(event("message.new", 6, R"("message":)" + message_json("m3", 6, "alice")));
  EXPECT_EQ(unread_of("bob"), 1);
  apply(event("message.read", 7, R"("user":{"id":"bob"},"last_read_message_id":"m3")"));
  EXPECT_EQ(unread_of("bob"), 0);
  for (const auto& read : store_.reads(kCid)) {
    if (read.user.id == "bob") {
      EXPECT_EQ(read.last_read_message_id, "m3");
    }
  }
  EXPECT_EQ(unread_of("alice"), 1);
  apply(R"({"type":"notification.mark_read","created_at":")" + at_second(8).to_string() +
        R"(","total_unread_count":0})");
  EXPECT_EQ(unread_of("alice"), 0);
  EXPECT_EQ(unread_of("bob"), 0);
}

TEST_F(WritesTest, ChannelEventsKeepWhatOnlyQueriesTell) {
  apply(event("channel.updated", 5,
              R"("channel":{"id":"general","type":"messaging","cid":"messaging:general",)"
              R"("name":"Renamed"})"));
  auto channel = store_.channel(kCid);
  EXPECT_EQ(channel->name, "Renamed");
  EXPECT_EQ(channel->own_capabilities, std::vector<std::string>{"send-message"});
  EXPECT_EQ(channel->config->max_message_length, 5000);
  EXPECT_FALSE(channel->extra.contains("topic"));  // what the server dropped goes

  apply(event("message.new", 5, R"("message":)" + message_json("m5", 5)));
  apply(event("channel.truncated", 6,
              R"("channel":{"id":"general","type":"messaging","cid":"messaging:general",)"
              R"("truncated_at":")" +
                  at_second(4).to_string() + R"("})"));
  EXPECT_EQ(ids(), std::vector<std::string>{"m5"});

  apply(event("channel.hidden", 7, R"("clear_history":true)"));
  EXPECT_TRUE(store_.channel(kCid)->hidden.value_or(false));
  EXPECT_TRUE(ids().empty());
  apply(event("channel.visible", 8, R"("user":{"id":"alice"})"));
  EXPECT_FALSE(store_.channel(kCid)->hidden.value_or(true));

  apply(event("member.added", 9, R"("member":{"user_id":"carol","user":{"id":"carol"}})"));
  EXPECT_EQ(store_.members(kCid).size(), 3u);
  apply(event("member.removed", 10, R"("member":{"user_id":"bob"})"));
  EXPECT_EQ(store_.members(kCid).size(), 2u);

  apply(event("channel.deleted", 11,
              R"("channel":{"id":"general","type":"messaging","cid":"messaging:general"})"));
  EXPECT_FALSE(store_.channel(kCid));
}

TEST_F(WritesTest, NotificationsAddAndRemoveChannels) {
  const std::string other = R"({"id":"other","type":"messaging","cid":"messaging:other"})";
  apply(R"({"type":"notification.added_to_channel","created_at":")" + at_second(5).to_string() +
        R"(","cid":"messaging:other","channel":)" + other +
        R"(,"member":{"user_id":"alice"},"unread_channels":1})");
  EXPECT_TRUE(store_.channel("messaging:other"));
  EXPECT_EQ(store_.members("messaging:other").size(), 1u);
  apply(R"({"type":"notification.message_new","created_at":")" + at_second(6).to_string() +
        R"(","cid":"messaging:other","channel":)" + other +
        R"(,"message":{"id":"n1",)"
        R"("cid":"messaging:other","user":{"id":"bob"},"created_at":")" +
        at_second(6).to_string() + R"("}})");
  EXPECT_EQ(store_.messages("messaging:other", {}).size(), 1u);
  apply(R"({"type":"notification.removed_from_channel","created_at":")" + at_second(7).to_string() +
        R"(","cid":"messaging:other","channel":)" + other + "}");
  EXPECT_FALSE(store_.channel("messaging:other"));
}

// Events for members who do not watch the channel, and the channel's own user being kicked out
// of a channel she watches, do what their watcher counterparts do.
TEST_F(WritesTest, NotificationsOfTruncationAndDeletionAndAKick) {
  const std::string general = R"("channel":{"id":"general","type":"messaging",)"
                              R"("cid":"messaging:general","truncated_at":")" +
                              at_second(4).to_string() + R"("})";
  apply(event("message.new", 5, R"("message":)" + message_json("m5", 5)));
  apply(event("notification.channel_truncated", 6, general + R"(,"total_unread_count":0)"));
  EXPECT_EQ(ids(), std::vector<std::string>{"m5"});
  apply(event("notification.channel_deleted", 7, general));
  EXPECT_FALSE(store_.channel(kCid));

  const std::string other = R"({"id":"other","type":"messaging","cid":"messaging:other"})";
  apply(R"({"type":"notification.added_to_channel","created_at":")" + at_second(8).to_string() +
        R"(","cid":"messaging:other","channel":)" + other + R"(,"member":{"user_id":"alice"}})");
  ASSERT_TRUE(store_.channel("messaging:other"));
  apply(R"({"type":"channel.kicked","created_at":")" + at_second(9).to_string() +
        R"(","cid":"messaging:other","channel_type":"messaging","channel_id":"other"})");
  EXPECT_FALSE(store_.channel("messaging:other"));
}

// message.undeleted brings a soft-deleted message back as the server now has it.
TEST_F(WritesTest, AnUndeletedMessageComesBack) {
  apply(event("message.deleted", 5,
              R"("message":)" +
                  message_json("m1", 1, "bob",
                               R"(,"type":"deleted","deleted_at":")" + at_second(5).to_string() +
                                   R"(","updated_at":")" + at_second(5).to_string() + R"(")")));
  ASSERT_EQ(store_.message("m1")->type, "deleted");
  apply(event(
      "message.undeleted", 6,
      R"("message":)" +
          message_json("m1", 1, "bob", R"(,"updated_at":")" + at_second(6).to_string() + R"(")")));
  EXPECT_EQ(store_.message("m1")->type, "regular");
  EXPECT_FALSE(store_.message("m1")->deleted_at);
}

// The user's mutes (users and channels) come as the whole own user; what they change shows in
// the stored own user. (Whose messages count as unread is the caller's to say: `mutes`.)
TEST_F(WritesTest, MuteUpdatesReplaceTheOwnUsersMutes) {
  apply(R"({"type":"notification.mutes_updated","created_at":")" + at_second(5).to_string() +
        R"(","me":{"id":"alice","mutes":[{"user":{"id":"alice"},"target":{"id":"bob"},)"
        R"("created_at":")" +
        at_second(5).to_string() + R"("}]}})");
  ASSERT_TRUE(store_.connection_info());
  ASSERT_TRUE(store_.connection_info()->own_user.mutes);
  EXPECT_EQ(store_.connection_info()->own_user.mutes->size(), 1u);

  apply(R"({"type":"notification.channel_mutes_updated","created_at":")" +
        at_second(7).to_string() +
        R"(","me":{"id":"alice","mutes":[],"channel_mutes":[{"user":{"id":"alice"},)"
        R"("channel":{"id":"general","type":"messaging","cid":"messaging:general"},)"
        R"("created_at":")" +
        at_second(7).to_string() + R"("}]}})");
  EXPECT_TRUE(store_.connection_info()->own_user.mutes->empty());
  ASSERT_TRUE(store_.connection_info()->own_user.channel_mutes);
  EXPECT_EQ(store_.connection_info()->own_user.channel_mutes->size(), 1u);
}

// member.updated carries the member's own channel fields: pinned and archived for that user,
// gone again when the server sends them null (as Stream's JS client drops them).
TEST_F(WritesTest, AMembersPinAndArchiveComeAndGo) {
  const std::string pinned = at_second(5).to_string();
  apply(event("member.updated", 5,
              R"("user":{"id":"alice"},"member":{"user_id":"alice","user":{"id":"alice"},)"
              R"("pinned_at":")" +
                  pinned + R"(","archived_at":")" + pinned + R"("})"));
  auto state = store_.channel_state(kCid, {});
  ASSERT_TRUE(state && state->membership);
  EXPECT_EQ(state->membership->pinned_at, at_second(5));
  EXPECT_EQ(state->membership->archived_at, at_second(5));
  apply(event("member.updated", 6,
              R"("user":{"id":"alice"},"member":{"user_id":"alice","user":{"id":"alice"},)"
              R"("pinned_at":null,"archived_at":null})"));
  state = store_.channel_state(kCid, {});
  ASSERT_TRUE(state && state->membership);
  EXPECT_FALSE(state->membership->pinned_at);
  EXPECT_FALSE(state->membership->archived_at);
}

TEST_F(WritesTest, UsersAndTheirMessages) {
  apply(R"({"type":"user.updated","created_at":")" + at_second(5).to_string() +
        R"(","user":{"id":"bob","name":"Robert"}})");
  EXPECT_EQ(store_.message("m1")->user->name, "Robert");
  apply(R"({"type":"user.messages.deleted","created_at":")" + at_second(6).to_string() +
        R"(","user":{"id":"bob"}})");
  EXPECT_EQ(store_.message("m1")->type, "deleted");
}

TEST_F(WritesTest, TransientEventsWriteNothing) {
  EXPECT_EQ(apply(event("typing.start", 5, R"("user":{"id":"bob"})")), 0u);
  EXPECT_EQ(apply(R"({"type":"health.check","connection_id":"c"})"), 0u);
  EXPECT_EQ(apply(R"({"type":"connection.changed","online":false})"), 0u);
}

// An event of a type chatkeep does not know changes nothing but its count in the storage
// statistics, which a server cannot grow without bound: so many types, each name so long.
TEST_F(WritesTest, UnknownEventsAreCountedByTypeWithinBounds) {
  auto count = [&](const std::string& type) {
    Batch batch;
    sync::add_event_writes(decode<Event>(R"({"type":")" + type + R"(","poll":{"id":"p"}})"),
                           "alice", batch);
    ASSERT_EQ(batch.size(), 1u);
    ASSERT_TRUE(std::holds_alternative<CountUnknownEvent>(batch[0]));
    store_.apply(batch);
  };
  count("poll.vote_casted");
  count("poll.vote_casted");
  count(std::string(500, 'x'));
  for (std::size_t i = 0; i < kMaxUnknownEventTypes + 10; ++i)
    count("flood." + std::to_string(i));
  const StorageStats stats = storage_stats(dir_.path(), "alice");
  EXPECT_EQ(stats.unknown_events.size(), kMaxUnknownEventTypes);
  EXPECT_EQ(stats.unknown_events.at("poll.vote_casted"), 2);
  EXPECT_EQ(stats.unknown_events.at(std::string(kMaxUnknownEventTypeLength, 'x')), 1);
  EXPECT_FALSE(stats.unknown_events.contains("flood." + std::to_string(kMaxUnknownEventTypes)));
  EXPECT_EQ(store_.message("m1")->text, "text of m1");  // nothing else changed
}

// An invitation stores the channel with the user's membership, invited; her answer marks it.
TEST_F(WritesTest, AnInvitationStoresTheChannelWithTheInvitedMembership) {
  const std::string cid = "messaging:club";
  const std::string channel =
      R"("channel":{"id":"club","type":"messaging","cid":"messaging:club"})";
  apply(R"({"type":"notification.invited","created_at":"2026-06-24T12:19:00Z","cid":")" + cid +
        R"(",)" + channel +
        R"(,"member":{"user_id":"alice","user":{"id":"alice"},"invited":true}})");
  auto state = store_.channel_state(cid, {});
  ASSERT_TRUE(state);
  ASSERT_TRUE(state->membership);
  EXPECT_TRUE(state->membership->invited.value_or(false));
  apply(R"({"type":"notification.invite_accepted","created_at":"2026-06-24T12:20:00Z","cid":")" +
        cid + R"(",)" + channel +
        R"(,"member":{"user_id":"alice","user":{"id":"alice"},"invited":true,)"
        R"("invite_accepted_at":"2026-06-24T12:20:00Z"}})");
  EXPECT_TRUE(store_.channel_state(cid, {})->membership->invite_accepted_at);
}

// Drafts follow their events, and of two writes of one draft the newer stays, whichever came
// last.
TEST_F(WritesTest, DraftEventsKeepTheNewestWrite) {
  auto draft_event = [](const char* type, int second, const char* text) {
    return fmt::format(R"({{"type":"{}","created_at":"{}","cid":"{}","draft":{{"channel_cid":"{}",)"
                       R"("created_at":"{}","message":{{"id":"d","text":"{}"}}}}}})",
                       type, at_second(second).to_string(), kCid, kCid,
                       at_second(second).to_string(), text);
  };
  EXPECT_EQ(apply(draft_event("draft.updated", 10, "newer")), 1u);
  apply(draft_event("draft.updated", 9, "older, late"));
  ASSERT_TRUE(store_.draft(kCid, std::nullopt));
  EXPECT_EQ(store_.draft(kCid, std::nullopt)->message.text, "newer");
  EXPECT_EQ(store_.draft(kCid, std::nullopt)->message.cid, kCid);
  apply(draft_event("draft.deleted", 11, "newer"));
  EXPECT_FALSE(store_.draft(kCid, std::nullopt));
  // A draft of another channel than the event's is refused whole.
  EXPECT_THROW(decode<Event>(R"({"type":"draft.updated","created_at":"2026-01-01T00:00:00Z",)"
                             R"("cid":"messaging:other","draft":{"channel_cid":"messaging:x",)"
                             R"("created_at":"2026-01-01T00:00:00Z","message":{"id":"d"}}})"),
               ChatError);
}

// Every event type chatkeep knows is stored or deliberately ignored: each has a fixture in
// tests/data/events.json taken from Stream's payloads, and a type added to EventType without a
// fixture, or one whose writes go missing, fails here.
TEST_F(WritesTest, EveryKnownEventTypeIsStoredOrDeliberatelyIgnored) {
  // Transient (typing), the socket's own (health checks without `me`, connection errors), and
  // the client's local events: nothing to store.
  const std::set<EventType> ignored = {
      EventType::typing_start,         EventType::typing_stop,
      EventType::connection_error,     EventType::connection_changed,
      EventType::connection_recovered, EventType::outbox_delivered,
      EventType::outbox_failed,        EventType::attachment_upload_progress};
  std::map<EventType, std::size_t> writes;
  const boost::json::value fixtures = parse_json(testing::test_data("events.json"));
  for (const auto& fixture : fixtures.as_array()) {
    Event event = from_json<Event>(fixture);
    Batch batch;
    const EventType kind = event.kind;
    sync::add_event_writes(std::move(event), "alice", batch);
    writes[kind] = std::max(writes[kind], batch.size());
  }
  for (int i = 0; i < static_cast<int>(EventType::unknown); ++i) {
    const auto kind = static_cast<EventType>(i);
    ASSERT_TRUE(writes.contains(kind)) << to_string(kind) << " has no fixture";
    if (ignored.contains(kind)) {
      EXPECT_EQ(writes[kind], 0u) << to_string(kind) << " is ignored, yet wrote";
    } else {
      EXPECT_GT(writes[kind], 0u) << to_string(kind) << " stores nothing";
    }
  }
}

TEST_F(WritesTest, AQueryIsTheTruthAboutOwnReactions) {
  ChannelState again{.channel = testing::make_channel("general", 1),
                     .messages = std::vector<Message>{make_message("m1", kCid, 1)}};
  again.messages->at(0).own_reactions = std::vector<Reaction>{};
  Batch batch;
  sync::add_channel_state_writes(std::move(again), "alice", batch);
  store_.apply(batch);
  EXPECT_TRUE(store_.message("m1")->own_reactions->empty());
  EXPECT_EQ(store_.channel(kCid)->own_capabilities, std::nullopt);  // a query replaces
}

// A copy that does not say (no own_reactions: a pinned message in a channel's state, say) leaves
// the user's reactions as they are.
TEST_F(WritesTest, ACopyWithoutOwnReactionsLeavesThemAlone) {
  ChannelState again{.channel = testing::make_channel("general", 1),
                     .messages = std::vector<Message>{},
                     .pinned_messages = std::vector<Message>{make_message("m1", kCid, 1)}};
  again.pinned_messages->at(0).own_reactions.reset();
  Batch batch;
  sync::add_channel_state_writes(std::move(again), "alice", batch);
  store_.apply(batch);
  ASSERT_TRUE(store_.message("m1")->own_reactions);
  EXPECT_EQ(store_.message("m1")->own_reactions->size(), 1u);
}

}  // namespace
}  // namespace chatkeep

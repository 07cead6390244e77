#pragma once

// The ChatPersistenceClient contract as a typed GoogleTest suite: every rule persistence.hpp
// states, one test each, run against any store. chatkeep runs it over SqlitePersistenceClient
// (regular, and in background mode), over a ForwardingPersistenceClient and over
// MemoryPersistenceClient (tests/store/contract/stores_test.cpp); an app runs it over its own
// store the same way, in a test program linked with GoogleTest (README, "Your own store"):
//
//   #include <chatkeep/testing/persistence_contract.hpp>
//   struct MyStoreFactory {
//     // A new store, not connected, that keeps its data in `dir` (a new empty directory for each
//     // test) or anywhere else of its own.
//     static std::unique_ptr<chatkeep::ChatPersistenceClient> make(const std::filesystem::path&);
//   };
//   namespace chatkeep::testing {
//   INSTANTIATE_TYPED_TEST_SUITE_P(MyStore, PersistenceContract, MyStoreFactory);
//   }
//
// Each test names the rule it checks; each was seen to fail with its rule broken in one store.
// One header (of some 700 lines) because an app includes it whole, as GoogleTest's typed suites
// need the tests where the suite is instantiated.
// The tests run the store from several threads where the contract speaks of threads.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "chatkeep/persistence.hpp"
#include "chatkeep/testing/builders.hpp"
#include "chatkeep/testing/temp_dir.hpp"

namespace chatkeep::testing {

template <class Factory>
class PersistenceContract : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Factory::make(dir_.path());
    store_->connect("alice");
  }

  ChatPersistenceClient& store() { return *store_; }

  static constexpr const char* kCid = "messaging:general";

  // A channel with alice and bob as members, three messages (m1 bob's at 10 s, m2 alice's at
  // 20 s, m3 bob's at 30 s), a reaction of each of them to m1, and their reads.
  void seed(const std::string& id = "general") {
    const std::string cid = make_cid("messaging", id);
    store().apply(
        {UpsertChannels{{make_channel(id, 30)}},
         UpsertMembers{cid, {make_member("alice", 1), make_member("bob", 2)}},
         UpsertMessages{
             {},
             {make_message(id + "-m1", cid, 10), make_message(id + "-m2", cid, 20, "alice"),
              make_message(id + "-m3", cid, 30)}},
         UpsertReactions{{make_reaction(id + "-m1", "alice", "like"),
                          make_reaction(id + "-m1", "bob", "love")}},
         UpsertReads{
             cid,
             {Read{.user = make_user("alice"), .last_read = at_second(30), .unread_messages = 0},
              Read{.user = make_user("bob"), .unread_messages = 2}}}});
  }

  std::vector<std::string> ids(const std::vector<Message>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages)
      out.push_back(m.id);
    return out;
  }

  std::int64_t unread_of(const std::string& user_id, const std::string& cid = kCid) {
    for (const auto& read : store().reads(cid))
      if (read.user.id == user_id) return read.unread_messages.value_or(-1);
    return -1;
  }

  TempDir dir_;
  std::unique_ptr<ChatPersistenceClient> store_;
};

TYPED_TEST_SUITE_P(PersistenceContract);

// --- lifecycle ---------------------------------------------------------------------------------

TYPED_TEST_P(PersistenceContract, OneUserAtATimeAndNothingWhileDisconnected) {
  auto& s = this->store();
  EXPECT_TRUE(s.is_connected());
  EXPECT_EQ(s.user_id(), "alice");
  EXPECT_NO_THROW(s.connect("alice"));
  try {
    s.connect("bob");
    FAIL() << "connected as a second user";
  } catch (const ChatError& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_state);
  }
  s.disconnect(false);
  EXPECT_FALSE(s.is_connected());
  EXPECT_EQ(s.user_id(), std::nullopt);
  try {
    (void)s.channel_cids(10);
    FAIL() << "read while disconnected";
  } catch (const ChatError& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_state);
  }
  try {
    s.apply({SetLastSyncAt{at_second(1)}});
    FAIL() << "wrote while disconnected";
  } catch (const ChatError& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_state);
  }
  s.connect("bob");
  EXPECT_EQ(s.user_id(), "bob");
}

TYPED_TEST_P(PersistenceContract, AUsersDataIsFoundAgainAfterReconnecting) {
  this->seed();
  this->store().disconnect(false);
  this->store().connect("bob");
  EXPECT_TRUE(this->store().channel_cids(10).empty()) << "bob's store is his own";
  this->store().disconnect(false);
  this->store().connect("alice");
  EXPECT_EQ(this->store().messages(this->kCid, {}).size(), 3u);
}

// --- atomic batches and reading one's writes ---------------------------------------------------

TYPED_TEST_P(PersistenceContract, ABatchThatFailsLeavesNothing) {
  auto& s = this->store();
  this->seed();
  const auto before = s.channel_state(this->kCid, {});
  Message headless = make_message("x", this->kCid, 40);
  headless.created_at.reset();
  for (const Mutation& bad : std::vector<Mutation>{
           UpsertMessages{this->kCid, {headless}},
           UpsertChannels{{Channel{.id = "x", .type = "messaging", .cid = "no-colon"}}},
           UpsertReactions{{Reaction{.type = "like"}}},
           AddOutboxEntry{make_entry("no-colon", "m")}}) {
    try {
      s.apply({UpsertUsers{{make_user("carol")}}, UpsertChannels{{make_channel("other", 50)}},
               UpsertMessages{this->kCid, {make_message("new", this->kCid, 40)}},
               DeleteMessages{.which = DeleteMessages::ByIds{{"general-m1"}}, .hard = true},
               UpsertReads{this->kCid, {Read{.user = make_user("bob"), .unread_messages = 9}}},
               AddOutboxEntry{make_entry(this->kCid, "new")}, SetLastSyncAt{at_second(77)}, bad});
      FAIL() << "a bad mutation was taken";
    } catch (const ChatError& e) {
      EXPECT_EQ(e.code(), ErrorCode::input) << e.what();
    }
    EXPECT_EQ(s.channel_cids(10), std::vector<std::string>{this->kCid});
    EXPECT_EQ(this->ids(s.messages(this->kCid, {})),
              (std::vector<std::string>{"general-m1", "general-m2", "general-m3"}));
    EXPECT_EQ(s.message("general-m1")->own_reactions->size(), 1u);
    EXPECT_EQ(this->unread_of("bob"), 2);
    EXPECT_TRUE(s.outbox(0, 10).empty());
    EXPECT_EQ(s.last_sync_at(), std::nullopt);
    EXPECT_EQ(to_json(*s.channel_state(this->kCid, {})), to_json(*before));
  }
}

TYPED_TEST_P(PersistenceContract, ReadsSeeEveryWriteThatReturnedFromAnyThread) {
  auto& s = this->store();
  std::thread writer([&] {
    for (int i = 0; i < 20; ++i) {
      s.apply({UpsertMessages{this->kCid,
                              {make_message("m" + std::to_string(i), this->kCid, 10 + i)}}});
    }
    (void)s.apply_async({SetLastSyncAt{at_second(5)}}).get();
  });
  writer.join();
  EXPECT_EQ(s.messages(this->kCid, {.limit = 100}).size(), 20u);
  EXPECT_EQ(s.last_sync_at(), at_second(5));
  // And while other threads write, every read sees whole batches only.
  std::thread more([&] {
    for (int i = 0; i < 50; ++i) {
      s.apply(
          {UpsertMessages{this->kCid, {make_message("a" + std::to_string(i), this->kCid, 100)}},
           UpsertMessages{this->kCid, {make_message("b" + std::to_string(i), this->kCid, 100)}}});
    }
  });
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(s.messages(this->kCid, {.limit = 1000}).size() % 2, 0u);
  more.join();
}

// --- what is written reads back ----------------------------------------------------------------

TYPED_TEST_P(PersistenceContract, AChannelStateReadsBackWithUsersJoined) {
  auto& s = this->store();
  this->seed();
  auto state = s.channel_state(this->kCid, {});
  ASSERT_TRUE(state);
  EXPECT_EQ(to_json(state->channel), to_json(make_channel("general", 30)));
  ASSERT_EQ(state->messages->size(), 3u);
  Message expected = make_message("general-m1", this->kCid, 10);
  expected.own_reactions = std::vector<Reaction>{make_reaction("general-m1", "alice", "like")};
  EXPECT_EQ(to_json((*state->messages)[0]), to_json(expected));
  ASSERT_EQ(state->members->size(), 2u);
  EXPECT_EQ(to_json((*state->members)[1]), to_json(make_member("bob", 2)));
  ASSERT_TRUE(state->membership);
  EXPECT_EQ(state->membership->id(), "alice");
  ASSERT_EQ(state->read->size(), 2u);
  EXPECT_EQ((*state->read)[1].user.name, "User bob");
  EXPECT_EQ(s.channel("messaging:nowhere"), std::nullopt);
  EXPECT_EQ(s.channel_state("messaging:nowhere", {}), std::nullopt);
  EXPECT_EQ(s.message("nothing"), std::nullopt);
}

TYPED_TEST_P(PersistenceContract, AUserIsStoredOnceAndABareReferenceErasesNothing) {
  auto& s = this->store();
  this->seed();
  User renamed = make_user("bob");
  renamed.name = "Robert";
  s.apply({UpsertUsers{{renamed}}});
  EXPECT_EQ(s.message("general-m1")->user->name, "Robert") << "every message shows the user now";
  EXPECT_EQ(s.members(this->kCid)[1].user->name, "Robert");
  Message bare = make_message("general-m4", this->kCid, 40);
  bare.user = User{.id = "bob"};
  s.apply({UpsertMessages{this->kCid, {bare}}});
  EXPECT_EQ(s.message("general-m4")->user->name, "Robert");
}

TYPED_TEST_P(PersistenceContract, AMessageOfAnUnknownChannelMakesAStub) {
  auto& s = this->store();
  s.apply({UpsertMessages{{}, {make_message("m", "messaging:new", 10)}}});
  auto stub = s.channel("messaging:new");
  ASSERT_TRUE(stub);
  EXPECT_EQ(stub->type, "messaging");
  EXPECT_EQ(stub->id, "new");
  EXPECT_EQ(stub->name, std::nullopt);
  EXPECT_EQ(s.messages("messaging:new", {}).size(), 1u);
}

TYPED_TEST_P(PersistenceContract, APartialChannelKeepsWhatOnlyQueriesTell) {
  auto& s = this->store();
  Channel full = make_channel("general");
  full.own_capabilities = std::vector<std::string>{"send-message"};
  full.hidden = true;
  s.apply({UpsertChannels{{full}}});
  Channel from_event = make_channel("general");
  from_event.name = "renamed";
  from_event.config.reset();
  from_event.member_count.reset();
  s.apply({UpsertChannels{{from_event}, /*partial=*/true}});
  auto stored = s.channel(this->kCid);
  EXPECT_EQ(stored->name, "renamed");
  EXPECT_EQ(stored->own_capabilities, full.own_capabilities);
  EXPECT_EQ(stored->hidden, true);
  EXPECT_EQ(stored->member_count, 2);
  EXPECT_TRUE(stored->config);
  s.apply({UpsertChannels{{from_event}}});  // a whole channel replaces them
  EXPECT_FALSE(s.channel(this->kCid)->own_capabilities);
  s.apply({SetChannelHidden{this->kCid, false}});
  EXPECT_EQ(s.channel(this->kCid)->hidden, false);
}

// --- the message rules -------------------------------------------------------------------------

TYPED_TEST_P(PersistenceContract, AnOlderCopyNeverReplacesANewerOne) {
  auto& s = this->store();
  this->seed();
  Message newer = make_message("general-m1", this->kCid, 10);
  newer.text = "edited";
  newer.updated_at = at_second(50);
  Message older = newer;
  older.text = "as it was";
  older.updated_at = at_second(40);
  s.apply({UpsertMessages{this->kCid, {newer}}, UpsertMessages{this->kCid, {older}}});
  EXPECT_EQ(s.message("general-m1")->text, "edited");
  Message same = newer;
  same.text = "same version";
  s.apply({UpsertMessages{this->kCid, {same}}});
  EXPECT_EQ(s.message("general-m1")->text, "same version");
  Message unversioned = newer;
  unversioned.updated_at.reset();
  unversioned.text = "no version";
  s.apply({UpsertMessages{this->kCid, {unversioned}}});
  EXPECT_EQ(s.message("general-m1")->text, "no version");
}

TYPED_TEST_P(PersistenceContract, ALocalChangeHoldsUntilANewerCopyOrItsAnswer) {
  auto& s = this->store();
  this->seed();
  Message edited = *s.message("general-m1");
  edited.text = "alice's local edit";
  s.apply({UpsertMessages{.cid = this->kCid, .messages = {edited}, .local = true}});
  Message same_version = make_message("general-m1", this->kCid, 10);
  s.apply({UpsertMessages{this->kCid, {same_version}}});
  EXPECT_EQ(s.message("general-m1")->text, "alice's local edit") << "a re-watch undid it";
  Message answer = same_version;
  answer.text = "the server's answer";
  s.apply({UpsertMessages{.cid = this->kCid, .messages = {answer}, .answer = true}});
  EXPECT_EQ(s.message("general-m1")->text, "the server's answer");
  s.apply({UpsertMessages{this->kCid, {same_version}}});
  EXPECT_EQ(s.message("general-m1")->text, same_version.text) << "no longer local";

  edited.text = "again";
  s.apply({UpsertMessages{.cid = this->kCid, .messages = {edited}, .local = true}});
  Message newer = same_version;
  newer.updated_at = at_second(11);
  newer.text = "newer on the server";
  s.apply({UpsertMessages{this->kCid, {newer}}});
  EXPECT_EQ(s.message("general-m1")->text, "newer on the server");
}

TYPED_TEST_P(PersistenceContract, AnEchoCountsNoUnreadUntilTheServersCopyArrivesOnce) {
  auto& s = this->store();
  this->seed();
  Message echo = make_message("mine", this->kCid, 100, "alice");
  s.apply({UpsertMessages{.cid = this->kCid, .messages = {echo}, .echo = true}});
  EXPECT_EQ(this->unread_of("bob"), 2);
  EXPECT_EQ(s.channel(this->kCid)->last_message_at, at_second(100));
  EXPECT_EQ(s.channel_cids(1), std::vector<std::string>{this->kCid});
  Message server_copy = make_message("mine", this->kCid, 60, "alice");
  server_copy.text = "server's";
  Message reacted = server_copy;
  reacted.updated_at = at_second(61);
  reacted.text = "newer";
  s.apply({UpsertMessages{this->kCid, {reacted}}});  // a newer copy first: the echo is replaced
  EXPECT_EQ(s.message("mine")->created_at, at_second(60));
  s.apply({UpsertMessages{.cid = this->kCid, .messages = {server_copy}, .arrived = true}});
  s.apply({UpsertMessages{.cid = this->kCid, .messages = {server_copy}, .arrived = true}});
  EXPECT_EQ(s.message("mine")->text, "newer");
  EXPECT_EQ(this->unread_of("bob"), 3) << "counted once, for the others only";
  EXPECT_EQ(this->unread_of("alice"), 0);

  // A new message from someone else counts for alice; a thread reply not shown in the channel,
  // or a silent message, does not.
  s.apply({UpsertMessages{.cid = this->kCid,
                          .messages = {make_message("hers", this->kCid, 200, "carol")},
                          .arrived = true}});
  Message reply = make_message("reply", this->kCid, 201, "carol");
  reply.parent_id = "hers";
  Message silent = make_message("silent", this->kCid, 202, "carol");
  silent.silent = true;
  s.apply({UpsertMessages{.cid = this->kCid, .messages = {reply, silent}, .arrived = true}});
  EXPECT_EQ(this->unread_of("alice"), 1);
  EXPECT_EQ(s.channel(this->kCid)->last_message_at, at_second(202));
  // A later reply that lives only in its thread leaves the channel's last message time.
  Message late_reply = make_message("late-reply", this->kCid, 300, "carol");
  late_reply.parent_id = "hers";
  s.apply({UpsertMessages{.cid = this->kCid, .messages = {late_reply}, .arrived = true}});
  EXPECT_EQ(s.channel(this->kCid)->last_message_at, at_second(202));
}

TYPED_TEST_P(PersistenceContract, UnreadCountsLeaveOutWhatStreamDoesAndCountMentions) {
  auto& s = this->store();
  this->seed();  // alice has read everything; bob has 2 unread
  this->seed("other");
  OwnUser me;
  static_cast<User&>(me) = make_user("alice");
  me.mutes = {Mute{.target = make_user("carol")}};
  s.set_connection_info({me});
  auto arrive = [&](Message m, std::vector<std::string> muted_by = {}) {
    s.apply({UpsertMessages{.cid = this->kCid,
                            .messages = {std::move(m)},
                            .arrived = true,
                            .muted_by = std::move(muted_by)}});
  };
  arrive(make_message("from-muted", this->kCid, 100, "carol"), {"alice"});
  EXPECT_EQ(this->unread_of("alice"), 0) << "the server had carol muted for alice";
  EXPECT_EQ(this->unread_of("bob"), 3);
  // The own user's mutes do not decide: they show mutes the server may not have yet.
  arrive(make_message("mute-not-there-yet", this->kCid, 100, "carol"));
  EXPECT_EQ(this->unread_of("alice"), 1);
  EXPECT_EQ(this->unread_of("bob"), 4);
  s.apply(
      {UpsertReads{
           this->kCid,
           {Read{.user = make_user("alice"), .last_read = at_second(100), .unread_messages = 0}}},
       UpsertReads{
           this->kCid,
           {Read{.user = make_user("bob"), .last_read = at_second(100), .unread_messages = 3}}}});
  Message system = make_message("system", this->kCid, 101, "dave");
  system.type = "system";
  Message shadowed = make_message("shadowed", this->kCid, 102, "dave");
  shadowed.shadowed = true;
  arrive(system);
  arrive(shadowed);
  EXPECT_EQ(this->unread_of("bob"), 3) << "system and shadowed messages count for nobody";
  Message mention = make_message("mention", this->kCid, 103, "dave");
  mention.mentioned_users = {make_user("alice")};
  arrive(mention);
  arrive(make_message("plain", this->kCid, 104, "dave"));
  EXPECT_EQ(this->unread_of("alice"), 2);
  auto own_read = [&] {
    for (const auto& read : s.reads(this->kCid))
      if (read.user.id == "alice") return read;
    return Read{};
  };
  EXPECT_EQ(own_read().unread_mentions, 1);
  EXPECT_EQ(s.unread_counts(),
            (UnreadCounts{.total_unread_count = 2, .unread_channels = 1, .unread_mentions = 1}));
  s.apply({UpsertMessages{
      .cid = make_cid("messaging", "other"),
      .messages = {make_message("elsewhere", make_cid("messaging", "other"), 105, "dave")},
      .arrived = true}});
  EXPECT_EQ(s.unread_counts(),
            (UnreadCounts{.total_unread_count = 3, .unread_channels = 2, .unread_mentions = 1}));
  // A muted channel leaves the totals; reading a channel takes its messages and mentions off.
  me.channel_mutes = {ChannelMute{.channel = make_channel("other", 30)}};
  s.set_connection_info({me});
  EXPECT_EQ(s.unread_counts(),
            (UnreadCounts{.total_unread_count = 2, .unread_channels = 1, .unread_mentions = 1}));
  s.apply({UpsertReads{
      this->kCid,
      {Read{.user = make_user("alice"), .last_read = at_second(200), .unread_messages = 0}}}});
  EXPECT_EQ(own_read().unread_mentions, 0);
  EXPECT_EQ(s.unread_counts(), UnreadCounts{});
}

// Defect: an answer to a query asked before bob read the channel, or before messages counted
// since, was stored after them and gave back the count from before.
TYPED_TEST_P(PersistenceContract, AReadOnlyMovesForward) {
  auto& s = this->store();
  this->seed();
  auto bobs = [&] {
    for (const auto& read : s.reads(this->kCid))
      if (read.user.id == "bob") return read;
    return Read{};
  };
  auto read = [](std::int64_t second, std::int64_t unread) {
    return Read{
        .user = make_user("bob"), .last_read = at_second(second), .unread_messages = unread};
  };
  s.apply({UpsertReads{this->kCid, {read(50, 0)}}});
  s.apply({UpsertMessages{.cid = this->kCid,
                          .messages = {make_message("after", this->kCid, 60, "carol")},
                          .arrived = true}});
  EXPECT_EQ(bobs().unread_messages, 1);
  s.apply({UpsertReads{this->kCid, {read(40, 7)}}});  // from before the read
  EXPECT_EQ(bobs().last_read, at_second(50));
  EXPECT_EQ(bobs().unread_messages, 1);
  s.apply({UpsertReads{this->kCid, {read(50, 0)}}});  // the same read, before the message
  EXPECT_EQ(bobs().unread_messages, 1);
  s.apply({UpsertReads{this->kCid, {read(50, 3)}}});  // the same read, after more messages
  EXPECT_EQ(bobs().unread_messages, 3);
  s.apply({UpsertReads{this->kCid, {read(70, 0)}}});  // a later read
  EXPECT_EQ(bobs().last_read, at_second(70));
  EXPECT_EQ(bobs().unread_messages, 0);
}

// Defect: a query's answer that left the server before a message arrived, stored after it,
// took the channel's last message time back, and the channel sank in every list.
TYPED_TEST_P(PersistenceContract, AnOlderCopyOfAChannelNeverTakesItsLastMessageTimeBack) {
  auto& s = this->store();
  this->seed();
  s.apply({UpsertMessages{.cid = this->kCid,
                          .messages = {make_message("late", this->kCid, 100, "bob")},
                          .arrived = true}});
  s.apply({UpsertChannels{{make_channel("general", 30)}}});
  EXPECT_EQ(s.channel(this->kCid)->last_message_at, at_second(100));
  EXPECT_EQ(s.channel_cids(1), std::vector<std::string>{this->kCid});
  // Truncation does take it back, to the newest message left.
  s.apply({TruncateChannel{this->kCid, at_second(25)}});
  EXPECT_EQ(s.channel(this->kCid)->last_message_at, at_second(100));
  s.apply({TruncateChannel{this->kCid, at_second(101)}});
  EXPECT_EQ(s.channel(this->kCid)->last_message_at, std::nullopt);
}

// A channel state whose reads count an echo (the answer to a query made once the server had
// the message) ends the echo: the message's arrival, stored after that answer (a catch-up holds
// the socket's events until its queries are stored), does not count it again.
TYPED_TEST_P(PersistenceContract, AnEchoCountedByAnAnswersReadsIsNotCountedAgain) {
  auto& s = this->store();
  this->seed();
  const Message echo = make_message("mine", this->kCid, 100, "alice");
  s.apply({UpsertMessages{.cid = this->kCid, .messages = {echo}, .echo = true}});
  const Read counted{.user = make_user("bob"), .last_read = at_second(50), .unread_messages = 3};
  s.apply({UpsertMessages{.cid = this->kCid, .messages = {echo}, .with_reads = true},
           UpsertReads{this->kCid, {counted}, true, std::nullopt}});
  EXPECT_EQ(this->unread_of("bob"), 3);
  s.apply({UpsertMessages{.cid = this->kCid, .messages = {echo}, .arrived = true}});
  EXPECT_EQ(this->unread_of("bob"), 3) << "counted once, by the answer";
}

TYPED_TEST_P(PersistenceContract, ANewMessageBringsAHiddenChannelBack) {
  auto& s = this->store();
  this->seed();
  s.apply({SetChannelHidden{.cid = this->kCid, .hidden = true}});
  Message reply = make_message("reply", this->kCid, 300, "carol");
  reply.parent_id = "general-m1";
  s.apply({UpsertMessages{.cid = this->kCid, .messages = {reply}, .arrived = true}});
  EXPECT_TRUE(s.channel(this->kCid)->hidden.value_or(false)) << "a reply in a thread does not";
  s.apply({UpsertMessages{.cid = this->kCid,
                          .messages = {make_message("news", this->kCid, 301, "carol")},
                          .arrived = true}});
  EXPECT_FALSE(s.channel(this->kCid)->hidden.value_or(true));
}

TYPED_TEST_P(PersistenceContract, APageThatJoinsNothingStoredLeavesAGapThatPagingFills) {
  auto& s = this->store();
  this->seed();  // m1, m2, m3 at 10, 20, 30 s
  const std::string cid = this->kCid;
  // Stores a page of messages at these seconds, as the server answered `page`.
  auto page = [&](MessagePagination asked, std::vector<std::pair<std::string, int>> at) {
    RecordPage record{.cid = cid, .page = std::move(asked)};
    std::vector<Message> messages;
    for (const auto& [id, second] : at) {
      record.messages.emplace_back(id, at_second(second));
      messages.push_back(make_message(id, cid, second));
    }
    s.apply({record, UpsertMessages{.cid = cid, .messages = std::move(messages)}});
  };
  auto gap = [](std::optional<int> after, std::optional<int> before) {
    return HistoryGap{.after = after ? std::optional(at_second(*after)) : std::nullopt,
                      .before = before ? std::optional(at_second(*before)) : std::nullopt};
  };
  EXPECT_TRUE(s.gaps(cid).empty());
  // The latest page, full, shares nothing with what is stored: between them, a gap.
  page({.limit = 2}, {{"n1", 100}, {"n2", 110}});
  EXPECT_EQ(s.gaps(cid), std::vector<HistoryGap>{gap(30, 100)});
  // The latest page again, overlapping what is stored: nothing new.
  page({.limit = 2}, {{"n2", 110}, {"n3", 120}});
  EXPECT_EQ(s.gaps(cid), std::vector<HistoryGap>{gap(30, 100)});
  // Paging back from n1 fills the gap from above...
  page({.limit = 2, .id_lt = "n1"}, {{"p1", 50}, {"p2", 60}});
  EXPECT_EQ(s.gaps(cid), std::vector<HistoryGap>{gap(30, 50)});
  // ...and a short page reaches the start of history: no gap is left.
  page({.limit = 5, .id_lt = "p1"}, {{"general-m3", 30}, {"q1", 40}});
  EXPECT_TRUE(s.gaps(cid).empty());
  // A page that asked for no messages tells nothing. Pages forward from messages not stored,
  // joining nothing, leave gaps on both sides where stored messages lie beyond them.
  page({.limit = 0}, {});
  page({.limit = 2, .id_gt = "gone"}, {{"f1", 200}, {"f2", 210}});
  EXPECT_EQ(s.gaps(cid), std::vector<HistoryGap>{gap(120, 200)});
  page({.limit = 2, .id_gt = "gone-too"}, {{"e1", 130}, {"e2", 140}});
  EXPECT_EQ(s.gaps(cid), (std::vector<HistoryGap>{gap(120, 130), gap(140, 200)}));
  // Deleting the channel takes its gaps along.
  s.apply({DeleteChannels{{cid}}});
  EXPECT_TRUE(s.gaps(cid).empty());
}

TYPED_TEST_P(PersistenceContract, AThreadKeepsGapsOfItsOwn) {
  auto& s = this->store();
  this->seed();  // m1, m2, m3 at 10, 20, 30 s
  const std::string cid = this->kCid, parent = "general-m1";
  // Stores a page of the thread's replies at these seconds, as the server answered `page`.
  auto page = [&](MessagePagination asked, std::vector<std::pair<std::string, int>> at) {
    RecordPage record{.cid = cid, .page = std::move(asked), .parent_id = parent};
    std::vector<Message> replies;
    for (const auto& [id, second] : at) {
      record.messages.emplace_back(id, at_second(second));
      replies.push_back(make_message(id, cid, second));
      replies.back().parent_id = parent;
    }
    s.apply({record, UpsertMessages{.cid = cid, .messages = std::move(replies)}});
  };
  auto gap = [](int after, int before) {
    return HistoryGap{.after = at_second(after), .before = at_second(before)};
  };
  page({.limit = 2, .id_gt = parent}, {{"r1", 40}, {"r2", 50}});
  EXPECT_TRUE(s.thread_gaps(cid, parent).empty());
  // The latest replies, joining none stored: a gap in the thread, none in the channel (whose
  // messages at 10..30 s are not the thread's).
  page({.limit = 2}, {{"r8", 100}, {"r9", 110}});
  EXPECT_EQ(s.thread_gaps(cid, parent), std::vector<HistoryGap>{gap(50, 100)});
  EXPECT_TRUE(s.gaps(cid).empty());
  EXPECT_TRUE(s.thread_gaps(cid, "general-m2").empty());
  // Paging back fills it; a channel page does not touch it.
  page({.limit = 5, .id_lt = "r8"}, {{"r2", 50}, {"r3", 60}});
  EXPECT_TRUE(s.thread_gaps(cid, parent).empty());
  page({.limit = 2}, {{"r9", 110}, {"r10", 120}});
  RecordPage channel_page{.cid = cid, .page = {.limit = 1}};
  channel_page.messages.emplace_back("general-m3", at_second(30));
  s.apply({channel_page});
  EXPECT_TRUE(s.thread_gaps(cid, parent).empty());
  // Deleting the channel takes them along.
  page({.limit = 2}, {{"r20", 200}, {"r21", 210}});
  EXPECT_EQ(s.thread_gaps(cid, parent).size(), 1u);
  s.apply({DeleteChannels{{cid}}});
  EXPECT_TRUE(s.thread_gaps(cid, parent).empty());
}

TYPED_TEST_P(PersistenceContract, AReplyThatArrivesCountsOnItsParentOnce) {
  auto& s = this->store();
  this->seed();
  const std::string cid = this->kCid;
  Message reply = make_message("reply-1", cid, 40);
  reply.parent_id = "general-m1";
  s.apply({UpsertMessages{.cid = cid, .messages = {reply}, .arrived = true}});
  EXPECT_EQ(s.message("general-m1")->reply_count.value_or(0), 1);
  // The same reply again (a reconnect's catch-up), or edited: counted already.
  s.apply({UpsertMessages{.cid = cid, .messages = {reply}, .arrived = true}});
  reply.text = "edited";
  reply.updated_at = at_second(45);
  s.apply({UpsertMessages{.cid = cid, .messages = {reply}, .arrived = true}});
  EXPECT_EQ(s.message("general-m1")->reply_count.value_or(0), 1);
  // A reply stored from a page (not an arrival) leaves the parent to the server's own count.
  Message paged = make_message("reply-0", cid, 35);
  paged.parent_id = "general-m1";
  s.apply({UpsertMessages{.cid = cid, .messages = {paged}}});
  EXPECT_EQ(s.message("general-m1")->reply_count.value_or(0), 1);
  // A reply naming a message of another channel as its parent counts on nothing.
  s.apply({UpsertChannels{{make_channel("elsewhere")}}});
  Message stray = make_message("stray", "messaging:elsewhere", 46);
  stray.parent_id = "general-m1";
  s.apply({UpsertMessages{.cid = "messaging:elsewhere", .messages = {stray}, .arrived = true}});
  EXPECT_EQ(s.message("general-m1")->reply_count.value_or(0), 1);
  // The server's copy of the parent is the truth.
  Message parent = *s.message("general-m1");
  parent.reply_count = 2;
  parent.updated_at = at_second(50);
  s.apply({UpsertMessages{.cid = cid, .messages = {parent}}});
  EXPECT_EQ(s.message("general-m1")->reply_count, 2);
}

TYPED_TEST_P(PersistenceContract, APendingReplyCountsOnEveryCopyOfItsParent) {
  auto& s = this->store();
  this->seed();
  OutboxEntry reply = make_entry(this->kCid, "reply-1", OutboxKind::send_message);
  reply.payload = {{"message", {{"id", "reply-1"}, {"parent_id", "general-m1"}}}};
  const auto ids = s.apply({AddOutboxEntry{reply}}).outbox_ids;
  Message parent = *s.message("general-m1");
  parent.updated_at = at_second(500);
  parent.reply_count = 0;
  s.apply({UpsertMessages{this->kCid, {parent}}});
  EXPECT_EQ(s.message("general-m1")->reply_count, 1) << "the server's copy, and the reply to come";
  // Delivered: the server's copy counts it itself.
  s.apply({RemoveOutboxEntry{ids.at(0)}});
  parent.updated_at = at_second(501);
  parent.reply_count = 1;
  s.apply({UpsertMessages{this->kCid, {parent}}});
  EXPECT_EQ(s.message("general-m1")->reply_count, 1);
}

TYPED_TEST_P(PersistenceContract, PendingActionsAreReplayedOnEveryCopy) {
  auto& s = this->store();
  this->seed();
  const Message stored = *s.message("general-m3");
  OutboxEntry edit = make_entry(this->kCid, "general-m3", OutboxKind::update_message);
  edit.payload = {{"message", {{"id", "general-m3"}, {"text", "alice's edit"}}}};
  OutboxEntry like = make_entry(this->kCid, "general-m3", OutboxKind::send_reaction);
  like.payload = {{"reaction", {{"type", "like"}}}};
  const auto entries = s.apply({AddOutboxEntry{edit}, AddOutboxEntry{like}}).outbox_ids;
  ASSERT_EQ(entries.size(), 2u);

  Message newer = stored;
  newer.updated_at = at_second(500);
  newer.reaction_counts = std::map<std::string, std::int64_t>{{"wow", 1}};
  s.apply({UpsertMessages{this->kCid, {newer}}});
  auto shown = s.message("general-m3");
  EXPECT_EQ(shown->text, "alice's edit");
  EXPECT_EQ(shown->reaction_counts, (std::map<std::string, std::int64_t>{{"like", 1}, {"wow", 1}}));
  EXPECT_EQ(shown->local_state, LocalState::queued);
  s.apply({UpsertMessages{this->kCid, {newer}}});
  EXPECT_EQ(s.message("general-m3")->text, "alice's edit");

  // Delivered: the answer comes after its entry is removed; the like is replayed on it.
  Message answer = newer;
  answer.text = "as the server has it";
  answer.updated_at = at_second(501);
  s.apply({RemoveOutboxEntry{entries[0]},
           UpsertMessages{.cid = this->kCid, .messages = {answer}, .answer = true}});
  shown = s.message("general-m3");
  EXPECT_EQ(shown->text, "as the server has it");
  EXPECT_EQ(shown->reaction_counts->at("like"), 1);

  // A pending hard deletion keeps every copy out; the batch's other copies are stored.
  OutboxEntry gone = make_entry(this->kCid, "general-m2", OutboxKind::delete_message);
  gone.payload = {{"hard", true}};
  Message m2 = *s.message("general-m2");
  s.apply({DeleteMessages{.which = DeleteMessages::ByIds{{"general-m2"}}, .hard = true},
           AddOutboxEntry{gone}});
  m2.updated_at = at_second(600);
  Message m1 = *s.message("general-m1");
  m1.text = "m1 again";
  m1.updated_at = at_second(600);
  s.apply({UpsertMessages{this->kCid, {m2, m1}}});
  EXPECT_FALSE(s.message("general-m2"));
  EXPECT_EQ(s.message("general-m1")->text, "m1 again");
}

TYPED_TEST_P(PersistenceContract, ReactionsFollowTheirMessagesVersion) {
  auto& s = this->store();
  this->seed();
  Message newer = make_message("general-m1", this->kCid, 10);
  newer.updated_at = at_second(50);
  s.apply({UpsertMessages{this->kCid, {newer}}});
  // Changes that came with an older copy than the stored one are skipped.
  s.apply({DeleteReaction{"general-m1", "alice", "like", at_second(40)},
           UpsertReactions{{make_reaction("general-m1", "alice", "wow")}, at_second(40)}});
  EXPECT_EQ(s.message("general-m1")->own_reactions->size(), 1u);
  EXPECT_EQ(s.message("general-m1")->own_reactions->at(0).type, "like");
  // Those of the stored version, or without one, apply.
  s.apply({ReplaceReactions{
      "general-m1",
      "alice",
      {make_reaction("general-m1", "alice", "sad"), make_reaction("general-m1", "alice", "wow")},
      at_second(50)}});
  std::vector<std::string> types;
  const auto replaced = s.message("general-m1");
  for (const auto& r : *replaced->own_reactions)
    types.push_back(r.type);
  std::sort(types.begin(), types.end());
  EXPECT_EQ(types, (std::vector<std::string>{"sad", "wow"}));
  s.apply({DeleteReaction{"general-m1", "alice", "sad", std::nullopt}});
  EXPECT_EQ(s.message("general-m1")->own_reactions->size(), 1u);
  // A reaction to a message not stored is skipped, and bob's are not alice's own.
  s.apply({UpsertReactions{{make_reaction("nowhere", "alice", "like")}}});
  EXPECT_FALSE(s.message("nowhere"));
  EXPECT_EQ(s.message("general-m3")->own_reactions->size(), 0u);
}

// --- members, reads, deletes -------------------------------------------------------------------

TYPED_TEST_P(PersistenceContract, AReadComesAndGoesWithItsMember) {
  auto& s = this->store();
  this->seed();
  s.apply({UpsertMembers{this->kCid, {make_member("carol", 5)}}});
  EXPECT_EQ(this->unread_of("carol"), 0);
  std::vector<std::string> members;
  for (const auto& m : s.members(this->kCid))
    members.push_back(m.id());
  EXPECT_EQ(members, (std::vector<std::string>{"alice", "bob", "carol"})) << "by joining time";
  s.apply({UpsertMembers{this->kCid, {make_member("bob", 2)}}});
  EXPECT_EQ(this->unread_of("bob"), 2) << "a known member keeps their read";
  s.apply({DeleteMembers{this->kCid, {"bob"}}});
  EXPECT_EQ(s.members(this->kCid).size(), 2u);
  EXPECT_EQ(this->unread_of("bob"), -1);
  s.apply({MarkAllRead{"carol", at_second(900)}});
  for (const auto& read : s.reads(this->kCid)) {
    if (read.user.id == "carol") {
      EXPECT_EQ(read.last_read, at_second(900));
    }
  }
}

// An answer the server wrote before a member left can be stored after the news of it: their
// departure is remembered, and only a copy of them made after it brings them back.
TYPED_TEST_P(PersistenceContract, AMemberWhoLeftComesBackOnlyWithALaterCopy) {
  auto& s = this->store();
  this->seed();
  auto has = [&](const std::string& id) {
    const auto members = s.members(this->kCid);
    return std::any_of(members.begin(), members.end(),
                       [&](const Member& m) { return m.id() == id; });
  };
  s.apply({DeleteMembers{this->kCid, {"bob"}, at_second(100)}});
  Read stale_read{.user = make_user("bob"), .last_read = at_second(90), .unread_messages = 3};
  s.apply({UpsertMembers{this->kCid, {make_member("bob", 100)}},
           UpsertReads{this->kCid, {stale_read}}});
  EXPECT_FALSE(has("bob")) << "a copy from no later than the departure";
  EXPECT_EQ(this->unread_of("bob"), -1) << "nor the read of who is no member";
  Member timeless{.user_id = "bob", .user = make_user("bob")};
  s.apply({UpsertMembers{this->kCid, {timeless}}});
  EXPECT_FALSE(has("bob")) << "a copy without a time proves nothing";
  s.apply({UpsertMembers{this->kCid, {make_member("bob", 101)}}});
  EXPECT_TRUE(has("bob")) << "back with a later copy";
  EXPECT_EQ(this->unread_of("bob"), 0);
  s.apply({UpsertMembers{this->kCid, {make_member("bob", 50)}}});
  EXPECT_TRUE(has("bob")) << "and then the departure is forgotten";
  s.apply({DeleteMembers{this->kCid, {"bob"}}});
  s.apply({UpsertMembers{this->kCid, {make_member("bob", 1)}}});
  EXPECT_TRUE(has("bob")) << "a deletion without a time is not remembered";
  s.apply({DeleteMembers{this->kCid, {"bob"}, at_second(200)}, DeleteChannels{{this->kCid}}});
  this->seed();
  EXPECT_TRUE(has("bob")) << "a departure goes with its channel";
}

// An answer the server wrote before the channel's truncation can be stored after it: its
// messages from before the truncation stay out, and its reads (counting them) move last_read
// forward only. Copies made after it count as ever.
TYPED_TEST_P(PersistenceContract, ATruncationKeepsOutOlderCopiesOfWhatItTook) {
  auto& s = this->store();
  this->seed();
  Channel truncated = make_channel("general", 30);
  truncated.truncated_at = at_second(25);
  s.apply({UpsertChannels{{truncated}, true}, TruncateChannel{this->kCid, at_second(25), true}});
  EXPECT_EQ(this->ids(s.messages(this->kCid, {})), std::vector<std::string>{"general-m3"});
  EXPECT_EQ(this->unread_of("bob"), 0);

  Read stale{.user = make_user("bob"), .last_read = at_second(5), .unread_messages = 2};
  s.apply({UpsertChannels{{make_channel("general", 30)}},
           UpsertMessages{this->kCid, {make_message("general-m1", this->kCid, 10)}},
           UpsertReads{this->kCid, {stale}, true, std::nullopt}});
  EXPECT_FALSE(s.message("general-m1")) << "the truncation took it";
  EXPECT_EQ(s.channel(this->kCid)->truncated_at, at_second(25)) << "never taken back";
  EXPECT_EQ(this->unread_of("bob"), 0);
  for (const auto& read : s.reads(this->kCid)) {
    if (read.user.id == "bob") {
      EXPECT_EQ(read.last_read, at_second(5)) << "moved forward";
    }
  }

  Read later = stale;
  later.unread_messages = 1;
  s.apply({UpsertMessages{this->kCid, {make_message("general-m4", this->kCid, 26)}},
           UpsertReads{this->kCid, {later}, true, at_second(25)}});
  EXPECT_TRUE(s.message("general-m4"));
  EXPECT_EQ(this->unread_of("bob"), 1) << "a copy made after the truncation counts";
  s.apply({UpsertMessages{.cid = this->kCid,
                          .messages = {make_message("general-m0", this->kCid, 1, "alice")},
                          .echo = true}});
  EXPECT_TRUE(s.message("general-m0")) << "the user's own echo is no copy of the server's";
  // An arrival is new by the server's word, whatever its time: a truncated_at from a server
  // clock that ran ahead must not keep out every message after it.
  s.apply({UpsertMessages{.cid = this->kCid,
                          .messages = {make_message("general-m5", this->kCid, 24)},
                          .arrived = true}});
  EXPECT_TRUE(s.message("general-m5"));
}

TYPED_TEST_P(PersistenceContract, HardAndSoftDeletesAndTruncation) {
  auto& s = this->store();
  this->seed();
  this->seed("random");
  s.apply({DeleteMessages{.which = DeleteMessages::ByIds{{"general-m1"}}, .hard = true}});
  EXPECT_FALSE(s.message("general-m1"));
  s.apply({UpsertMessages{this->kCid, {make_message("general-m1", this->kCid, 10)}}});
  EXPECT_EQ(s.message("general-m1")->own_reactions->size(), 0u) << "its reactions went with it";
  s.apply({DeleteMessages{
      .which = DeleteMessages::ByIds{{"general-m2"}}, .hard = false, .deleted_at = at_second(99)}});
  EXPECT_EQ(s.message("general-m2")->type, "deleted");
  EXPECT_EQ(s.message("general-m2")->deleted_at, at_second(99));
  s.apply({DeleteMessages{.which = DeleteMessages::ByUser{"bob", "messaging:random"}}});
  EXPECT_EQ(this->ids(s.messages("messaging:random", {})), std::vector<std::string>{"random-m2"});
  EXPECT_TRUE(s.message("general-m3")) << "only in the channel named";
  s.apply({DeleteMessages{.which = DeleteMessages::ByChannels{{"messaging:random"}}}});
  EXPECT_TRUE(s.messages("messaging:random", {}).empty());
  s.apply({TruncateChannel{this->kCid, at_second(30)}});
  EXPECT_EQ(this->ids(s.messages(this->kCid, {})), std::vector<std::string>{"general-m3"});
  s.apply({TruncateChannel{this->kCid, std::nullopt}});
  EXPECT_TRUE(s.messages(this->kCid, {}).empty());
}

// A truncation of the channel leaves nobody anything unread; one user's clearing of her history
// leaves the others' counts alone.
TYPED_TEST_P(PersistenceContract, ATruncationForEveryoneLeavesNothingUnread) {
  auto& s = this->store();
  this->seed();
  s.apply({UpsertReads{
      this->kCid,
      {Read{.user = make_user("bob"), .last_read = at_second(1), .unread_messages = 4},
       Read{.user = make_user("alice"), .last_read = at_second(1), .unread_messages = 3}}}});
  auto bobs = [&] { return this->unread_of("bob"); };
  // The connected user's clearing of her own history (hiding with clear_history) leaves nothing
  // unread for her, as the server counts, and everyone else's count as it was.
  s.apply({TruncateChannel{this->kCid, at_second(2)}});
  EXPECT_EQ(bobs(), 4);
  EXPECT_EQ(this->unread_of("alice"), 0);
  s.apply({TruncateChannel{this->kCid, at_second(3), true}});
  EXPECT_EQ(bobs(), 0);
  // A message whose send is still queued reaches the server after the truncation: it stays.
  s.apply({UpsertMessages{this->kCid, {make_message("unsent", this->kCid, 5, "alice")}},
           AddOutboxEntry{make_entry(this->kCid, "unsent")}});
  s.apply({TruncateChannel{this->kCid, at_second(10), true}});
  EXPECT_TRUE(s.message("unsent"));
}

TYPED_TEST_P(PersistenceContract, DeletingAChannelTakesWhatIsUnderItButNotTheOutbox) {
  auto& s = this->store();
  this->seed();
  this->seed("random");
  s.apply({UpsertDrafts{{Draft{.cid = this->kCid,
                               .message = Message{.id = "d", .text = "draft"},
                               .created_at = at_second(1)}}},
           SaveChannelQuery{{}, {}, {this->kCid, "messaging:random"}},
           AddOutboxEntry{make_entry(this->kCid, "general-m1")}});
  s.apply({DeleteChannels{{this->kCid}}});
  EXPECT_FALSE(s.channel(this->kCid));
  EXPECT_FALSE(s.message("general-m1"));
  EXPECT_TRUE(s.members(this->kCid).empty());
  EXPECT_TRUE(s.reads(this->kCid).empty());
  EXPECT_FALSE(s.draft(this->kCid, std::nullopt));
  EXPECT_EQ(s.outbox(0, 10).size(), 1u);
  auto cached = s.query_channels({}, {}, 0, 10, 0);
  ASSERT_TRUE(cached);
  ASSERT_EQ(cached->size(), 1u);
  EXPECT_EQ(cached->at(0).channel.cid, "messaging:random");
  EXPECT_TRUE(s.message("random-m1"));
}

TYPED_TEST_P(PersistenceContract, DraftsOnePerChannelAndPerThread) {
  auto& s = this->store();
  s.apply({UpsertDrafts{{Draft{.cid = this->kCid,
                               .message = Message{.id = "d1", .text = "channel draft"},
                               .created_at = at_second(1)},
                         Draft{.cid = this->kCid,
                               .parent_id = "p",
                               .message = Message{.id = "d2", .text = "thread draft"},
                               .created_at = at_second(2)}}}});
  EXPECT_EQ(s.draft(this->kCid, std::nullopt)->message.text, "channel draft");
  EXPECT_EQ(s.draft(this->kCid, "p")->message.text, "thread draft");
  EXPECT_EQ(s.draft(this->kCid, "p")->created_at, at_second(2));
  // The newest write wins, by when it was written, whatever the order of arrival.
  s.apply({UpsertDrafts{{Draft{.cid = this->kCid,
                               .parent_id = "p",
                               .message = Message{.id = "d0", .text = "older, late"},
                               .created_at = at_second(1)}}}});
  EXPECT_EQ(s.draft(this->kCid, "p")->message.text, "thread draft");
  s.apply({DeleteDraft{this->kCid, "p"}});
  EXPECT_FALSE(s.draft(this->kCid, "p"));
  EXPECT_TRUE(s.draft(this->kCid, std::nullopt));
}

// --- paging ------------------------------------------------------------------------------------

TYPED_TEST_P(PersistenceContract, PagesAreInTimeOrderAroundAnyCursor) {
  auto& s = this->store();
  std::vector<Message> batch;
  for (int i = 0; i < 10; ++i)
    batch.push_back(make_message("p" + std::to_string(i), this->kCid, 100 + i));
  // Two more at the time of p5, stored after it: ties keep the order they were first stored in,
  // whatever the order of later copies.
  batch.push_back(make_message("t1", this->kCid, 105));
  batch.push_back(make_message("t2", this->kCid, 105));
  s.apply({UpsertMessages{this->kCid, batch}});
  s.apply({UpsertMessages{this->kCid, {batch[11], batch[10], batch[5]}}});
  using V = std::vector<std::string>;
  EXPECT_EQ(this->ids(s.messages(this->kCid, {.limit = 3})), (V{"p7", "p8", "p9"}));
  EXPECT_EQ(s.messages(this->kCid, {}).size(), 12u) << "25 by default";
  EXPECT_TRUE(s.messages(this->kCid, {.limit = 0}).empty());
  EXPECT_EQ(this->ids(s.messages(this->kCid, {.limit = 3, .id_lt = "p7"})), (V{"t1", "t2", "p6"}));
  EXPECT_EQ(this->ids(s.messages(this->kCid, {.limit = 2, .id_lte = "p7"})), (V{"p6", "p7"}));
  EXPECT_EQ(this->ids(s.messages(this->kCid, {.limit = 2, .id_gt = "p2"})), (V{"p3", "p4"}));
  EXPECT_EQ(this->ids(s.messages(this->kCid, {.limit = 2, .id_gte = "p2"})), (V{"p2", "p3"}));
  EXPECT_EQ(this->ids(s.messages(this->kCid, {.limit = 5, .id_around = "t1"})),
            (V{"p4", "p5", "t1", "t2", "p6"}));
  EXPECT_EQ(this->ids(s.messages(this->kCid, {.limit = 4, .id_around = "p5"})),
            (V{"p4", "p5", "t1", "t2"}))
      << "fewer before the cursor than after it";
  EXPECT_EQ(this->ids(s.messages(this->kCid, {.limit = 4, .id_around = "p0"})),
            (V{"p0", "p1", "p2", "p3"}));
  EXPECT_EQ(this->ids(s.messages(this->kCid, {.limit = 3, .id_around = "p9"})),
            (V{"p7", "p8", "p9"}));
  EXPECT_TRUE(s.messages(this->kCid, {.id_lt = "unknown"}).empty());
  EXPECT_TRUE(s.messages(this->kCid, {.id_around = "unknown"}).empty());
  // Defect: the SQLite store reserved room for the limit asked, and a window reading "all after
  // this message" asked for a million: a second of allocation, under ASan ten.
  EXPECT_EQ(this->ids(s.messages(this->kCid, {.limit = INT64_MAX / 1024, .id_gte = "p8"})),
            (std::vector<std::string>{"p8", "p9"}));
}

TYPED_TEST_P(PersistenceContract, ThreadsAndPinsHaveTheirOwnPages) {
  auto& s = this->store();
  this->seed();
  Message reply = make_message("reply", this->kCid, 40);
  reply.parent_id = "general-m1";
  Message shown = make_message("shown", this->kCid, 41);
  shown.parent_id = "general-m1";
  shown.show_in_channel = true;
  Message pinned = make_message("general-m2", this->kCid, 20, "alice");
  pinned.pinned = true;
  s.apply({UpsertMessages{this->kCid, {reply, shown, pinned}}});
  using V = std::vector<std::string>;
  EXPECT_EQ(this->ids(s.messages(this->kCid, {})),
            (V{"general-m1", "general-m2", "general-m3", "shown"}));
  EXPECT_EQ(this->ids(s.replies("general-m1", {})), (V{"reply", "shown"}));
  EXPECT_EQ(this->ids(s.pinned_messages(this->kCid, {})), V{"general-m2"});
  EXPECT_EQ(this->ids(*s.channel_state(this->kCid, {})->pinned_messages), V{"general-m2"});
}

// --- the query cache ---------------------------------------------------------------------------

TYPED_TEST_P(PersistenceContract, AQueryAnswersFromTheCacheInItsSortOrder) {
  auto& s = this->store();
  const Filter filter = Filter::eq("type", "messaging");
  const Sort by_last_message{{.field = "last_message_at"}};
  EXPECT_EQ(s.query_channels(filter, by_last_message, 0, 10, 5), std::nullopt) << "never saved";
  s.apply({UpsertChannels{{make_channel("a", 10), make_channel("b", 30), make_channel("c", 20)}},
           SaveChannelQuery{filter, by_last_message, {"messaging:b", "messaging:c"}}});
  s.apply({SaveChannelQuery{filter,
                            by_last_message,
                            {"messaging:c", "messaging:a"},
                            /*append=*/true}});
  auto cids = [&](std::size_t offset, std::size_t limit) {
    std::vector<std::string> out;
    const auto states = s.query_channels(filter, by_last_message, offset, limit, 1);
    for (const auto& state : *states)
      out.push_back(state.channel.cid);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(cids(0, 10), (V{"messaging:b", "messaging:c", "messaging:a"}));
  // A new message moves its channel up at once, by what is cached now.
  s.apply({UpsertMessages{.cid = "messaging:a",
                          .messages = {make_message("new", "messaging:a", 40)},
                          .arrived = true}});
  EXPECT_EQ(cids(0, 10), (V{"messaging:a", "messaging:b", "messaging:c"}));
  EXPECT_EQ(cids(1, 1), V{"messaging:b"});
  auto first = s.query_channels(filter, by_last_message, 0, 1, 1);
  EXPECT_EQ(first->at(0).messages->size(), 1u) << "message_limit";
  // A sort field only the server knows keeps the server's order; a replaced answer replaces.
  const Sort by_server{{.field = "custom_rank"}};
  s.apply({SaveChannelQuery{filter, by_server, {"messaging:c", "messaging:a", "messaging:b"}}});
  std::vector<std::string> server_order;
  const auto states = s.query_channels(filter, by_server, 0, 10, 0);
  for (const auto& state : *states)
    server_order.push_back(state.channel.cid);
  EXPECT_EQ(server_order, (V{"messaging:c", "messaging:a", "messaging:b"}));
  s.apply({SaveChannelQuery{filter, by_server, {"messaging:b"}}});
  EXPECT_EQ(s.query_channels(filter, by_server, 0, 10, 0)->size(), 1u);
}

// --- connection state ------------------------------------------------------------------------

TYPED_TEST_P(PersistenceContract, ConnectionInfoUnreadTotalsAndTheCheckpoint) {
  auto& s = this->store();
  EXPECT_EQ(s.connection_info(), std::nullopt);
  EXPECT_EQ(s.last_sync_at(), std::nullopt);
  OwnUser me;
  static_cast<User&>(me) = make_user("alice");
  me.total_unread_count = 4;
  me.unread_channels = 2;
  s.set_connection_info({me});
  s.apply({SetUnreadCounts{.unread_channels = 5}});
  s.apply({SetUnreadCounts{.total_unread_count = 7}});
  auto info = s.connection_info();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->own_user.name, "User alice");
  EXPECT_EQ(info->own_user.total_unread_count, 7);
  EXPECT_EQ(info->own_user.unread_channels, 5) << "an absent total is left as it is";
  const Timestamp precise = *Timestamp::parse("2026-05-01T10:00:00.123456789Z");
  s.set_last_sync_at(precise);
  EXPECT_EQ(s.last_sync_at(), precise);
}

// --- the outbox and leases ---------------------------------------------------------------------

TYPED_TEST_P(PersistenceContract, OutboxEntriesInTheOrderTheyWereMade) {
  auto& s = this->store();
  this->seed();
  const auto ids =
      s.apply({AddOutboxEntry{make_entry(this->kCid, "general-m1", OutboxKind::update_message)},
               AddOutboxEntry{make_entry(this->kCid, "general-m1", OutboxKind::send_reaction)},
               AddOutboxEntry{make_entry(this->kCid, "", OutboxKind::mark_read)}})
          .outbox_ids;
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_LT(ids[0], ids[1]);
  EXPECT_LT(ids[1], ids[2]);
  EXPECT_EQ(s.outbox(0, 10).size(), 3u);
  EXPECT_EQ(s.outbox(ids[0], 1).at(0).id, ids[1]);
  EXPECT_EQ(s.outbox(0, 10).at(2).kind, OutboxKind::mark_read);
  EXPECT_EQ(s.message("general-m1")->local_state, LocalState::queued);

  // The older entry fails and the newer one is in flight: the message shows the failure.
  s.apply({UpdateOutboxEntry{.id = ids[0],
                             .state = OutboxState::failed,
                             .attempts = 3,
                             .error = "refused",
                             .payload = boost::json::object{{"changed", true}}},
           UpdateOutboxEntry{.id = ids[1], .state = OutboxState::sending, .attempts = 1},
           UpdateOutboxEntry{.id = 999999}});  // an entry already gone is no error
  auto entries = s.outbox(0, 10);
  EXPECT_EQ(entries[0].state, OutboxState::failed);
  EXPECT_EQ(entries[0].attempts, 3);
  EXPECT_EQ(entries[0].error, "refused");
  EXPECT_EQ(entries[0].payload, (boost::json::object{{"changed", true}}));
  EXPECT_EQ(entries[1].payload, make_entry(this->kCid, "general-m1").payload) << "kept";
  auto m1 = s.message("general-m1");
  EXPECT_EQ(m1->local_state, LocalState::failed) << "the most pressing entry's state";
  EXPECT_EQ(m1->local_error, "refused");
  s.apply({RemoveOutboxEntry{ids[0]}});
  EXPECT_EQ(s.message("general-m1")->local_state, LocalState::sending);
  EXPECT_EQ(s.message("general-m1")->local_error, std::nullopt);
  s.apply({RemoveOutboxEntry{ids[1]}, RemoveOutboxEntry{ids[2]}});
  EXPECT_FALSE(s.message("general-m1")->local_state);
  const auto next = s.apply({AddOutboxEntry{make_entry(this->kCid, "x")}}).outbox_ids;
  EXPECT_GT(next.at(0), ids[2]) << "ids are never reused";
}

TYPED_TEST_P(PersistenceContract, ALeaseHasOneHolderUntilItRunsOut) {
  auto& s = this->store();
  EXPECT_TRUE(s.acquire_lease("outbox", "app", at_second(0), at_second(30)));
  EXPECT_FALSE(s.acquire_lease("outbox", "agent", at_second(10), at_second(40)));
  EXPECT_TRUE(s.acquire_lease("other", "agent", at_second(10), at_second(40)))
      << "leases are by name";
  EXPECT_TRUE(s.acquire_lease("outbox", "app", at_second(20), at_second(50))) << "renewed";
  EXPECT_FALSE(s.acquire_lease("outbox", "agent", at_second(40), at_second(70)));
  EXPECT_TRUE(s.acquire_lease("outbox", "agent", at_second(51), at_second(80))) << "ran out";
  EXPECT_FALSE(s.acquire_lease("outbox", "app", at_second(60), at_second(90)));
  s.release_lease("outbox", "app");  // not the holder: nothing changes
  EXPECT_FALSE(s.acquire_lease("outbox", "app", at_second(60), at_second(90)));
  s.release_lease("outbox", "agent");
  EXPECT_TRUE(s.acquire_lease("outbox", "app", at_second(60), at_second(90)));
}

// --- uploads -----------------------------------------------------------------------------------

TYPED_TEST_P(PersistenceContract, UploadsAreKeptByChannelAndContentAndShownOnTheirMessage) {
  auto& s = this->store();
  this->seed();
  EXPECT_EQ(s.uploaded_url(this->kCid, "h1"), std::nullopt);
  s.apply({RecordUpload{.cid = this->kCid, .sha256 = "h1", .url = "http://files/1"}});
  EXPECT_EQ(s.uploaded_url(this->kCid, "h1"), "http://files/1");
  EXPECT_EQ(s.uploaded_url("messaging:other", "h1"), std::nullopt) << "by channel";
  s.apply({RecordUpload{.cid = this->kCid, .sha256 = "h1", .url = "http://files/2"}});
  EXPECT_EQ(s.uploaded_url(this->kCid, "h1"), "http://files/2") << "the latest";
  s.apply({RecordUpload{.cid = "messaging:other", .sha256 = "h1", .url = "http://files/2"},
           ForgetUpload{.cid = this->kCid, .url = "http://files/2"}});
  EXPECT_EQ(s.uploaded_url(this->kCid, "h1"), std::nullopt) << "taken back";
  EXPECT_EQ(s.uploaded_url("messaging:other", "h1"), "http://files/2") << "by channel";

  // A local attachment (its key in extra) shows where its upload entry stands.
  Message m = *s.message("general-m2");
  Attachment photo{.type = "image"};
  photo.extra["chatkeep_upload"] = "k1";
  Attachment plain{.type = "file", .asset_url = "http://files/plain"};
  m.attachments = std::vector<Attachment>{photo, plain};
  OutboxEntry upload = make_entry(this->kCid, "general-m2", OutboxKind::upload_attachment);
  upload.payload = {{"key", "k1"},        {"sha256", "h2"},           {"size", 5},
                    {"name", "a.png"},    {"mime_type", "image/png"}, {"image", true},
                    {"path", "/cache/k1"}};
  const auto ids = s.apply({UpsertMessages{.cid = this->kCid, .messages = {m}, .echo = true},
                            AddOutboxEntry{upload}})
                       .outbox_ids;
  auto shown = s.message("general-m2")->attachments.value();
  ASSERT_EQ(shown.size(), 2u);
  ASSERT_TRUE(shown[0].upload);
  EXPECT_EQ(shown[0].upload->key, "k1");
  EXPECT_EQ(shown[0].upload->state, UploadState::queued);
  EXPECT_EQ(shown[0].upload->local_file, "/cache/k1");
  EXPECT_EQ(shown[0].upload->bytes_total, 5);
  EXPECT_FALSE(shown[1].upload) << "an attachment of the server's has no upload";
  s.apply({UpdateOutboxEntry{.id = ids.at(0), .state = OutboxState::sending, .attempts = 1}});
  EXPECT_EQ(s.message("general-m2")->attachments->at(0).upload->state, UploadState::uploading);
  s.apply({UpdateOutboxEntry{
      .id = ids.at(0), .state = OutboxState::failed, .attempts = 2, .error = "too large"}});
  EXPECT_EQ(s.message("general-m2")->attachments->at(0).upload->state, UploadState::failed);
  EXPECT_EQ(s.message("general-m2")->attachments->at(0).upload->error, "too large");
  m.attachments->at(0).image_url = "http://files/k1";
  s.apply({RemoveOutboxEntry{ids.at(0)},
           UpsertMessages{.cid = this->kCid, .messages = {m}, .echo = true}});
  shown = s.message("general-m2")->attachments.value();
  EXPECT_EQ(shown[0].upload->state, UploadState::done);
  EXPECT_EQ(shown[0].image_url, "http://files/k1");
  EXPECT_FALSE(s.message("general-m2")->local_state);
}

// --- flush -------------------------------------------------------------------------------------

TYPED_TEST_P(PersistenceContract, FlushEmptiesEverythingAndStaysUsable) {
  auto& s = this->store();
  this->seed();
  s.apply({AddOutboxEntry{make_entry(this->kCid, "general-m1")},
           AddOutboxEntry{make_entry(this->kCid, "general-m2")},
           SaveChannelQuery{{}, {}, {this->kCid}}, SetLastSyncAt{at_second(5)},
           RecordUpload{.cid = this->kCid, .sha256 = "h", .url = "http://files/h"}});
  OwnUser me;
  me.id = "alice";
  s.set_connection_info({me});
  ASSERT_TRUE(s.acquire_lease("outbox", "app", at_second(0), at_second(30)));
  EXPECT_EQ(s.flush().discarded_outbox_entries, 2);
  EXPECT_TRUE(s.channel_cids(10).empty());
  EXPECT_FALSE(s.message("general-m1"));
  EXPECT_TRUE(s.outbox(0, 10).empty());
  EXPECT_FALSE(s.query_channels({}, {}, 0, 10, 0));
  EXPECT_FALSE(s.connection_info());
  EXPECT_FALSE(s.last_sync_at());
  EXPECT_FALSE(s.uploaded_url(this->kCid, "h"));
  EXPECT_TRUE(s.acquire_lease("outbox", "agent", at_second(1), at_second(30)));
  EXPECT_TRUE(s.is_connected());
  s.set_last_sync_at(at_second(9));
  EXPECT_EQ(s.last_sync_at(), at_second(9));
  this->seed();
  EXPECT_EQ(s.disconnect(/*flush=*/true).discarded_outbox_entries, 0);
  s.connect("alice");
  EXPECT_TRUE(s.channel_cids(10).empty()) << "a flush on disconnect leaves nothing behind";
}

// --- search -------------------------------------------------------------------------------------

TYPED_TEST_P(PersistenceContract, SearchFindsMessagesByTheirTextAsItStandsNow) {
  auto& s = this->store();
  this->seed();
  this->seed("random");
  auto put = [&](const std::string& id, const std::string& text, std::int64_t second,
                 const std::string& cid = "messaging:general", const std::string& user = "bob") {
    Message m = make_message(id, cid, second, user);
    m.text = text;
    return m;
  };
  Message reply = put("r1", "lunch in a thread", 50);
  reply.parent_id = "general-m1";
  Message filed = put("f1", "lunch menu", 60);
  filed.attachments = std::vector<Attachment>{{.type = "file", .title = "Menu.pdf"}};
  s.apply({UpsertMessages{
      {},
      {put("a", "Lunch at noon?", 40), put("b", "lunch LUNCH", 41, "messaging:general", "alice"),
       put("c", "no food here", 42), put("d", "lunch elsewhere", 43, "messaging:random"),
       put("gone", "lunch deleted", 44), put("hard", "lunch erased", 45), reply, filed}}});
  s.apply(
      {DeleteMessages{.which = DeleteMessages::ByIds{{"gone"}}, .deleted_at = at_second(46)},
       DeleteMessages{
           .which = DeleteMessages::ByIds{{"hard"}}, .hard = true, .deleted_at = at_second(46)}});
  auto ids = [&](SearchQuery q) {
    q.sort = SearchSort::newest;
    std::vector<std::string> out;
    for (const auto& hit : s.search(q).hits)
      out.push_back(hit.message.id);
    return out;
  };
  using Ids = std::vector<std::string>;
  EXPECT_EQ(ids({.text = "lunch"}), (Ids{"f1", "r1", "d", "b", "a"}));
  EXPECT_EQ(ids({.text = "menu.pdf"}), Ids{"f1"});
  EXPECT_EQ(ids({.text = "lun*"}).size(), 5u);
  EXPECT_EQ(ids({.text = "\"at noon\""}), Ids{"a"});
  EXPECT_EQ(ids({.text = "lunch noon"}), Ids{"a"});
  EXPECT_EQ(ids({.text = "food"}), Ids{"c"});
  EXPECT_EQ(ids({.text = "deleted"}), Ids{});
  EXPECT_EQ(ids({.text = "erased"}), Ids{});
  EXPECT_EQ(ids({.text = "lunch", .cids = std::vector<std::string>{"messaging:random"}}), Ids{"d"});
  EXPECT_EQ(ids({.text = "lunch", .user_id = "alice"}), Ids{"b"});
  EXPECT_EQ(ids({.text = "lunch", .created_after = at_second(41), .created_before = at_second(50)}),
            (Ids{"d", "b"}));
  EXPECT_EQ(ids({.text = "lunch", .in_thread = true}), Ids{"r1"});
  EXPECT_EQ(ids({.text = "lunch", .has_attachments = true}), Ids{"f1"});
  EXPECT_EQ(ids({.text = "lunch", .limit = 2, .offset = 1}), (Ids{"r1", "d"}));
  // An edit is found by its new text only; a hit carries its channel.
  Message edited = put("a", "supper at nine", 40);
  edited.updated_at = at_second(70);
  s.apply({UpsertMessages{{}, {edited}}});
  EXPECT_EQ(ids({.text = "noon"}), Ids{});
  EXPECT_EQ(ids({.text = "supper"}), Ids{"a"});
  const auto hits = s.search({.text = "supper"}).hits;
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].channel.cid, "messaging:general");
  EXPECT_EQ(hits[0].found_in, "supper at nine");
  ASSERT_EQ(hits[0].matches.size(), 1u);
  EXPECT_EQ(hits[0].matches[0], (TextSpan{.offset = 0, .length = 6}));
  // A truncation and a channel's deletion take their messages out of the results.
  s.apply({TruncateChannel{"messaging:random", std::nullopt}});
  EXPECT_EQ(ids({.text = "elsewhere"}), Ids{});
  s.apply({DeleteChannels{{"messaging:general"}}});
  EXPECT_EQ(ids({.text = "lunch"}), Ids{});
  EXPECT_THROW(s.search({.text = ""}), ChatError);
  EXPECT_THROW(s.search({.text = "x", .limit = 0}), ChatError);
}

REGISTER_TYPED_TEST_SUITE_P(
    PersistenceContract, OneUserAtATimeAndNothingWhileDisconnected,
    AUsersDataIsFoundAgainAfterReconnecting, ABatchThatFailsLeavesNothing,
    ReadsSeeEveryWriteThatReturnedFromAnyThread, AChannelStateReadsBackWithUsersJoined,
    AUserIsStoredOnceAndABareReferenceErasesNothing, AMessageOfAnUnknownChannelMakesAStub,
    APartialChannelKeepsWhatOnlyQueriesTell, AnOlderCopyNeverReplacesANewerOne,
    ALocalChangeHoldsUntilANewerCopyOrItsAnswer, AnEchoCountsNoUnreadUntilTheServersCopyArrivesOnce,
    AnEchoCountedByAnAnswersReadsIsNotCountedAgain, ANewMessageBringsAHiddenChannelBack,
    APageThatJoinsNothingStoredLeavesAGapThatPagingFills, AThreadKeepsGapsOfItsOwn,
    UnreadCountsLeaveOutWhatStreamDoesAndCountMentions,
    AnOlderCopyOfAChannelNeverTakesItsLastMessageTimeBack,
    APendingReplyCountsOnEveryCopyOfItsParent, AReplyThatArrivesCountsOnItsParentOnce,
    PendingActionsAreReplayedOnEveryCopy, ReactionsFollowTheirMessagesVersion,
    AReadComesAndGoesWithItsMember, AMemberWhoLeftComesBackOnlyWithALaterCopy,
    ATruncationKeepsOutOlderCopiesOfWhatItTook, AReadOnlyMovesForward,
    HardAndSoftDeletesAndTruncation, ATruncationForEveryoneLeavesNothingUnread,
    DeletingAChannelTakesWhatIsUnderItButNotTheOutbox, DraftsOnePerChannelAndPerThread,
    PagesAreInTimeOrderAroundAnyCursor, ThreadsAndPinsHaveTheirOwnPages,
    AQueryAnswersFromTheCacheInItsSortOrder, ConnectionInfoUnreadTotalsAndTheCheckpoint,
    OutboxEntriesInTheOrderTheyWereMade, ALeaseHasOneHolderUntilItRunsOut,
    UploadsAreKeptByChannelAndContentAndShownOnTheirMessage, FlushEmptiesEverythingAndStaysUsable,
    SearchFindsMessagesByTheirTextAsItStandsNow);

}  // namespace chatkeep::testing

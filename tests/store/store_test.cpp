// SqlitePersistenceClient against real database files: lifecycle, every write and read,
// cascades, flush, atomicity and reopening.

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/testing/builders.hpp"
#include "chatkeep/testing/temp_dir.hpp"
#include "sqlite/database.hpp"
#include "support/json_equal.hpp"
#include "support/old_schema.hpp"
#include "support/sqlite_peek.hpp"

namespace chatkeep {
namespace {

using namespace testing;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open() {
    store_ = std::make_unique<SqlitePersistenceClient>(
        SqlitePersistenceOptions{.directory = dir_.path()});
    store_->connect("alice");
  }

  void reopen() {
    store_->disconnect(false);
    open();
  }

  // A channel with two members, three messages, alice's reaction and reads.
  void seed(const std::string& id = "general") {
    const std::string cid = make_cid("messaging", id);
    store_->apply(
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

  std::int64_t count(const std::string& table) {
    return peek_integer(db_path(), "SELECT COUNT(*) FROM " + table);
  }

  std::filesystem::path db_path() {
    return SqlitePersistenceClient::database_path(dir_.path(), "alice");
  }

  TempDir dir_;
  std::unique_ptr<SqlitePersistenceClient> store_;
};

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST_F(StoreTest, FilesAreCreatedPrivate) {
  seed();
  EXPECT_EQ(db_path().parent_path(), dir_.path());
  EXPECT_EQ(mode_of(db_path()), 0600u);
  EXPECT_EQ(mode_of(db_path().string() + "-wal"), 0600u);
  EXPECT_EQ(mode_of(db_path().string() + "-shm"), 0600u);
}

TEST_F(StoreTest, AnExistingLooseFileIsMadePrivate) {
  store_->disconnect(false);
  std::filesystem::remove(db_path().string() + "-wal");
  std::filesystem::remove(db_path().string() + "-shm");
  ASSERT_EQ(::chmod(db_path().c_str(), 0644), 0);
  open();
  seed();
  EXPECT_EQ(mode_of(db_path()), 0600u);
  EXPECT_EQ(mode_of(db_path().string() + "-wal"), 0600u);
}

TEST_F(StoreTest, CreatesAMissingDirectory) {
  auto nested = dir_.path() / "a" / "b";
  SqlitePersistenceClient store({.directory = nested});
  store.connect("bob");
  EXPECT_TRUE(std::filesystem::exists(SqlitePersistenceClient::database_path(nested, "bob")));
  EXPECT_EQ(mode_of(nested), 0700u);
}

TEST_F(StoreTest, LifecycleRules) {
  EXPECT_TRUE(store_->is_connected());
  EXPECT_EQ(store_->user_id(), "alice");
  EXPECT_NO_THROW(store_->connect("alice"));  // again as the same user: harmless
  try {
    store_->connect("bob");
    FAIL() << "connected as a second user";
  } catch (const ChatError& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_state);
  }
  store_->disconnect(false);
  EXPECT_FALSE(store_->is_connected());
  EXPECT_EQ(store_->user_id(), std::nullopt);
  try {
    (void)store_->channel_cids(10);
    FAIL() << "read while disconnected";
  } catch (const ChatError& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_state);
  }
  EXPECT_THROW(store_->apply({SetLastSyncAt{at_second(1)}}), ChatError);
  store_->connect("bob");  // after a disconnect, any user
  EXPECT_EQ(store_->user_id(), "bob");
}

TEST_F(StoreTest, ChannelStateReadsBackWhatWasWritten) {
  seed();
  auto state = store_->channel_state("messaging:general", {});
  ASSERT_TRUE(state);
  Channel expected_channel = make_channel("general", 30);
  EXPECT_TRUE(same_document(to_json(expected_channel), to_json(state->channel)));
  ASSERT_EQ(state->messages->size(), 3u);
  EXPECT_EQ((*state->messages)[0].id, "general-m1");
  EXPECT_EQ((*state->messages)[2].id, "general-m3");
  // The message as written, with the user joined back and alice's own reactions.
  Message m1 = make_message("general-m1", "messaging:general", 10);
  m1.own_reactions = std::vector<Reaction>{make_reaction("general-m1", "alice", "like")};
  EXPECT_TRUE(same_document(to_json(m1), to_json((*state->messages)[0])));
  EXPECT_TRUE((*state->messages)[1].own_reactions->empty());
  ASSERT_EQ(state->members->size(), 2u);
  EXPECT_EQ((*state->members)[0].id(), "alice");
  EXPECT_TRUE(same_document(to_json(make_member("bob", 2)), to_json((*state->members)[1])));
  ASSERT_TRUE(state->membership);
  EXPECT_EQ(state->membership->id(), "alice");
  ASSERT_EQ(state->read->size(), 2u);
  EXPECT_EQ((*state->read)[1].unread_messages, 2);
  EXPECT_EQ((*state->read)[0].user.name, "User alice");
  EXPECT_FALSE(store_->channel_state("messaging:none", {}));
}

TEST_F(StoreTest, UsersAreStoredOnceAndBareReferencesDoNotEraseThem) {
  seed();
  EXPECT_EQ(count("users"), 2);  // alice and bob, however many objects named them
  store_->apply({UpsertMessages{{},
                                {Message{.id = "x",
                                         .cid = "messaging:general",
                                         .user = User{.id = "bob"},
                                         .created_at = at_second(40)}}}});
  auto x = store_->message("x");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->user->name, "User bob");  // the bare reference kept what was known
  User renamed = make_user("bob");
  renamed.name = "Robert";
  store_->apply({UpsertUsers{{renamed}}});
  EXPECT_EQ(store_->message("general-m1")->user->name, "Robert");  // joined, not copied
}

TEST_F(StoreTest, AUserOfARolledBackBatchIsWrittenByTheNextOne) {
  const Mutation fails = UpsertMessages{{}, {Message{.id = "no-cid", .created_at = at_second(1)}}};
  EXPECT_THROW(store_->apply({UpsertUsers{{make_user("zed")}}, fails}), ChatError);
  EXPECT_EQ(count("users WHERE id = 'zed'"), 0);
  store_->apply({UpsertUsers{{make_user("zed")}}});
  EXPECT_EQ(count("users WHERE id = 'zed'"), 1);
  // Known and unchanged: nothing to write, but a change is written.
  User changed = make_user("zed");
  changed.name = "Zed Again";
  store_->apply({UpsertUsers{{make_user("zed")}}, UpsertUsers{{changed}}});
  EXPECT_EQ(count("users WHERE id = 'zed' AND data LIKE '%Zed Again%'"), 1);
}

TEST_F(StoreTest, MessagesOfAnUnknownChannelCreateAStub) {
  store_->apply(
      {UpsertMessages{"messaging:new", {Message{.id = "n1", .created_at = at_second(1)}}}});
  auto channel = store_->channel("messaging:new");
  ASSERT_TRUE(channel);
  EXPECT_EQ(channel->type, "messaging");
  EXPECT_EQ(channel->id, "new");
  EXPECT_EQ(store_->message("n1")->cid, "messaging:new");
  // The full channel replaces the stub.
  store_->apply({UpsertChannels{{make_channel("new")}}});
  EXPECT_EQ(store_->channel("messaging:new")->name, "Channel new");
}

TEST_F(StoreTest, BadMutationsAreRefusedAndTheBatchLeavesNothing) {
  struct Case {
    const char* name;
    Mutation bad;
  } cases[] = {
      {"message without cid", UpsertMessages{{}, {Message{.id = "a", .created_at = at_second(1)}}}},
      {"message without time", UpsertMessages{"messaging:x", {Message{.id = "a"}}}},
      {"cid without type",
       UpsertMessages{"general", {Message{.id = "a", .created_at = at_second(1)}}}},
      {"reaction without message", UpsertReactions{{Reaction{.type = "like", .user_id = "bob"}}}},
      {"outbox entry with bad cid", AddOutboxEntry{make_entry(":x", "m")}},
      {"user without id", UpsertUsers{{User{}}}},
      {"reaction of another user",
       ReplaceReactions{"m", "alice", {make_reaction("m", "bob", "x")}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Batch batch{UpsertChannels{{make_channel("half")}}, SetLastSyncAt{at_second(5)}, c.bad};
    EXPECT_THROW(store_->apply(batch), ChatError);
    EXPECT_FALSE(store_->channel("messaging:half"));
    EXPECT_FALSE(store_->last_sync_at());
  }
}

TEST_F(StoreTest, ReactionsUpsertDeleteAndReplace) {
  seed();
  auto own = [&] { return *store_->message("general-m1")->own_reactions; };
  ASSERT_EQ(own().size(), 1u);
  store_->apply({UpsertReactions{{make_reaction("general-m1", "alice", "wow")}}});
  EXPECT_EQ(own().size(), 2u);
  store_->apply({DeleteReaction{"general-m1", "alice", "like"}});
  ASSERT_EQ(own().size(), 1u);
  EXPECT_EQ(own()[0].type, "wow");
  store_->apply({ReplaceReactions{"general-m1", "alice", {Reaction{.type = "fire", .score = 2}}}});
  ASSERT_EQ(own().size(), 1u);
  EXPECT_EQ(own()[0].type, "fire");
  EXPECT_EQ(own()[0].message_id, "general-m1");
  // Bob's reaction is untouched by alice's replacement, and upserting a message keeps reactions.
  store_->apply({UpsertMessages{{}, {make_message("general-m1", "messaging:general", 10)}}});
  EXPECT_EQ(own().size(), 1u);
  EXPECT_EQ(count("reactions"), 2);
  // A reaction to a message that is not stored is skipped, not an error.
  store_->apply({UpsertReactions{{make_reaction("ghost", "alice", "like")}}});
  EXPECT_EQ(count("reactions"), 2);
}

TEST_F(StoreTest, MembersAndReads) {
  seed();
  store_->apply({DeleteMembers{"messaging:general", {"bob"}}});
  ASSERT_EQ(store_->members("messaging:general").size(), 1u);
  Read read{.user = make_user("bob"), .last_read = at_second(50), .unread_messages = 0};
  store_->apply({UpsertReads{"messaging:general", {read}}});
  auto reads = store_->reads("messaging:general");
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[1].last_read, at_second(50));
  EXPECT_EQ(reads[1].unread_messages, 0);
}

TEST_F(StoreTest, AnOlderCopyOfAMessageNeverReplacesANewerOne) {
  seed();
  const std::string cid = "messaging:general";
  Message newer = make_message("general-m1", cid, 10);
  newer.text = "edited";
  newer.updated_at = at_second(50);
  Message older = make_message("general-m1", cid, 10);
  older.text = "as it was";
  older.updated_at = at_second(40);
  store_->apply({UpsertMessages{cid, {newer}}});
  store_->apply({UpsertMessages{cid, {older}}});
  EXPECT_EQ(store_->message("general-m1")->text, "edited");
  Message same = newer;
  same.text = "edited, same version";
  store_->apply({UpsertMessages{cid, {same}}});
  EXPECT_EQ(store_->message("general-m1")->text, "edited, same version");
  Message unversioned = newer;
  unversioned.updated_at.reset();
  unversioned.text = "no version";
  store_->apply({UpsertMessages{cid, {unversioned}}});
  EXPECT_EQ(store_->message("general-m1")->text, "no version");

  // An echo of alice's send has no version: the server's copy replaces it whatever the clocks
  // say, and its arrival counts once even if a newer copy came first and the arrival is
  // skipped, and even when it comes twice.
  Message echo = make_message("mine", cid, 100, "alice");
  store_->apply({UpsertMessages{.cid = cid, .messages = {echo}, .echo = true}});
  Message server_copy = make_message("mine", cid, 60, "alice");
  server_copy.text = "server's";
  Message reacted = server_copy;
  reacted.updated_at = at_second(61);
  reacted.reaction_counts = std::map<std::string, std::int64_t>{{"like", 1}};
  store_->apply({UpsertMessages{cid, {reacted}}});
  EXPECT_EQ(store_->message("mine")->created_at, at_second(60));
  store_->apply({UpsertMessages{.cid = cid, .messages = {server_copy}, .arrived = true}});
  store_->apply({UpsertMessages{.cid = cid, .messages = {server_copy}, .arrived = true}});
  EXPECT_EQ(store_->message("mine")->reaction_counts->at("like"), 1);
  EXPECT_EQ(store_->reads(cid)[1].unread_messages, 3) << "bob had 2; alice's message counts once";

  // A local change keeps the version it was made on: copies of that version do not undo it, a
  // newer copy or the server's answer to it does, and own reactions follow the same rule.
  store_->apply({UpsertMessages{cid, {newer}}});
  Message liked = *store_->message("general-m1");
  liked.reaction_counts = std::map<std::string, std::int64_t>{{"like", 1}};
  const Timestamp base = *liked.updated_at;
  store_->apply({UpsertMessages{.cid = cid, .messages = {liked}, .local = true},
                 UpsertReactions{{make_reaction("general-m1", "alice", "like")}}});
  Message replayed = *store_->message("general-m1");
  replayed.reaction_counts.reset();
  store_->apply(
      {UpsertMessages{cid, {replayed}}, ReplaceReactions{"general-m1", "alice", {}, base}});
  EXPECT_EQ(store_->message("general-m1")->reaction_counts->at("like"), 1);
  EXPECT_EQ(store_->message("general-m1")->own_reactions->size(), 1u);
  Message answered = replayed;
  answered.reaction_counts = std::map<std::string, std::int64_t>{{"like", 2}};
  store_->apply({UpsertMessages{.cid = cid, .messages = {answered}, .answer = true}});
  EXPECT_EQ(store_->message("general-m1")->reaction_counts->at("like"), 2);
  store_->apply({UpsertMessages{cid, {replayed}}});  // no longer local: the same version applies
  EXPECT_FALSE(store_->message("general-m1")
                   ->reaction_counts.value_or(std::map<std::string, std::int64_t>{})
                   .contains("like"));
}

// The user's actions still in the outbox show on every newer copy of their message until they
// are delivered: what changed on the server and what the user did, together.
TEST_F(StoreTest, PendingActionsShowOnNewerCopiesOfTheirMessage) {
  seed();
  const std::string cid = "messaging:general";
  const Message stored = *store_->message("general-m3");  // bob's
  OutboxEntry edit = make_entry(cid, "general-m3", OutboxKind::update_message);
  edit.payload = {{"message", {{"id", "general-m3"}, {"text", "alice's edit"}}}};
  OutboxEntry like = make_entry(cid, "general-m3", OutboxKind::send_reaction);
  like.payload = {{"reaction", {{"type", "like"}}}};
  Message echo = stored;
  ASSERT_EQ(replay(edit, "alice", echo), Replayed::changed);
  ASSERT_EQ(replay(like, "alice", echo), Replayed::changed);
  const auto ids = store_
                       ->apply({UpsertMessages{.cid = cid, .messages = {echo}, .local = true},
                                UpsertReactions{{make_reaction("general-m3", "alice", "like")}},
                                AddOutboxEntry{edit}, AddOutboxEntry{like}})
                       .outbox_ids;
  ASSERT_EQ(ids.size(), 2u);

  // Carol reacts: the newer copy has her reaction, and alice's edit and like stay, her own
  // reaction included (the copy's own reactions wait like the rest).
  Message newer = stored;
  newer.updated_at = at_second(500);
  newer.reaction_counts = std::map<std::string, std::int64_t>{{"wow", 1}};
  newer.latest_reactions = std::vector<Reaction>{make_reaction("general-m3", "carol", "wow")};
  store_->apply({UpsertMessages{cid, {newer}},
                 ReplaceReactions{"general-m3", "alice", {}, newer.updated_at}});
  const std::map<std::string, std::int64_t> both{{"like", 1}, {"wow", 1}};
  auto shown = store_->message("general-m3");
  EXPECT_EQ(shown->text, "alice's edit");
  EXPECT_EQ(shown->reaction_counts, both);
  EXPECT_EQ(shown->own_reactions->size(), 1u);
  EXPECT_EQ(shown->local_state, LocalState::queued);
  store_->apply({UpsertMessages{cid, {newer}}});  // a copy of that version again changes nothing
  EXPECT_EQ(store_->message("general-m3")->text, "alice's edit");

  // The edit is delivered; its answer shows it, and the like still waits.
  Message answer = newer;
  answer.text = "alice's edit, as the server has it";
  answer.updated_at = at_second(501);
  store_->apply({RemoveOutboxEntry{ids[0]},
                 UpsertMessages{.cid = cid, .messages = {answer}, .answer = true}});
  shown = store_->message("general-m3");
  EXPECT_EQ(shown->text, "alice's edit, as the server has it");
  EXPECT_EQ(shown->reaction_counts, both);

  // The like is delivered: the server's copy counts it, and nothing is replayed any more, so a
  // copy of the same version applies again.
  Message liked = answer;
  liked.updated_at = at_second(502);
  liked.reaction_counts = both;
  liked.latest_reactions->push_back(make_reaction("general-m3", "alice", "like"));
  store_->apply(
      {RemoveOutboxEntry{ids[1]}, UpsertMessages{.cid = cid, .messages = {liked}, .answer = true}});
  shown = store_->message("general-m3");
  EXPECT_EQ(shown->reaction_counts, both);
  EXPECT_FALSE(shown->local_state);
  liked.text = "same version";
  store_->apply({UpsertMessages{cid, {liked}}});
  EXPECT_EQ(store_->message("general-m3")->text, "same version");
}

TEST_F(StoreTest, APendingHardDeletionKeepsCopiesOfItsMessageOut) {
  seed();
  const std::string cid = "messaging:general";
  Message newer = *store_->message("general-m3");
  OutboxEntry gone = make_entry(cid, "general-m3", OutboxKind::delete_message);
  gone.payload = {{"hard", true}};
  store_->apply({DeleteMessages{.which = DeleteMessages::ByIds{{"general-m3"}}, .hard = true},
                 AddOutboxEntry{gone}});
  newer.updated_at = at_second(500);
  newer.text = "edited by bob meanwhile";
  store_->apply({UpsertMessages{cid, {newer, *store_->message("general-m1")}}});
  EXPECT_FALSE(store_->message("general-m3"));
  EXPECT_TRUE(store_->message("general-m1"));  // the batch's other copies are stored
}

TEST_F(StoreTest, AnOutboxEntryThatCannotBeReadDoesNotStopCopiesOfItsMessage) {
  seed();
  store_->disconnect(false);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
  const char* damage = R"(INSERT INTO outbox (kind, cid, message_id, payload, state, attempts,
                            created_at) VALUES ('teleport', 'messaging:general', 'general-m3',
                            '{not json', 'queued', 0, 0))";
  EXPECT_EQ(sqlite3_exec(db, damage, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  open();
  Message newer = *store_->message("general-m3");
  newer.updated_at = at_second(500);
  newer.text = "edited by bob";
  store_->apply({UpsertMessages{"messaging:general", {newer}}});
  EXPECT_EQ(store_->message("general-m3")->text, "edited by bob");
  EXPECT_THROW(store_->outbox(0, 10), ChatError) << "the outbox's reads still say it";
}

TEST_F(StoreTest, HardAndSoftDeletes) {
  seed();
  seed("random");
  store_->apply({DeleteMessages{.which = DeleteMessages::ByIds{{"general-m1"}}, .hard = true}});
  EXPECT_FALSE(store_->message("general-m1"));
  EXPECT_EQ(count("reactions WHERE message_id = 'general-m1'"), 0);  // cascaded

  store_->apply({DeleteMessages{
      .which = DeleteMessages::ByIds{{"general-m2"}}, .hard = false, .deleted_at = at_second(99)}});
  auto m2 = store_->message("general-m2");
  ASSERT_TRUE(m2);
  EXPECT_EQ(m2->type, "deleted");
  EXPECT_EQ(m2->deleted_at, at_second(99));
  EXPECT_EQ(m2->text, "text of general-m2");

  // All of bob's messages in one channel, softly; then everywhere, for good.
  store_->apply({DeleteMessages{.which = DeleteMessages::ByUser{"bob", "messaging:random"},
                                .hard = false,
                                .deleted_at = at_second(100)}});
  EXPECT_EQ(store_->message("random-m1")->type, "deleted");
  EXPECT_EQ(store_->message("random-m2")->type, "regular");   // alice's
  EXPECT_EQ(store_->message("general-m3")->type, "regular");  // another channel
  store_->apply({DeleteMessages{.which = DeleteMessages::ByUser{"bob", std::nullopt}}});
  EXPECT_FALSE(store_->message("random-m1"));
  EXPECT_FALSE(store_->message("general-m3"));
  EXPECT_TRUE(store_->message("random-m2"));

  store_->apply({DeleteMessages{.which = DeleteMessages::ByChannels{{"messaging:random"}}}});
  EXPECT_TRUE(store_->messages("messaging:random", {}).empty());
  EXPECT_TRUE(store_->channel("messaging:random"));  // the channel stays
}

TEST_F(StoreTest, TruncateBeforeATimeOrEntirely) {
  seed();
  store_->apply({TruncateChannel{"messaging:general", at_second(20)}});
  auto left = store_->messages("messaging:general", {});
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].id, "general-m2");  // created exactly at the time: kept
  store_->apply({TruncateChannel{"messaging:general", std::nullopt}});
  EXPECT_TRUE(store_->messages("messaging:general", {}).empty());
  EXPECT_EQ(store_->members("messaging:general").size(), 2u);
}

TEST_F(StoreTest, DeletingAChannelTakesEverythingUnderItButNotTheOutbox) {
  seed();
  seed("random");
  store_->apply(
      {UpsertDrafts{{Draft{.cid = "messaging:general",
                           .message = Message{.id = "d", .text = "draft"},
                           .created_at = at_second(5)}}},
       SaveChannelQuery{
           Filter::eq("type", "messaging"), {}, {"messaging:general", "messaging:random"}},
       AddOutboxEntry{make_entry("messaging:general", "pending")}});
  store_->apply({DeleteChannels{{"messaging:general"}}});
  EXPECT_FALSE(store_->channel("messaging:general"));
  EXPECT_EQ(count("messages WHERE channel NOT IN (SELECT key FROM channels)"), 0);
  EXPECT_EQ(count("reactions WHERE message_id LIKE 'general-%'"), 0);
  EXPECT_EQ(count("members WHERE cid = 'messaging:general'"), 0);
  EXPECT_EQ(count("reads WHERE cid = 'messaging:general'"), 0);
  EXPECT_EQ(count("drafts"), 0);
  EXPECT_FALSE(store_->draft("messaging:general", std::nullopt));
  auto cached = store_->query_channels(Filter::eq("type", "messaging"), {}, 0, 10, 0);
  ASSERT_TRUE(cached);
  ASSERT_EQ(cached->size(), 1u);
  EXPECT_EQ((*cached)[0].channel.cid, "messaging:random");
  EXPECT_EQ(store_->outbox(0, 10).size(), 1u);  // local-only data survives
  EXPECT_EQ(count("messages"), 3);
}

TEST_F(StoreTest, Drafts) {
  store_->apply({UpsertDrafts{{Draft{.cid = "messaging:general",
                                     .message = Message{.id = "d1", .text = "channel draft"},
                                     .created_at = at_second(1)},
                               Draft{.cid = "messaging:general",
                                     .parent_id = "p",
                                     .message = Message{.id = "d2", .text = "thread draft"},
                                     .created_at = at_second(2)}}}});
  EXPECT_EQ(store_->draft("messaging:general", std::nullopt)->message.text, "channel draft");
  auto thread = store_->draft("messaging:general", "p");
  ASSERT_TRUE(thread);
  EXPECT_EQ(thread->message.text, "thread draft");
  EXPECT_EQ(thread->created_at, at_second(2));
  store_->apply({DeleteDraft{"messaging:general", std::nullopt}});
  EXPECT_FALSE(store_->draft("messaging:general", std::nullopt));
  EXPECT_TRUE(store_->draft("messaging:general", "p"));
}

TEST_F(StoreTest, ConnectionInfoAndUnreadCounts) {
  EXPECT_FALSE(store_->connection_info());
  OwnUser me;
  me.id = "alice";
  me.name = "Alice";
  me.total_unread_count = 4;
  me.unread_channels = 2;
  me.devices = std::vector<Device>{Device{.id = "d1", .push_provider = "apn"}};
  store_->set_connection_info({me});
  auto info = store_->connection_info();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->own_user.name, "Alice");
  EXPECT_EQ(info->own_user.total_unread_count, 4);
  EXPECT_EQ((*info->own_user.devices)[0].push_provider, "apn");
  store_->apply({SetUnreadCounts{.total_unread_count = 7}});
  info = store_->connection_info();
  EXPECT_EQ(info->own_user.total_unread_count, 7);
  EXPECT_EQ(info->own_user.unread_channels, 2);  // absent: left as it was
}

TEST_F(StoreTest, CheckpointKeepsNanosecondsAndWorksRightAfterAFlush) {
  EXPECT_FALSE(store_->last_sync_at());
  auto t = Timestamp::parse("2026-06-24T11:44:49.460717068Z").value();
  store_->set_last_sync_at(t);
  EXPECT_EQ(store_->last_sync_at(), t);
  store_->flush();
  EXPECT_FALSE(store_->last_sync_at());
  store_->set_last_sync_at(t);  // Stream's store silently drops this one
  EXPECT_EQ(store_->last_sync_at(), t);
}

TEST_F(StoreTest, OutboxEntriesAddUpdateRemove) {
  auto result = store_->apply(
      {AddOutboxEntry{make_entry("messaging:general", "m1")},
       AddOutboxEntry{make_entry("messaging:general", "m1", OutboxKind::send_reaction)}});
  ASSERT_EQ(result.outbox_ids.size(), 2u);
  EXPECT_LT(result.outbox_ids[0], result.outbox_ids[1]);
  auto entries = store_->outbox(0, 10);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, result.outbox_ids[0]);
  EXPECT_EQ(entries[0].kind, OutboxKind::send_message);
  EXPECT_EQ(entries[0].state, OutboxState::queued);
  EXPECT_EQ(entries[0].payload, make_entry("messaging:general", "m1").payload);
  EXPECT_EQ(entries[0].created_at, make_entry("x:y", "m").created_at);

  boost::json::object rewritten{{"message", {{"id", "m1"}, {"text", "edited"}}}};
  store_->apply({UpdateOutboxEntry{.id = entries[0].id,
                                   .state = OutboxState::failed,
                                   .attempts = 3,
                                   .error = "message too long",
                                   .next_attempt_at = at_second(9),
                                   .payload = rewritten}});
  auto updated = store_->outbox(0, 1)[0];
  EXPECT_EQ(updated.state, OutboxState::failed);
  EXPECT_EQ(updated.attempts, 3);
  EXPECT_EQ(updated.error, "message too long");
  EXPECT_EQ(updated.next_attempt_at, at_second(9));
  EXPECT_EQ(updated.payload, rewritten);

  EXPECT_EQ(store_->outbox(entries[0].id, 10).size(), 1u);  // paging by id
  store_->apply({RemoveOutboxEntry{entries[0].id}, RemoveOutboxEntry{12345}});
  EXPECT_EQ(store_->outbox(0, 10).size(), 1u);
}

TEST_F(StoreTest, FlushEmptiesEverythingReportsTheOutboxAndStaysUsable) {
  seed();
  store_->apply({AddOutboxEntry{make_entry("messaging:general", "a")},
                 AddOutboxEntry{make_entry("messaging:general", "b")},
                 SetLastSyncAt{at_second(1)}});
  const auto last_id = store_->outbox(0, 10).back().id;
  EXPECT_EQ(store_->flush().discarded_outbox_entries, 2);
  for (const char* table :
       {"users", "channels", "messages", "reactions", "members", "reads", "drafts",
        "channel_queries", "saved_queries", "connection_state", "outbox"}) {
    EXPECT_EQ(count(table), 0) << table;
  }
  seed();  // usable
  EXPECT_EQ(store_->messages("messaging:general", {}).size(), 3u);
  // Outbox ids are never reused, even after a flush.
  auto ids = store_->apply({AddOutboxEntry{make_entry("messaging:general", "c")}}).outbox_ids;
  EXPECT_GT(ids[0], last_id);
  EXPECT_EQ(store_->disconnect(true).discarded_outbox_entries, 1);
  EXPECT_TRUE(std::filesystem::exists(db_path()));
}

TEST_F(StoreTest, ReopeningKeepsAllData) {
  seed();
  store_->apply({SetLastSyncAt{at_second(77)}, AddOutboxEntry{make_entry("messaging:general", "z")},
                 SaveChannelQuery{Filter(), {}, {"messaging:general"}}});
  auto before = store_->channel_state("messaging:general", {});
  reopen();
  auto after = store_->channel_state("messaging:general", {});
  ASSERT_TRUE(after);
  EXPECT_EQ(encode(*before), encode(*after));
  EXPECT_EQ(store_->last_sync_at(), at_second(77));
  EXPECT_EQ(store_->outbox(0, 10).size(), 1u);
  EXPECT_EQ(store_->query_channels(Filter(), {}, 0, 10, 25)->size(), 1u);
}

TEST_F(StoreTest, ChannelCidsMostRecentFirst) {
  store_->apply({UpsertChannels{{make_channel("old", 10), make_channel("new", 30),
                                 make_channel("mid", 20), make_channel("empty")}}});
  EXPECT_EQ(store_->channel_cids(10),
            (std::vector<std::string>{"messaging:new", "messaging:mid", "messaging:old",
                                      "messaging:empty"}));
  EXPECT_EQ(store_->channel_cids(2).size(), 2u);
}

TEST_F(StoreTest, CustomFieldsSurviveTheStore) {
  auto state = decode<ChannelState>(test_data("channel_state.json"));
  Batch batch{UpsertChannels{{state.channel}}, UpsertMessages{state.channel.cid, *state.messages},
              UpsertMembers{state.channel.cid, *state.members},
              UpsertReads{state.channel.cid, *state.read}};
  store_->apply(batch);
  auto back = store_->messages(state.channel.cid, {});
  ASSERT_EQ(back.size(), state.messages->size());
  for (std::size_t i = 0; i < back.size(); ++i) {
    boost::json::object expected = to_json((*state.messages)[i]).as_object();
    boost::json::object actual = to_json(back[i]).as_object();
    // Users are the stored ones (the latest known); own reactions are the store's.
    for (auto* o : {&expected, &actual}) {
      o->erase("user");
      o->erase("own_reactions");
    }
    EXPECT_TRUE(same_document(expected, actual)) << i;
  }
  boost::json::object channel = to_json(*store_->channel(state.channel.cid)).as_object();
  EXPECT_EQ(channel.at("settings"), to_json(state.channel).at("settings"));
  EXPECT_TRUE(channel.at("deleted_at").is_null());
}

// Unread mentions are counted from the messages that mention someone (the messages' `mentions`
// column, migration 13): an edit that takes the mention away takes it off the count, and a
// database from before the column counts its stored mentions after the migration.
TEST_F(StoreTest, UnreadMentionsFollowEditsAndSurviveTheMigration) {
  seed();
  const std::string cid = make_cid("messaging", "general");
  auto own_mentions = [&] {
    for (const auto& read : store_->reads(cid))
      if (read.user.id == "alice") return read.unread_mentions.value_or(-1);
    return std::int64_t{-1};
  };
  Message mention = make_message("mention", cid, 40, "bob");
  mention.mentioned_users = {make_user("alice")};
  Message other = make_message("other", cid, 41, "bob");
  other.mentioned_users = {make_user("carol")};
  store_->apply({UpsertMessages{.cid = cid, .messages = {mention, other}, .arrived = true}});
  EXPECT_EQ(own_mentions(), 1);
  EXPECT_EQ(peek_integer(db_path(), "SELECT COUNT(*) FROM messages WHERE mentions"), 2);

  // A database of schema 11: from before migration 13, no column, no index.
  store_->disconnect(false);
  {
    sqlite::Database db(db_path(), sqlite::Database::Access::read_write);
    undo_migrations_after_11(db);
    db.exec("PRAGMA user_version = 11");
  }
  open();
  EXPECT_EQ(own_mentions(), 1);
  EXPECT_EQ(peek_integer(db_path(), "SELECT COUNT(*) FROM messages WHERE mentions"), 2);

  mention.mentioned_users->clear();
  mention.updated_at = at_second(50);
  store_->apply({UpsertMessages{.cid = cid, .messages = {mention}}});
  EXPECT_EQ(own_mentions(), 0);
}

// What every arriving message moves is a column, not JSON to rewrite (migration 15): each
// member's unread count, the channel's hidden flag and truncation, and its last message time,
// whose copy in the JSON counts only where it agrees with the column. A database from before
// keeps all of them through the migration.
TEST_F(StoreTest, TheCountsEveryMessageMovesAreColumnsAndSurviveTheMigration) {
  seed();
  const std::string cid = make_cid("messaging", "general");
  Channel truncated = make_channel("general", 30);
  truncated.truncated_at = at_second(5);
  // Finer than a column holds it: the message of second 30 plus 123 ns.
  truncated.last_message_at = Timestamp::from_unix_nanos(at_second(30).unix_micros() * 1000 + 123);
  store_->apply({UpsertChannels{{truncated}}, SetChannelHidden{cid, true}});
  EXPECT_EQ(store_->channel(cid)->last_message_at, truncated.last_message_at);

  store_->apply({UpsertMessages{
      .cid = cid, .messages = {make_message("late", cid, 40, "bob")}, .arrived = true}});
  auto unread = [&](const std::string& user) {
    for (const auto& read : store_->reads(cid))
      if (read.user.id == user) return read.unread_messages.value_or(-1);
    return std::int64_t{-1};
  };
  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    const auto channel = store_->channel(cid);
    EXPECT_EQ(channel->hidden, false);  // the new message showed it again
    EXPECT_EQ(channel->truncated_at, at_second(5));
    EXPECT_EQ(channel->last_message_at, at_second(40));
    EXPECT_EQ(unread("alice"), 1);
    EXPECT_EQ(unread("bob"), 2);  // the sender's own message is not unread to them
  };
  check("as written");
  EXPECT_EQ(peek_integer(db_path(), "SELECT SUM(unread_messages) FROM reads"), 3);
  EXPECT_EQ(peek_integer(db_path(),
                         "SELECT COUNT(*) FROM channels WHERE hidden = 0 AND "
                         "truncated_at IS NOT NULL AND data NOT LIKE '%hidden%' AND "
                         "data NOT LIKE '%truncated_at%'"),
            1);
  EXPECT_EQ(peek_integer(db_path(), "SELECT COUNT(*) FROM reads WHERE data LIKE '%unread%'"), 0);

  // A database of schema 11, whose JSON holds them.
  store_->disconnect(false);
  {
    sqlite::Database db(db_path(), sqlite::Database::Access::read_write);
    undo_migrations_after_11(db);
    db.exec("PRAGMA user_version = 11");
  }
  EXPECT_EQ(peek_integer(db_path(), "SELECT COUNT(*) FROM reads WHERE data LIKE '%unread%'"), 2);
  open();
  check("after the migration");
  EXPECT_EQ(peek_integer(db_path(), "SELECT COUNT(*) FROM reads WHERE data LIKE '%unread%'"), 0);
  store_->apply(
      {SetChannelHidden{cid, true}, MarkAllRead{.user_id = "alice", .at = at_second(50)}});
  EXPECT_EQ(store_->channel(cid)->hidden, true);
  EXPECT_EQ(unread("alice"), 0);
}

}  // namespace
}  // namespace chatkeep

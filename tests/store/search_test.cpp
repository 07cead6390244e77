// SqlitePersistenceClient's full-text search against a real database file: what is found and what
// is not (sent, received, edited, pending, deleted), in Latin scripts with diacritics, in CJK and
// with emoji; the filters, sorts and pages; matches; and the index kept in step by every write,
// including a database from before the index, indexed in the background.

#include <gtest/gtest.h>

#include <set>

#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/storage.hpp"
#include "chatkeep/testing/builders.hpp"
#include "chatkeep/testing/temp_dir.hpp"
#include "search/index_file.hpp"
#include "search/search_terms.hpp"
#include "store/maintenance.hpp"
#include "store/sqlite_store.hpp"
#include "store/user_database.hpp"
#include "store/writer.hpp"
#include "support/eventually.hpp"
#include "support/old_schema.hpp"
#include "support/sqlite_peek.hpp"

namespace chatkeep {
namespace {

using namespace testing;
using namespace std::chrono_literals;

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<SqlitePersistenceClient>(
        SqlitePersistenceOptions{.directory = dir_.path()});
    store_->connect("alice");
    store_->apply({UpsertChannels{{make_channel("general", 0), make_channel("random", 0)}}});
  }

  // Stores a message of `cid` with this text at `second`, by bob unless told.
  Message put(const std::string& id, const std::string& text, std::int64_t second,
              const std::string& cid = "messaging:general", const std::string& user = "bob") {
    Message m = make_message(id, cid, second, user);
    m.text = text;
    store_->apply({UpsertMessages{cid, {m}}});
    return m;
  }

  // The ids the search finds, in its order.
  std::vector<std::string> ids(SearchQuery query) {
    std::vector<std::string> out;
    for (const auto& hit : store_->search(query).hits)
      out.push_back(hit.message.id);
    return out;
  }
  std::vector<std::string> ids_of(const std::string& text) {
    return ids(SearchQuery{.text = text});
  }

  // Writes as the store does, on a connection of the caller's: no store, and no indexer, runs.
  static void write_directly(sqlite::Database& db, const Mutation& m) {
    const store::UserHashes users;
    const std::string me = "alice";
    ApplyResult result;
    sqlite::Transaction transaction(db);
    store::Writer writer(db, result, users, me);
    std::visit(writer, m);
    transaction.commit();
  }

  std::filesystem::path path() const {
    return SqlitePersistenceClient::database_path(dir_.path(), "alice");
  }
  std::string check() {
    return search::IndexFile(path(), search::IndexFile::Access::read_write).check();
  }

  TempDir dir_;
  std::unique_ptr<SqlitePersistenceClient> store_;
};

using Ids = std::vector<std::string>;

TEST_F(SearchTest, WordsPrefixesAndPhrasesInAnyCaseAndWithoutDiacritics) {
  put("m1", "Meet me at the Café on Rue Saint-Étienne", 1);
  put("m2", "the cafeteria is closed", 2);
  put("m3", "naïve coöperation über alles", 3);
  put("m4", "rue the day", 4);
  EXPECT_EQ(ids_of("cafe"), Ids{"m1"});
  EXPECT_EQ(ids_of("CAFÉ"), Ids{"m1"});
  EXPECT_EQ(ids_of("caf*"), (Ids{"m2", "m1"}));  // newest first when they rank alike
  EXPECT_EQ(ids_of("etienne"), Ids{"m1"});
  EXPECT_EQ(ids_of("naive cooperation"), Ids{"m3"});
  EXPECT_EQ(ids_of("uber"), Ids{"m3"});
  EXPECT_EQ(ids_of("\"saint etienne\""), Ids{"m1"});
  EXPECT_EQ(ids_of("\"etienne saint\""), Ids{});
  EXPECT_EQ(ids_of("rue day"), Ids{"m4"});  // every term is required
  EXPECT_EQ(ids_of("rue"), (Ids{"m4", "m1"}));
  EXPECT_EQ(check(), "");
}

TEST_F(SearchTest, ChineseJapaneseKoreanThaiAndEmojiAreFoundBySubstring) {
  put("zh", "我们明天去北京大学看看", 1);
  put("ja", "東京タワーに行きました", 2);
  put("ko", "안녕하세요 여러분", 3);
  put("th", "สวัสดีครับ ยินดีต้อนรับ", 4);
  put("emoji", "party tonight 🎉🎉 bring snacks 🍕", 5);
  put("latin", "nothing to see here", 6);
  EXPECT_EQ(ids_of("北京大学"), Ids{"zh"});
  EXPECT_EQ(ids_of("北京"), Ids{"zh"});  // two characters: too short for trigrams, still found
  EXPECT_EQ(ids_of("北"), Ids{"zh"});    // and one
  EXPECT_EQ(ids_of("京"), (Ids{"ja", "zh"}));
  EXPECT_EQ(ids_of("京 タワー"), Ids{"ja"});  // a short term, then one the trigrams find
  EXPECT_EQ(ids_of("タワー 東京"), Ids{"ja"});
  EXPECT_EQ(ids_of("タワー"), Ids{"ja"});
  EXPECT_EQ(ids_of("하세요"), Ids{"ko"});
  EXPECT_EQ(ids_of("ยินดี"), Ids{"th"});
  EXPECT_EQ(ids_of("🍕"), Ids{"emoji"});
  EXPECT_EQ(ids_of("party 🎉"), Ids{"emoji"});
  EXPECT_EQ(ids_of("party 🍔"), Ids{});
  EXPECT_EQ(ids_of("大阪"), Ids{});
  // Where the terms matched, as byte offsets into the text.
  const auto hits = store_->search({.text = "北京"}).hits;
  ASSERT_EQ(hits.size(), 1u);
  ASSERT_EQ(hits[0].matches.size(), 1u);
  EXPECT_EQ(hits[0].found_in.substr(hits[0].matches[0].offset, hits[0].matches[0].length), "北京");
  EXPECT_EQ(check(), "");
}

TEST_F(SearchTest, MatchesMarkEachTermInTheTextFoundIn) {
  Message m = make_message("m1", "messaging:general", 1);
  m.text = "The quick brown fox";
  m.attachments = std::vector<Attachment>{
      {.type = "file",
       .asset_url = "https://cdn.example/files/Quarterly-Report.pdf",
       .title = "Quarterly report"},
      {.type = "image", .image_url = "https://cdn.example/img/brown_bear.jpg?w=400"}};
  store_->apply({UpsertMessages{{}, {m}}});
  const auto hits = store_->search({.text = "brown quarterly"}).hits;
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].found_in,
            "The quick brown fox\nQuarterly report\nQuarterly-Report.pdf\nbrown_bear.jpg");
  std::vector<std::string> marked;
  for (const auto& span : hits[0].matches)
    marked.push_back(hits[0].found_in.substr(span.offset, span.length));
  EXPECT_EQ(marked, (std::vector<std::string>{"brown", "Quarterly", "Quarterly", "brown"}));
  EXPECT_EQ(hits[0].channel.cid, "messaging:general");
  EXPECT_EQ(ids_of("report.pdf"), Ids{"m1"});  // a file name, as words
  EXPECT_EQ(ids_of("bear"), Ids{"m1"});
}

TEST_F(SearchTest, EditsDeletionsTruncationAndFlushKeepTheIndexInStep) {
  put("m1", "apples and pears", 1);
  put("m2", "apples only", 2);
  put("m3", "pears only", 3, "messaging:random");
  EXPECT_EQ(ids_of("apples"), (Ids{"m2", "m1"}));
  // An edit: old text out, new text in.
  Message edited = make_message("m1", "messaging:general", 1);
  edited.text = "bananas and pears";
  edited.updated_at = at_second(10);
  store_->apply({UpsertMessages{{}, {edited}}});
  EXPECT_EQ(ids_of("apples"), Ids{"m2"});
  EXPECT_EQ(ids_of("bananas"), Ids{"m1"});
  // A soft delete takes the text out; a hard one the row.
  store_->apply(
      {DeleteMessages{.which = DeleteMessages::ByIds{{"m2"}}, .deleted_at = at_second(11)}});
  EXPECT_EQ(ids_of("apples"), Ids{});
  EXPECT_EQ(ids_of("pears"), (Ids{"m3", "m1"}));
  store_->apply({DeleteMessages{
      .which = DeleteMessages::ByIds{{"m3"}}, .hard = true, .deleted_at = at_second(12)}});
  EXPECT_EQ(ids_of("pears"), Ids{"m1"});
  EXPECT_EQ(check(), "");
  // A truncation, and a channel's deletion.
  put("m4", "pears again", 20, "messaging:random");
  store_->apply({TruncateChannel{"messaging:general", std::nullopt}});
  EXPECT_EQ(ids_of("pears"), Ids{"m4"});
  store_->apply({DeleteChannels{{"messaging:random"}}});
  EXPECT_EQ(ids_of("pears"), Ids{});
  EXPECT_EQ(check(), "");
  put("m5", "kiwis", 30);
  store_->flush();
  store_->apply({UpsertChannels{{make_channel("general", 0)}}});
  EXPECT_EQ(ids_of("kiwis"), Ids{});
  EXPECT_EQ(check(), "");
}

TEST_F(SearchTest, PendingSendsAndEditsAreFoundByTheirTextAndCarryTheirLocalState) {
  put("m1", "the old wording", 1, "messaging:general", "alice");
  Message echo = make_message("e1", "messaging:general", 2, "alice");
  echo.text = "an unsent thought";
  Message edit = make_message("m1", "messaging:general", 1, "alice");
  edit.text = "the new wording";
  OutboxEntry send = make_entry("messaging:general", "e1", OutboxKind::send_message);
  send.payload = {{"message", {{"id", "e1"}, {"text", *echo.text}}}};
  OutboxEntry update = make_entry("messaging:general", "m1", OutboxKind::update_message);
  update.payload = {{"message", {{"id", "m1"}, {"text", *edit.text}}}};
  store_->apply({AddOutboxEntry{send}, UpsertMessages{{}, {echo}, false, true},
                 AddOutboxEntry{update}, UpsertMessages{{}, {edit}, false, false, true}});
  auto hits = store_->search({.text = "unsent"}).hits;
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].message.local_state, LocalState::queued);
  EXPECT_EQ(ids_of("wording"), Ids{"m1"});
  EXPECT_EQ(ids_of("new"), Ids{"m1"});
  EXPECT_EQ(ids_of("old"), Ids{});
}

TEST_F(SearchTest, FiltersSortsAndPages) {
  put("g1", "lunch plans", 10);
  put("g2", "lunch lunch lunch", 20, "messaging:general", "alice");
  put("r1", "lunch at noon", 30, "messaging:random");
  Message reply = make_message("t1", "messaging:general", 40);
  reply.text = "lunch in a thread";
  reply.parent_id = "g1";
  Message with_file = make_message("f1", "messaging:general", 50);
  with_file.text = "lunch menu attached";
  with_file.attachments = std::vector<Attachment>{{.type = "file", .title = "menu.pdf"}};
  store_->apply({UpsertMessages{{}, {reply, with_file}}});

  EXPECT_EQ(ids({.text = "lunch", .sort = SearchSort::newest}),
            (Ids{"f1", "t1", "r1", "g2", "g1"}));
  EXPECT_EQ(ids({.text = "lunch"}).front(), "g2");  // the most lunch
  EXPECT_EQ(ids({.text = "lunch", .cids = std::vector<std::string>{"messaging:random"}}),
            Ids{"r1"});
  EXPECT_EQ(ids({.text = "lunch", .user_id = "alice"}), Ids{"g2"});
  EXPECT_EQ(ids({.text = "lunch",
                 .created_after = at_second(20),
                 .created_before = at_second(40),
                 .sort = SearchSort::newest}),
            (Ids{"r1", "g2"}));
  EXPECT_EQ(ids({.text = "lunch", .in_thread = true}), Ids{"t1"});
  EXPECT_EQ(ids({.text = "lunch", .in_thread = false, .sort = SearchSort::newest}),
            (Ids{"f1", "r1", "g2", "g1"}));
  EXPECT_EQ(ids({.text = "lunch", .has_attachments = true}), Ids{"f1"});
  EXPECT_EQ(ids({.text = "lunch", .has_attachments = false, .sort = SearchSort::newest}).size(),
            4u);
  // A channel list's filter, matched as the live lists match it.
  store_->apply({UpsertMembers{"messaging:random", {make_member("alice")}}});
  EXPECT_EQ(ids({.text = "lunch",
                 .channel_filter = Filter::in("members", {boost::json::value("alice")})}),
            Ids{"r1"});
  // Pages.
  EXPECT_EQ(ids({.text = "lunch", .sort = SearchSort::newest, .limit = 2}), (Ids{"f1", "t1"}));
  EXPECT_EQ(ids({.text = "lunch", .sort = SearchSort::newest, .limit = 2, .offset = 2}),
            (Ids{"r1", "g2"}));
  EXPECT_EQ(ids({.text = "lunch", .sort = SearchSort::newest, .limit = 2, .offset = 4}), Ids{"g1"});
}

// A common word's matches beyond the window are still reached by paging (the window grows with
// the page), and the newest come first whatever the window.
TEST_F(SearchTest, ACommonWordPagesThroughEveryMatch) {
  std::vector<Message> many;
  for (int i = 0; i < 2100; ++i) {
    Message m = make_message("c" + std::to_string(i), "messaging:general", i);
    m.text = "common word " + std::to_string(i);
    many.push_back(std::move(m));
  }
  store_->apply({UpsertMessages{{}, std::move(many)}});
  EXPECT_EQ(ids({.text = "common", .sort = SearchSort::newest, .limit = 2}),
            (Ids{"c2099", "c2098"}));
  EXPECT_EQ(ids({.text = "common", .sort = SearchSort::newest, .limit = 2, .offset = 2098}),
            (Ids{"c1", "c0"}));
  EXPECT_EQ(ids({.text = "common", .limit = 100, .offset = 2050}).size(), 50u);
}

TEST_F(SearchTest, BadQueriesAreRefusedClearly) {
  put("m1", "anything", 1);
  for (const std::string& text :
       std::vector<std::string>{"", "   ", "!!! ???", "*", "caf\xc3", std::string(2000, 'a')}) {
    EXPECT_THROW(store_->search({.text = text}), ChatError) << text;
  }
  EXPECT_THROW(store_->search({.text = "a", .limit = 0}), ChatError);
  EXPECT_THROW(store_->search({.text = "a", .limit = kMaxSearchLimit + 1}), ChatError);
  // FTS5's syntax is nobody's to type: quotes, stars, operators and parentheses are text.
  for (const std::string text : {"\"unbalanced", "a OR b", "NOT x", "(x", "x:y", "a*", "a\"b",
                                 "NEAR(a b)", "^start", "col:anything"}) {
    EXPECT_NO_THROW(store_->search({.text = text})) << text;
  }
  EXPECT_EQ(ids_of("anything\""), Ids{"m1"});
  // A control character (a NUL above all, which would end an FTS5 string) separates terms.
  EXPECT_EQ(ids_of(std::string("any\0thing", 9)), Ids{});
  EXPECT_EQ(ids_of(std::string("\"anything\0\"", 11)), Ids{"m1"});
}

// A database from before the index: its messages are indexed in the background after it opens,
// searches say they are partial meanwhile, and writes made meanwhile keep the index right.
TEST_F(SearchTest, ADatabaseFromBeforeTheIndexIsIndexedInTheBackground) {
  constexpr int kOld = 12'000;
  {
    std::vector<Message> old;
    for (int i = 0; i < kOld; ++i) {
      Message m = make_message("old" + std::to_string(i), "messaging:general", i);
      m.text = i % 200 == 0 ? "needle number " + std::to_string(i) : "hay";
      old.push_back(std::move(m));
    }
    store_->apply({UpsertMessages{{}, std::move(old)}});
    store_->disconnect(false);
    // As schema 9 left it: no index (nor what later migrations made).
    auto db =
        store::open_user_database(SqlitePersistenceClient::database_path(dir_.path(), "alice"));
    undo_migrations_after_11(*db);
    db->exec(R"(DROP TABLE message_words; DROP TABLE message_unspaced; DROP TABLE search_index;
                PRAGMA user_version = 9;)");
  }
  store_->connect("alice");
  // Meanwhile: an edit of an old row (indexed or not yet), a deletion, a new message.
  Message edited = make_message("old100", "messaging:general", 100);
  edited.text = "needle edited";
  edited.updated_at = at_second(kOld + 1);
  store_->apply(
      {UpsertMessages{{}, {edited}}, DeleteMessages{.which = DeleteMessages::ByIds{{"old200"}},
                                                    .hard = true,
                                                    .deleted_at = at_second(kOld + 2)}});
  put("new", "needle new", kOld + 3);
  // Either partial, or every old needle there: never a complete answer missing one.
  const SearchResults first = store_->search({.text = "needle", .limit = 100});
  constexpr std::size_t kNeedles = kOld / 200 + 1 - 1 + 1;  // old ones, edited, deleted, new
  if (!first.partial) {
    EXPECT_EQ(first.hits.size(), kNeedles);
  }
  ASSERT_TRUE(eventually([&] { return !store_->search({.text = "needle"}).partial; }, 60s));
  std::set<std::string> found;
  for (const auto& hit : store_->search({.text = "needle", .limit = 100}).hits)
    found.insert(hit.message.id);
  EXPECT_EQ(found.size(), kNeedles);
  EXPECT_TRUE(found.contains("new"));
  EXPECT_TRUE(found.contains("old100"));
  EXPECT_FALSE(found.contains("old200"));
  EXPECT_EQ(ids_of("edited"), Ids{"old100"});
  EXPECT_EQ(check(), "");
}

// Migration 17 takes the index out of the store's file: a store of schema 16, its index inside,
// loses those tables, and its messages are indexed again in the index's own file, prefixes and
// substrings included.
TEST_F(SearchTest, AStoreOfSchemaSixteenMovesItsIndexToAFileOfItsOwn) {
  for (int i = 0; i < 60; ++i)
    put("m" + std::to_string(i), i % 3 ? "review 北京大学" : "other", i);
  store_->disconnect(false);
  {
    auto db = store::open_user_database(path());
    undo_migrations_after_11(*db);  // and 16's index made again, inside, every row backlog
    db->exec("PRAGMA user_version = 11");
  }
  std::filesystem::remove(search::index_path(path()));
  std::filesystem::remove(search::index_path(path()).string() + "-wal");
  store_->connect("alice");
  ASSERT_TRUE(eventually([&] { return !store_->search({.text = "review"}).partial; }, 60s));
  for (const char* text : {"re*", "rev*", "revi*", "review", "北京"})
    EXPECT_EQ(store_->search({.text = text, .limit = 100}).hits.size(), 40u) << text;
  EXPECT_EQ(ids_of("oth*").size(), 20u);
  EXPECT_EQ(check(), "");
  EXPECT_EQ(peek_integer(path(), R"(SELECT COUNT(*) FROM sqlite_schema WHERE name IN (
                 'message_words', 'message_unspaced', 'search_index', 'message_search_text',
                 'message_unspaced_text', 'message_search_insert', 'message_unspaced_insert',
                 'message_unspaced_delete', 'message_unspaced_update'))"),
            0);
  const auto sql = peek_column(search::index_path(path()),
                               "SELECT sql FROM sqlite_schema WHERE name = 'message_words'");
  ASSERT_EQ(sql.size(), 1u);
  EXPECT_NE(sql[0].find("prefix = '2 3'"), std::string::npos) << sql[0];
}

// The index's rule, step by step (index_file.hpp): a start over, the backlog, the tail and the
// changes the store queues, with edits, deletions and a rowid that comes back between steps on
// both sides of each line; the index agrees with the messages after every step.
TEST_F(SearchTest, EveryStepOfTheIndexLeavesItRight) {
  for (int i = 0; i < 50; ++i)
    put("m" + std::to_string(i), "word" + std::to_string(i % 5), i);
  store_->disconnect(false);
  auto db = store::open_user_database(path());
  const auto write = [&](const Mutation& m) { write_directly(*db, m); };
  {
    sqlite::Transaction transaction(*db);
    search::restart_index(*db);
    transaction.commit();
  }
  search::IndexFile index(path(), search::IndexFile::Access::read_write);
  EXPECT_FALSE(index.step(0));  // starts over: every row is backlog
  EXPECT_EQ(index.progress().backlog, 50);
  EXPECT_EQ(check(), "");
  int steps = 0;
  int added = 0;
  for (bool done = false; !done; ++steps) {
    ASSERT_LT(steps, 1000);
    const search::IndexProgress p = index.progress();
    // Writes on both sides of the backlog's line and the tail's.
    for (const std::int64_t line : {p.indexed_through, p.tail_from}) {
      db->query(
            "UPDATE messages SET data = json_set(data, '$.text', 'changed ' || rowid) "
            "WHERE rowid IN (?1, ?2)")
          .bind(1, line)
          .bind(2, line + 1)
          .run();
      db->query("DELETE FROM messages WHERE rowid = ?1").bind(1, line + 3).run();
    }
    if (steps % 3 == 0) {
      // The newest row goes, and its rowid comes back with another message.
      db->exec("DELETE FROM messages WHERE rowid = (SELECT MAX(rowid) FROM messages)");
      Message m = make_message("new" + std::to_string(added++), "messaging:general", 100 + steps);
      m.text = "reborn";
      write(UpsertMessages{{}, {m}});
    }
    ASSERT_EQ(check(), "") << "before step " << steps;
    done = steps > 10 && index.step(0);
    if (!done && steps <= 10) index.step(0);
  }
  EXPECT_TRUE(index.progress().complete());
  EXPECT_EQ(check(), "");
  sqlite::Database file(search::index_path(path()), sqlite::Database::Access::read_only);
  EXPECT_GT(file.integer("SELECT COUNT(*) FROM message_words WHERE message_words MATCH 'changed'"),
            0);
  EXPECT_EQ(file.integer("SELECT COUNT(*) FROM message_words WHERE message_words MATCH 'reborn'"),
            db->integer("SELECT COUNT(*) FROM messages WHERE data LIKE '%reborn%'"));
}

// The tail and the queue (index_file.hpp): a message written waits for the index, an edit or a
// deletion is queued in the store's transaction, and the index agrees with the messages
// throughout; a read-only store says its search is partial; a catch-up indexes the messages as
// they are now, and the store then deletes the changes it replayed.
TEST_F(SearchTest, NewMessagesAndChangesWaitForTheIndexAndItAgreesThroughout) {
  put("m0", "indexed before", 0);
  ASSERT_EQ(ids_of("indexed"), Ids{"m0"});  // the search indexed the tail first
  store_->disconnect(false);                // and no indexer runs now
  auto db = store::open_user_database(path());
  const auto write = [&](const Mutation& m) { write_directly(*db, m); };
  search::IndexFile index(path(), search::IndexFile::Access::read_write);
  const auto indexed = [&] {
    return peek_integer(search::index_path(path()), "SELECT COUNT(*) FROM message_words_docsize");
  };
  Message waiting = make_message("m1", "messaging:general", 1);
  waiting.text = "waiting word";
  Message gone = make_message("m2", "messaging:general", 2);
  gone.text = "gone word";
  write(UpsertMessages{{}, {waiting, gone}});
  EXPECT_EQ(indexed(), 1);
  EXPECT_EQ(index.progress().tail_rows(), 2);
  EXPECT_EQ(check(), "");
  waiting.text = "edited word";
  waiting.updated_at = at_second(10);
  write(UpsertMessages{{}, {waiting}});
  write(DeleteMessages{.which = DeleteMessages::ByIds{{"m2"}}, .hard = true});
  EXPECT_EQ(db->integer("SELECT COUNT(*) FROM search_changes"), 2);
  EXPECT_EQ(indexed(), 1);
  {
    SqlitePersistenceClient reader(
        SqlitePersistenceOptions{.directory = dir_.path(), .read_only = true});
    reader.connect("alice");
    EXPECT_TRUE(reader.search({.text = "word"}).partial);
  }
  index.catch_up();
  EXPECT_EQ(indexed(), 2);
  EXPECT_EQ(check(), "");
  sqlite::Database file(search::index_path(path()), sqlite::Database::Access::read_only);
  EXPECT_EQ(file.integer("SELECT COUNT(*) FROM message_words WHERE message_words MATCH 'edited'"),
            1);
  EXPECT_EQ(file.integer("SELECT COUNT(*) FROM message_words WHERE message_words MATCH 'waiting'"),
            0);
  // An indexed message's edit is queued, and replayed by the next step.
  waiting.text = "again";
  waiting.updated_at = at_second(11);
  write(UpsertMessages{{}, {waiting}});
  EXPECT_EQ(file.integer("SELECT COUNT(*) FROM message_words WHERE message_words MATCH 'again'"),
            0);
  EXPECT_FALSE(index.step(0));
  EXPECT_EQ(file.integer("SELECT COUNT(*) FROM message_words WHERE message_words MATCH 'again'"),
            1);
  EXPECT_TRUE(index.step(0));
  EXPECT_EQ(check(), "");
  // The store deletes what was replayed with its next write.
  store::SqliteStore store(SqlitePersistenceOptions{.directory = dir_.path()});
  store.connect("alice");
  EXPECT_EQ(db->integer("SELECT COUNT(*) FROM search_changes"), 3);
  EXPECT_EQ(store.search({.text = "again"}).hits.size(), 1u);  // its index read the progress
  store.apply({UpsertChannels{{make_channel("other", 0)}}});
  EXPECT_EQ(db->integer("SELECT COUNT(*) FROM search_changes"), 0);
}

// Nothing searches here: the store indexes what it wrote once it is idle.
TEST_F(SearchTest, TheStoreIndexesNewMessagesWhenIdle) {
  for (int i = 0; i < 30; ++i)
    put("m" + std::to_string(i), "idle words", i);
  ASSERT_TRUE(
      eventually([&] { return storage_stats(dir_.path(), "alice").search_index_complete; }, 30s));
  EXPECT_EQ(peek_integer(search::index_path(path()), "SELECT COUNT(*) FROM message_words_docsize"),
            30);
  EXPECT_EQ(check(), "");
}

// The point of the index's own file: it is written while the store's write lock is held by
// another connection (the writer, or the agent), reading the store's last commit.
TEST_F(SearchTest, TheIndexIsWrittenWhileTheStoresWriteLockIsHeld) {
  store_->disconnect(false);
  store::SqliteStore store(SqlitePersistenceOptions{.directory = dir_.path()});
  store.connect("alice");
  store.stop_search_indexer();
  Message m = make_message("m1", "messaging:general", 1);
  m.text = "waiting";
  store.apply({UpsertMessages{{}, {m}}});
  sqlite::Database other(path(), sqlite::Database::Access::read_write);
  other.exec("BEGIN IMMEDIATE");
  other.exec("DELETE FROM messages");  // not committed: the index reads the last commit
  EXPECT_EQ(store.search({.text = "waiting"}).hits.size(), 1u);
  EXPECT_EQ(peek_integer(search::index_path(path()), "SELECT COUNT(*) FROM message_words_docsize"),
            1);
  other.exec("ROLLBACK");
}

// A flush empties the messages, so SQLite numbers rows from 1 again, naming other messages: the
// index starts over, and a logout's flush leaves it empty.
TEST_F(SearchTest, AFlushStartsTheIndexOver) {
  for (int i = 0; i < 5; ++i)
    put("m" + std::to_string(i), "flushed words", i);
  ASSERT_EQ(ids_of("flushed").size(), 5u);
  store_->flush();
  put("n0", "fresh words", 10);  // rowid 1 again
  EXPECT_EQ(ids_of("flushed"), Ids{});
  EXPECT_EQ(ids_of("words"), Ids{"n0"});
  EXPECT_EQ(check(), "");
  store_->disconnect(true);
  EXPECT_EQ(peek_integer(search::index_path(path()), "SELECT COUNT(*) FROM message_words_docsize"),
            0);
}

TEST_F(SearchTest, TheIndexSizeIsInTheStorageStatistics) {
  for (int i = 0; i < 200; ++i)
    put("m" + std::to_string(i), "some words to index number " + std::to_string(i), i);
  // Complete once the store was idle long enough to index the new messages.
  EXPECT_TRUE(
      eventually([&] { return storage_stats(dir_.path(), "alice").search_index_complete; }, 30s));
  const StorageStats stats = storage_stats(dir_.path(), "alice");
  EXPECT_EQ(stats.search_index_bytes, search::index_bytes(path()));
  EXPECT_GT(stats.search_index_bytes, 0u);
}

// An index that disagrees with the messages (written behind its triggers' back) is found by the
// maintenance work's check, and rebuilt from the messages.
TEST_F(SearchTest, MaintenanceFindsAnIndexThatDisagreesAndRebuildsIt) {
  put("m1", "kept words", 1);
  put("m2", "lost words", 2);
  store_->disconnect(false);
  auto db = store::open_user_database(path());
  search::IndexFile index(path(), search::IndexFile::Access::read_write);
  // A first run may VACUUM (once per database), which restarts the index: let it finish.
  store::maintain(*db, {}, Timestamp::now());
  while (!index.step(0)) {
  }
  EXPECT_EQ(store::maintain(*db, {}, Timestamp::now()).at("search_index"), "ok");
  db->exec("DROP TRIGGER message_search_delete; DELETE FROM messages WHERE id = 'm2'");
  EXPECT_NE(check(), "");
  const auto report = store::maintain(*db, {}, Timestamp::now());
  EXPECT_NE(report.at("search_index"), "ok");
  EXPECT_TRUE(report.at("search_index_restarted").as_bool());
  while (!index.step(0)) {
  }
  EXPECT_EQ(check(), "");
  EXPECT_EQ(peek_integer(search::index_path(path()),
                         "SELECT COUNT(*) FROM message_words WHERE message_words MATCH 'words'"),
            1);
}

}  // namespace
}  // namespace chatkeep

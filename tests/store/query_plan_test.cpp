// The hot reads (channel state, paging, the query cache, the outbox) use indexes and never scan a
// whole table. The statements checked are the ones the store really runs, captured through its
// trace log.

#include <mutex>
#include <regex>

#include <gtest/gtest.h>

#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/testing/builders.hpp"
#include "chatkeep/testing/temp_dir.hpp"
#include "support/sqlite_peek.hpp"

namespace chatkeep {
namespace {

using namespace testing;

TEST(QueryPlan, HotReadsSearchIndexesAndNeverScan) {
  TempDir dir;
  std::mutex mutex;
  std::vector<std::string> statements;
  SqlitePersistenceClient store(
      {.directory = dir.path(),
       .log = {.level = LogLevel::trace, .sink = [&](LogLevel, std::string_view line) {
                 constexpr std::string_view kPrefix = "[store] sql: ";
                 if (line.rfind(kPrefix, 0) == 0) {
                   std::lock_guard lock(mutex);
                   statements.emplace_back(line.substr(kPrefix.size()));
                 }
               }}});
  store.connect("alice");
  const std::string cid = "messaging:general";
  std::vector<Message> messages;
  for (int i = 0; i < 200; ++i) {
    Message m = make_message("m" + std::to_string(i), cid, i);
    if (i % 10 == 0) m.pinned = true;
    if (i % 7 == 0) m.parent_id = "m1";
    messages.push_back(m);
  }
  store.apply({UpsertChannels{{make_channel("general", 199), make_channel("other", 5)}},
               UpsertMessages{{}, messages},
               UpsertMembers{cid, {make_member("alice"), make_member("bob")}},
               UpsertReads{cid, {Read{.user = make_user("alice"), .last_read = at_second(5)}}},
               SaveChannelQuery{Filter(), {}, {cid, "messaging:other"}},
               AddOutboxEntry{make_entry(cid, "m5")}});
  {
    std::lock_guard lock(mutex);
    statements.clear();  // only the reads below
  }

  (void)store.channel_state(cid, {});
  for (MessagePagination page : {MessagePagination{.id_lt = "m100"},
                                 {.id_lte = "m100"},
                                 {.id_gt = "m100"},
                                 {.id_gte = "m100"},
                                 {.id_around = "m100"},
                                 {.id_lt = "m100", .id_gt = "m10"}}) {
    (void)store.messages(cid, page);
  }
  (void)store.replies("m1", {.limit = 5, .id_gt = "m7"});
  (void)store.pinned_messages(cid, {.id_lt = "m150"});
  (void)store.message("m42");
  for (const Sort& sort :
       {Sort{}, Sort{{.field = "last_message_at"}},
        Sort{{.field = "member_count", .direction = SortDirection::ascending}}}) {
    store.apply({SaveChannelQuery{Filter(), sort, {cid}}});
    (void)store.query_channels(Filter(), sort, 0, 30, 25);
  }
  (void)store.outbox(0, 100);
  // A copy of a message with an entry in the outbox: the writer looks up the entries about it,
  // and the sends of replies to it (the outbox's partial index of parents).
  store.apply({UpsertMessages{{}, {make_message("m5", cid, 5)}}});

  std::lock_guard lock(mutex);
  auto path = SqlitePersistenceClient::database_path(dir.path(), "alice");
  // A table-valued function (json_each over one row's mentioned users) is scanned by nature, and
  // so is the one row of a SELECT without FROM.
  const std::regex whole_table_scan("^SCAN (?!.*VIRTUAL TABLE|CONSTANT ROW)");
  std::size_t checked = 0;
  bool mentions_by_index = false;  // unread mentions read only messages that mention someone
  bool replies_by_index = false;   // pending sends of replies are found by their parent
  for (const auto& sql : statements) {
    if (sql.rfind("SELECT", 0) != 0) continue;
    ++checked;
    for (const auto& detail : peek_column(path, "EXPLAIN QUERY PLAN " + sql, 3)) {
      EXPECT_FALSE(std::regex_search(detail, whole_table_scan)) << detail << "\n  in " << sql;
      mentions_by_index |= detail.find("INDEX messages_mentioning") != std::string::npos;
      replies_by_index |= detail.find("INDEX outbox_by_parent") != std::string::npos;
    }
  }
  EXPECT_GE(checked, 30u);
  EXPECT_TRUE(mentions_by_index);
  EXPECT_TRUE(replies_by_index);
}

}  // namespace
}  // namespace chatkeep

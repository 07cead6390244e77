#include "search/message_index.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "chatkeep/error.hpp"

namespace chatkeep::search {

using sqlite::Transaction;

// Whether row `r` counts as indexed, by migration 10's rule, which knew no tail (its text has
// shipped, and is never edited). Each trigger reads the one-row progress table.
#define CHATKEEP_INDEXED_10(r)                        \
  "(" r " > (SELECT backlog FROM search_index) OR " r \
  " <= (SELECT indexed_through "                      \
  "FROM search_index))"

const char* const kSearchIndexSchema = R"sql(
CREATE TABLE search_index (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_through INTEGER NOT NULL,
  backlog INTEGER NOT NULL
);
INSERT INTO search_index (id, indexed_through, backlog)
  VALUES (1, 0, (SELECT COALESCE(MAX(rowid), 0) FROM messages));

-- The content each index reads back is exactly what it holds (FTS5's integrity check compares
-- the two): rows that count, with text for that index.
CREATE VIEW message_search_text AS
  SELECT key, body FROM (SELECT rowid AS key, chatkeep_indexed_text(data) AS body FROM messages
                         WHERE )sql" CHATKEEP_INDEXED_10("rowid") R"sql()
  WHERE body IS NOT NULL;
CREATE VIEW message_unspaced_text AS
  SELECT key, body FROM (SELECT rowid AS key, chatkeep_unspaced(chatkeep_indexed_text(data)) AS body
                         FROM messages WHERE )sql" CHATKEEP_INDEXED_10("rowid") R"sql()
  WHERE body IS NOT NULL;
CREATE VIRTUAL TABLE message_words USING fts5(body, content = 'message_search_text',
  content_rowid = 'key', tokenize = )sql" CHATKEEP_WORD_TOKENIZER R"sql();
CREATE VIRTUAL TABLE message_unspaced USING fts5(body, content = 'message_unspaced_text',
  content_rowid = 'key', tokenize = 'trigram');

CREATE TRIGGER message_search_insert AFTER INSERT ON messages
WHEN )sql" CHATKEEP_INDEXED_10("NEW.rowid") R"sql( AND chatkeep_indexed_text(NEW.data) IS NOT NULL
BEGIN
  INSERT INTO message_words (rowid, body) VALUES (NEW.rowid, chatkeep_indexed_text(NEW.data));
END;
-- Each index has triggers of its own, whose WHEN keeps most rows from ever reaching the trigram
-- index's statements: a statement on an FTS5 table costs even when it writes nothing.
CREATE TRIGGER message_unspaced_insert AFTER INSERT ON messages
WHEN )sql" CHATKEEP_INDEXED_10("NEW.rowid") R"sql(
  AND chatkeep_unspaced(chatkeep_indexed_text(NEW.data)) IS NOT NULL BEGIN
  INSERT INTO message_unspaced (rowid, body)
    VALUES (NEW.rowid, chatkeep_unspaced(chatkeep_indexed_text(NEW.data)));
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages
WHEN )sql" CHATKEEP_INDEXED_10("OLD.rowid") R"sql( AND chatkeep_indexed_text(OLD.data) IS NOT NULL
BEGIN
  INSERT INTO message_words (message_words, rowid, body)
    VALUES ('delete', OLD.rowid, chatkeep_indexed_text(OLD.data));
END;
CREATE TRIGGER message_unspaced_delete AFTER DELETE ON messages
WHEN )sql" CHATKEEP_INDEXED_10("OLD.rowid") R"sql(
  AND chatkeep_unspaced(chatkeep_indexed_text(OLD.data)) IS NOT NULL BEGIN
  INSERT INTO message_unspaced (message_unspaced, rowid, body)
    VALUES ('delete', OLD.rowid, chatkeep_unspaced(chatkeep_indexed_text(OLD.data)));
END;

-- Most updates (reactions, reply counts, read receipts in the JSON) leave the text as it was:
-- those cost one comparison and touch no index.
CREATE TRIGGER message_search_update AFTER UPDATE OF data ON messages
WHEN )sql" CHATKEEP_INDEXED_10("OLD.rowid") R"sql(
  AND chatkeep_indexed_text(OLD.data) IS NOT chatkeep_indexed_text(NEW.data) BEGIN
  INSERT INTO message_words (message_words, rowid, body)
    SELECT 'delete', OLD.rowid, chatkeep_indexed_text(OLD.data)
    WHERE chatkeep_indexed_text(OLD.data) IS NOT NULL;
  INSERT INTO message_words (rowid, body)
    SELECT NEW.rowid, chatkeep_indexed_text(NEW.data)
    WHERE chatkeep_indexed_text(NEW.data) IS NOT NULL;
END;
CREATE TRIGGER message_unspaced_update AFTER UPDATE OF data ON messages
WHEN )sql" CHATKEEP_INDEXED_10("OLD.rowid") R"sql(
  AND chatkeep_unspaced(chatkeep_indexed_text(OLD.data))
      IS NOT chatkeep_unspaced(chatkeep_indexed_text(NEW.data)) BEGIN
  INSERT INTO message_unspaced (message_unspaced, rowid, body)
    SELECT 'delete', OLD.rowid, chatkeep_unspaced(chatkeep_indexed_text(OLD.data))
    WHERE chatkeep_unspaced(chatkeep_indexed_text(OLD.data)) IS NOT NULL;
  INSERT INTO message_unspaced (rowid, body)
    SELECT NEW.rowid, chatkeep_unspaced(chatkeep_indexed_text(NEW.data))
    WHERE chatkeep_unspaced(chatkeep_indexed_text(NEW.data)) IS NOT NULL;
END;
)sql";

#undef CHATKEEP_INDEXED_10

// Whether row `r` counts as indexed (the header's rule), read by each trigger from the one-row
// progress table.
#define CHATKEEP_INDEXED(r)                               \
  "(SELECT " r " <= tail_from AND (" r " > backlog OR " r \
  " <= indexed_through) FROM "                            \
  "search_index)"

// Migration 10's views and triggers again, with the rule that has the tail.
const char* const kSearchIndexTail = R"sql(
ALTER TABLE search_index ADD COLUMN tail_from INTEGER NOT NULL DEFAULT 9223372036854775807;
UPDATE search_index SET tail_from = MAX(backlog, (SELECT COALESCE(MAX(rowid), 0) FROM messages));
DROP VIEW IF EXISTS message_search_text;
DROP VIEW IF EXISTS message_unspaced_text;
DROP TRIGGER IF EXISTS message_search_insert;
DROP TRIGGER IF EXISTS message_unspaced_insert;
DROP TRIGGER IF EXISTS message_search_delete;
DROP TRIGGER IF EXISTS message_unspaced_delete;
DROP TRIGGER IF EXISTS message_search_update;
DROP TRIGGER IF EXISTS message_unspaced_update;

-- The content each index reads back is exactly what it holds (FTS5's integrity check compares
-- the two): rows that count, with text for that index. The rule names messages.rowid: within
-- its subquery, a bare rowid is search_index's.
CREATE VIEW message_search_text AS
  SELECT key, body FROM (SELECT rowid AS key, chatkeep_indexed_text(data) AS body FROM messages
                         WHERE )sql" CHATKEEP_INDEXED("messages.rowid") R"sql()
  WHERE body IS NOT NULL;
CREATE VIEW message_unspaced_text AS
  SELECT key, body FROM (SELECT rowid AS key, chatkeep_unspaced(chatkeep_indexed_text(data)) AS body
                         FROM messages WHERE )sql" CHATKEEP_INDEXED("messages.rowid") R"sql()
  WHERE body IS NOT NULL;
CREATE TRIGGER message_search_insert AFTER INSERT ON messages
WHEN )sql" CHATKEEP_INDEXED("NEW.rowid") R"sql( AND chatkeep_indexed_text(NEW.data) IS NOT NULL
BEGIN
  INSERT INTO message_words (rowid, body) VALUES (NEW.rowid, chatkeep_indexed_text(NEW.data));
END;
-- Each index has triggers of its own, whose WHEN keeps most rows from ever reaching the trigram
-- index's statements: a statement on an FTS5 table costs even when it writes nothing.
CREATE TRIGGER message_unspaced_insert AFTER INSERT ON messages
WHEN )sql" CHATKEEP_INDEXED("NEW.rowid") R"sql(
  AND chatkeep_unspaced(chatkeep_indexed_text(NEW.data)) IS NOT NULL BEGIN
  INSERT INTO message_unspaced (rowid, body)
    VALUES (NEW.rowid, chatkeep_unspaced(chatkeep_indexed_text(NEW.data)));
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages
WHEN )sql" CHATKEEP_INDEXED("OLD.rowid") R"sql( AND chatkeep_indexed_text(OLD.data) IS NOT NULL
BEGIN
  INSERT INTO message_words (message_words, rowid, body)
    VALUES ('delete', OLD.rowid, chatkeep_indexed_text(OLD.data));
END;
CREATE TRIGGER message_unspaced_delete AFTER DELETE ON messages
WHEN )sql" CHATKEEP_INDEXED("OLD.rowid") R"sql(
  AND chatkeep_unspaced(chatkeep_indexed_text(OLD.data)) IS NOT NULL BEGIN
  INSERT INTO message_unspaced (message_unspaced, rowid, body)
    VALUES ('delete', OLD.rowid, chatkeep_unspaced(chatkeep_indexed_text(OLD.data)));
END;

-- Most updates (reactions, reply counts, read receipts in the JSON) leave the text as it was:
-- those cost one comparison and touch no index.
CREATE TRIGGER message_search_update AFTER UPDATE OF data ON messages
WHEN )sql" CHATKEEP_INDEXED("OLD.rowid") R"sql(
  AND chatkeep_indexed_text(OLD.data) IS NOT chatkeep_indexed_text(NEW.data) BEGIN
  INSERT INTO message_words (message_words, rowid, body)
    SELECT 'delete', OLD.rowid, chatkeep_indexed_text(OLD.data)
    WHERE chatkeep_indexed_text(OLD.data) IS NOT NULL;
  INSERT INTO message_words (rowid, body)
    SELECT NEW.rowid, chatkeep_indexed_text(NEW.data)
    WHERE chatkeep_indexed_text(NEW.data) IS NOT NULL;
END;
CREATE TRIGGER message_unspaced_update AFTER UPDATE OF data ON messages
WHEN )sql" CHATKEEP_INDEXED("OLD.rowid") R"sql(
  AND chatkeep_unspaced(chatkeep_indexed_text(OLD.data))
      IS NOT chatkeep_unspaced(chatkeep_indexed_text(NEW.data)) BEGIN
  INSERT INTO message_unspaced (message_unspaced, rowid, body)
    SELECT 'delete', OLD.rowid, chatkeep_unspaced(chatkeep_indexed_text(OLD.data))
    WHERE chatkeep_unspaced(chatkeep_indexed_text(OLD.data)) IS NOT NULL;
  INSERT INTO message_unspaced (rowid, body)
    SELECT NEW.rowid, chatkeep_unspaced(chatkeep_indexed_text(NEW.data))
    WHERE chatkeep_unspaced(chatkeep_indexed_text(NEW.data)) IS NOT NULL;
END;
)sql";

const char* const kIndexEveryWrite = "UPDATE search_index SET tail_from = 9223372036854775807";

#undef CHATKEEP_INDEXED

// A prefix query merges the lists of every word the prefix begins, each time it is searched:
// "re*" in a million messages takes tens of milliseconds. The short prefixes, which begin the
// most words, get lists of their own; longer ones begin few enough words to merge.
const char* const kSearchIndexPrefixes = R"sql(
DROP TABLE message_words;
CREATE VIRTUAL TABLE message_words USING fts5(body, content = 'message_search_text',
  content_rowid = 'key', tokenize = )sql" CHATKEEP_WORD_TOKENIZER R"sql(, prefix = '2 3');
INSERT INTO message_unspaced (message_unspaced) VALUES ('delete-all');
UPDATE search_index SET indexed_through = 0,
  backlog = (SELECT COALESCE(MAX(rowid), 0) FROM messages) WHERE id = 1;
)sql";

std::map<std::int64_t, std::string> highlight_rows(sqlite::Database& db, const std::string& words,
                                                   const std::vector<std::int64_t>& rowids) {
  std::map<std::int64_t, std::string> marked;
  if (rowids.empty()) return marked;
  boost::json::array ids;
  for (const std::int64_t rowid : rowids)
    ids.emplace_back(rowid);
  db.exec(
      "CREATE VIRTUAL TABLE IF NOT EXISTS temp.message_words_page USING fts5(body, "
      "tokenize = " CHATKEEP_WORD_TOKENIZER ")");
  try {
    db.query(R"(INSERT INTO temp.message_words_page (rowid, body)
                SELECT key, t FROM (SELECT rowid AS key, chatkeep_indexed_text(data) AS t
                                    FROM messages WHERE rowid IN (SELECT value FROM json_each(?1)))
                WHERE t IS NOT NULL)")
        .bind(1, boost::json::serialize(ids))
        .run();
    auto q = db.query(
        "SELECT rowid, highlight(message_words_page, 0, char(1), char(2)) "
        "FROM temp.message_words_page WHERE message_words_page MATCH ?1");
    q.bind(1, words);
    while (q.next())
      marked.emplace(q.integer(0), std::string(q.text(1)));
  } catch (const ChatError&) {
    db.exec("DELETE FROM temp.message_words_page");
    throw;
  }
  db.exec("DELETE FROM temp.message_words_page");
  return marked;
}

namespace {

// How far the backlog is indexed: indexed_through, and backlog (0: none).
struct BacklogProgress {
  std::int64_t indexed_through = 0;
  std::int64_t backlog = 0;
};

BacklogProgress backlog_progress(sqlite::Database& db) {
  auto q = db.query("SELECT indexed_through, backlog FROM search_index WHERE id = 1");
  if (!q.next()) return {};
  return {.indexed_through = q.integer(0), .backlog = q.integer(1)};
}

// Indexes the rows of (after, through] in both indexes: the same text the triggers compute.
void index_rows(sqlite::Database& db, std::int64_t after, std::int64_t through) {
  db.query(R"(INSERT INTO message_words (rowid, body)
              SELECT key, t FROM (SELECT rowid AS key, chatkeep_indexed_text(data) AS t
                                  FROM messages WHERE rowid > ?1 AND rowid <= ?2)
              WHERE t IS NOT NULL)")
      .bind(1, after)
      .bind(2, through)
      .run();
  db.query(R"(INSERT INTO message_unspaced (rowid, body)
              SELECT key, u FROM (SELECT rowid AS key,
                                         chatkeep_unspaced(chatkeep_indexed_text(data)) AS u
                                  FROM messages WHERE rowid > ?1 AND rowid <= ?2)
              WHERE u IS NOT NULL)")
      .bind(1, after)
      .bind(2, through)
      .run();
}

}  // namespace

bool index_search_backlog(sqlite::Database& db, std::int64_t rows) {
  Transaction transaction(db);
  const BacklogProgress progress = backlog_progress(db);
  if (progress.backlog == 0) return true;
  const std::int64_t through = std::min(progress.backlog, progress.indexed_through + rows);
  index_rows(db, progress.indexed_through, through);
  const bool done = through >= progress.backlog;
  db.query("UPDATE search_index SET indexed_through = ?1, backlog = ?2 WHERE id = 1")
      .bind(1, done ? 0 : through)
      .bind(2, done ? 0 : progress.backlog)
      .run();
  transaction.commit();
  return done;
}

}  // namespace chatkeep::search

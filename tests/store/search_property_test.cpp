// A property test of the search index: after random inserts, edits, soft and hard deletions,
// truncations, channel deletions and retention, the store's search answers exactly what a plain
// scan of a model of the messages answers, for random queries (words, prefixes, phrases, CJK and
// emoji substrings), and FTS5's own check finds the index in step with the messages table.

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/testing/builders.hpp"
#include "chatkeep/testing/temp_dir.hpp"
#include "search/index_file.hpp"
#include "store/maintenance.hpp"
#include "store/user_database.hpp"

namespace chatkeep {
namespace {

using namespace testing;

const std::vector<std::string> kWords = {"alpha", "alpine", "beta", "bet",   "gamma",
                                         "delta", "deli",   "echo", "eclat", "fox"};
const std::vector<std::string> kUnspaced = {"北京", "大学", "東京", "🎉", "สวัสดี"};

struct Stored {
  std::string cid;
  std::int64_t second;
  std::string text;
  bool deleted = false;  // soft: the row stays (and counts for retention), found by nothing
};

// The words of a model message's text, folded to lower case (the vocabulary is ASCII), as the
// word index splits them: at spaces and at emoji (symbols are no word's part), while other
// scripts' letters run on into the word they touch.
std::vector<std::string> words_of(std::string text) {
  for (std::size_t at; (at = text.find("🎉")) != std::string::npos;)
    text.replace(at, std::string("🎉").size(), " ");
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c == ' ') {
      if (!word.empty()) words.push_back(word);
      word.clear();
    } else {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

struct Query {
  std::string text;
  std::function<bool(const std::string&)> matches;
};

TEST(SearchPropertyTest, TheIndexAnswersWhatAScanOfTheMessagesAnswers) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    auto pick = [&](const auto& v) -> const auto& {
      return v[random() % v.size()];
    };
    TempDir dir;
    SqlitePersistenceClient store({.directory = dir.path()});
    store.connect("alice");
    const std::vector<std::string> cids = {"messaging:one", "messaging:two", "messaging:three"};
    std::map<std::string, Stored> model;  // the rows of the messages table
    std::int64_t clock = 0;
    int next_id = 0;
    auto text = [&] {
      std::string out;
      const int n = 1 + static_cast<int>(random() % 6);
      bool run_on = false;
      for (int i = 0; i < n; ++i) {
        if (run_on || random() % 5 == 0) {
          out += pick(kUnspaced);
          // Unspaced text runs on into the next, itself unspaced (where scripts meet without a
          // space the word index's idea of a word is the tokenizer's, not this model's).
          run_on = random() % 2 == 0;
          if (run_on) continue;
        } else {
          std::string w = pick(kWords);
          if (random() % 4 == 0) w[0] = static_cast<char>(std::toupper(w[0]));
          out += w;
        }
        out += ' ';
      }
      return out;
    };
    auto ensure_channel = [&](const std::string& cid) {
      store.apply({UpsertChannels{{make_channel(cid.substr(cid.find(':') + 1), 0)}}});
    };
    for (const auto& cid : cids)
      ensure_channel(cid);

    auto check_queries = [&] {
      std::vector<Query> queries;
      for (int i = 0; i < 12; ++i) {
        switch (random() % 5) {
          case 0: {
            const std::string w = pick(kWords);
            queries.push_back({w, [w](const std::string& t) {
                                 const auto ws = words_of(t);
                                 return std::find(ws.begin(), ws.end(), w) != ws.end();
                               }});
            break;
          }
          case 1: {
            const std::string p = pick(kWords).substr(0, 2 + random() % 2);
            queries.push_back({p + "*", [p](const std::string& t) {
                                 for (const auto& w : words_of(t))
                                   if (w.rfind(p, 0) == 0) return true;
                                 return false;
                               }});
            break;
          }
          case 2: {
            const std::string a = pick(kWords), b = pick(kWords);
            queries.push_back({"\"" + a + " " + b + "\"", [a, b](const std::string& t) {
                                 const auto ws = words_of(t);
                                 for (std::size_t k = 0; k + 1 < ws.size(); ++k)
                                   if (ws[k] == a && ws[k + 1] == b) return true;
                                 return false;
                               }});
            break;
          }
          case 3: {
            const std::string a = pick(kWords), b = pick(kWords);
            queries.push_back({a + " " + b, [a, b](const std::string& t) {
                                 const auto ws = words_of(t);
                                 return std::find(ws.begin(), ws.end(), a) != ws.end() &&
                                        std::find(ws.begin(), ws.end(), b) != ws.end();
                               }});
            break;
          }
          default: {
            std::string u = pick(kUnspaced);
            if (random() % 2) u += pick(kUnspaced);  // across two of them
            queries.push_back(
                {u, [u](const std::string& t) { return t.find(u) != std::string::npos; }});
          }
        }
      }
      for (const auto& q : queries) {
        std::set<std::string> want;
        for (const auto& [id, m] : model)
          if (!m.deleted && q.matches(m.text)) want.insert(id);
        std::set<std::string> got;
        for (std::size_t offset = 0;; offset += kMaxSearchLimit) {
          const auto hits =
              store.search({.text = q.text, .limit = kMaxSearchLimit, .offset = offset}).hits;
          for (const auto& hit : hits)
            got.insert(hit.message.id);
          if (hits.size() < kMaxSearchLimit) break;
        }
        EXPECT_EQ(got, want) << q.text;
        if (got != want) {
          for (const auto& id : got)
            if (!want.contains(id)) ADD_FAILURE() << "found " << id << ": " << model[id].text;
          for (const auto& id : want) {
            if (got.contains(id)) continue;
            const auto stored = store.message(id);
            ADD_FAILURE() << "missed " << id << ": " << model[id].text << " / stored: "
                          << (stored ? stored->text.value_or("(none)") + " " +
                                           stored->type.value_or("")
                                     : "no");
          }
          return;
        }
      }
    };

    for (int step = 0; step < 400; ++step) {
      const auto roll = random() % 100;
      if (roll < 50 || model.empty()) {
        std::vector<Message> batch;
        for (int k = 0; k < 1 + static_cast<int>(random() % 5); ++k) {
          const std::string id = "m" + std::to_string(next_id++);
          const std::string& cid = pick(cids);
          Message m = make_message(id, cid, ++clock);
          m.text = text();
          model[id] = {cid, clock, *m.text};
          batch.push_back(std::move(m));
        }
        store.apply({UpsertMessages{{}, std::move(batch)}});
        continue;
      }
      auto victim = model.begin();
      std::advance(victim, static_cast<long>(random() % model.size()));
      const std::string id = victim->first;
      if (roll < 80 && victim->second.deleted) {
        check_queries();
      } else if (roll < 70) {  // an edit
        Message m = make_message(id, victim->second.cid, victim->second.second);
        m.text = text();
        m.updated_at = at_second(++clock + 1'000'000);
        victim->second.text = *m.text;
        store.apply({UpsertMessages{{}, {m}}});
      } else if (roll < 80) {
        const bool hard = random() % 2;
        store.apply({DeleteMessages{
            .which = DeleteMessages::ByIds{{id}}, .hard = hard, .deleted_at = at_second(++clock)}});
        if (hard) {
          model.erase(victim);
        } else {
          victim->second.deleted = true;
        }
      } else if (roll < 84) {
        const std::string cid = pick(cids);
        store.apply({TruncateChannel{cid, std::nullopt}});
        std::erase_if(model, [&](const auto& kv) { return kv.second.cid == cid; });
      } else if (roll < 86) {
        const std::string cid = pick(cids);
        store.apply({DeleteChannels{{cid}}});
        std::erase_if(model, [&](const auto& kv) { return kv.second.cid == cid; });
        ensure_channel(cid);
      } else if (roll < 88) {
        // Retention: each channel's newest five messages only.
        constexpr std::int64_t kKept = 5;
        const auto path = SqlitePersistenceClient::database_path(dir.path(), "alice");
        store::maintain(*store::open_user_database(path), {.max_messages_per_channel = kKept},
                        Timestamp::now());
        // A first maintenance may VACUUM, which restarts the index.
        search::IndexFile index(path, search::IndexFile::Access::read_write);
        while (!index.step(0)) {
        }
        for (const auto& cid : cids) {
          std::vector<std::pair<std::int64_t, std::string>> of;
          for (const auto& [mid, m] : model)
            if (m.cid == cid) of.emplace_back(m.second, mid);
          std::sort(of.rbegin(), of.rend());
          for (std::size_t k = kKept; k < of.size(); ++k)
            model.erase(of[k].second);
        }
      } else {
        // The index agrees with the messages whatever waits in its tail; then the searches.
        ASSERT_EQ(search::IndexFile(SqlitePersistenceClient::database_path(dir.path(), "alice"),
                                    search::IndexFile::Access::read_write)
                      .check(),
                  "");
        check_queries();
      }
    }
    check_queries();
    EXPECT_EQ(search::IndexFile(SqlitePersistenceClient::database_path(dir.path(), "alice"),
                                search::IndexFile::Access::read_write)
                  .check(),
              "");
  }
}

}  // namespace
}  // namespace chatkeep

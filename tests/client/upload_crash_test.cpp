// Files across crashes: a child process sends a seeded script of messages with files while
// online, its uploads slowed so that kills land mid-body, and is SIGKILLed at random moments and
// restarted at least 100 times; then it runs until its outbox is empty. Every message must be on
// the server once with all its files byte for byte; no file of a channel is stored under two
// uploads of the same name; uploads that no message names (uploaded, then killed before the
// send) are counted and bounded by the kills.

#include <gtest/gtest.h>

#include <iostream>
#include <random>

#include "chatkeep/sqlite_persistence.hpp"
#include "crypto/sha256.hpp"
#include "support/client_fixture.hpp"
#include "support/driver_process.hpp"
#include "support/sqlite_peek.hpp"
#include "support/upload_script.hpp"

namespace chatkeep::testing {
namespace {

constexpr std::size_t kMessages = 60;
constexpr int kMinKills = 100;

TEST_F(ClientTest, UploadsSurviveAHundredKillsAndArriveOnceByteForByte) {
  TempDir server_data;
  const std::string db = (server_data.path() / "server.sqlite").string();
  auto server = start_file_server(db);
  const std::uint16_t port = port_;
  const std::vector<std::string> cids = {create("c0"), create("c1"), create("c2")};
  // Uploads take a while (about 1 MB a second), so that kills land in the middle of them.
  chaos(R"({"upload_bytes_per_second":1000000})");

  const std::uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const UploadScript script(seed, kMessages, cids);
  std::mt19937 random(seed);
  const DriverScript driver{.binary = CHATKEEP_OUTBOX_DRIVER,
                            .port = port,
                            .dir = data_.path().string(),
                            .seed = seed,
                            .length = kMessages,
                            .uploads = true};
  // Up to two sends, then a moment within the uploads that follow.
  const auto [acked, kills] = kill_repeatedly(driver, random, 3, 300ms,
                                              [](const Killed& k) { return k.kills >= kMinKills; });
  chaos(R"({"upload_bytes_per_second":0})");
  {
    // The rest of the script, then until the outbox is empty.
    DriverProcess rest = start_driver(driver, acked, false);
    for (std::string l = rest.line(60s); l != "done"; l = rest.line(60s))
      ASSERT_FALSE(l.empty()) << "the driver ended early";
  }
  DriverProcess online = start_driver(driver, kMessages, true);
  ASSERT_EQ(online.wait_exit(), 0) << "the outbox did not empty";

  std::set<std::string> named;  // "cid url" of every attachment a message names
  std::size_t files_checked = 0;
  for (const auto& cid : cids) {
    auto r = query("alice", cid, R"({"state":true,"messages":{"limit":300}})");
    const auto messages = from_json<ChannelState>(r.json).messages.value_or(std::vector<Message>{});
    std::set<std::string> ids;
    for (const auto& m : messages) {
      EXPECT_TRUE(ids.insert(m.id).second) << m.id << " twice";
      const auto expected =
          std::find_if(script.messages().begin(), script.messages().end(),
                       [&](const ScriptedUpload& s) { return s.message_id == m.id; });
      ASSERT_NE(expected, script.messages().end()) << m.id;
      ASSERT_EQ(m.attachments.value_or(std::vector<Attachment>{}).size(), expected->files.size())
          << m.id;
      for (std::size_t f = 0; f < expected->files.size(); ++f) {
        const Attachment& a = m.attachments->at(f);
        // Random bytes are files, but may happen to look like an image.
        const std::optional<std::string> url = a.image_url ? a.image_url : a.asset_url;
        ASSERT_TRUE(url) << m.id;
        EXPECT_FALSE(a.extra.contains("chatkeep_upload"));
        HttpClient http(port);
        const auto got = http.send(verb::get, url->substr(url->find("/uploads/")));
        EXPECT_EQ(crypto::sha256_hex(got.text), crypto::sha256_hex(expected->files[f].bytes))
            << m.id << " file " << f;
        named.insert(cid + " " + *url);
        ++files_checked;
      }
    }
    std::size_t expected_here = 0;
    for (const auto& s : script.messages())
      expected_here += s.cid == cid ? 1u : 0u;
    EXPECT_EQ(ids.size(), expected_here) << cid << ": every message, once";
  }
  server.reset();  // its database is its own while it runs

  // The server's uploads: those no message names are orphans of kills between upload and send.
  const auto rows = peek_column(db, "SELECT cid || ' ' || hash || '/' || name FROM uploads");
  std::size_t orphans = 0;
  for (const auto& row : rows) {
    const std::string cid = row.substr(0, row.find(' '));
    const std::string tail = "/uploads/" + row.substr(row.find(' ') + 1);
    const bool is_named = std::any_of(named.begin(), named.end(), [&](const std::string& n) {
      return n.starts_with(cid + " ") && n.ends_with(tail);
    });
    orphans += is_named ? 0u : 1u;
  }
  std::cout << "[ crash    ] " << kills << " kills; " << files_checked << " files checked; "
            << rows.size() << " uploads stored, " << orphans << " named by no message\n";
  EXPECT_LE(orphans, static_cast<std::size_t>(kills));
  EXPECT_EQ(peek_column(SqlitePersistenceClient::database_path(data_.path(), "alice"),
                        "PRAGMA integrity_check"),
            std::vector<std::string>{"ok"});
  // Files staged by a run killed before its send committed stay pinned in the cache (see
  // README, "Attachments"): at most one per kill.
  const auto pinned = peek_column(user_storage(data_.path(), "alice").file_cache / "index.sqlite",
                                  "SELECT key FROM entries WHERE pinned = 1");
  std::cout << "[ crash    ] " << pinned.size() << " staged files left pinned\n";
  EXPECT_LE(pinned.size(), static_cast<std::size_t>(kills));
}

}  // namespace
}  // namespace chatkeep::testing

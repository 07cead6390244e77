// ChatClient against a real chatkeep-server on loopback: connecting, live events into the store,
// offline-first queries, and catch-up after being offline, judged by convergence with the server.

#include "chatkeep/client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

#include "chatkeep/sqlite_persistence.hpp"
#include "support/client_fixture.hpp"
#include "support/holding_server.hpp"

namespace chatkeep::testing {
namespace {

TEST_F(ClientTest, ConnectsStoresTheOwnUserAndReportsOnline) {
  auto client = make_client();
  Recorder events(*client);
  auto me = connect(*client, "alice");
  ASSERT_TRUE(me) << me.error->what();
  EXPECT_EQ(me.value->id, "alice");
  ASSERT_TRUE(events.wait(EventType::connection_changed));
  EXPECT_TRUE(events.all().front().online.value_or(false));
  auto info = client->persistence().connection_info();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->own_user.id, "alice");
  EXPECT_TRUE(client->persistence().last_sync_at());
  // A second connect_user while connected is refused.
  EXPECT_EQ(connect(*client, "bob").error->code(), ErrorCode::invalid_state);
}

// Defect: every connect sent user_details holding only the id, and the server replaced the
// whole user with it, so one `chatkeep query` wiped the user's name and custom fields.
TEST_F(ClientTest, ConnectingWithOnlyAnIdKeepsTheUsersProfile) {
  HttpClient admin(port_);
  auto made = admin.send(verb::post, std::string("/users?api_key=") + kKey,
                         R"({"users":{"alice":{"id":"alice","name":"Alice","title":"captain"}}})",
                         {{"Authorization", make_server_token(kSecret)}});
  ASSERT_EQ(made.status, 200u) << made.text;
  for (int i = 0; i < 2; ++i) {  // first with nothing stored, then with the own user stored
    auto client = make_client();
    auto me = connect(*client, "alice");
    ASSERT_TRUE(me) << me.error->what();
    EXPECT_EQ(me.value->name, "Alice");
    EXPECT_EQ(me.value->extra.at("title"), "captain");
  }
}

TEST_F(ClientTest, BadCredentialsFailForGood) {
  auto client = make_client();
  auto r = connect(*client, "alice", make_user_token("wrong secret", "alice"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error->code(), ErrorCode::token_signature_invalid);
  EXPECT_FALSE(r.error->retriable());
  // The session ended: connecting again with a good token works.
  EXPECT_TRUE(connect(*client, "alice"));
}

TEST_F(ClientTest, LiveEventsGoIntoTheStoreBeforeListenersHearOfThem) {
  const std::string cid = create("live");
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_EQ(query_all(*client, "alice").size(), 1u);
  std::atomic<bool> stored_first{false};
  auto subscription = client->on(EventType::message_new, [&](const Event& e) {
    stored_first = client->persistence().message(e.message->id).has_value();
  });
  Recorder events(*client);
  send_text("bob", cid, "m1", "hello");
  ASSERT_TRUE(events.wait(EventType::message_new));
  EXPECT_TRUE(eventually([&] { return stored_first.load(); }));
  EXPECT_EQ(client->persistence().reads(cid).size(), 2u);
  expect_converged(*client, "alice");

  // A subscription reset hears nothing more.
  subscription.reset();
  stored_first = false;
  send_text("bob", cid, "m2", "again");
  ASSERT_TRUE(events.wait(EventType::message_new, 2));
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(stored_first.load());
}

TEST_F(ClientTest, QueryChannelsAnswersFromTheCacheThenTheServer) {
  const std::string cid = create("cached");
  send_text("bob", cid, "m1", "one");
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  QueryChannelsOptions q{.filter = Filter::in("members", {boost::json::value("alice")})};
  Answers<std::vector<ChannelState>> first;
  client->query_channels(q, first.callback());
  EXPECT_FALSE(first.cache()) << "nothing was cached yet";
  ASSERT_TRUE(first.server().value);
  ASSERT_EQ(first.server().value->size(), 1u);

  Answers<std::vector<ChannelState>> second;
  client->query_channels(q, second.callback());
  auto cached = second.cache();
  ASSERT_TRUE(cached);
  ASSERT_EQ(cached->value->size(), 1u);
  EXPECT_EQ(cached->value->front().channel.cid, cid);
  ASSERT_EQ(cached->value->front().messages->size(), 1u);
  EXPECT_EQ(cached->value->front().messages->front().text, "one");

  // Offline: the cache still answers; the server's answer is the error.
  server_.stop();
  Answers<std::vector<ChannelState>> offline;
  client->query_channels(q, offline.callback());
  ASSERT_TRUE(offline.cache());
  EXPECT_EQ(offline.cache()->value->size(), 1u);
  ASSERT_TRUE(offline.server().error);
  EXPECT_EQ(offline.server().error->code(), ErrorCode::network);
  EXPECT_TRUE(offline.server().error->retriable());
}

TEST_F(ClientTest, StartedWhileTheServerIsDownItShowsTheCache) {
  const std::string cid = create("cold");
  send_text("bob", cid, "m1", "from before");
  {
    auto client = make_client();
    ASSERT_TRUE(connect(*client, "alice"));
    query_all(*client, "alice");
    client->disconnect_user();
  }
  server_.stop();
  auto client = make_client();
  auto me = connect(*client, "alice");
  ASSERT_TRUE(me) << me.error->what();
  EXPECT_EQ(me.value->id, "alice");
  Answers<std::vector<ChannelState>> answers;
  client->query_channels({.filter = Filter::in("members", {boost::json::value("alice")}),
                          .sort = {{"created_at", SortDirection::ascending}},
                          .limit = 30},
                         answers.callback());
  auto cached = answers.cache();
  ASSERT_TRUE(cached);
  ASSERT_EQ(cached->value->size(), 1u);
  EXPECT_EQ(cached->value->front().messages->front().text, "from before");
  EXPECT_EQ(answers.server().error->code(), ErrorCode::network);

  Answers<ChannelState> channel;
  client->channel("messaging", "cold").query({}, channel.callback());
  ASSERT_TRUE(channel.cache());
  EXPECT_EQ(channel.cache()->value->messages->size(), 1u);
}

TEST_F(ClientTest, NoCacheAndNoServerIsAnError) {
  server_.stop();
  auto client = make_client();
  auto r = connect(*client, "alice");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error->code(), ErrorCode::network);
}

// Waiting out its backoff, a client told that the network is back tries again at once: after its
// third failed attempt Stream's backoff puts the next at least 4 s away, yet it comes at once.
TEST_F(ClientTest, NetworkAvailableEndsTheBackoffWait) {
  {
    auto client = make_client();
    ASSERT_TRUE(connect(*client, "alice"));  // alice is cached
    client->disconnect_user();
  }
  HoldingServer unanswering(1000);  // takes connections, never answers
  ClientOptions options = client_options(unanswering.port());
  options.connect_timeout = 100ms;
  ChatClient client(kKey, std::move(options));
  ASSERT_TRUE(connect(client, "alice"));  // the cached user, once the first attempt failed

  auto attempt = [&](std::size_t n, bool nudge) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (unanswering.accepted() < n && std::chrono::steady_clock::now() < deadline) {
      // While an attempt is under way the call changes nothing.
      if (nudge) client.network_available();
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_GE(unanswering.accepted(), n);
    return std::chrono::steady_clock::now();
  };
  const auto third = attempt(3, false);
  const auto fourth = attempt(4, true);
  EXPECT_LT(fourth - third, 2s);
}

// Preferences, the file cache and what cache_file() fetches into it belong to the connected user,
// show in the storage statistics, and go with a flush.
TEST_F(ClientTest, PreferencesAndFilesBesideTheStoreGoWithAFlush) {
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  std::shared_ptr<Preferences> prefs = client->preferences();
  prefs->set("theme", std::string("dark"));

  auto fetch = [&](const std::string& url) {
    Eventually<Result<std::filesystem::path>> fetched;
    client->cache_file(url, fetched.setter());
    return fetched.get();
  };
  std::string url;
  std::filesystem::path path;
  {
    HoldingServer files(1);  // answers every request with its target
    url = "http://127.0.0.1:" + std::to_string(files.port()) + "/a/b.png?sig=1";
    auto r = fetch(url);
    ASSERT_TRUE(r) << r.error->what();
    path = *r.value;
    std::ifstream in(path);
    std::string body;
    std::getline(in, body);
    EXPECT_EQ(body, "/a/b.png?sig=1");
  }
  // The server is gone; the cache answers. A file nobody serves is an error.
  auto again = fetch(url);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again.value, path);
  auto missing = fetch(url + "&other");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error->code(), ErrorCode::network);
  EXPECT_FALSE(fetch("not a url"));

  const StorageStats stats = client->storage_stats();
  EXPECT_EQ(stats.file_cache_entries, 1);
  EXPECT_GT(stats.file_cache_bytes, 0u);
  EXPECT_GT(stats.preferences_bytes, 0u);
  EXPECT_GT(stats.database_bytes, 0u);

  client->disconnect_user(true);
  EXPECT_TRUE(prefs->all().empty());
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_THROW(client->preferences(), ChatError);

  // Without a flush they stay for the next session.
  ASSERT_TRUE(connect(*client, "alice"));
  client->preferences()->set("theme", std::string("light"));
  client->disconnect_user();
  ASSERT_TRUE(connect(*client, "alice"));
  EXPECT_EQ(client->preferences()->get<std::string>("theme"), "light");
}

// A file that arrives after its user disconnected is not cached: the next user of the cache did
// not ask for it. (Both fetches are held by the server until both are waiting.)
TEST_F(ClientTest, AFileThatArrivesAfterItsUserLeftIsNotCached) {
  auto alice = make_client();
  auto bob = make_client();
  ASSERT_TRUE(connect(*alice, "alice"));
  ASSERT_TRUE(connect(*bob, "bob"));
  HoldingServer files(2);
  const std::string url = "http://127.0.0.1:" + std::to_string(files.port()) + "/late.png";
  Eventually<Result<std::filesystem::path>> late, other;
  alice->cache_file(url, late.setter());
  ASSERT_TRUE(eventually([&] { return files.accepted() == 1; }));
  alice->disconnect_user();
  bob->cache_file(url + "?bob", other.setter());
  ASSERT_TRUE(other.get());
  const auto r = late.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error->code(), ErrorCode::cancelled);
  ASSERT_TRUE(connect(*alice, "alice"));
  EXPECT_FALSE(alice->file_cache()->get(url));
  EXPECT_EQ(alice->file_cache()->entries(), 0);
}

// Bob acts in several channels while alice is away; when she is back her store is the server's.
void act_while_away(ClientTest& t, const std::vector<std::string>& cids) {
  t.send_text("bob", cids[0], "a1", "first");
  t.send_text("bob", cids[0], "a2", "second");
  t.send_text("bob", cids[1], "b1", "other channel");
  ASSERT_EQ(t.call("bob", verb::post, "/messages/a1", R"({"message":{"id":"a1","text":"edited"}})")
                .status,
            200u);
  ASSERT_EQ(t.call("bob", verb::delete_, "/messages/a2").status, 200u);
  ASSERT_EQ(
      t.call("bob", verb::post, "/messages/a1/reaction", R"({"reaction":{"type":"like"}})").status,
      200u);
  ASSERT_EQ(t.call("bob", verb::post, "/channels/messaging/" + cids[1].substr(10),
                   R"({"add_members":["carol"]})")
                .status,
            200u);
  ASSERT_EQ(t.call("bob", verb::post, "/channels/messaging/" + cids[2].substr(10),
                   R"({"remove_members":["carol"]})")
                .status,
            200u);
  ASSERT_EQ(t.call("bob", verb::post, "/channels/messaging/" + cids[1].substr(10),
                   R"({"data":{"name":"renamed"}})")
                .status,
            200u);
}

TEST_F(ClientTest, AfterBeingDisconnectedItCatchesUpToTheServersState) {
  const std::vector<std::string> cids = {create("one"), create("two"),
                                         create("three", R"("alice","bob","carol")")};
  send_text("alice", cids[0], "own", "mine");
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_EQ(query_all(*client, "alice").size(), 3u);
  ASSERT_EQ(
      call("alice", verb::post, "/messages/own/reaction", R"({"reaction":{"type":"wow"}})").status,
      200u);
  expect_converged(*client, "alice");
  client->disconnect_user();

  act_while_away(*this, cids);
  ASSERT_EQ(call("alice", verb::delete_, "/messages/own/reaction/wow").status, 200u);

  std::vector<std::pair<std::size_t, std::size_t>> progress;
  std::mutex progress_mutex;
  {
    ClientOptions options = client_options();
    options.catch_up_progress = [&](std::size_t applied, std::size_t total) {
      std::lock_guard lock(progress_mutex);
      progress.emplace_back(applied, total);
    };
    ChatClient again(kKey, std::move(options));
    Recorder events(again);
    ASSERT_TRUE(connect(again, "alice"));
    ASSERT_TRUE(events.wait(EventType::connection_recovered));
    expect_converged(again, "alice");
    EXPECT_EQ(again.persistence().message("a1")->text, "edited");
    EXPECT_EQ(again.persistence().message("a2")->type, "deleted");
  }
  std::lock_guard lock(progress_mutex);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.front().first, 0u);
  EXPECT_GE(progress.back().second, 9u);
  EXPECT_EQ(progress.back().first, progress.back().second);
}

// Removed from a channel while away: /sync refuses the channel the store still holds; the
// catch-up drops it and syncs the rest (an edit of a message older than any re-query's page
// arrives) rather than reconnecting forever.
TEST_F(ClientTest, AChannelLostWhileAwayDoesNotStopTheCatchUp) {
  const std::string kept = create("kept"), lost = create("lost"), quiet = create("quiet");
  for (int i = 0; i < 30; ++i)
    send_text("bob", kept, "old" + std::to_string(i), "old");
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_EQ(query_all(*client, "alice").size(), 3u);
  client->channel("messaging", "quiet").hide();
  ASSERT_TRUE(eventually([&] { return client->outbox().empty(); }));
  ASSERT_TRUE(client->persistence().message("old5"));
  ASSERT_FALSE(client->persistence().message("old0")) << "not in the latest page";
  client->channel("messaging", "kept").message("old0", [](Answer<Message>) {});
  ASSERT_TRUE(eventually([&] { return client->persistence().message("old0").has_value(); }));
  client->disconnect_user();
  ASSERT_EQ(
      call("bob", verb::post, "/channels/messaging/lost", R"({"remove_members":["alice"]})").status,
      200u);
  send_text("bob", kept, "news", "while alice was away");
  ASSERT_EQ(
      call("bob", verb::post, "/messages/old0", R"({"message":{"text":"edited away"}})").status,
      200u);

  ChatClient again(kKey, client_options());
  Recorder events(again);
  ASSERT_TRUE(connect(again, "alice"));
  ASSERT_TRUE(events.wait(EventType::connection_recovered));
  EXPECT_TRUE(again.persistence().message("news"));
  EXPECT_FALSE(again.persistence().channel(lost));
  EXPECT_TRUE(again.persistence().channel(quiet)) << "hidden, not lost";
  EXPECT_EQ(again.persistence().message("old0")->text, "edited away");
}

TEST_F(ClientTest, AfterTheServerDroppedItItCatchesUp) {
  const std::vector<std::string> cids = {create("one"), create("two"),
                                         create("three", R"("alice","bob","carol")")};
  auto client = make_client();
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_EQ(query_all(*client, "alice").size(), 3u);
  ASSERT_TRUE(events.wait(EventType::connection_recovered));
  chaos(R"({"drop_sockets":true})");
  act_while_away(*this, cids);
  ASSERT_TRUE(events.wait(EventType::connection_recovered, 2));
  expect_converged(*client, "alice");
}

// Defect: the socket brings only the channels it watches, yet live events moved the checkpoint
// for every stored channel. A channel stored but not watched in this session (the app lists only
// some of its channels) lost whatever happened in it meanwhile: the next /sync began after it.
TEST_F(ClientTest, AStoredChannelNotWatchedMissesNothingAtTheNextCatchUp) {
  const std::string quiet = create("quiet");
  const std::string busy = create("busy");
  send_text("bob", quiet, "q1", "before");
  {
    auto first = make_client();
    ASSERT_TRUE(connect(*first, "alice"));
    ASSERT_EQ(query_all(*first, "alice").size(), 2u);
    first->disconnect_user();
  }
  ClientOptions options = client_options();
  options.ping_interval = 100ms;  // the server's clock, which bounds the checkpoint, moves on
  ChatClient client(kKey, std::move(options));
  Recorder events(client);
  ASSERT_TRUE(connect(client, "alice"));
  ASSERT_TRUE(events.wait(EventType::connection_recovered));
  Answers<ChannelState> watched;
  client.channel("messaging", "busy").watch({}, watched.callback());
  ASSERT_TRUE(watched.server().value);

  ASSERT_EQ(
      call("bob", verb::post, "/messages/q1", R"({"message":{"id":"q1","text":"after"}})").status,
      200u);
  std::this_thread::sleep_for(500ms);  // health checks from after the edit
  send_text("bob", busy, "b1", "live");
  ASSERT_TRUE(eventually([&] { return client.persistence().message("b1").has_value(); }));
  client.settle();
  chaos(R"({"drop_sockets":true})");
  ASSERT_TRUE(events.wait(EventType::connection_recovered, 2));
  client.settle();
  EXPECT_EQ(client.persistence().message("q1")->text, "after");
}

TEST_F(ClientTest, AfterTheServerWasOfflineItCatchesUp) {
  const std::vector<std::string> cids = {create("one"), create("two"),
                                         create("three", R"("alice","bob","carol")")};
  auto client = make_client();
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_EQ(query_all(*client, "alice").size(), 3u);
  ASSERT_TRUE(events.wait(EventType::connection_recovered));
  chaos(R"({"offline_ms":1000})");
  // Bob acts as soon as the server is back; alice's client is still waiting out its backoff,
  // or already back: either way her store must end as the server's.
  ASSERT_TRUE(eventually([&] {
    try {
      return call("bob", verb::get, "/messages/none").status == 404;
    } catch (const std::exception&) {
      return false;  // refused: still offline
    }
  }));
  act_while_away(*this, cids);
  ASSERT_TRUE(events.wait(EventType::connection_recovered, 2));
  expect_converged(*client, "alice");
  const auto changes = events.all();
  EXPECT_TRUE(std::any_of(changes.begin(), changes.end(), [](const Event& e) {
    return e.kind == EventType::connection_changed && e.online == false;
  }));
}

Timestamp forty_days_ago() {
  return Timestamp::from_unix_micros(Timestamp::now().unix_micros() -
                                     std::int64_t{40} * 24 * 3600 * 1'000'000);
}

// Alice has cached channels one and two and left with `checkpoint` stored (40 days ago is more
// than /sync accepts; one in the future is not the server's); since then bob wrote in one and
// deleted two.
std::vector<std::string> away_with(Timestamp checkpoint, ClientTest& t, ChatClient& client,
                                   const std::filesystem::path& data) {
  const std::vector<std::string> cids = {t.create("one"), t.create("two")};
  EXPECT_TRUE(t.connect(client, "alice"));
  EXPECT_EQ(t.query_all(client, "alice").size(), 2u);
  client.disconnect_user();
  {
    SqlitePersistenceClient store({.directory = data});
    store.connect("alice");
    store.set_last_sync_at(checkpoint);
    store.disconnect(false);
  }
  t.send_text("bob", cids[0], "late", "while away");
  EXPECT_EQ(t.call("bob", verb::delete_, "/channels/messaging/two").status, 200u);
  return cids;
}

TEST_F(ClientTest, ATooOldCheckpointMeansTheChannelsAreQueriedAgain) {
  auto client = make_client();
  const auto cids = away_with(forty_days_ago(), *this, *client, data_.path());
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_TRUE(events.wait(EventType::connection_recovered));
  expect_converged(*client, "alice");
  EXPECT_FALSE(client->persistence().channel(cids[1]));
  EXPECT_GT(client->persistence().last_sync_at()->unix_micros(),
            Timestamp::now().unix_micros() - std::int64_t{3600} * 1'000'000);
}

// A checkpoint in year 9999 (an earlier server's clock ran ahead) would make every /sync answer
// "nothing new": it is reset to the server's time as a refused one is.
TEST_F(ClientTest, ACheckpointBeyondTheServersTimeMeansTheChannelsAreQueriedAgain) {
  auto client = make_client();
  const auto cids =
      away_with(*Timestamp::parse("9999-01-01T00:00:00Z"), *this, *client, data_.path());
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_TRUE(events.wait(EventType::connection_recovered));
  expect_converged(*client, "alice");
  EXPECT_TRUE(client->persistence().message("late"));
  EXPECT_FALSE(client->persistence().channel(cids[1]));
  EXPECT_LE(*client->persistence().last_sync_at(), Timestamp::now());
}

TEST_F(ClientTest, ASyncWithoutTheSocketResetsACheckpointBeyondTheServersTime) {
  auto client = make_client();
  const auto cids =
      away_with(*Timestamp::parse("9999-01-01T00:00:00Z"), *this, *client, data_.path());
  chaos(R"({"refuse_sockets":true})");
  Eventually<Result<OwnUser>> never;  // not while sockets are refused
  client->connect_user(User{.id = "alice"}, make_user_token(kSecret, "alice"), never.setter());
  Eventually<Result<std::size_t>> synced;
  client->sync_now(synced.setter());
  const auto r = synced.get();
  ASSERT_TRUE(r) << r.error->what();
  EXPECT_TRUE(client->persistence().message("late"));
  EXPECT_FALSE(client->persistence().channel(cids[1]));
  EXPECT_LE(*client->persistence().last_sync_at(), Timestamp::now());
}

// The background sync (sync_now, no socket) meets the same refusal: it queries the channels
// again instead, and moves the checkpoint to the server's time of the answers.
TEST_F(ClientTest, ASyncWithoutTheSocketQueriesTheChannelsAgainWhenSyncRefuses) {
  auto client = make_client();
  const auto cids = away_with(forty_days_ago(), *this, *client, data_.path());
  chaos(R"({"refuse_sockets":true})");
  Eventually<Result<OwnUser>> never;  // not while sockets are refused
  client->connect_user(User{.id = "alice"}, make_user_token(kSecret, "alice"), never.setter());

  const Timestamp before = Timestamp::now();
  Eventually<Result<std::size_t>> synced;
  client->sync_now(synced.setter());
  const auto r = synced.get();
  ASSERT_TRUE(r) << r.error->what();
  EXPECT_EQ(*r.value, 1u);  // one channel queried again; the other is gone
  EXPECT_FALSE(client->online());
  ASSERT_TRUE(client->persistence().message("late"));
  EXPECT_FALSE(client->persistence().channel(cids[1]));
  // The answers' Date, to the second, less a margin.
  EXPECT_GE(client->persistence().last_sync_at()->unix_seconds(), before.unix_seconds() - 3);
  EXPECT_LE(*client->persistence().last_sync_at(), Timestamp::now());

  // From there /sync is accepted again.
  send_text("bob", cids[0], "later", "still away");
  Eventually<Result<std::size_t>> again;
  client->sync_now(again.setter());
  const auto a = again.get();
  ASSERT_TRUE(a) << a.error->what();
  EXPECT_GE(*a.value, 1u);
  EXPECT_TRUE(client->persistence().message("later"));
}

TEST_F(ClientTest, AnExpiredTokenIsReplacedByTheProvider) {
  create("tokens");
  ShortLivedFirstToken tokens;
  auto client = make_client();
  Recorder events(*client);
  Eventually<Result<OwnUser>> connected;
  client->connect_user(User{.id = "alice"}, tokens.provider(), connected.setter());
  ASSERT_TRUE(connected.get());
  EXPECT_EQ(tokens.calls(), 1);
  tokens.sleep_until_the_first_expired();
  // A REST call with the expired token gets code 40, then succeeds with a new one.
  EXPECT_EQ(query_all(*client, "alice").size(), 1u);
  EXPECT_EQ(tokens.calls(), 2);
  // So does the socket after a drop, with the token it now has.
  chaos(R"({"drop_sockets":true})");
  ASSERT_TRUE(events.wait(EventType::connection_recovered, 2));
  EXPECT_EQ(tokens.calls(), 2);
}

TEST_F(ClientTest, AnExpiredTokenOnReconnectIsReplaced) {
  ShortLivedFirstToken tokens;
  auto client = make_client();
  Recorder events(*client);
  Eventually<Result<OwnUser>> connected;
  client->connect_user(User{.id = "alice"}, tokens.provider(), connected.setter());
  ASSERT_TRUE(connected.get());
  EXPECT_EQ(tokens.calls(), 1);
  tokens.sleep_until_the_first_expired();
  chaos(R"({"drop_sockets":true})");
  ASSERT_TRUE(events.wait(EventType::connection_recovered, 2));
  EXPECT_EQ(tokens.calls(), 2);
}

TEST_F(ClientTest, ItSurvivesAServerRestart) {
  TempDir server_data;
  const std::string db = (server_data.path() / "server.sqlite").string();
  auto server = start_file_server(db);
  const std::uint16_t port = port_;
  const std::string cid = create("restart");
  auto client = make_client(port);
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_EQ(query_all(*client, "alice").size(), 1u);
  ASSERT_TRUE(events.wait(EventType::connection_recovered));

  server.reset();
  server = start_file_server(db, port);
  send_text("bob", cid, "after", "after the restart");
  ASSERT_TRUE(events.wait(EventType::connection_recovered, 2));
  expect_converged(*client, "alice");
  EXPECT_TRUE(client->persistence().message("after"));
}

TEST_F(ClientTest, DuplicatedAndReorderedEventsNeitherDuplicateNorLoseAnything) {
  const std::string cid = create("chaos");
  auto client = make_client();
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  query_all(*client, "alice");
  ASSERT_TRUE(events.wait(EventType::connection_recovered));
  chaos(R"({"duplicate_events":true,"reorder_events":true})");
  for (int i = 0; i < 20; ++i)
    send_text("bob", cid, "m" + std::to_string(i), "number " + std::to_string(i));
  ASSERT_EQ(
      call("bob", verb::post, "/messages/m3/reaction", R"({"reaction":{"type":"like"}})").status,
      200u);
  ASSERT_EQ(
      call("alice", verb::post, "/messages/m5/reaction", R"({"reaction":{"type":"love"}})").status,
      200u);
  HttpClient admin(port_);
  ASSERT_EQ(admin
                .send(verb::delete_, std::string("/_chaos?api_key=") + kKey, "",
                      {{"Authorization", make_server_token(kSecret)}})
                .status,
            200u);
  ASSERT_TRUE(events.wait(EventType::reaction_new, 2));
  expect_converged(*client, "alice");
  EXPECT_EQ(client->persistence().messages(cid, {.limit = 100}).size(), 20u);
  EXPECT_GE(events.count(EventType::message_new), 20u);
}

TEST_F(ClientTest, AChannelAnswersFromTheCacheThenTheServer) {
  const std::string cid = create("handle", R"("alice","bob","carol")");
  send_text("bob", cid, "p", "parent");
  ASSERT_EQ(send("carol", cid, R"({"id":"r1","text":"reply","parent_id":"p"})").status, 200u);
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  ChatChannel channel = client->channel("messaging", "handle");
  EXPECT_EQ(channel.cid(), cid);

  Answers<ChannelState> watched;
  channel.watch({}, watched.callback());
  EXPECT_FALSE(watched.cache());
  ASSERT_TRUE(watched.server().value);
  EXPECT_EQ(watched.server().value->messages->size(), 1u);

  Answers<ChannelState> again;
  channel.query({}, again.callback());
  ASSERT_TRUE(again.cache());
  EXPECT_EQ(again.cache()->value->messages->front().id, "p");

  Answers<std::vector<Message>> replies;
  channel.replies("p", {}, replies.callback());
  ASSERT_TRUE(replies.server().value);
  ASSERT_EQ(replies.server().value->size(), 1u);
  Answers<std::vector<Message>> cached_replies;
  channel.replies("p", {}, cached_replies.callback());
  ASSERT_TRUE(cached_replies.cache());
  EXPECT_EQ(cached_replies.cache()->value->front().id, "r1");

  Answers<std::vector<Member>> members;
  channel.members(members.callback());
  ASSERT_TRUE(members.cache());
  EXPECT_EQ(members.cache()->value->size(), 3u);
  EXPECT_EQ(members.server().value->size(), 3u);

  Answers<std::vector<Read>> reads;
  channel.reads(reads.callback());
  EXPECT_EQ(reads.server().value->size(), 3u);

  Answers<Message> missing;
  channel.message("nope", missing.callback());
  EXPECT_FALSE(missing.cache());
  EXPECT_EQ(missing.server().error->code(), ErrorCode::not_found);

  // Watching: bob's next message arrives live.
  Recorder events(*client);
  send_text("bob", cid, "live", "live one");
  ASSERT_TRUE(events.wait(EventType::message_new));
  EXPECT_TRUE(client->persistence().message("live"));
  Eventually<Result<bool>> stopped;
  channel.stop_watching(stopped.setter());
  EXPECT_TRUE(stopped.get());
}

TEST_F(ClientTest, AChannelOfAClientThatIsGoneRefuses) {
  std::optional<ChatChannel> channel;
  {
    auto client = make_client();
    channel = client->channel("messaging", "x");
  }
  Answers<ChannelState> answers;
  channel->query({}, answers.callback());
  EXPECT_EQ(answers.server().error->code(), ErrorCode::invalid_state);
}

TEST_F(ClientTest, AFlushOnLogoutLeavesNothingBehind) {
  create("flush");
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  query_all(*client, "alice");
  client->disconnect_user(true);
  SqlitePersistenceClient store({.directory = data_.path()});
  store.connect("alice");
  EXPECT_TRUE(store.channel_cids(10).empty());
  EXPECT_FALSE(store.connection_info());
}

TEST_F(ClientTest, InBackgroundModeItConvergesAndCallbacksRunOnTheExecutor) {
  const std::string cid = create("background");
  std::atomic<int> delivered{0};
  ClientOptions options = client_options();
  options.connection_mode = ConnectionMode::background;
  // An executor of the app's: here a thread of the test's own, fed through a queue.
  std::mutex queue_mutex;
  std::condition_variable queue_ready;
  std::deque<std::function<void()>> queue;
  bool stopping = false;
  std::thread app_thread([&] {
    std::unique_lock lock(queue_mutex);
    for (;;) {
      queue_ready.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;
      auto f = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      f();
      lock.lock();
    }
  });
  const auto app_thread_id = app_thread.get_id();
  options.executor = [&](std::function<void()> f) {
    {
      std::lock_guard lock(queue_mutex);
      queue.push_back([&delivered, f = std::move(f)] {
        ++delivered;
        f();
      });
    }
    queue_ready.notify_one();
  };
  {
    ChatClient client(kKey, std::move(options));
    std::atomic<bool> on_app_thread{true};
    auto check = client.on_any([&](const Event&) {
      on_app_thread = on_app_thread && std::this_thread::get_id() == app_thread_id;
    });
    Recorder events(client);
    ASSERT_TRUE(connect(client, "alice"));
    ASSERT_EQ(query_all(client, "alice").size(), 1u);
    send_text("bob", cid, "m1", "one");
    send_text("bob", cid, "m2", "two");
    ASSERT_TRUE(events.wait(EventType::message_new, 2));
    expect_converged(client, "alice");
    EXPECT_TRUE(on_app_thread);
    EXPECT_GT(delivered, 0);
  }
  {
    std::lock_guard lock(queue_mutex);
    stopping = true;
  }
  queue_ready.notify_one();
  app_thread.join();
}

}  // namespace
}  // namespace chatkeep::testing

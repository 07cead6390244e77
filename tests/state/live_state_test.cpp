// Live state against a real chatkeep-server: channel lists and message windows follow what the
// store commits, the copies apps build from the diffs equal the handles and a fresh read, and
// once online and settled they equal what the server answers for the same query.

#include <gtest/gtest.h>

#include "chatkeep/json.hpp"
#include "chatkeep/sqlite_persistence.hpp"
#include "support/client_fixture.hpp"
#include "support/live_state.hpp"

namespace chatkeep::testing {
namespace {

namespace json = boost::json;

// Waits that a loaded machine running the sanitizers may need (the window tests once took ten
// seconds there, while the store reserved room for a million messages per read).
constexpr std::chrono::milliseconds kSlowLimit{30'000};

class LiveStateTest : public ClientTest {
 protected:
  // Alice's channels as the server orders them (its default sort, last_updated).
  std::vector<std::string> server_list(const std::string& user = "alice") {
    auto r = call(user, verb::post, "/channels",
                  R"({"filter_conditions":{"members":{"$in":[")" + user + R"("]}},"limit":30})");
    EXPECT_EQ(r.status, 200u) << r.text;
    std::vector<std::string> cids;
    for (const auto& channel : r.json.at("channels").as_array())
      cids.emplace_back(channel.at("channel").at("cid").as_string());
    return cids;
  }
  static ChannelListOptions alices_channels(std::size_t page_size = 20) {
    return {.filter = Filter::in("members", {json::value("alice")}), .page_size = page_size};
  }
  // The list, its copy and a fresh read of the store agree; and, online, the server too. All
  // three are taken between two settles that leave the list and the copy as they were, so that
  // a commit landing meanwhile (a server answer in flight) cannot tell them apart.
  void expect_agreed(ChatClient& client, ChannelList& list, ListCopy<ChannelState>& copy,
                     bool with_server, ChannelListOptions options = alices_channels()) {
    std::vector<ChannelState> items, copied, fresh;
    for (int attempt = 0; attempt < 50; ++attempt) {
      client.settle();
      items = list.items();
      copied = copy.items();
      fresh = fresh_read(client, options);
      client.settle();
      if (json_of(list.items()) == json_of(items) && json_of(copy.items()) == json_of(copied)) {
        break;
      }
    }
    EXPECT_EQ(json_of(copied), json_of(items)) << "the diffs built another list";
    EXPECT_EQ(json_of(fresh), json_of(items)) << "the list is not what the store holds";
    if (with_server) {
      EXPECT_EQ(cids_of(items), server_list());
    }
  }
  void remove_member(const std::string& cid, const std::string& user) {
    const auto colon = cid.find(':');
    auto r =
        call("bob", verb::post, "/channels/" + cid.substr(0, colon) + "/" + cid.substr(colon + 1),
             R"({"remove_members":[")" + user + R"("]})");
    ASSERT_EQ(r.status, 200u) << r.text;
  }
  // Bob's messages m0, m1, .. in `cid`, in order; their ids.
  std::vector<std::string> send_numbered(const std::string& cid, int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i)
      ids.push_back(send_text("bob", cid, "m" + std::to_string(i), "message " + std::to_string(i)));
    return ids;
  }
  void channel_call(const std::string& user, verb method, const std::string& cid,
                    const std::string& suffix) {
    const auto colon = cid.find(':');
    auto r = call(user, method,
                  "/channels/" + cid.substr(0, colon) + "/" + cid.substr(colon + 1) + suffix, "{}");
    ASSERT_EQ(r.status, 200u) << r.text;
  }
};

TEST_F(LiveStateTest, AChannelListFollowsEveryChangeInTheServersOrder) {
  const std::string one = create("one"), two = create("two"), three = create("three");
  send_text("bob", one, "one-1", "first");
  send_text("bob", two, "two-1", "second");
  auto client = make_client();
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  ChannelList list = client->channel_list(alices_channels());
  ListCopy<ChannelState> copy(list);
  ASSERT_TRUE(eventually([&] { return list.items().size() == 3; }));
  expect_agreed(*client, list, copy, true);
  EXPECT_EQ(cids_of(list.items()), (std::vector<std::string>{two, one, three}));

  // A new message moves its channel up.
  send_text("bob", three, "three-1", "third");
  ASSERT_TRUE(eventually([&] { return cids_of(list.items()).front() == three; }));
  expect_agreed(*client, list, copy, true);

  // A channel alice is added to joins; one she hides leaves, and a new message brings it back.
  const std::string four = create("four");
  ASSERT_TRUE(eventually([&] { return list.items().size() == 4; }));
  expect_agreed(*client, list, copy, true);
  channel_call("alice", verb::post, two, "/hide");
  ASSERT_TRUE(eventually([&] { return list.items().size() == 3; }));
  expect_agreed(*client, list, copy, true);
  send_text("bob", two, "two-2", "back");
  ASSERT_TRUE(eventually([&] { return cids_of(list.items()).front() == two; }));
  expect_agreed(*client, list, copy, true);

  // A channel she is removed from leaves, and so does a deleted one.
  remove_member(one, "alice");
  ASSERT_TRUE(eventually([&] { return list.items().size() == 3; }));
  expect_agreed(*client, list, copy, true);
  channel_call("bob", verb::delete_, four, "");
  ASSERT_TRUE(eventually([&] { return list.items().size() == 2; }));
  expect_agreed(*client, list, copy, true);
  EXPECT_GT(copy.diffs(), 6u);
}

TEST_F(LiveStateTest, AChannelListIsRightOfflineAndLosesWhatTheServerNoLongerShows) {
  const std::string one = create("one"), two = create("two");
  send_text("bob", one, "one-1", "first");
  {
    auto client = make_client();
    ASSERT_TRUE(connect(*client, "alice"));
    ASSERT_EQ(query_all(*client, "alice").size(), 2u);
  }
  // While alice is away, bob removes her from one (she hears nothing of it), and the store holds
  // a channel the server never had.
  remove_member(one, "alice");
  {
    const std::uint16_t dead_port = closed_port();
    auto offline = make_client(dead_port);
    ASSERT_TRUE(connect(*offline, "alice"));  // the cached user
    ChannelList list = offline->channel_list(alices_channels());
    ListCopy<ChannelState> copy(list);
    EXPECT_EQ(cids_of(list.items()), (std::vector<std::string>{one, two}));
    // Her own message, sent offline, moves its channel up at once.
    offline->channel("messaging", "two")
        .send_message(Message{.id = "offline-1", .text = "from the train"});
    offline->settle();
    EXPECT_EQ(cids_of(list.items()), (std::vector<std::string>{two, one}));
    EXPECT_EQ(json_of(copy.items()), json_of(list.items()));
    offline->persistence().apply(
        {UpsertChannels{
             .channels = {Channel{.id = "ghost", .type = "messaging", .cid = "messaging:ghost"}}},
         UpsertMembers{.cid = "messaging:ghost", .members = {Member{.user_id = "alice"}}}});
    offline->settle();
    EXPECT_EQ(list.items().size(), 3u);
  }
  // Online again: the message goes, and what the server no longer shows her leaves the store.
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  ChannelList list = client->channel_list(alices_channels());
  ListCopy<ChannelState> copy(list);
  ASSERT_TRUE(eventually([&] { return cids_of(list.items()) == server_list(); }));
  expect_agreed(*client, list, copy, true);
  EXPECT_EQ(cids_of(list.items()), std::vector<std::string>{two});
  EXPECT_FALSE(client->persistence().channel("messaging:ghost"));
}

TEST_F(LiveStateTest, LoadMoreReadsTheStoreThenTheServer) {
  std::vector<std::string> cids;
  for (int i = 0; i < 7; ++i)
    cids.push_back(create("c" + std::to_string(i)));
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  ChannelList list = client->channel_list(alices_channels(3));
  ListCopy<ChannelState> copy(list);
  ASSERT_TRUE(eventually([&] { return list.items().size() == 3; }));
  for (std::size_t want : {6u, 7u, 7u}) {
    Eventually<Result<std::size_t>> more;
    list.load_more(more.setter());
    auto r = more.get(kSlowLimit);
    ASSERT_TRUE(r) << r.error->what();
    EXPECT_EQ(*r.value, want);
  }
  client->settle();
  EXPECT_EQ(cids_of(list.items()), server_list());
  EXPECT_EQ(json_of(copy.items()), json_of(list.items()));
}

TEST_F(LiveStateTest, AMessageWindowShowsTheLatestAndPendingAndLoadsOlder) {
  const std::string cid = create("window");
  send_numbered(cid, 12);
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  ChatChannel channel = client->channel("messaging", "window");
  Answers<ChannelState> watched;
  channel.watch({.messages = {.limit = 5}}, watched.callback());
  ASSERT_TRUE(watched.server());
  MessageWindow window = channel.messages(5);
  ListCopy<Message> copy(window);
  EXPECT_EQ(ids_of(window.items()), (std::vector<std::string>{"m7", "m8", "m9", "m10", "m11"}));

  // New messages join at the end; the user's own shows at once with its local state.
  send_text("bob", cid, "m12", "twelve");
  ASSERT_TRUE(eventually([&] { return window.items().size() == 6; }, kSlowLimit));
  const Message mine = channel.send_message(Message{.text = "mine"});
  client->settle();
  auto items = window.items();
  ASSERT_EQ(items.size(), 7u);
  EXPECT_EQ(items.back().id, mine.id);
  ASSERT_TRUE(eventually(
      [&] {
        const auto now = window.items();
        return !now.empty() && now.back().id == mine.id && !now.back().local_state;
      },
      kSlowLimit))
      << "delivered: its local state goes";

  // Older: from the server (the store has only the page watched), then from the store.
  Eventually<Result<std::size_t>> older;
  window.load_older(older.setter());
  auto r = older.get(kSlowLimit);
  ASSERT_TRUE(r) << r.error->what();
  EXPECT_EQ(*r.value, 5u);
  client->settle();
  EXPECT_EQ(window.items().front().id, "m2");
  Eventually<Result<std::size_t>> rest;
  window.load_older(rest.setter());
  r = rest.get(kSlowLimit);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r.value, 2u);
  Eventually<Result<std::size_t>> none;
  window.load_older(none.setter());
  r = none.get(kSlowLimit);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r.value, 0u) << "the start of history";
  client->settle();
  EXPECT_EQ(window.items().size(), 14u);
  json::array a, b;
  for (const auto& m : copy.items())
    a.push_back(to_json(m));
  for (const auto& m : window.items())
    b.push_back(to_json(m));
  EXPECT_EQ(a, b);
}

// After a long time away, /sync refuses the checkpoint and catch-up stores the newest page beside
// the old rows: the window shows the newest run only, never the two as one, and paging back
// fills the gap from the server, or says it cannot while the server is unreachable.
TEST_F(LiveStateTest, AWindowNeverShowsHistoryAcrossAGap) {
  const std::string cid = create("gappy");
  for (int i = 0; i < 5; ++i)
    send_text("bob", cid, "old" + std::to_string(i), "old");
  {
    auto client = make_client();
    ASSERT_TRUE(connect(*client, "alice"));
    ASSERT_EQ(query_all(*client, "alice").size(), 1u);
    client->disconnect_user();
    SqlitePersistenceClient store({.directory = data_.path()});
    store.connect("alice");
    store.set_last_sync_at(Timestamp::from_unix_micros(Timestamp::now().unix_micros() -
                                                       std::int64_t{40} * 24 * 3600 * 1'000'000));
    store.disconnect(false);
  }
  std::vector<std::string> newest;
  for (int i = 0; i < 30; ++i) {
    send_text("bob", cid, "new" + std::to_string(i), "new");
    if (i >= 5) newest.push_back("new" + std::to_string(i));
  }
  auto client = make_client();
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_TRUE(events.wait(EventType::connection_recovered));
  ASSERT_TRUE(client->persistence().message("new29"));
  ASSERT_EQ(client->persistence().gaps(cid).size(), 1u) << "catch-up's page joins nothing";

  // A window of 20 shows new10..new29, and the store has five more before the gap.
  MessageWindow window = client->channel("messaging", "gappy").messages(20);
  ListCopy<Message> copy(window);
  client->settle();
  EXPECT_EQ(ids_of(window.items()), std::vector<std::string>(newest.begin() + 5, newest.end()));
  Eventually<Result<std::size_t>> from_store;
  window.load_older(from_store.setter());
  auto r = from_store.get(kSlowLimit);
  ASSERT_TRUE(r) << r.error->what();
  EXPECT_EQ(*r.value, 5u);
  client->settle();
  EXPECT_EQ(ids_of(window.items()), newest) << "old0..old4 are not contiguous with new5";

  // The server cannot be reached: older messages are unavailable, and nothing changes.
  chaos(R"({"fail_next":1,"fail_status":503})");
  Eventually<Result<std::size_t>> failed;
  window.load_older(failed.setter());
  r = failed.get(kSlowLimit);
  ASSERT_FALSE(r);
  client->settle();
  EXPECT_EQ(ids_of(window.items()), newest);

  Eventually<Result<std::size_t>> filled;
  window.load_older(filled.setter());
  r = filled.get(kSlowLimit);
  ASSERT_TRUE(r) << r.error->what();
  EXPECT_EQ(*r.value, 10u);
  client->settle();
  EXPECT_TRUE(client->persistence().gaps(cid).empty());
  const auto all = window.items();
  ASSERT_EQ(all.size(), 35u);
  EXPECT_EQ(all.front().id, "old0");
  EXPECT_EQ(ids_of(copy.items()), ids_of(all));
}

// A window opened around an old message (a search hit) that the store does not hold: the server's
// page around it is stored with a gap before the latest page, the window pages newer messages
// from the server across that gap (or says it cannot), from the store where history is whole,
// and once it holds the latest message it follows new ones.
TEST_F(LiveStateTest, AWindowAroundAnOldMessagePagesNewerUpToTheLatestAndThenFollows) {
  const std::string cid = create("long");
  std::vector<std::string> all = send_numbered(cid, 60);
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_EQ(query_all(*client, "alice").size(), 1u);
  ASSERT_FALSE(client->persistence().message("m10")) << "only the latest page is stored";
  auto window_of = [&](std::size_t from, std::size_t to) {  // all[from..to)
    return std::vector<std::string>(all.begin() + static_cast<long>(from),
                                    all.begin() + static_cast<long>(to));
  };
  auto load = [&](MessageWindow& window, bool older) {
    Eventually<Result<std::size_t>> loaded;
    older ? window.load_older(loaded.setter()) : window.load_newer(loaded.setter());
    auto r = loaded.get(kSlowLimit);
    client->settle();
    return r;
  };

  MessageWindow window = client->channel("messaging", "long").messages_around("m10", 10);
  ListCopy<Message> copy(window);
  ASSERT_TRUE(eventually([&] { return window.items().size() == 10; }, kSlowLimit));
  EXPECT_EQ(ids_of(window.items()), window_of(6, 16)) << "m10 in the middle";
  EXPECT_EQ(client->persistence().gaps(cid).size(), 1u) << "between m15 and the latest page";

  // Newer messages lie across the gap: the server is needed, and cannot be reached.
  chaos(R"({"fail_next":1,"fail_status":503})");
  auto r = load(window, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(ids_of(window.items()), window_of(6, 16));

  // New messages do not join a window that does not hold the latest.
  send_text("bob", cid, "m60", "message 60");
  all.push_back("m60");
  ASSERT_TRUE(eventually([&] { return client->persistence().message("m60").has_value(); }));
  client->settle();
  EXPECT_EQ(ids_of(window.items()), window_of(6, 16));

  r = load(window, true);
  ASSERT_TRUE(r) << r.error->what();
  EXPECT_EQ(*r.value, 6u) << "back to the start of history";
  std::size_t newest = 16;
  while (newest < all.size()) {
    r = load(window, false);
    ASSERT_TRUE(r) << r.error->what();
    ASSERT_GT(*r.value, 0u);
    newest += *r.value;
    ASSERT_EQ(ids_of(window.items()), window_of(0, newest)) << "contiguous, in order";
  }
  EXPECT_TRUE(client->persistence().gaps(cid).empty());
  r = load(window, false);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r.value, 0u) << "it holds the latest";

  // It follows now: a new message joins at the end.
  send_text("bob", cid, "m61", "message 61");
  all.push_back("m61");
  ASSERT_TRUE(eventually([&] { return window.items().size() == all.size(); }, kSlowLimit));
  EXPECT_EQ(ids_of(window.items()), all);
  client->settle();
  EXPECT_EQ(ids_of(copy.items()), all);
}

// A window around a message the store holds opens from the store at once, and one around a
// recent message follows the latest from the start.
TEST_F(LiveStateTest, AWindowAroundAStoredMessageOpensAtOnce) {
  const std::string cid = create("short");
  std::vector<std::string> all = send_numbered(cid, 12);
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_EQ(query_all(*client, "alice").size(), 1u);
  ChatChannel channel = client->channel("messaging", "short");

  MessageWindow middle = channel.messages_around("m5", 5);
  EXPECT_EQ(ids_of(middle.items()), (std::vector<std::string>{"m3", "m4", "m5", "m6", "m7"}));
  MessageWindow recent = channel.messages_around("m10", 5);
  EXPECT_EQ(ids_of(recent.items()), (std::vector<std::string>{"m7", "m8", "m9", "m10", "m11"}))
      << "more before it when fewer follow";

  send_text("bob", cid, "m12", "message 12");
  ASSERT_TRUE(eventually([&] { return recent.items().size() == 6; }, kSlowLimit));
  EXPECT_EQ(recent.items().back().id, "m12");
  client->settle();
  EXPECT_EQ(middle.items().back().id, "m7") << "it does not hold the latest";
}

// A thread has gaps of its own: after a long time away, its latest replies come beside the old
// ones, and the thread's window shows only the newest run, paging back across the gap from the
// server.
TEST_F(LiveStateTest, AThreadWindowNeverShowsRepliesAcrossAGap) {
  const std::string cid = create("asked");
  send_text("bob", cid, "root", "a question");
  auto reply = [&](const std::string& id) {
    auto r = send("bob", cid, R"({"id":")" + id + R"(","text":"r","parent_id":"root"})");
    ASSERT_EQ(r.status, 200u) << r.text;
  };
  std::vector<std::string> replies;
  for (int i = 0; i < 5; ++i)
    reply(replies.emplace_back("old" + std::to_string(i)));
  {
    auto client = make_client();
    ASSERT_TRUE(connect(*client, "alice"));
    MessageWindow thread = client->channel("messaging", "asked").thread("root", 10);
    ASSERT_TRUE(eventually([&] { return thread.items().size() == 5; }, kSlowLimit));
    EXPECT_TRUE(client->persistence().thread_gaps(cid, "root").empty());
    client->disconnect_user();
    SqlitePersistenceClient store({.directory = data_.path()});
    store.connect("alice");
    store.set_last_sync_at(Timestamp::from_unix_micros(Timestamp::now().unix_micros() -
                                                       std::int64_t{40} * 24 * 3600 * 1'000'000));
    store.disconnect(false);
  }
  for (int i = 0; i < 20; ++i)
    reply(replies.emplace_back("new" + std::to_string(i)));
  auto client = make_client();
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_TRUE(events.wait(EventType::connection_recovered));
  ASSERT_FALSE(client->persistence().message("new0")) << "catch-up did not page the thread";

  MessageWindow thread = client->channel("messaging", "asked").thread("root", 10);
  ListCopy<Message> copy(thread);
  const std::vector<std::string> latest(replies.end() - 10, replies.end());
  ASSERT_TRUE(eventually([&] { return ids_of(thread.items()) == latest; }, kSlowLimit))
      << "old0..old4 are not contiguous with new10";
  EXPECT_EQ(client->persistence().thread_gaps(cid, "root").size(), 1u);
  std::size_t shown = 10;
  while (shown < replies.size()) {
    Eventually<Result<std::size_t>> older;
    thread.load_older(older.setter());
    auto r = older.get(kSlowLimit);
    ASSERT_TRUE(r) << r.error->what();
    ASSERT_GT(*r.value, 0u);
    shown += *r.value;
    client->settle();
    ASSERT_EQ(ids_of(thread.items()),
              std::vector<std::string>(replies.end() - static_cast<long>(shown), replies.end()));
  }
  EXPECT_TRUE(client->persistence().thread_gaps(cid, "root").empty());
  EXPECT_EQ(ids_of(copy.items()), replies);
}

TEST_F(LiveStateTest, UnreadCountsAreRightOfflineAndWatchable) {
  const std::string one = create("one"), two = create("two");
  const std::uint16_t dead_port = closed_port();
  {
    auto client = make_client();
    ASSERT_TRUE(connect(*client, "alice"));
    ASSERT_EQ(query_all(*client, "alice").size(), 2u);
    std::mutex mutex;
    std::vector<UnreadCounts> seen;
    Subscription watching = client->on_unread_counts([&](const UnreadCounts& counts) {
      std::lock_guard lock(mutex);
      seen.push_back(counts);
    });
    auto last = [&] {
      std::lock_guard lock(mutex);
      return seen.empty() ? UnreadCounts{.total_unread_count = -1} : seen.back();
    };
    ASSERT_TRUE(eventually([&] { return last() == UnreadCounts{}; }));
    send_text("bob", one, "hi", "hi");
    auto r = send("bob", two, R"({"id":"ping","text":"@alice","mentioned_users":["alice"]})");
    ASSERT_EQ(r.status, 200u) << r.text;
    const UnreadCounts expected{
        .total_unread_count = 2, .unread_channels = 2, .unread_mentions = 1};
    ASSERT_TRUE(eventually([&] { return last() == expected; }));
    EXPECT_EQ(client->unread_counts(), expected);
  }
  {
    // Offline, her read mark lowers the figures at once.
    auto offline = make_client(dead_port);
    ASSERT_TRUE(connect(*offline, "alice"));
    offline->channel("messaging", "two").mark_read();
    offline->settle();
    EXPECT_EQ(offline->unread_counts(),
              (UnreadCounts{.total_unread_count = 1, .unread_channels = 1}));
  }
  // Online, once the mark is delivered, the server agrees.
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_TRUE(eventually([&] { return client->outbox().empty(); }));
  auto q = call("alice", verb::post, "/channels",
                R"({"filter_conditions":{"members":{"$in":["alice"]}}})");
  std::int64_t on_server = 0;
  for (const auto& channel : q.json.at("channels").as_array()) {
    for (const auto& read : channel.at("read").as_array()) {
      if (read.at("user").at("id") == "alice") on_server += read.at("unread_messages").as_int64();
    }
  }
  EXPECT_EQ(on_server, 1);
  EXPECT_EQ(client->unread_counts().total_unread_count, on_server);
}

// A reply sent offline shows in its thread window with its pending state, and its parent counts
// it at once.
TEST_F(LiveStateTest, AReplySentOfflineCountsOnItsParentAndShowsInTheThread) {
  const std::string cid = create("threads");
  send_text("bob", cid, "root", "a question");
  {
    auto client = make_client();
    ASSERT_TRUE(connect(*client, "alice"));
    ASSERT_EQ(query_all(*client, "alice").size(), 1u);
  }
  const std::uint16_t dead_port = closed_port();
  {
    auto offline = make_client(dead_port);
    ASSERT_TRUE(connect(*offline, "alice"));
    ChatChannel channel = offline->channel("messaging", "threads");
    MessageWindow thread = channel.thread("root");
    MessageWindow messages = channel.messages();
    channel.send_message(Message{.id = "answer", .text = "an answer", .parent_id = "root"});
    offline->settle();
    ASSERT_EQ(ids_of(thread.items()), std::vector<std::string>{"answer"});
    EXPECT_EQ(thread.items().front().local_state, LocalState::queued);
    EXPECT_EQ(offline->persistence().message("root")->reply_count, 1);
    ASSERT_FALSE(messages.items().empty());
    EXPECT_EQ(messages.items().back().id, "root") << "a thread-only reply stays in its thread";
    EXPECT_EQ(messages.items().back().reply_count, 1);
  }
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_TRUE(eventually([&] { return client->outbox().empty(); }));
  auto r = call("alice", verb::get, "/messages/root");
  ASSERT_EQ(r.status, 200u) << r.text;
  EXPECT_EQ(r.json.at("message").at("reply_count"), 1);
  EXPECT_EQ(client->persistence().message("root")->reply_count, 1);
}

// Stream's rules for replies: one shown in the channel (show_in_channel) joins the channel's
// window and its thread's, counts as unread and moves the channel up; a thread-only reply shows
// in its thread alone, counts on its parent and leaves the unread counts and the order alone. The
// user's own, sent offline, follows the same rules at once.
TEST_F(LiveStateTest, RepliesShownInTheChannelFollowStreamsRules) {
  const std::string asked = create("asked"), other = create("other");
  send_text("bob", asked, "root", "a question");
  send_text("bob", other, "later", "newer channel");
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  ChannelList list = client->channel_list(alices_channels());
  ChatChannel channel = client->channel("messaging", "asked");
  MessageWindow messages = channel.messages(10);
  MessageWindow thread = channel.thread("root", 10);
  ASSERT_TRUE(eventually(
      [&] {
        return cids_of(list.items()) == std::vector<std::string>{other, asked} &&
               ids_of(messages.items()) == std::vector<std::string>{"root"};
      },
      kSlowLimit));
  channel.mark_read();
  client->channel("messaging", "other").mark_read();
  ASSERT_TRUE(eventually(
      [&] { return client->outbox().empty() && client->unread_counts() == UnreadCounts{}; }));

  auto reply = [&](const std::string& id, bool shown) {
    auto r = send("bob", asked,
                  R"({"id":")" + id + R"(","text":"r","parent_id":"root","show_in_channel":)" +
                      (shown ? "true" : "false") + "}");
    ASSERT_EQ(r.status, 200u) << r.text;
  };
  reply("quiet", false);
  ASSERT_TRUE(eventually([&] { return ids_of(thread.items()).size() == 1; }, kSlowLimit));
  client->settle();
  EXPECT_EQ(ids_of(messages.items()), std::vector<std::string>{"root"});
  EXPECT_EQ(messages.items().back().reply_count, 1);
  EXPECT_EQ(client->unread_counts(), UnreadCounts{});
  EXPECT_EQ(cids_of(list.items()).front(), other) << "a thread-only reply moves nothing";

  reply("loud", true);
  ASSERT_TRUE(eventually([&] { return ids_of(thread.items()).size() == 2; }, kSlowLimit));
  client->settle();
  EXPECT_EQ(ids_of(messages.items()), (std::vector<std::string>{"root", "loud"}));
  EXPECT_EQ(ids_of(thread.items()), (std::vector<std::string>{"quiet", "loud"}));
  EXPECT_EQ(client->unread_counts(), (UnreadCounts{.total_unread_count = 1, .unread_channels = 1}));
  EXPECT_EQ(cids_of(list.items()).front(), asked);

  // Her own, offline: at once, with their pending state.
  chaos(R"({"fail_next":100,"fail_status":503})");
  channel.send_message(Message{.id = "mine-quiet", .text = "q", .parent_id = "root"});
  channel.send_message(
      Message{.id = "mine-loud", .text = "l", .parent_id = "root", .show_in_channel = true});
  client->settle();
  EXPECT_EQ(ids_of(thread.items()),
            (std::vector<std::string>{"quiet", "loud", "mine-quiet", "mine-loud"}));
  EXPECT_EQ(ids_of(messages.items()), (std::vector<std::string>{"root", "loud", "mine-loud"}));
  EXPECT_TRUE(messages.items().back().local_state);
  EXPECT_EQ(messages.items().front().reply_count, 4);
  chaos(R"({"fail_next":0})");
}

TEST_F(LiveStateTest, HandlesOutliveTheirClient) {
  const std::string cid = create("outlive");
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  ChannelList list = client->channel_list(alices_channels());
  MessageWindow window = client->channel("messaging", "outlive").messages();
  client.reset();
  EXPECT_NO_THROW(list.items());
  Eventually<Result<std::size_t>> more;
  list.load_more(more.setter());
  EXPECT_EQ(more.get().error->code(), ErrorCode::invalid_state);
  Eventually<Result<std::size_t>> older;
  window.load_older(older.setter());
  EXPECT_EQ(older.get().error->code(), ErrorCode::invalid_state);
}

}  // namespace
}  // namespace chatkeep::testing

// The property test of live state: random events from other users, the user's own actions,
// offline periods, refused checkpoints and restarts, with a fixed seed. After every step every
// open list and window equals a fresh read of the store, and the copies built from their diffs
// equal them; windows never hold messages on both sides of a recorded gap, nor skip one the
// server has; and once online and settled, they equal what chatkeep-server answers.

#include <gtest/gtest.h>

#include <random>

#include "chatkeep/json.hpp"
#include "chatkeep/sqlite_persistence.hpp"
#include "support/client_fixture.hpp"
#include "support/live_state.hpp"

namespace chatkeep::testing {
namespace {

namespace json = boost::json;

const ChannelListOptions kList{.filter = Filter::in("members", {json::value("alice")}),
                               .page_size = 30};
constexpr std::size_t kWindow = 8;
constexpr const char* kWatched = "messaging:c0";

// One client of alice's with a list and a window open, and copies of both from their diffs.
struct Session {
  std::unique_ptr<ChatClient> client;
  std::optional<ChannelList> list;
  std::optional<MessageWindow> window;
  std::unique_ptr<ListCopy<ChannelState>> list_copy;
  std::unique_ptr<ListCopy<Message>> window_copy;

  void open() {
    list.emplace(client->channel_list(kList));
    list_copy = std::make_unique<ListCopy<ChannelState>>(*list);
    window.emplace(client->channel("messaging", "c0").messages(kWindow));
    window_copy = std::make_unique<ListCopy<Message>>(*window);
  }
  void close() {
    window_copy.reset();
    list_copy.reset();
    window.reset();
    list.reset();
    client.reset();
  }
};

class LiveStatePropertyTest : public ClientTest {
 protected:
  // After a step: the handles equal their copies and a fresh read; the window is one run.
  void check(Session& s, const std::string& step) {
    SCOPED_TRACE(step);
    // A commit may land between the reads (a server answer in flight): they are taken again
    // until they were taken with none in between.
    std::vector<ChannelState> items, fresh, copy;
    for (int attempt = 0; attempt < 50; ++attempt) {
      s.client->settle();
      items = s.list->items();
      fresh = fresh_read(*s.client, kList);
      copy = s.list_copy->items();
      s.client->settle();
      if (json_of(s.list->items()) == json_of(items) && json_of(fresh) == json_of(items) &&
          json_of(copy) == json_of(items)) {
        break;
      }
    }
    EXPECT_EQ(json_of(copy), json_of(items));
    EXPECT_EQ(json_of(fresh), json_of(items));

    // A fresh read of the window: from its oldest message to the latest, without a gap inside.
    auto& store = s.client->persistence();
    std::vector<Message> messages, stored, copied;
    for (int attempt = 0; attempt < 50; ++attempt) {
      s.client->settle();
      messages = s.window->items();
      copied = s.window_copy->items();
      stored = messages.empty()
                   ? std::vector<Message>{}
                   : store.messages(kWatched, {.limit = 100000, .id_gte = messages.front().id});
      s.client->settle();
      if (ids_of(s.window->items()) == ids_of(messages) && ids_of(stored) == ids_of(messages) &&
          ids_of(copied) == ids_of(messages)) {
        break;
      }
    }
    EXPECT_EQ(ids_of(copied), ids_of(messages));
    if (messages.empty()) return;
    EXPECT_EQ(ids_of(stored), ids_of(messages));
    const auto gaps = store.gaps(kWatched);
    for (std::size_t i = 1; i < messages.size(); ++i) {
      const auto x = messages[i - 1].created_at->unix_micros();
      const auto y = messages[i].created_at->unix_micros();
      for (const auto& gap : gaps) {
        const auto lo = std::max(gap.after ? gap.after->unix_micros() : INT64_MIN, x);
        const auto hi = std::min(gap.before ? gap.before->unix_micros() : INT64_MAX, y);
        EXPECT_FALSE(lo + 1 < hi) << "a gap inside the window, before " << messages[i].id;
      }
    }
  }

  // Online and settled: the list and the window are what the server answers.
  void check_against_server(Session& s) {
    ASSERT_TRUE(eventually([&] { return s.client->outbox().empty(); })) << [&] {
      std::string pending;
      for (const auto& e : s.client->outbox())
        pending += std::string(to_string(e.kind)) + " " + e.cid + " " +
                   std::string(to_string(e.state)) + " " + e.error.value_or("") + "\n";
      return pending;
    }();
    std::vector<std::string> on_server_list;
    if (!eventually([&] {
          s.client->settle();
          return cids_of(s.list->items()) == server_list();
        })) {
      for (const auto& state : s.list->items())
        std::cerr << "local " << json::serialize(to_json(state.channel)).substr(0, 300) << "\n";
      auto r = call("alice", verb::post, "/channels",
                    R"({"filter_conditions":{"members":{"$in":["alice"]}},"limit":30})");
      for (const auto& channel : r.json.at("channels").as_array()) {
        std::cerr << "server " << json::serialize(channel.at("channel").at("cid")) << " "
                  << json::serialize(channel.at("channel").at("last_message_at")) << "\n";
        const std::string cid(channel.at("channel").at("cid").as_string());
        std::cerr << "  server messages:";
        for (const auto& m : channel.at("messages").as_array())
          std::cerr << " " << m.at("id").as_string() << "@"
                    << m.at("created_at").as_string().subview(17);
        std::cerr << "\n  local messages:";
        for (const auto& m : s.client->persistence().messages(cid, {.limit = 25}))
          std::cerr << " " << m.id << "@" << m.created_at->to_string().substr(17)
                    << (m.local_state ? "(pending)" : "");
        std::cerr << "\n  local channel: "
                  << json::serialize(to_json(*s.client->persistence().channel(cid))).substr(0, 600)
                  << "\n";
      }
    }
    ASSERT_TRUE(eventually([&] {
      s.client->settle();
      on_server_list = server_list();
      return cids_of(s.list->items()) == on_server_list;
    })) << "the list is not the server's: "
        << json::serialize(json::value_from(cids_of(s.list->items()))) << " against "
        << json::serialize(json::value_from(on_server_list));
    const auto messages = s.window->items();
    if (messages.empty()) return;
    auto r = query(
        "alice", kWatched,
        R"({"state":true,"messages":{"limit":300,"id_gte":")" + messages.front().id + R"("}})");
    ASSERT_EQ(r.status, 200u) << r.text;
    std::vector<std::string> on_server;
    for (const auto& m : r.json.at("messages").as_array())
      on_server.emplace_back(m.at("id").as_string());
    ASSERT_TRUE(eventually([&] {
      s.client->settle();
      return ids_of(s.window->items()) == on_server;
    })) << "the window skipped or added messages";
  }

  std::vector<std::string> server_list() {
    auto r = call("alice", verb::post, "/channels",
                  R"({"filter_conditions":{"members":{"$in":["alice"]}},"limit":30})");
    std::vector<std::string> cids;
    for (const auto& channel : r.json.at("channels").as_array())
      cids.emplace_back(channel.at("channel").at("cid").as_string());
    return cids;
  }

  void connect_online(Session& s) {
    s.client = make_client();
    ASSERT_TRUE(connect(*s.client, "alice"));
    ASSERT_TRUE(eventually([&] { return s.client->online(); }));
    s.open();
  }
};

TEST_F(LiveStatePropertyTest, ListsAndWindowsEqualTheStoreAfterEveryStepAndTheServerOnceSettled) {
  const std::uint32_t seed = 20261206;
  std::mt19937 random(seed);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  std::vector<std::string> cids;
  for (int i = 0; i < 4; ++i)
    cids.push_back(create("c" + std::to_string(i)));
  int serial = 0;
  auto next_id = [&] { return "x" + std::to_string(++serial); };
  for (int i = 0; i < 12; ++i)
    send_text("bob", kWatched, next_id(), "before");

  Session s;
  connect_online(s);
  check_against_server(s);
  for (int step = 0; step < 40; ++step) {
    const std::size_t what = pick(8);
    const std::string cid = cids[pick(cids.size())];
    const std::string label = "step " + std::to_string(step) + " kind " + std::to_string(what);
    if (what <= 1) {  // a message from bob, sometimes naming alice
      const std::string id = next_id();
      auto r = send("bob", cid,
                    R"({"id":")" + id + R"(","text":"hi")" +
                        (pick(3) == 0 ? R"(,"mentioned_users":["alice"])" : "") + "}");
      ASSERT_EQ(r.status, 200u) << r.text;
    } else if (what == 2) {  // alice writes or reads
      auto channel = s.client->channel("messaging", cid.substr(cid.find(':') + 1));
      if (pick(2)) {
        channel.send_message(Message{.id = next_id(), .text = "mine"});
      } else {
        channel.mark_read();
      }
    } else if (what == 3) {  // a new channel with alice
      cids.push_back(create("n" + std::to_string(++serial)));
    } else if (what == 4 && cid != kWatched) {  // alice hides a channel
      const auto colon = cid.find(':');
      EXPECT_EQ(
          call("alice", verb::post, "/channels/messaging/" + cid.substr(colon + 1) + "/hide", "{}")
              .status,
          200u);
    } else if (what == 5 && cid != kWatched && cid != "messaging:c1" &&
               cids.size() > 3) {  // bob removes alice
      const auto colon = cid.find(':');
      EXPECT_EQ(call("bob", verb::post, "/channels/messaging/" + cid.substr(colon + 1),
                     R"({"remove_members":["alice"]})")
                    .status,
                200u);
      std::erase(cids, cid);
    } else if (what ==
               6) {  // away: bob writes; alice acts offline; maybe the checkpoint is refused
      s.close();
      for (int i = 0; i < 3 + static_cast<int>(pick(15)); ++i)
        send_text("bob", cids[pick(cids.size())], next_id(), "while away");
      if (pick(2)) {
        SqlitePersistenceClient store({.directory = data_.path()});
        store.connect("alice");
        store.set_last_sync_at(Timestamp::from_unix_micros(
            Timestamp::now().unix_micros() - std::int64_t{40} * 24 * 3600 * 1'000'000));
        store.disconnect(false);
      }
      s.client = make_client(closed_port());
      ASSERT_TRUE(connect(*s.client, "alice"));
      s.open();
      check(s, label + " offline");
      s.client->channel("messaging", "c0").send_message(Message{.id = next_id(), .text = "away"});
      s.client->channel("messaging", "c1").mark_read();
      check(s, label + " offline actions");
      s.close();
      connect_online(s);
    } else {  // a restart
      s.close();
      connect_online(s);
    }
    check(s, label);
    if (step % 8 == 7) {
      check_against_server(s);
      Eventually<Result<std::size_t>> older;
      s.window->load_older(older.setter());
      EXPECT_TRUE(older.get()) << label;
      check(s, label + " older");
      check_against_server(s);
    }
  }
  check_against_server(s);
}

}  // namespace
}  // namespace chatkeep::testing

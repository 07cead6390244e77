// Every user action works offline (issue 20), through ChatClient against a real chatkeep-server:
// each shows in the store at once, reaches the server once when it is back, and one the server
// refuses gives back the state as the server has it.

#include <gtest/gtest.h>

#include "support/client_fixture.hpp"

namespace chatkeep::testing {
namespace {

using namespace std::chrono_literals;

class ActionsTest : public ClientTest {
 public:
  // alice's client, connected, with every channel of hers stored and the socket up.
  std::unique_ptr<ChatClient> connected_alice(Recorder*& events) {
    auto client = make_client();
    recorder_ = std::make_unique<Recorder>(*client);
    events = recorder_.get();
    EXPECT_TRUE(connect(*client, "alice"));
    query_all(*client, "alice");
    EXPECT_TRUE(events->wait(EventType::connection_recovered));
    return client;
  }

  // Takes the server away for `ms` and waits until the client has noticed.
  void go_offline(Recorder& events, int ms = 2500) {
    chaos(R"({"offline_ms":)" + std::to_string(ms) + "}");
    ASSERT_TRUE(eventually([&] {
      auto all = events.all();
      return std::any_of(all.begin(), all.end(), [](const Event& e) {
        return e.kind == EventType::connection_changed && e.online == false;
      });
    }));
  }

  // The message as `user` gets it from the server.
  Message server_message(const std::string& user, const std::string& id) {
    auto r = call(user, verb::get, "/messages/" + id);
    EXPECT_EQ(r.status, 200u) << r.text;
    return from_json<Message>(r.json.at("message"));
  }

 private:
  std::unique_ptr<Recorder> recorder_;
};

TEST_F(ActionsTest, PinsAndPartialUpdatesMadeOfflineShowAtOnceAndReachTheServerOnce) {
  const std::string cid = create("pins");
  send_text("alice", cid, "a1", "pin me");
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  ASSERT_TRUE(eventually([&] { return client->persistence().message("a1").has_value(); }));
  ChatChannel channel = client->channel("messaging", "pins");
  ASSERT_NO_FATAL_FAILURE(go_offline(*events));

  const auto expires = Timestamp::from_unix_micros(Timestamp::now().unix_micros() + 3'600'000'000);
  channel.pin_message("a1", expires);
  Message shown = *client->persistence().message("a1");
  EXPECT_TRUE(shown.pinned.value_or(false));
  ASSERT_TRUE(shown.pinned_by);
  EXPECT_EQ(shown.pinned_by->id, "alice");
  EXPECT_TRUE(shown.pinned_at);
  EXPECT_EQ(shown.pin_expires, expires);
  EXPECT_EQ(shown.local_state, LocalState::queued);
  ASSERT_EQ(client->persistence().pinned_messages(cid, {}).size(), 1u);

  channel.partial_update_message("a1", {{"text", "pinned, edited"}, {"mood", "calm"}});
  channel.unpin_message("a1");
  EXPECT_FALSE(client->persistence().message("a1")->pinned.value_or(false));
  EXPECT_TRUE(client->persistence().pinned_messages(cid, {}).empty());
  channel.pin_message("a1", expires);
  // The unpin cancelled the untried pin, and the second pin the unpin: the text update and one
  // pin are left.
  EXPECT_EQ(client->outbox().size(), 2u);
  shown = *client->persistence().message("a1");
  EXPECT_EQ(shown.text, "pinned, edited");
  EXPECT_EQ(shown.extra.at("mood"), "calm");
  EXPECT_TRUE(shown.pinned.value_or(false));

  ASSERT_TRUE(events->wait(EventType::outbox_delivered, 2)) << client->outbox().size();
  EXPECT_TRUE(eventually([&] { return client->outbox().empty(); }));
  const Message on_server = server_message("bob", "a1");
  EXPECT_EQ(on_server.text, "pinned, edited");
  EXPECT_EQ(on_server.extra.at("mood"), "calm");
  EXPECT_TRUE(on_server.pinned.value_or(false));
  EXPECT_EQ(on_server.pin_expires, expires);
  ASSERT_TRUE(on_server.pinned_by);
  EXPECT_EQ(on_server.pinned_by->id, "alice");
  EXPECT_TRUE(eventually([&] { return !client->persistence().message("a1")->local_state; }));
  EXPECT_EQ(client->persistence().message("a1")->pinned_at, on_server.pinned_at);

  channel.partial_update_message("a1", {}, {"mood"});
  ASSERT_TRUE(events->wait(EventType::outbox_delivered, 3));
  EXPECT_FALSE(server_message("bob", "a1").extra.contains("mood"));
  expect_converged(*client, "alice");
}

TEST_F(ActionsTest, AnExpiredPinIsNoLongerListedAnywhere) {
  const std::string cid = create("brief");
  send_text("alice", cid, "a1", "briefly pinned");
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  ASSERT_TRUE(eventually([&] { return client->persistence().message("a1").has_value(); }));
  const auto expires = Timestamp::from_unix_micros(Timestamp::now().unix_micros() + 1'500'000);
  client->channel("messaging", "brief").pin_message("a1", expires);
  ASSERT_TRUE(events->wait(EventType::outbox_delivered));
  EXPECT_EQ(client->persistence().pinned_messages(cid, {}).size(), 1u);
  auto pinned_on_server = [&] {
    auto r = query("bob", cid, R"({"state":true})");
    return from_json<ChannelState>(r.json).pinned_messages.value_or(std::vector<Message>{}).size();
  };
  EXPECT_EQ(pinned_on_server(), 1u);
  std::this_thread::sleep_until(expires.time_point() + 100ms);
  EXPECT_TRUE(client->persistence().pinned_messages(cid, {}).empty());
  EXPECT_EQ(pinned_on_server(), 0u);
  EXPECT_TRUE(client->persistence().message("a1")->pinned.value_or(false))
      << "the message still says it was pinned, until when";
}

// Only the author or the channel's owner pins. alice's pin of bob's message in carol's channel
// is refused: the entry leaves the outbox with the server's reason and the message is the
// server's again.
TEST_F(ActionsTest, ARefusedPinLeavesTheOutboxAndGivesBackTheServersMessage) {
  auto r = query("carol", "messaging:carols", R"({"data":{"members":["alice","bob","carol"]}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  send_text("bob", "messaging:carols", "b1", "bob's");
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  ASSERT_TRUE(eventually([&] { return client->persistence().message("b1").has_value(); }));
  client->channel("messaging", "carols").pin_message("b1");
  EXPECT_TRUE(client->persistence().message("b1")->pinned.value_or(false));
  ASSERT_TRUE(events->wait(EventType::outbox_failed));
  const Event failed = [&] {
    for (const auto& e : events->all())
      if (e.kind == EventType::outbox_failed) return e;
    return Event{};
  }();
  EXPECT_NE(failed.extra.at("outbox_entry").at("error").as_string().find("may not pin"),
            std::string::npos);
  ASSERT_TRUE(eventually([&] {
    auto m = client->persistence().message("b1");
    return client->outbox().empty() && !m->pinned.value_or(false) && !m->local_state;
  }));
  EXPECT_FALSE(server_message("bob", "b1").pinned.value_or(false));
  expect_converged(*client, "alice");
}

TEST_F(ActionsTest, AQuotedReplyShowsTheQuotedMessageInItsEchoAndASilentOneCountsAsNobodysUnread) {
  const std::string cid = create("quotes");
  send_text("bob", cid, "b1", "quote me");
  Recorder* events = nullptr;
  auto client = connected_alice(events);
  ASSERT_TRUE(eventually([&] { return client->persistence().message("b1").has_value(); }));
  ChatChannel channel = client->channel("messaging", "quotes");
  ASSERT_NO_FATAL_FAILURE(go_offline(*events));
  const Message echo = channel.send_message(Message{.text = "quoting", .quoted_message_id = "b1"});
  ASSERT_TRUE(echo.quoted_message);
  EXPECT_EQ(echo.quoted_message->text, "quote me");
  auto stored = client->persistence().message(echo.id);
  ASSERT_TRUE(stored && stored->quoted_message);
  EXPECT_EQ(stored->quoted_message->id, "b1");
  channel.send_message(Message{.text = "shh", .silent = true});
  ASSERT_TRUE(events->wait(EventType::outbox_delivered, 2));

  const Message on_server = server_message("bob", echo.id);
  ASSERT_TRUE(on_server.quoted_message);
  EXPECT_EQ(on_server.quoted_message->text, "quote me");
  auto state = from_json<ChannelState>(query("bob", cid, R"({"state":true})").json);
  for (const auto& read : state.read.value_or(std::vector<Read>{})) {
    if (read.user.id == "bob") {
      EXPECT_EQ(read.unread_messages, 1) << "the silent one is not";
    }
  }
  expect_converged(*client, "alice");
}

}  // namespace
}  // namespace chatkeep::testing

// The outbox through ChatClient against a real chatkeep-server: actions made offline show at once
// and reach the server exactly once when it is back; transient failures retry, permanent ones
// fail and can be discarded; a send a crash left in flight is delivered once after a restart;
// entries past the age limit fail instead of arriving late.

#include <gtest/gtest.h>

#include "chatkeep/sqlite_persistence.hpp"
#include "support/client_fixture.hpp"

namespace chatkeep::testing {
namespace {

class OutboxTest : public ClientTest {
 public:
  // The channel's messages on the server as `user` sees them.
  std::vector<Message> server_messages(const std::string& user, const std::string& cid) {
    auto r = query(user, cid, R"({"state":true,"messages":{"limit":300}})");
    return from_json<ChannelState>(r.json).messages.value_or(std::vector<Message>{});
  }

  // Bob writes "bobs" in messaging:theirs; alice's client connects, stores it and listens.
  void alice_sees_bobs_message(ChatClient& client, Recorder& events) {
    send_text("bob", create("theirs"), "bobs", "bob's words");
    ASSERT_TRUE(connect(client, "alice"));
    query_all(client, "alice");
    ASSERT_TRUE(events.wait(EventType::connection_recovered));
    ASSERT_TRUE(eventually([&] { return client.persistence().message("bobs").has_value(); }));
  }

  static std::size_t count_kind(const std::vector<OutboxEntry>& entries, OutboxKind kind) {
    return static_cast<std::size_t>(std::count_if(
        entries.begin(), entries.end(), [&](const OutboxEntry& e) { return e.kind == kind; }));
  }
};

TEST_F(OutboxTest, OfflineActionsShowAtOnceAndReachTheServerOnceWhenItIsBack) {
  const std::string cid = create("outbox");
  auto client = make_client();
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  query_all(*client, "alice");
  ASSERT_TRUE(events.wait(EventType::connection_recovered));
  ChatChannel channel = client->channel("messaging", "outbox");

  chaos(R"({"offline_ms":2500})");
  ASSERT_TRUE(eventually([&] {
    auto all = events.all();
    return std::any_of(all.begin(), all.end(), [](const Event& e) {
      return e.kind == EventType::connection_changed && e.online == false;
    });
  }));

  const Message first = channel.send_message(Message{.text = "first"});
  EXPECT_EQ(first.cid, cid);
  EXPECT_EQ(first.id.size(), 36u);
  EXPECT_EQ(first.local_state, LocalState::queued);
  EXPECT_EQ(client->persistence().message(first.id)->text, "first");
  EXPECT_EQ(client->persistence().message(first.id)->local_state, LocalState::queued);
  channel.update_message(Message{.id = first.id, .text = "first, edited"});
  EXPECT_EQ(client->persistence().message(first.id)->text, "first, edited");
  EXPECT_EQ(client->outbox().size(), 1u) << "the edit rewrote the queued send";

  const Message second = channel.send_message(Message{.text = "second"});
  channel.send_reaction(second.id, Reaction{.type = "like"});
  EXPECT_EQ(client->persistence().message(second.id)->reaction_counts->at("like"), 1);
  const Message regret = channel.send_message(Message{.text = "never mind"});
  channel.delete_message(regret.id);
  EXPECT_FALSE(client->persistence().message(regret.id)) << "never sent, so gone at once";
  channel.mark_read();
  channel.mark_read();

  auto entries = client->outbox();
  EXPECT_EQ(entries.size(), 4u);
  EXPECT_EQ(count_kind(entries, OutboxKind::send_message), 2u);
  EXPECT_EQ(count_kind(entries, OutboxKind::mark_read), 1u);
  for (const auto& e : entries)
    EXPECT_NE(e.state, OutboxState::failed) << e.error.value_or("");

  ASSERT_TRUE(events.wait(EventType::outbox_delivered, 4)) << client->outbox().size();
  EXPECT_TRUE(eventually([&] { return client->outbox().empty(); }));
  const auto on_server = server_messages("bob", cid);
  ASSERT_EQ(on_server.size(), 2u);
  EXPECT_EQ(on_server[0].id, first.id);
  EXPECT_EQ(on_server[0].text, "first, edited");
  EXPECT_EQ(on_server[1].id, second.id);
  EXPECT_EQ(on_server[1].reaction_counts->at("like"), 1);
  EXPECT_FALSE(client->persistence().message(first.id)->local_state) << "delivered";
  expect_converged(*client, "alice");
}

TEST_F(OutboxTest, TransientFailuresAreRetried) {
  const std::string cid = create("flaky");
  ClientOptions options = client_options();
  options.outbox = {.first_retry_delay = 50ms, .max_retry_delay = 200ms};
  ChatClient client(kKey, std::move(options));
  Recorder events(client);
  ASSERT_TRUE(connect(client, "alice"));
  query_all(client, "alice");
  ASSERT_TRUE(events.wait(EventType::connection_recovered));
  chaos(R"({"fail_next":3,"fail_status":503})");
  const Message sent = client.channel("messaging", "flaky").send_message(Message{.text = "hi"});
  ASSERT_TRUE(events.wait(EventType::outbox_delivered));
  EXPECT_EQ(events.count(EventType::outbox_failed), 0u);
  const auto on_server = server_messages("bob", cid);
  ASSERT_EQ(on_server.size(), 1u);
  EXPECT_EQ(on_server[0].id, sent.id);
}

TEST_F(OutboxTest, PermanentFailuresWaitForRetryOrDiscard) {
  auto r = query("bob", "messaging:private", R"({"data":{"members":["bob","carol"]}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  auto client = make_client();
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  ChatChannel channel = client->channel("messaging", "private");
  const Message sent = channel.send_message(Message{.text = "let me in"});
  ASSERT_TRUE(events.wait(EventType::outbox_failed));
  auto entries = client->outbox();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].state, OutboxState::failed);
  EXPECT_FALSE(entries[0].error.value_or("").empty());
  auto shown = client->persistence().message(sent.id);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->local_state, LocalState::failed);
  EXPECT_EQ(shown->local_error, entries[0].error);

  client->retry(entries[0].id);
  ASSERT_TRUE(events.wait(EventType::outbox_failed, 2));
  client->discard(entries[0].id);
  EXPECT_TRUE(client->outbox().empty());
  EXPECT_FALSE(client->persistence().message(sent.id));
  EXPECT_THROW(client->discard(entries[0].id), ChatError);
}

// A refused edit and a refused deletion of someone else's message show as echoes marked failed;
// discarded, the message is the server's again (an echo is not replaced by copies of the version
// it was made on, so without the refresh it would stay).
TEST_F(OutboxTest, DiscardingAFailedEditOrDeletionGivesBackTheServersMessage) {
  auto client = make_client();
  Recorder events(*client);
  ASSERT_NO_FATAL_FAILURE(alice_sees_bobs_message(*client, events));

  client->channel("messaging", "theirs").update_message(Message{.id = "bobs", .text = "mine now"});
  ASSERT_TRUE(events.wait(EventType::outbox_failed));
  EXPECT_EQ(client->persistence().message("bobs")->text, "mine now");
  client->discard(client->outbox().at(0).id);
  ASSERT_TRUE(
      eventually([&] { return client->persistence().message("bobs")->text == "bob's words"; }));
  EXPECT_FALSE(client->persistence().message("bobs")->local_state);

  client->channel("messaging", "theirs").delete_message("bobs");
  ASSERT_TRUE(events.wait(EventType::outbox_failed, 2));
  EXPECT_EQ(client->persistence().message("bobs")->type, "deleted");
  client->discard(client->outbox().at(0).id);
  ASSERT_TRUE(eventually([&] { return client->persistence().message("bobs")->type == "regular"; }));
  EXPECT_EQ(client->persistence().message("bobs")->text, "bob's words");
  EXPECT_TRUE(client->outbox().empty());
}

// An action still in the outbox stays on the message when a newer copy of it arrives.
TEST_F(OutboxTest, AFailedEditStaysOnScreenWhenTheMessageChangesOnTheServer) {
  auto client = make_client();
  Recorder events(*client);
  ASSERT_NO_FATAL_FAILURE(alice_sees_bobs_message(*client, events));

  client->channel("messaging", "theirs").update_message(Message{.id = "bobs", .text = "mine now"});
  ASSERT_TRUE(events.wait(EventType::outbox_failed));
  // Bob's reaction makes a newer copy of the message, which alice's client stores.
  ASSERT_EQ(
      call("bob", verb::post, "/messages/bobs/reaction", R"({"reaction":{"type":"like"}})").status,
      200u);
  ASSERT_TRUE(events.wait(EventType::reaction_new));
  ASSERT_TRUE(eventually([&] {
    return client->persistence().message("bobs")->reaction_counts.value_or(
               std::map<std::string, std::int64_t>{})["like"] == 1;
  }));
  auto shown = client->persistence().message("bobs");
  EXPECT_EQ(shown->text, "mine now");
  EXPECT_EQ(shown->local_state, LocalState::failed);

  // Discarded, the edit goes and bob's reaction stays.
  client->discard(client->outbox().at(0).id);
  ASSERT_TRUE(
      eventually([&] { return client->persistence().message("bobs")->text == "bob's words"; }));
  EXPECT_EQ(client->persistence().message("bobs")->reaction_counts->at("like"), 1);
}

TEST_F(OutboxTest, ASendACrashLeftInFlightIsDeliveredOnce) {
  const std::string cid = create("crash");
  {
    // What a killed client leaves: the echo and its entry, marked sending. The message did
    // reach the server before the crash.
    SqlitePersistenceClient store({.directory = data_.path()});
    store.connect("alice");
    Message echo{.id = "crashed-send",
                 .cid = cid,
                 .text = "in flight",
                 .user = User{.id = "alice"},
                 .created_at = Timestamp::now()};
    OutboxEntry entry{.kind = OutboxKind::send_message,
                      .cid = cid,
                      .message_id = echo.id,
                      .payload = {{"message", {{"id", echo.id}, {"text", "in flight"}}}},
                      .state = OutboxState::sending,
                      .attempts = 1,
                      .created_at = Timestamp::now()};
    store.apply(
        {UpsertMessages{.cid = cid, .messages = {echo}, .echo = true}, AddOutboxEntry{entry}});
    store.disconnect(false);
  }
  send_text("alice", cid, "crashed-send", "in flight");
  auto client = make_client();
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  ASSERT_TRUE(events.wait(EventType::outbox_delivered));
  EXPECT_TRUE(eventually([&] { return client->outbox().empty(); }));
  const auto on_server = server_messages("bob", cid);
  ASSERT_EQ(on_server.size(), 1u);
  // The server's copy replaced the echo: same id, the server's time.
  EXPECT_EQ(client->persistence().message("crashed-send")->created_at, on_server[0].created_at);
}

TEST_F(OutboxTest, EntriesOlderThanTheAgeLimitFailInsteadOfArrivingLate) {
  const std::string cid = create("late");
  {
    // Two sends left by an earlier run: one made two hours ago, one just now.
    SqlitePersistenceClient store({.directory = data_.path()});
    store.connect("alice");
    const Timestamp now = Timestamp::now();
    const Timestamp two_hours_ago = Timestamp::from_unix_micros(now.unix_micros() - 7'200'000'000);
    Batch batch;
    for (const auto& [id, made] : {std::pair{"stale", two_hours_ago}, std::pair{"fresh", now}}) {
      batch.push_back(UpsertMessages{
          .cid = cid,
          .messages = {Message{
              .id = id, .cid = cid, .text = id, .user = User{.id = "alice"}, .created_at = made}},
          .echo = true});
      batch.push_back(
          AddOutboxEntry{OutboxEntry{.kind = OutboxKind::send_message,
                                     .cid = cid,
                                     .message_id = id,
                                     .payload = {{"message", {{"id", id}, {"text", id}}}},
                                     .created_at = made}});
    }
    store.apply(batch);
    store.disconnect(false);
  }
  ClientOptions options = client_options();
  options.outbox.max_age = std::chrono::hours(1);
  ChatClient client(kKey, std::move(options));
  Recorder events(client);
  ASSERT_TRUE(connect(client, "alice"));
  // The stale one fails without holding back the fresh one behind it in the channel.
  ASSERT_TRUE(events.wait(EventType::outbox_failed));
  ASSERT_TRUE(events.wait(EventType::outbox_delivered));
  for (const auto& e : events.all()) {
    if (e.kind == EventType::outbox_failed) {
      EXPECT_EQ(e.extra.at("outbox_entry").at("message_id"), "stale");
    }
  }
  auto entries = client.outbox();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].message_id, "stale");
  EXPECT_EQ(entries[0].state, OutboxState::failed);
  EXPECT_NE(entries[0].error.value_or("").find("age limit"), std::string::npos);
  const auto on_server = server_messages("bob", cid);
  ASSERT_EQ(on_server.size(), 1u);
  EXPECT_EQ(on_server[0].id, "fresh");
}

TEST_F(OutboxTest, AFlushOnLogoutDiscardsTheOutboxAndSaysHowMuch) {
  create("logout");
  auto client = make_client();
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  query_all(*client, "alice");
  server_.stop();
  ChatChannel channel = client->channel("messaging", "logout");
  channel.send_message(Message{.text = "one"});
  channel.send_message(Message{.text = "two"});
  channel.mark_read();
  EXPECT_EQ(client->disconnect_user(true).discarded_outbox_entries, 3);
}

TEST_F(OutboxTest, AListenerOnTheNetworkThreadMayWrite) {
  const std::string cid = create("bot");
  auto client = make_client();
  Recorder events(*client);
  ASSERT_TRUE(connect(*client, "alice"));
  query_all(*client, "alice");
  ASSERT_TRUE(events.wait(EventType::connection_recovered));
  ChatChannel channel = client->channel("messaging", "bot");
  // A bot: it answers bob from its listener, which runs on the client's own thread.
  auto reply = client->on(EventType::message_new, [&](const Event& e) {
    if (e.user && e.user->id == "bob")
      channel.send_message(Message{.text = "echo: " + *e.message->text});
  });
  send_text("bob", cid, "ping", "ping");
  ASSERT_TRUE(events.wait(EventType::outbox_delivered));
  const auto on_server = server_messages("bob", cid);
  ASSERT_EQ(on_server.size(), 2u);
  EXPECT_EQ(on_server[1].text, "echo: ping");
}

TEST_F(OutboxTest, WritesNeedAConnectedUserAndAStoredMessage) {
  auto client = make_client();
  ChatChannel channel = client->channel("messaging", "x");
  EXPECT_THROW(channel.send_message(Message{.text = "no"}), ChatError);
  ASSERT_TRUE(connect(*client, "alice"));
  try {
    channel.update_message(Message{.id = "unknown", .text = "x"});
    FAIL() << "no error";
  } catch (const ChatError& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
  }
}

}  // namespace
}  // namespace chatkeep::testing

// chatkeep's built-in background work against chatkeep-server: sync catches the store up through
// /sync while the server refuses sockets; the outbox work delivers what waited once the network
// is back; maintenance keeps the newest messages of each channel (and whatever the outbox refers
// to), and records its integrity check.

#include "chatkeep/background_work.hpp"

#include <gtest/gtest.h>

#include "chatkeep/testing/builders.hpp"
#include "chatkeep/work.hpp"
#include "support/client_fixture.hpp"
#include "support/sqlite_peek.hpp"

namespace chatkeep::testing {
namespace {

std::unique_ptr<WorkScheduler> scheduler_for(ChatClient& client) {
  return std::make_unique<WorkScheduler>(
      WorkSchedulerOptions{.database = client.storage_paths().database});
}

WorkInfo only(WorkScheduler& scheduler, const std::string& name) {
  auto infos = scheduler.by_name(name);
  EXPECT_EQ(infos.size(), 1u) << name;
  return infos.empty() ? WorkInfo{} : infos.front();
}

TEST_F(ClientTest, BackgroundSyncCatchesUpWhileTheSocketIsRefused) {
  const std::string cid = create("bg");
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  query_all(*client, "alice");
  chaos(R"({"refuse_sockets":true,"drop_sockets":true})");
  ASSERT_TRUE(eventually([&] { return !client->online(); }));
  for (int i = 0; i < 3; ++i)
    send_text("bob", cid, "bg" + std::to_string(i), "while the socket was refused");

  auto scheduler = scheduler_for(*client);
  BackgroundWork work(*scheduler, *client);
  ASSERT_TRUE(scheduler->wait_idle(std::chrono::seconds(30)));
  const WorkInfo sync = only(*scheduler, "chatkeep.sync");
  EXPECT_TRUE(sync.periodic);
  EXPECT_EQ(sync.state, WorkState::enqueued);  // until the next period
  EXPECT_GE(sync.output.at("events").as_int64(), 3) << boost::json::serialize(sync.output);
  EXPECT_TRUE(client->persistence().message("bg2"));
  EXPECT_FALSE(client->online());
}

TEST_F(ClientTest, BackgroundOutboxWorkDeliversOnceTheNetworkIsBack) {
  const std::string cid = create("out");
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  auto scheduler = scheduler_for(*client);
  BackgroundWork work(*scheduler, *client);

  chaos(R"({"fail_rate":100})");  // the send waits in the outbox
  const Message sent = client->channel("messaging", "out").send_message(Message{.text = "later"});
  ASSERT_TRUE(eventually([&] { return client->outbox().front().attempts > 0; }));
  chaos(R"({"fail_rate":0,"refuse_sockets":true,"drop_sockets":true})");  // and the network goes
  ASSERT_TRUE(eventually([&] { return !scheduler->by_name("chatkeep.outbox").empty(); }));
  EXPECT_EQ(only(*scheduler, "chatkeep.outbox").state, WorkState::enqueued);  // for the network

  chaos(R"({"refuse_sockets":false})");
  ASSERT_TRUE(eventually(
      [&] { return only(*scheduler, "chatkeep.outbox").state == WorkState::succeeded; }));
  EXPECT_EQ(only(*scheduler, "chatkeep.outbox").output.at("delivered"), true);
  EXPECT_TRUE(client->outbox().empty());
  auto r = query("alice", cid, R"({"messages":{"limit":10}})");
  ASSERT_EQ(r.json.at("messages").as_array().size(), 1u);
  EXPECT_EQ(r.json.at("messages").at(0).at("id").as_string(), sent.id);
}

TEST_F(ClientTest, MaintenanceKeepsTheNewestMessagesAndChecksIntegrity) {
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  const std::string cid = "messaging:kept";
  Batch batch{UpsertChannels{{make_channel("kept", 100)}}};
  for (int i = 1; i <= 6; ++i)
    batch.push_back(UpsertMessages{{}, {make_message("k" + std::to_string(i), cid, i * 10)}});
  Message reply = make_message("k6-reply", cid, 15);  // an old reply on the newest message
  reply.parent_id = "k6";
  batch.push_back(UpsertMessages{{}, {reply}});
  // The oldest has an edit waiting in the outbox: it stays whatever its age.
  batch.push_back(AddOutboxEntry{OutboxEntry{.kind = OutboxKind::update_message,
                                             .cid = cid,
                                             .message_id = "k1",
                                             .payload = {{"message", {{"id", "k1"}}}},
                                             .state = OutboxState::failed,
                                             .created_at = Timestamp::now()}});
  client->persistence().apply(batch);

  auto scheduler = scheduler_for(*client);
  BackgroundWork work(*scheduler, *client, {.retention = {.max_messages_per_channel = 2}});
  ASSERT_TRUE(scheduler->wait_idle(std::chrono::seconds(30)));
  const WorkInfo maintenance = only(*scheduler, "chatkeep.maintenance");
  EXPECT_EQ(maintenance.output.at("integrity"), "ok");
  EXPECT_EQ(maintenance.output.at("deleted_messages"), 4);
  EXPECT_TRUE(maintenance.output.contains("file_cache_freed"));
  std::vector<std::string> left;
  for (const auto& m : client->persistence().messages(cid, {.limit = 10}))
    left.push_back(m.id);
  EXPECT_EQ(left, (std::vector<std::string>{"k1", "k5", "k6"}));
  // Where it cut, a gap: k1, kept for the outbox, is not contiguous with k5.
  const auto gaps = client->persistence().gaps(cid);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_FALSE(gaps[0].after);
  EXPECT_GT(*gaps[0].before, *client->persistence().message("k1")->created_at);
  EXPECT_LT(*gaps[0].before, *client->persistence().message("k5")->created_at);
  // And in the thread whose reply it cut.
  const auto thread_gaps = client->persistence().thread_gaps(cid, "k6");
  ASSERT_EQ(thread_gaps.size(), 1u);
  EXPECT_GT(*thread_gaps[0].before, reply.created_at);
  EXPECT_EQ(peek_integer(client->storage_paths().database, "PRAGMA auto_vacuum"), 2);
}

}  // namespace
}  // namespace chatkeep::testing

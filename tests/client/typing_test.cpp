// Typing against a real chatkeep-server, between two clients watching one channel: alice's
// keystrokes reach bob as one typing.start per 2 s and a typing.stop by itself; nothing is sent
// while she is offline, nor later; a start that no stop follows ends on bob's side by itself.

#include <gtest/gtest.h>

#include "support/client_fixture.hpp"

namespace chatkeep::testing {
namespace {

class TypingTest : public ClientTest {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    create("typing");
    alice_ = make_client();
    bob_ = make_client();
    heard_ = std::make_unique<Recorder>(*bob_);
    ASSERT_TRUE(connect(*alice_, "alice"));
    ASSERT_TRUE(connect(*bob_, "bob"));
    for (ChatClient* client : {alice_.get(), bob_.get()}) {
      Answers<ChannelState> watched;
      client->channel("messaging", "typing").watch({}, watched.callback());
      ASSERT_TRUE(watched.server());
    }
  }
  std::vector<Event> heard(EventType kind) {
    std::vector<Event> of_kind;
    for (auto& e : heard_->all())
      if (e.kind == kind) of_kind.push_back(e);
    return of_kind;
  }

  std::unique_ptr<ChatClient> alice_, bob_;
  std::unique_ptr<Recorder> heard_;
};

TEST_F(TypingTest, KeystrokesSendOneStartAndAStopFollowsByItself) {
  ChatChannel channel = alice_->channel("messaging", "typing");
  for (int i = 0; i < 5; ++i)
    channel.keystroke();
  ASSERT_TRUE(heard_->wait(EventType::typing_start));
  ASSERT_TRUE(heard_->wait(EventType::typing_stop)) << "3 s after the last key";
  EXPECT_EQ(heard(EventType::typing_start).size(), 1u) << "at most one start every 2 s";
  EXPECT_EQ(heard(EventType::typing_stop).front().user->id, "alice");
  EXPECT_FALSE(heard(EventType::typing_stop).front().extra.contains("expired"));

  // In a thread, stopped by the app: the parent goes along.
  channel.keystroke(std::string("root"));
  channel.stop_typing(std::string("root"));
  ASSERT_TRUE(heard_->wait(EventType::typing_stop, 2));
  EXPECT_EQ(heard(EventType::typing_start).back().parent_id, "root");
  EXPECT_EQ(heard(EventType::typing_stop).back().parent_id, "root");
  // A stop with no start before it sends nothing.
  channel.stop_typing();
  alice_->settle();
  EXPECT_EQ(heard(EventType::typing_start).size(), 2u);
}

TEST_F(TypingTest, NothingGoesWhileOfflineNorLater) {
  Recorder alice_events(*alice_);
  chaos(R"({"offline_ms":1500})");
  ASSERT_TRUE(eventually([&] {
    for (const auto& e : alice_events.all())
      if (e.kind == EventType::connection_changed && e.online == false) return true;
    return false;
  }));
  alice_->channel("messaging", "typing").keystroke();
  ASSERT_TRUE(alice_events.wait(EventType::connection_recovered));
  ASSERT_TRUE(heard_->wait(EventType::connection_recovered));
  EXPECT_TRUE(alice_->outbox().empty()) << "typing is never queued";
  // Proof that bob hears alice again, after which an earlier start would have arrived.
  send_text("alice", "messaging:typing", "after", "back");
  ASSERT_TRUE(heard_->wait(EventType::message_new));
  EXPECT_TRUE(heard(EventType::typing_start).empty());
}

TEST_F(TypingTest, AStartWithNoStopEndsByItself) {
  // A client that sends a start and never its stop (a raw call, as a crashed app would leave it).
  auto r = call("alice", verb::post, "/channels/messaging/typing/event",
                R"({"event":{"type":"typing.start"}})");
  ASSERT_EQ(r.status, 200u) << r.text;
  ASSERT_TRUE(heard_->wait(EventType::typing_start));
  ASSERT_TRUE(eventually([&] { return heard_->count(EventType::typing_stop) == 1; },
                         std::chrono::seconds(20)))
      << "7 s after the start";
  const Event stopped = heard(EventType::typing_stop).front();
  EXPECT_EQ(stopped.user->id, "alice");
  EXPECT_EQ(stopped.cid, "messaging:typing");
  EXPECT_EQ(stopped.extra.at("expired"), true);
}

}  // namespace
}  // namespace chatkeep::testing

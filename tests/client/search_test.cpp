// ChatClient::search against a real chatkeep-server: the store's answer at once (offline too),
// then the server's merged into it without duplicates, with the messages still in the outbox;
// what the server found stays searchable offline.

#include <gtest/gtest.h>

#include <set>

#include "support/client_fixture.hpp"

namespace chatkeep::testing {
namespace {

class ClientSearchTest : public ClientTest {
 protected:
  static std::vector<std::string> ids(const SearchResults& results) {
    std::vector<std::string> out;
    for (const auto& hit : results.hits)
      out.push_back(hit.message.id);
    return out;
  }
};

TEST_F(ClientSearchTest, TheStoreAnswersAtOnceAndTheServersAnswerIsMergedIntoIt) {
  const std::string cid = create("general");
  for (int i = 0; i < 30; ++i) {
    send_text("bob", cid, "old" + std::to_string(i), "quarterly report " + std::to_string(i));
  }
  send_text("bob", cid, "other", "nothing to see");
  OutboxHold hold(data_.path());
  ASSERT_TRUE(hold.held);
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  // Alice's store holds the channel's last five messages only.
  Answers<ChannelState> opened;
  client->channel("messaging", "general").query({.messages = {.limit = 5}}, opened.callback());
  ASSERT_TRUE(opened.server());
  // And one of hers still in the outbox.
  const Message pending =
      client->channel("messaging", "general").send_message(Message{.text = "my report draft"});

  Answers<SearchResults> answers;
  client->search({.text = "report", .sort = SearchSort::newest, .limit = 50}, answers.callback());
  const auto server = answers.server();
  ASSERT_TRUE(server.value) << (server.error ? server.error->what() : "");
  const auto cache = answers.cache();
  ASSERT_TRUE(cache && cache->value);
  // The cache: the pending message and the four stored reports (the fifth is "other").
  std::vector<std::string> want_cached{pending.id, "old29", "old28", "old27", "old26"};
  EXPECT_EQ(ids(*cache->value), want_cached);
  EXPECT_EQ(cache->value->hits.front().message.local_state, LocalState::queued);
  // The server's: all thirty and the pending one, once each, newest first.
  const auto merged = ids(*server.value);
  EXPECT_EQ(merged.size(), 31u);
  EXPECT_EQ(std::set<std::string>(merged.begin(), merged.end()).size(), merged.size());
  EXPECT_EQ(merged.front(), pending.id);
  EXPECT_EQ(merged.back(), "old0");
  for (const auto& hit : server.value->hits) {
    EXPECT_EQ(hit.channel.cid, cid);
    EXPECT_FALSE(hit.matches.empty()) << hit.message.id;
  }

  // What the server found is in the store now, searchable offline.
  EXPECT_EQ(client->persistence().search({.text = "quarterly", .limit = 50}).hits.size(), 30u);
  // The store's history of the channel shows the gaps around what the search brought.
  EXPECT_FALSE(client->persistence().gaps(cid).empty());
}

TEST_F(ClientSearchTest, ABadQueryGetsOneAnswerWithItsError) {
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  Answers<SearchResults> answers;
  client->search({.text = "   "}, answers.callback());
  const auto answer = answers.server();
  ASSERT_TRUE(answer.error);
  EXPECT_EQ(answer.error->code(), ErrorCode::input);
  EXPECT_FALSE(answers.cache());
}

TEST_F(ClientSearchTest, OfflineTheSecondAnswerCarriesTheError) {
  const std::string cid = create("general");
  send_text("bob", cid, "m1", "findable words");
  auto client = make_client();
  ASSERT_TRUE(connect(*client, "alice"));
  query_all(*client, "alice");
  chaos(R"({"offline_ms":3000})");
  Answers<SearchResults> answers;
  client->search({.text = "findable"}, answers.callback());
  const auto server = answers.server();
  EXPECT_TRUE(server.error);
  const auto cache = answers.cache();
  ASSERT_TRUE(cache && cache->value);
  EXPECT_EQ(ids(*cache->value), std::vector<std::string>{"m1"});
}

}  // namespace
}  // namespace chatkeep::testing

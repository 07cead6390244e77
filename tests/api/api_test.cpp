// api::Api against a real chatkeep-server: typed answers, and errors as ChatErrors.

#include <gtest/gtest.h>

#include "api/api.hpp"
#include "chatkeep/token.hpp"
#include "server.hpp"
#include "support/io_thread.hpp"

namespace chatkeep {
namespace {

using boost::beast::http::verb;

constexpr const char* kKey = "api-key";
constexpr const char* kSecret = "api-secret";

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() {
    alice_.set_user("alice", make_user_token(kSecret, "alice"));
    admin_.set_user("", make_server_token(kSecret));
  }

  template <class T, class Call>
  api::Result<T> wait(Call call) {
    testing::Eventually<api::Result<T>> result;
    call(result.setter());
    return result.get();
  }

  api::Result<ChannelState> create(const std::string& id) {
    return wait<ChannelState>([&](auto done) {
      alice_.query_channel("messaging:" + id, {{"data", {{"members", {"alice", "bob"}}}}}, done);
    });
  }

  server::Server server_{{.api_key = kKey, .api_secret = kSecret}};
  std::uint16_t port_ = server_.start();
  testing::IoThread io_;
  net::HttpClient http_{io_.executor(),
                        net::Endpoint::parse("http://127.0.0.1:" + std::to_string(port_)), nullptr,
                        std::chrono::seconds(5)};
  api::Api alice_{http_, kKey, "chatkeep-cpp-test"};
  api::Api admin_{http_, kKey, "chatkeep-cpp-test"};
};

TEST_F(ApiTest, TypedAnswers) {
  const Timestamp start = Timestamp::now();
  auto created = create("general");
  ASSERT_TRUE(created) << created.error->what();
  EXPECT_EQ(created.value->channel.cid, "messaging:general");
  EXPECT_EQ(created.value->members->size(), 2u);
  ASSERT_TRUE(create("random"));

  auto sent = wait<boost::json::object>([&](auto done) {
    alice_.call(verb::post, "/channels/messaging/general/message",
                {{"message", {{"id", "m1"}, {"text", "hi"}}}}, done);
  });
  ASSERT_TRUE(sent) << sent.error->what();

  auto listed = wait<std::vector<ChannelState>>([&](auto done) {
    alice_.query_channels(
        QueryChannelsRequest{.filter_conditions = Filter::in("members", {"alice"}),
                             .sort = Sort{{.field = "cid", .direction = SortDirection::ascending}},
                             .limit = 10},
        done);
  });
  ASSERT_TRUE(listed) << listed.error->what();
  ASSERT_EQ(listed.value->size(), 2u);
  EXPECT_EQ(listed.value->at(0).channel.cid, "messaging:general");
  EXPECT_EQ(listed.value->at(0).messages->at(0).id, "m1");

  auto synced = wait<std::vector<Event>>([&](auto done) {
    alice_.sync({"messaging:general", "messaging:random"}, start, done);
  });
  ASSERT_TRUE(synced) << synced.error->what();
  ASSERT_EQ(synced.value->size(), 1u);
  EXPECT_EQ(synced.value->at(0).kind, EventType::message_new);
}

TEST_F(ApiTest, ErrorsAreChatErrorsThatSayWhetherToRetry) {
  ASSERT_TRUE(create("general"));
  api::Api carol(http_, kKey, "chatkeep-cpp-test");
  carol.set_user("carol", make_user_token(kSecret, "carol"));
  auto refused =
      wait<ChannelState>([&](auto done) { carol.query_channel("messaging:general", {}, done); });
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code(), ErrorCode::not_allowed);
  EXPECT_EQ(refused.error->http_status(), 403);
  EXPECT_FALSE(refused.error->retriable());

  auto chaos = wait<boost::json::object>([&](auto done) {
    admin_.call(verb::post, "/_chaos", {{"fail_next", 1}, {"fail_status", 503}}, done);
  });
  ASSERT_TRUE(chaos) << chaos.error->what();
  auto failed =
      wait<ChannelState>([&](auto done) { alice_.query_channel("messaging:general", {}, done); });
  ASSERT_TRUE(failed.error);
  EXPECT_EQ(failed.error->http_status(), 503);
  EXPECT_TRUE(failed.error->retriable());

  auto expired = wait<ChannelState>([&](auto done) {
    api::Api late(http_, kKey, "chatkeep-cpp-test");
    late.set_user("alice", make_user_token(kSecret, "alice",
                                           Timestamp::from_unix_micros(
                                               (Timestamp::now().unix_seconds() - 10) * 1000000)));
    late.query_channel("messaging:general", {}, done);
  });
  ASSERT_TRUE(expired.error);
  EXPECT_EQ(expired.error->code(), ErrorCode::token_expired);

  server_.stop();
  auto gone =
      wait<ChannelState>([&](auto done) { alice_.query_channel("messaging:general", {}, done); });
  ASSERT_TRUE(gone.error);
  EXPECT_EQ(gone.error->code(), ErrorCode::network);
  EXPECT_TRUE(gone.error->retriable());
}

}  // namespace
}  // namespace chatkeep

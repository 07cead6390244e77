// The C interface against hostile input: random requests built from every method's name and
// parameter names with values of every JSON kind (huge, deeply nested, invalid UTF-8), and
// random byte mutations of valid requests. Each must be answered (an answer or an error, as
// JSON that parses, carrying its `extra` back where it could be read), never crash or hang.
// Through libchatkeep.so and its header alone, as another language would use it.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "chatkeep/chatkeep.h"

namespace {

namespace json = boost::json;

const std::vector<std::string> kMethods = {"version",
                                           "make_user_token",
                                           "make_dev_token",
                                           "connect_user",
                                           "disconnect_user",
                                           "network_available",
                                           "online",
                                           "sync_now",
                                           "query_channels",
                                           "search",
                                           "unread_counts",
                                           "outbox",
                                           "retry",
                                           "discard",
                                           "channel.create",
                                           "channel.watch",
                                           "channel.send_message",
                                           "channel.delete_message",
                                           "channel.send_reaction",
                                           "channel.mark_read",
                                           "no_such_method",
                                           "",
                                           "channel.",
                                           "VERSION"};
const std::vector<std::string> kParams = {
    "secret",     "user_id", "expires_at", "user",          "token",        "flush",
    "filter",     "sort",    "limit",      "offset",        "text",         "entry_id",
    "type",       "id",      "data",       "members",       "messages",     "message",
    "message_id", "hard",    "reaction",   "message_limit", "member_limit", "watch"};

json::value random_value(std::mt19937& random, int depth) {
  switch (random() % 12) {
    case 0:
      return nullptr;
    case 1:
      return static_cast<bool>(random() % 2);
    case 2:
      return static_cast<std::int64_t>(random()) - (1LL << 31);
    case 3:
      return INT64_MIN;
    case 4:
      return 1e308;
    case 5:
      return json::string(random() % 3 ? 5 : 100'000, 'x');
    case 6:
      return "\xff\xfe invalid \xc3";  // invalid UTF-8 (JSON escapes it on the way out)
    case 7:
      return "2026-13-45T99:99:99Z";
    case 8: {
      if (depth > 6) return "deep";
      json::array a;
      for (std::uint64_t i = random() % 4; i > 0; --i)
        a.push_back(random_value(random, depth + 1));
      return a;
    }
    case 9: {
      if (depth > 6) return "deep";
      json::object o;
      for (std::uint64_t i = random() % 4; i > 0; --i)
        o[kParams[random() % kParams.size()]] = random_value(random, depth + 1);
      o["id"] = "m" + std::to_string(random() % 10);
      return o;
    }
    case 10:
      return "messaging";
    default:
      return "alice";
  }
}

std::string random_request(std::mt19937& random, std::int64_t extra) {
  json::object request;
  request["method"] = kMethods[random() % kMethods.size()];
  json::object params;
  for (std::uint64_t i = random() % 6; i > 0; --i)
    params[kParams[random() % kParams.size()]] = random_value(random, 0);
  request["params"] = std::move(params);
  request["extra"] = extra;
  std::string text = json::serialize(request);
  if (random() % 4 == 0) {
    // A few bytes changed, cut, or doubled: often no longer JSON at all.
    for (std::uint64_t i = 1 + random() % 3; i > 0 && !text.empty(); --i) {
      const std::size_t at = random() % text.size();
      switch (random() % 3) {
        case 0:
          text[at] = static_cast<char>(random() % 256);
          break;
        case 1:
          text.resize(at);
          break;
        default:
          text.insert(at, text.substr(at, 10));
          break;
      }
    }
  }
  return text;
}

// Parses an answer; a failure fails the test.
json::object parsed(const char* text) {
  EXPECT_NE(text, nullptr);
  if (!text) return {};
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << text;
  EXPECT_TRUE(v.is_object()) << text;
  if (ec || !v.is_object()) return {};
  const json::object& o = v.as_object();
  const json::value* type = o.if_contains("@type");
  EXPECT_TRUE(type && (*type == "answer" || *type == "error" || *type == "event")) << text;
  return o;
}

TEST(HostileRequests, EveryRequestIsAnsweredAndNothingCrashes) {
  std::mt19937 random(2026);
  for (int round = 0; round < 2; ++round) {
    // A client that is never connected (nothing listens on port 9), and no client at all.
    chatkeep_client* client = chatkeep_create(
        R"({"api_key": "k", "base_url": "http://127.0.0.1:9", "connect_timeout_ms": 200,
            "request_timeout_ms": 200})");
    ASSERT_NE(client, nullptr);
    for (std::int64_t i = 0; i < 1500; ++i) {
      const std::string request = random_request(random, i);
      const json::object answer =
          parsed(chatkeep_execute(round ? client : nullptr, request.c_str()));
      // A request that still parses, its extra intact, gets the extra back.
      boost::system::error_code ec;
      const json::value sent = json::parse(request, ec);
      if (!ec && sent.is_object() && sent.as_object().if_contains("extra") &&
          sent.at("extra") == i) {
        const json::value* extra = answer.if_contains("extra");
        EXPECT_TRUE(extra && *extra == i) << request;
      }
      chatkeep_send(client, request.c_str());
      while (const char* item = chatkeep_receive(client, 0))
        (void)parsed(item);
    }
    // Whatever was sent is answered, once the client has had its time.
    while (const char* item = chatkeep_receive(client, 1.0))
      (void)parsed(item);
    chatkeep_send(client, nullptr);
    chatkeep_execute(client, "{\"method\": \"disconnect_user\"}");
    chatkeep_destroy(client);
  }
  chatkeep_send(nullptr, "{}");
  EXPECT_EQ(chatkeep_receive(nullptr, 0.01), nullptr);
  chatkeep_set_callback(nullptr, nullptr, nullptr);
  chatkeep_destroy(nullptr);
}

TEST(HostileRequests, OptionsOfEveryKindMakeAHandleThatAnswers) {
  std::mt19937 random(7);
  for (int i = 0; i < 200; ++i) {
    std::string options = json::serialize(random_value(random, 0));
    if (i % 3 == 0 && !options.empty()) options.resize(random() % options.size());
    chatkeep_client* client = chatkeep_create(i % 50 == 0 ? nullptr : options.c_str());
    ASSERT_NE(client, nullptr);
    (void)parsed(chatkeep_execute(client, "{\"method\": \"online\"}"));
    chatkeep_destroy(client);
  }
}

}  // namespace

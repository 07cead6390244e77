// Bad input is a ChatError naming the offending field, never a crash; plus ChatError and UUIDs.

#include <functional>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "chatkeep/json.hpp"
#include "chatkeep/uuid.hpp"

namespace chatkeep {
namespace {

struct BadInput {
  std::string name;
  std::function<void(const std::string&)> decode;
  std::string json;
  std::string error;  // the exact message expected
  ErrorCode code = ErrorCode::input;
};

template <class T>
std::function<void(const std::string&)> as() {
  return [](const std::string& text) { (void)decode<T>(text); };
}

std::string nested_arrays(std::size_t depth) {
  return R"({"id":"m","deep":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
}

std::string quote_chain(std::size_t depth) {
  std::string json;
  for (std::size_t i = 0; i < depth; ++i)
    json += R"({"id":"q","quoted_message":)";
  json += R"({"id":"q"})";
  json += std::string(depth, '}');
  return json;
}

std::vector<BadInput> bad_inputs() {
  return {
      {"wrong type deep inside", as<Message>(), R"({"id":"m","user":{"id":5}})",
       "message.user.id: expected string"},
      {"missing id", as<Message>(), R"({"text":"hi"})", "message.id: required"},
      {"null id", as<Message>(), R"({"id":null})", "message.id: expected string"},
      {"not an object", as<Message>(), R"(["m"])", "message: expected object"},
      {"integer as string", as<Message>(), R"({"id":"m","reply_count":"3"})",
       "message.reply_count: expected integer"},
      {"fraction for integer", as<Message>(), R"({"id":"m","reply_count":1.5})",
       "message.reply_count: expected integer"},
      {"integer too large", as<Message>(), R"({"id":"m","reply_count":18446744073709551615})",
       "message.reply_count: integer out of range"},
      {"number beyond double", as<Message>(), R"({"id":"m","custom":{"n":[1e400]}})",
       "json.custom.n[0]: number out of range"},
      {"bad time", as<Message>(), R"({"id":"m","created_at":"yesterday"})",
       "message.created_at: expected RFC 3339 time"},
      {"time as number", as<Message>(), R"({"id":"m","created_at":1700000000})",
       "message.created_at: expected RFC 3339 time"},
      {"bool as string", as<Message>(), R"({"id":"m","silent":"false"})",
       "message.silent: expected boolean"},
      {"attachments not array", as<Message>(), R"({"id":"m","attachments":{}})",
       "message.attachments: expected array"},
      {"attachment element", as<Message>(),
       R"({"id":"m","attachments":[{"type":"file"},{"file_size":"big"}]})",
       "message.attachments[1].file_size: expected integer"},
      {"reaction without type", as<Message>(), R"({"id":"m","latest_reactions":[{"score":1}]})",
       "message.latest_reactions[0].type: required"},
      {"reaction count type", as<Message>(), R"({"id":"m","reaction_counts":{"like":"x"}})",
       "message.reaction_counts.like: expected integer"},
      {"mention neither id nor user", as<Message>(), R"({"id":"m","mentioned_users":[7]})",
       "message.mentioned_users[0]: expected object"},
      {"quotes nested too deeply", as<Message>(), quote_chain(40),
       "message" +
           [] {
             std::string p;
             for (int i = 0; i < 33; ++i)
               p += ".quoted_message";  // the 33rd is one too many
             return p;
           }() +
           ": nested too deeply"},
      {"cid contradicts type and id", as<Channel>(),
       R"({"id":"a","type":"messaging","cid":"messaging:b"})",
       "channel.cid: does not match type and id"},
      {"channel without type", as<Channel>(), R"({"id":"a","cid":"x:a"})",
       "channel.type: required"},
      {"member without user", as<Member>(), R"({"channel_role":"channel_member"})",
       "member.user_id: required (or user)"},
      {"member ids disagree", as<Member>(), R"({"user_id":"a","user":{"id":"b"}})",
       "member.user_id: does not match user.id"},
      {"read without user", as<Read>(), R"({"unread_messages":1})", "read.user: required"},
      {"own user totals", as<OwnUser>(), R"({"id":"a","total_unread_count":true})",
       "me.total_unread_count: expected integer"},
      {"event without type", as<Event>(), R"({"cid":"a:b"})", "event.type: required"},
      {"event type not a string", as<Event>(), R"({"type":5})", "event.type: expected string"},
      {"message.new without message", as<Event>(),
       R"({"type":"message.new","created_at":"2026-01-01T00:00:00Z","cid":"a:b"})",
       "event.message: required for message.new"},
      {"message.new without created_at", as<Event>(),
       R"({"type":"message.new","cid":"a:b","message":{"id":"m"}})",
       "event.created_at: required for message.new"},
      {"event message in another channel", as<Event>(),
       R"({"type":"message.new","created_at":"2026-01-01T00:00:00Z","cid":"a:b",
           "message":{"id":"m","cid":"a:c"}})",
       "event.message.cid: does not match the event's cid"},
      {"event channel in another channel", as<Event>(),
       R"({"type":"channel.updated","created_at":"2026-01-01T00:00:00Z","cid":"a:b",
           "channel":{"id":"c","type":"a","cid":"a:c"}})",
       "event.channel.cid: does not match the event's cid"},
      {"reaction event without reaction", as<Event>(),
       R"({"type":"reaction.new","created_at":"2026-01-01T00:00:00Z","cid":"a:b",
           "message":{"id":"m"}})",
       "event.reaction: required for reaction.new"},
      {"typed member of a known event", as<Event>(),
       R"({"type":"user.updated","created_at":"2026-01-01T00:00:00Z","user":"bob"})",
       "event.user: expected object"},
      {"hostile key is shown short and printable", as<Message>(),
       R"({"id":"m","reaction_counts":{")" + std::string("\\u0007") + std::string(100, 'k') +
           R"(":"x"}})",
       "message.reaction_counts.\\x07" + std::string(63, 'k') + "...: expected integer"},
      {"truncated JSON", as<Message>(), R"({"id":)", "invalid JSON at byte 6: incomplete JSON"},
      {"trailing garbage", as<Message>(), R"({"id":"m"} x)", "invalid JSON at byte 11: extra data"},
      {"invalid UTF-8", as<Message>(), "{\"id\":\"m\",\"text\":\"\xff\xfe\"}",
       "invalid JSON at byte 18: syntax error"},
      {"ten thousand levels of nesting", as<Message>(), nested_arrays(10000),
       "invalid JSON at byte 80: too deep"},
  };
}

TEST(BadInput, EachGivesItsSpecificError) {
  for (const auto& bad : bad_inputs()) {
    SCOPED_TRACE(bad.name);
    try {
      bad.decode(bad.json);
      ADD_FAILURE() << "decoded without error";
    } catch (const ChatError& e) {
      EXPECT_EQ(e.message(), bad.error);
      EXPECT_EQ(e.code(), bad.code);
      EXPECT_FALSE(e.retriable());
      EXPECT_EQ(e.http_status(), 0);
    }
  }
}

TEST(BadInput, OversizedTextIsRefusedBeforeParsing) {
  std::string json = R"({"id":"m","text":")" + std::string(2000, 'x') + R"("})";
  try {
    (void)decode<Message>(json, ParseLimits{.max_bytes = 1000});
    FAIL() << "accepted";
  } catch (const ChatError& e) {
    EXPECT_EQ(e.code(), ErrorCode::payload_too_big);
    EXPECT_EQ(e.message(), "JSON text of 2020 bytes is over the limit of 1000 bytes");
  }
}

TEST(BadInput, EveryTruncationOfAValidEventFailsCleanly) {
  const std::string event =
      R"({"type":"message.new","created_at":"2026-06-24T11:44:49.460717068Z","cid":"a:b",)"
      R"("message":{"id":"m1","text":"h\u00e9llo","attachments":[{"file_size":3}]}})";
  ASSERT_NO_THROW((void)decode<Event>(event));
  for (std::size_t n = 0; n < event.size(); ++n) {
    EXPECT_THROW((void)decode<Event>(event.substr(0, n)), ChatError) << n;
  }
}

TEST(ChatErrorTest, RetriableFollowsCodeAndStatus) {
  EXPECT_TRUE(ChatError(ErrorCode::internal, "x", 500).retriable());
  EXPECT_TRUE(ChatError(ErrorCode::rate_limited, "x", 429).retriable());
  EXPECT_TRUE(ChatError(ErrorCode::request_timeout, "x", 408).retriable());
  EXPECT_TRUE(ChatError(ErrorCode::cooldown, "x", 403).retriable());
  EXPECT_TRUE(ChatError(ErrorCode::network, "x").retriable());
  EXPECT_TRUE(ChatError(ErrorCode{77}, "x", 503).retriable());
  EXPECT_FALSE(ChatError(ErrorCode::input, "x", 400).retriable());
  EXPECT_FALSE(ChatError(ErrorCode::token_expired, "x", 401).retriable());
  EXPECT_FALSE(ChatError(ErrorCode::not_allowed, "x", 403).retriable());
  EXPECT_STREQ(ChatError(ErrorCode::not_found, "gone", 404).what(), "chatkeep error 16: gone");
}

TEST(ChatErrorTest, ReadsStreamsErrorBody) {
  auto body = parse_json(R"({"code":4,"message":"a message with ID m already exists",
      "StatusCode":400,"duration":"0.01ms","more_info":"x","details":[]})");
  ChatError e = error_from_json(body, 400);
  EXPECT_EQ(e.code(), ErrorCode::input);
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_EQ(e.message(), "a message with ID m already exists");
  EXPECT_FALSE(e.retriable());
  EXPECT_EQ(error_from_json(to_json(e), 0), e);
  // A code chatkeep does not know is kept.
  EXPECT_EQ(static_cast<int>(error_from_json(parse_json(R"({"code":99})"), 403).code()), 99);
}

TEST(ChatErrorTest, AnswerWithoutErrorBodyIsARetriableNetworkError) {
  for (const char* body :
       {"null", R"("Bad Gateway")", R"({"message":"no code"})", R"({"code":"4"})"}) {
    ChatError e = error_from_json(parse_json(body), 502);
    EXPECT_EQ(e.code(), ErrorCode::network) << body;
    EXPECT_TRUE(e.retriable());
    EXPECT_EQ(e.http_status(), 502);
  }
}

TEST(Uuid, IsVersionFourAndUnique) {
  const std::regex form("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    std::string id = make_uuid_v4();
    ASSERT_TRUE(std::regex_match(id, form)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 10000u);
}

}  // namespace
}  // namespace chatkeep

#include <gtest/gtest.h>

#include "chatkeep/json.hpp"

namespace chatkeep {
namespace {

TEST(EventType, NamesRoundTrip) {
  for (int k = 0; k < static_cast<int>(EventType::unknown); ++k) {
    auto type = static_cast<EventType>(k);
    ASSERT_FALSE(to_string(type).empty()) << k;
    EXPECT_EQ(parse_event_type(to_string(type)), type);
  }
  EXPECT_EQ(parse_event_type("poll.vote_casted"), EventType::unknown);
  EXPECT_EQ(parse_event_type(""), EventType::unknown);
  EXPECT_EQ(to_string(EventType::unknown), "");
}

TEST(Event, UnknownTypeIsGenericAndNeverFails) {
  const char* text = R"({"type":"ai_indicator.update","created_at":12,"user":"x","message":[1],
                         "cid":{"odd":true}})";
  Event event = decode<Event>(text);
  EXPECT_EQ(event.kind, EventType::unknown);
  EXPECT_EQ(event.type, "ai_indicator.update");
  EXPECT_FALSE(event.created_at);
  EXPECT_FALSE(event.user);
  EXPECT_EQ(event.extra.at("user"), "x");
  EXPECT_EQ(to_json(event), parse_json(text));
}

TEST(Event, HealthCheckCarriesTheOwnUser) {
  Event event = decode<Event>(R"({"type":"health.check","connection_id":"c1","me":{
      "id":"alice","total_unread_count":4,"unread_channels":2,
      "mutes":[{"target":{"id":"spam"}}],"channel_mutes":[{"channel":{"id":"n","type":"t","cid":"t:n"}}],
      "devices":[{"id":"d1","push_provider":"apn"}]}})");
  EXPECT_EQ(event.kind, EventType::health_check);
  ASSERT_TRUE(event.me);
  EXPECT_EQ(event.me->id, "alice");
  EXPECT_EQ(event.me->total_unread_count, 4);
  EXPECT_EQ(event.me->unread_channels, 2);
  EXPECT_EQ((*event.me->mutes)[0].target->id, "spam");
  EXPECT_EQ((*event.me->channel_mutes)[0].channel->cid, "t:n");
  EXPECT_EQ((*event.me->devices)[0].push_provider, "apn");
  EXPECT_EQ(event.connection_id, "c1");
}

TEST(Event, ConnectionErrorKeepsStreamsErrorObject) {
  Event event = decode<Event>(
      R"({"type":"connection.error","error":{"code":43,"message":"bad signature","StatusCode":401}})");
  ChatError error = error_from_json(*event.error, 0);
  EXPECT_EQ(error.code(), ErrorCode::token_signature_invalid);
  EXPECT_EQ(error.http_status(), 401);
}

TEST(Event, TypedFieldsOfAMessageNew) {
  Event event =
      decode<Event>(R"({"type":"message.new","created_at":"2026-06-24T11:44:49.460717068Z",
      "cid":"messaging:general","channel_type":"messaging","channel_id":"general",
      "message":{"id":"m1","text":"hi","user":{"id":"bob"}},"user":{"id":"bob"},
      "watcher_count":3,"total_unread_count":4,"unread_channels":2,"unread_count":1})");
  EXPECT_EQ(event.kind, EventType::message_new);
  EXPECT_EQ(event.created_at->nanos(), 460717068);
  EXPECT_EQ(event.message->text, "hi");
  EXPECT_EQ(event.watcher_count, 3);
  EXPECT_EQ(event.total_unread_count, 4);
  EXPECT_EQ(event.unread_channels, 2);
  EXPECT_EQ(event.unread_count, 1);
  EXPECT_TRUE(event.extra.empty());
}

TEST(Event, ClientHealthCheckNeedsNoTime) {
  Event event = decode<Event>(R"({"type":"health.check","client_id":"alice--x"})");
  EXPECT_EQ(event.client_id, "alice--x");
}

}  // namespace
}  // namespace chatkeep

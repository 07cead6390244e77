// Decoding then encoding gives the same document, custom fields and unknown members included;
// and the modelled fields really are decoded (not just carried along in `extra`).

#include <functional>
#include <set>

#include <gtest/gtest.h>

#include "chatkeep/json.hpp"
#include "support/json_equal.hpp"

namespace chatkeep {
namespace {

using testing::same_document;
using testing::test_data;

TEST(RoundTrip, ChannelStateKeepsEveryMember) {
  boost::json::value original = parse_json(test_data("channel_state.json"));
  ChannelState state = from_json<ChannelState>(original);
  EXPECT_TRUE(same_document(original, to_json(state)));
  // Once more from chatkeep's own output: encoding is stable.
  EXPECT_EQ(encode(from_json<ChannelState>(to_json(state))), encode(state));
}

TEST(RoundTrip, ChannelStateFieldsAreTyped) {
  ChannelState state = decode<ChannelState>(test_data("channel_state.json"));
  const Channel& channel = state.channel;
  EXPECT_EQ(channel.cid, "messaging:general");
  EXPECT_EQ(channel.name, "General");
  EXPECT_EQ(channel.member_count, 2);
  ASSERT_TRUE(channel.config);
  EXPECT_EQ(channel.config->max_message_length, 5000);
  ASSERT_TRUE(channel.config->commands);
  EXPECT_EQ((*channel.config->commands)[0].name, "giphy");
  EXPECT_EQ((*channel.config->commands)[0].extra.at("hint"), "custom");
  EXPECT_TRUE(channel.truncated_at->is_never());
  EXPECT_EQ(channel.created_by->extra.at("birthland"), "Tatooine");
  // Custom fields at the channel's root, nested ones kept whole.
  EXPECT_EQ(channel.extra.at("topic"), "anything");
  EXPECT_TRUE(channel.extra.at("settings").is_object());
  // A null for a modelled field is kept, not modelled.
  EXPECT_FALSE(channel.deleted_at);
  EXPECT_TRUE(channel.extra.at("deleted_at").is_null());

  ASSERT_EQ(state.messages->size(), 3u);
  const Message& first = (*state.messages)[0];
  EXPECT_EQ(first.text, "Hello @bob, see the photo");
  EXPECT_EQ(first.user->extra.at("mood"), "happy");
  ASSERT_EQ(first.attachments->size(), 2u);
  EXPECT_EQ((*first.attachments)[0].file_size, 12345);
  EXPECT_EQ((*first.attachments)[1].file_size, 3000000000);
  EXPECT_EQ((*first.attachments)[0].extra.at("camera").at("make"), "Zeiss");
  EXPECT_EQ((*first.latest_reactions)[0].extra.at("flair"), "gold");
  EXPECT_EQ(first.reaction_counts->at("like"), 1);
  EXPECT_EQ(first.reaction_groups->at("like").sum_scores, 1);
  EXPECT_EQ(first.mentioned_users->at(0).id, "bob");
  EXPECT_EQ(first.pinned_at->nanos(), 123456789);
  EXPECT_EQ(first.i18n->at("fr_text"), "Bonjour @bob");
  EXPECT_EQ(first.extra.at("priority"), 7);
  EXPECT_TRUE(first.extra.contains("member"));
  EXPECT_FALSE(first.extra.contains("text"));

  const Message& reply = (*state.messages)[1];
  EXPECT_EQ(reply.parent_id, first.id);
  EXPECT_EQ(reply.show_in_channel, true);
  ASSERT_TRUE(reply.quoted_message);
  EXPECT_EQ(reply.quoted_message->text, "Hello @bob, see the photo");
  EXPECT_EQ((*state.messages)[2].type, "deleted");

  ASSERT_EQ(state.members->size(), 2u);
  EXPECT_EQ((*state.members)[0].extra.at("nickname"), "Al");
  EXPECT_EQ((*state.members)[0].id(), "alice");
  EXPECT_EQ(state.membership->id(), "alice");
  EXPECT_EQ((*state.read)[1].unread_messages, 2);
  EXPECT_EQ((*state.read)[0].extra.count("last_delivered_at"), 1u);
  EXPECT_EQ(state.watcher_count, 1);
  EXPECT_TRUE(state.extra.contains("threads"));
}

TEST(RoundTrip, EveryEventInTheFixture) {
  boost::json::value all = parse_json(test_data("events.json"));
  for (const auto& original : all.as_array()) {
    SCOPED_TRACE(boost::json::serialize(original.at("type")));
    Event event = from_json<Event>(original);
    EXPECT_EQ(event.type, original.at("type").as_string());
    EXPECT_TRUE(same_document(original, to_json(event)));
  }
}

TEST(RoundTrip, EventFixtureCoversEveryKnownType) {
  boost::json::value all = parse_json(test_data("events.json"));
  std::set<EventType> seen;
  for (const auto& original : all.as_array())
    seen.insert(from_json<Event>(original).kind);
  for (int k = 0; k <= static_cast<int>(EventType::unknown); ++k) {
    EXPECT_TRUE(seen.count(static_cast<EventType>(k)))
        << "no fixture for " << to_string(static_cast<EventType>(k));
  }
}

// Decoding looks for each key first among the fields after the last one found (the order the
// encoder writes): a document in any other order decodes to the same objects.
TEST(RoundTrip, MembersInAnyOrderDecodeTheSame) {
  const boost::json::value original = parse_json(test_data("channel_state.json"));
  std::function<boost::json::value(const boost::json::value&)> reversed =
      [&](const boost::json::value& v) -> boost::json::value {
    if (const auto* object = v.if_object()) {
      boost::json::object out;
      for (auto it = object->end(); it != object->begin();) {
        --it;
        out.emplace(it->key(), reversed(it->value()));
      }
      return out;
    }
    if (const auto* array = v.if_array()) {
      boost::json::array out;
      for (const auto& element : *array)
        out.push_back(reversed(element));
      return out;
    }
    return v;
  };
  const boost::json::value backwards = reversed(original);
  ASSERT_NE(boost::json::serialize(backwards), boost::json::serialize(original));
  // Custom fields keep the document's order; everything else is the same.
  const ChannelState state = from_json<ChannelState>(backwards);
  EXPECT_TRUE(same_document(to_json(state), original));
  // And the modelled fields are decoded as such, not carried along in `extra`.
  EXPECT_EQ(state.channel.name, "General");
  EXPECT_FALSE(state.channel.extra.contains("name"));
  ASSERT_TRUE(state.messages && !state.messages->empty());
  const Message& message = state.messages->front();
  EXPECT_TRUE(message.text && message.created_at && message.user && message.attachments);
  for (const char* name : {"id", "text", "created_at", "user", "attachments", "type"})
    EXPECT_FALSE(message.extra.contains(name)) << name;
}

TEST(RoundTrip, ModelledFieldTakesPrecedenceOverAKeptNull) {
  Message message = decode<Message>(R"({"id":"m","pinned_at":null,"x":null})");
  EXPECT_TRUE(to_json(message).at("pinned_at").is_null());
  message.pinned_at = Timestamp::from_unix_micros(1);
  boost::json::value out = to_json(message);
  EXPECT_EQ(out.at("pinned_at"), "1970-01-01T00:00:00.000001Z");
  EXPECT_TRUE(out.at("x").is_null());
}

TEST(RoundTrip, BuiltObjectsWriteOnlyWhatIsSet) {
  User user{.id = "alice", .name = "Alice"};
  user.extra["favourite"] = 42;
  EXPECT_EQ(encode(user), R"({"id":"alice","name":"Alice","favourite":42})");
  Message message{.id = "m", .text = "", .silent = false};
  EXPECT_EQ(to_json(message), parse_json(R"({"id":"m","text":"","silent":false})"));
}

TEST(RoundTrip, BareMentionedIdsDecodeToUsers) {
  Message message = decode<Message>(R"({"id":"m","mentioned_users":["bob",{"id":"carol"}]})");
  ASSERT_EQ(message.mentioned_users->size(), 2u);
  EXPECT_EQ((*message.mentioned_users)[0].id, "bob");
  EXPECT_EQ((*message.mentioned_users)[1].id, "carol");
}

TEST(RoundTrip, TenMegabyteTextSurvives) {
  std::string text(10 << 20, 'x');
  text[12345] = '"';  // needs escaping
  Message message{.id = "big", .text = text};
  Message back = decode<Message>(encode(message));
  EXPECT_EQ(back.text, text);
}

TEST(RoundTrip, HostileButValidStringsAreKeptExactly) {
  std::string id("a\0b/../\xe2\x80\xae", 10);  // NUL, a path, a right-to-left override
  User user{.id = id};
  EXPECT_EQ(decode<User>(encode(user)).id, id);
}

}  // namespace
}  // namespace chatkeep

namespace chatkeep {
namespace {

// encode() writes text directly; it must say exactly what to_json() builds.
TEST(DirectEncoding, SaysWhatToJsonSays) {
  auto state = decode<ChannelState>(testing::test_data("channel_state.json"));
  EXPECT_EQ(parse_json(encode(state)), to_json(state));
  boost::json::value events = parse_json(testing::test_data("events.json"));
  for (const auto& original : events.as_array()) {
    Event event = from_json<Event>(original);
    EXPECT_EQ(parse_json(encode(event)), to_json(event)) << original;
  }
  QueryChannelsRequest query{.filter_conditions = Filter::eq("type", "messaging"),
                             .sort = Sort{{.field = "created_at"}},
                             .limit = 5};
  EXPECT_EQ(parse_json(encode(query)), to_json(query));
}

TEST(DirectEncoding, EscapesAndNumbersMatchBoost) {
  Message message{.id = "q\"uote\\back\x01\n\xe2\x82\xac",
                  .text = std::string("nul\0inside", 10),
                  .reply_count = -9223372036854775807 - 1};
  message.extra["big"] = std::uint64_t{18446744073709551615u};
  message.extra["ratio"] = 0.1;
  message.extra["key \"with\" quotes\t"] = boost::json::array{nullptr, true, 1.5e300};
  EXPECT_EQ(encode(message), boost::json::serialize(to_json(message)));
  EXPECT_EQ(decode<Message>(encode(message)).text, message.text);
}

}  // namespace
}  // namespace chatkeep

// replay(): what each kind of outbox entry shows on a copy of its message, including entries
// whose payload is not what the client writes (an old or damaged row), which change nothing.

#include <gtest/gtest.h>

#include "chatkeep/persistence.hpp"
#include "chatkeep/testing/builders.hpp"

namespace chatkeep {
namespace {

using namespace testing;
using Counts = std::map<std::string, std::int64_t>;

OutboxEntry entry(OutboxKind kind, boost::json::object payload) {
  OutboxEntry e = make_entry("messaging:a", "m", kind);
  e.payload = std::move(payload);
  return e;
}

Message liked_by(const std::vector<std::string>& users) {
  Message m = make_message("m", "messaging:a", 10);
  m.latest_reactions.emplace();
  for (const auto& user : users)
    m.latest_reactions->push_back(make_reaction("m", user, "like"));
  m.reaction_counts = Counts{{"like", static_cast<std::int64_t>(users.size())}};
  m.reaction_scores = m.reaction_counts;
  return m;
}

TEST(Replay, AnEditSetsWhatItSends) {
  Message m = make_message("m", "messaging:a", 10);
  m.mentioned_users = std::vector<User>{make_user("carol")};
  m.extra["deleted_reply_count"] = 2;
  const OutboxEntry edit =
      entry(OutboxKind::update_message,
            {{"message",
              {{"id", "m"},
               {"text", "new words"},
               {"attachments", {{{"type", "image"}, {"image_url", "https://x.test/a.png"}}}},
               {"mentioned_users", {"carol", "dave"}},
               {"mood", "happy"},
               {"parent_id", "not for an edit"}}}});
  ASSERT_EQ(replay(edit, "alice", m), Replayed::changed);
  EXPECT_EQ(m.text, "new words");
  ASSERT_EQ(m.attachments->size(), 1u);
  EXPECT_EQ(m.attachments->at(0).type, "image");
  ASSERT_EQ(m.mentioned_users->size(), 2u);
  EXPECT_EQ(m.mentioned_users->at(0).name, make_user("carol").name) << "what is known is kept";
  EXPECT_EQ(m.mentioned_users->at(1).id, "dave");
  EXPECT_EQ(m.extra.at("mood"), "happy");
  EXPECT_FALSE(m.extra.contains("priority"))
      << "a full update: custom fields it does not send are gone, as on the server";
  EXPECT_EQ(m.extra.at("deleted_reply_count"), 2) << "what only the server sets stays";
  EXPECT_FALSE(m.parent_id);
}

TEST(Replay, DeletionsSoftAndHard) {
  Message m = make_message("m", "messaging:a", 10);
  const OutboxEntry soft = entry(OutboxKind::delete_message, {{"hard", false}});
  ASSERT_EQ(replay(soft, "alice", m), Replayed::changed);
  EXPECT_EQ(m.type, "deleted");
  EXPECT_EQ(m.deleted_at, soft.created_at);
  EXPECT_EQ(replay(entry(OutboxKind::delete_message, {{"hard", true}}), "alice", m),
            Replayed::removed);
}

TEST(Replay, AReactionCountsOnceWhateverTheCopyShows) {
  const OutboxEntry like =
      entry(OutboxKind::send_reaction, {{"reaction", {{"type", "like"}, {"score", 3}}}});
  Message m = liked_by({"bob"});
  ASSERT_EQ(replay(like, "alice", m), Replayed::changed);
  EXPECT_EQ(m.reaction_counts, (Counts{{"like", 2}}));
  EXPECT_EQ(m.reaction_scores, (Counts{{"like", 4}}));

  // A copy that counts alice's like already (the server has it; its answer is on the way).
  Message counted = liked_by({"bob", "alice"});
  EXPECT_EQ(replay(like, "alice", counted), Replayed::unchanged);
  EXPECT_EQ(counted.reaction_counts, (Counts{{"like", 2}}));

  // Own reactions, when the copy has them, say it rather than the latest reactions: a stored
  // copy whose like alice took back keeps the server's latest reactions until delivery.
  Message stored = liked_by({"bob", "alice"});
  stored.own_reactions.emplace();
  ASSERT_EQ(replay(like, "alice", stored), Replayed::changed);
  EXPECT_EQ(stored.reaction_counts, (Counts{{"like", 3}}));
}

TEST(Replay, ATakenBackReactionIsTakenFromTheSummaryOnlyIfCounted) {
  const OutboxEntry unlike = entry(OutboxKind::delete_reaction, {{"type", "like"}});
  Message m = liked_by({"bob", "alice"});
  ASSERT_EQ(replay(unlike, "alice", m), Replayed::changed);
  EXPECT_EQ(m.reaction_counts, (Counts{{"like", 1}}));
  Message last = liked_by({"alice"});
  ASSERT_EQ(replay(unlike, "alice", last), Replayed::changed);
  EXPECT_EQ(last.reaction_counts, Counts{}) << "a type nobody has left goes";
  Message not_counted = liked_by({"bob"});
  EXPECT_EQ(replay(unlike, "alice", not_counted), Replayed::unchanged);
  EXPECT_EQ(not_counted.reaction_counts, (Counts{{"like", 1}}));
}

TEST(Replay, SendsReadMarksAndMalformedPayloadsChangeNothing) {
  const Message original = liked_by({"bob"});
  for (const OutboxEntry& e : {make_entry("messaging:a", "m"), entry(OutboxKind::mark_read, {}),
                               entry(OutboxKind::update_message, {{"message", "not an object"}}),
                               entry(OutboxKind::send_reaction, {{"reaction", {{"type", 7}}}}),
                               entry(OutboxKind::delete_reaction, {})}) {
    Message m = original;
    EXPECT_EQ(replay(e, "alice", m), Replayed::unchanged) << to_string(e.kind);
    EXPECT_EQ(m.text, original.text);
    EXPECT_EQ(m.reaction_counts, original.reaction_counts);
  }
  // Fields of the wrong type are skipped, the others applied.
  Message m = original;
  ASSERT_EQ(replay(entry(OutboxKind::update_message, {{"message",
                                                       {{"text", 5},
                                                        {"attachments", {"not an attachment"}},
                                                        {"mentioned_users", {1, "carol"}},
                                                        {"mood", "ok"}}}}),
                   "alice", m),
            Replayed::changed);
  EXPECT_EQ(m.text, original.text);
  EXPECT_TRUE(m.attachments->empty()) << "as the copy had them";
  ASSERT_EQ(m.mentioned_users->size(), 1u);
  EXPECT_EQ(m.extra.at("mood"), "ok");
}

TEST(Replay, APartialUpdateSetsAndUnsetsAndPinsAsTheServerWould) {
  Message m = make_message("m", "messaging:a", 10);
  m.extra["mood"] = "calm";
  m.extra["topic"] = "x";
  OutboxEntry pin =
      entry(OutboxKind::partial_update_message, {{"set",
                                                  {{"pinned", true},
                                                   {"pin_expires", "2030-01-01T00:00:00Z"},
                                                   {"text", "pinned"},
                                                   {"mood", "glad"}}},
                                                 {"unset", {"topic"}}});
  ASSERT_EQ(replay(pin, "me", m), Replayed::changed);
  EXPECT_TRUE(m.pinned.value_or(false));
  EXPECT_EQ(m.pinned_at, pin.created_at);
  ASSERT_TRUE(m.pinned_by);
  EXPECT_EQ(m.pinned_by->id, "me");
  EXPECT_EQ(m.pin_expires, Timestamp::parse("2030-01-01T00:00:00Z"));
  EXPECT_EQ(m.text, "pinned");
  EXPECT_EQ(m.extra.at("mood"), "glad");
  EXPECT_FALSE(m.extra.contains("topic"));

  // Pinned again later: the first pin's time and author stay, as on the server.
  OutboxEntry again = pin;
  again.created_at = Timestamp::from_unix_micros(pin.created_at.unix_micros() + 5);
  replay(again, "other", m);
  EXPECT_EQ(m.pinned_at, pin.created_at);
  EXPECT_EQ(m.pinned_by->id, "me");

  OutboxEntry unpin = entry(OutboxKind::partial_update_message,
                            {{"set", {{"pinned", false}, {"pin_expires", nullptr}}}});
  ASSERT_EQ(replay(unpin, "me", m), Replayed::changed);
  EXPECT_FALSE(m.pinned.value_or(true));
  EXPECT_FALSE(m.pinned_at);
  EXPECT_FALSE(m.pinned_by);
  EXPECT_FALSE(m.pin_expires);

  const Message before = m;
  EXPECT_EQ(
      replay(entry(OutboxKind::partial_update_message, {{"set", 7}, {"unset", "x"}}), "me", m),
      Replayed::unchanged);
  EXPECT_EQ(to_json(m), to_json(before));
}

}  // namespace
}  // namespace chatkeep

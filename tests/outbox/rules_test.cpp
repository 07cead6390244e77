// The outbox's rules with made-up entries and times: coalescing, per-channel order, dependencies,
// classification of errors, the backoff sequence, expiry and rescue at start-up.

#include "outbox/rules.hpp"
#include "outbox/uploads.hpp"

#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

namespace chatkeep::outbox {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

Timestamp at(std::int64_t seconds) {
  return Timestamp::from_unix_micros(seconds * 1'000'000);
}

OutboxEntry entry(std::int64_t id, OutboxKind kind, std::string cid, std::string message_id,
                  json::object payload = {}) {
  OutboxEntry e;
  e.id = id;
  e.kind = kind;
  e.cid = std::move(cid);
  e.message_id = std::move(message_id);
  e.payload = std::move(payload);
  e.created_at = at(100 + id);
  return e;
}

OutboxEntry send(std::int64_t id, std::string cid, std::string message_id, std::string text) {
  return entry(id, OutboxKind::send_message, std::move(cid), message_id,
               {{"message", {{"id", message_id}, {"text", std::move(text)}}}});
}

OutboxEntry reaction(std::int64_t id, OutboxKind kind, std::string message_id, std::string type) {
  return entry(id, kind, "messaging:a", std::move(message_id),
               {{"reaction", {{"type", std::move(type)}}}});
}

TEST(OutboxRules, AnEditOfAnUntriedSendRewritesIt) {
  std::vector<OutboxEntry> pending{send(1, "messaging:a", "m1", "draft")};
  auto plan = plan_enqueue(pending, entry(0, OutboxKind::update_message, "messaging:a", "m1",
                                          {{"message", {{"id", "m1"}, {"text", "final"}}}}));
  EXPECT_FALSE(plan.add);
  ASSERT_EQ(plan.rewrite, 1);
  EXPECT_EQ(plan.payload.at("message").at("text"), "final");
  EXPECT_EQ(plan.payload.at("message").at("id"), "m1");
}

TEST(OutboxRules, AnEditOfASendTriedOrInFlightWaitsBehindIt) {
  for (auto state : {OutboxState::sending, OutboxState::queued}) {
    std::vector<OutboxEntry> pending{send(1, "messaging:a", "m1", "draft")};
    pending[0].state = state;
    pending[0].attempts = 1;  // it may have reached the server
    auto plan = plan_enqueue(pending, entry(0, OutboxKind::update_message, "messaging:a", "m1"));
    EXPECT_TRUE(plan.add);
    EXPECT_FALSE(plan.rewrite);
    EXPECT_TRUE(plan.remove.empty());
  }
}

TEST(OutboxRules, ALaterEditReplacesAnUntriedOne) {
  std::vector<OutboxEntry> pending{entry(4, OutboxKind::update_message, "messaging:a", "m1")};
  auto plan = plan_enqueue(pending, entry(0, OutboxKind::update_message, "messaging:a", "m1"));
  EXPECT_TRUE(plan.add);
  EXPECT_EQ(plan.remove, std::vector<std::int64_t>{4});
}

TEST(OutboxRules, ADeleteOfAnUntriedSendCancelsEverythingAboutTheMessage) {
  std::vector<OutboxEntry> pending{send(1, "messaging:a", "m1", "oops"),
                                   reaction(2, OutboxKind::send_reaction, "m1", "like"),
                                   send(3, "messaging:a", "m2", "keep")};
  auto plan = plan_enqueue(pending, entry(0, OutboxKind::delete_message, "messaging:a", "m1"));
  EXPECT_FALSE(plan.add);
  EXPECT_EQ(plan.remove, (std::vector<std::int64_t>{1, 2}));
}

TEST(OutboxRules, ADeleteOfASentMessageGoesAndDropsUntriedEdits) {
  std::vector<OutboxEntry> pending{entry(5, OutboxKind::update_message, "messaging:a", "m1")};
  auto plan = plan_enqueue(pending, entry(0, OutboxKind::delete_message, "messaging:a", "m1"));
  EXPECT_TRUE(plan.add);
  EXPECT_EQ(plan.remove, std::vector<std::int64_t>{5});
}

TEST(OutboxRules, AReactionAddedThenRemovedBeforeTryingIsNotSentButTheRemovalIs) {
  std::vector<OutboxEntry> pending{reaction(1, OutboxKind::send_reaction, "m1", "like"),
                                   reaction(2, OutboxKind::send_reaction, "m1", "love")};
  // The user may have had the reaction on the server before adding it again, so the removal
  // goes either way (removing what is not there counts as delivered); the add never does.
  auto plan = plan_enqueue(pending, reaction(0, OutboxKind::delete_reaction, "m1", "like"));
  EXPECT_TRUE(plan.add);
  EXPECT_EQ(plan.remove, std::vector<std::int64_t>{1});

  // Once tried, the add stays: it goes first, and the removal undoes it.
  pending[0].attempts = 1;
  plan = plan_enqueue(pending, reaction(0, OutboxKind::delete_reaction, "m1", "like"));
  EXPECT_TRUE(plan.add);
  EXPECT_TRUE(plan.remove.empty());
}

TEST(OutboxRules, ReadMarksOfAChannelCollapseIntoTheLast) {
  std::vector<OutboxEntry> pending{entry(1, OutboxKind::mark_read, "messaging:a", ""),
                                   entry(2, OutboxKind::mark_read, "messaging:b", ""),
                                   entry(3, OutboxKind::mark_read, "messaging:a", "")};
  pending[2].attempts = 2;
  auto plan = plan_enqueue(pending, entry(0, OutboxKind::mark_read, "messaging:a", ""));
  EXPECT_TRUE(plan.add);
  EXPECT_EQ(plan.remove, (std::vector<std::int64_t>{1, 3}));
}

TEST(OutboxRules, EachChannelDeliversInOrderAndChannelsProceedIndependently) {
  std::vector<OutboxEntry> pending{
      send(1, "messaging:a", "a1", "x"), send(2, "messaging:b", "b1", "x"),
      send(3, "messaging:a", "a2", "x"), send(4, "messaging:c", "c1", "x")};
  EXPECT_EQ(due_entries(pending, at(1000)), (std::vector<std::int64_t>{1, 2, 4}));
  pending[0].state = OutboxState::sending;  // in flight: a2 waits for it
  EXPECT_EQ(due_entries(pending, at(1000)), (std::vector<std::int64_t>{2, 4}));
  pending[1].next_attempt_at = at(2000);  // backing off: not due, and b holds
  EXPECT_EQ(due_entries(pending, at(1000)), (std::vector<std::int64_t>{4}));
  EXPECT_EQ(due_entries(pending, at(2000)), (std::vector<std::int64_t>{2, 4}));
}

TEST(OutboxRules, AMessagesFilesGoBeforeItAndInItsPlace) {
  auto upload = [](std::int64_t id, std::string message_id) {
    return entry(id, OutboxKind::upload_attachment, "messaging:a", std::move(message_id));
  };
  // m1's two files, m1, then m2; an edit later added a third file to m1 (id 5).
  std::vector<OutboxEntry> pending{upload(1, "m1"),
                                   upload(2, "m1"),
                                   send(3, "messaging:a", "m1", "x"),
                                   send(4, "messaging:a", "m2", "y"),
                                   upload(5, "m1"),
                                   send(6, "messaging:b", "b1", "z")};
  EXPECT_EQ(due_entries(pending, at(1000)), (std::vector<std::int64_t>{1, 6}));
  pending.erase(pending.begin());  // the first file is uploaded
  EXPECT_EQ(due_entries(pending, at(1000)), (std::vector<std::int64_t>{2, 6}));
  pending.erase(pending.begin());
  // The file the edit added goes in m1's place, before m2.
  EXPECT_EQ(due_entries(pending, at(1000)), (std::vector<std::int64_t>{5, 6}));
  pending.back().state = OutboxState::sending;  // b1 in flight
  pending[2].state = OutboxState::sending;      // the third file in flight: m1 and m2 wait
  EXPECT_EQ(due_entries(pending, at(1000)), (std::vector<std::int64_t>{}));
  pending[2].state = OutboxState::failed;  // a failed file no longer holds its message back
  pending[0].state = OutboxState::failed;  // (the client fails the send with it): m2 goes
  EXPECT_EQ(due_entries(pending, at(1000)), (std::vector<std::int64_t>{4}));
  pending[0].state = OutboxState::queued;
  EXPECT_EQ(due_entries(pending, at(1000)), (std::vector<std::int64_t>{3}));
}

TEST(OutboxRules, AnUploadsAnswerGivesOnlyAnHttpUrlOfBoundedLength) {
  EXPECT_EQ(answered_url({{"file", "https://cdn.example/a.png"}}), "https://cdn.example/a.png");
  EXPECT_EQ(answered_url({{"file", "http://127.0.0.1:9/uploads/x/y"}}),
            "http://127.0.0.1:9/uploads/x/y");
  for (const json::object& refused :
       {json::object{{"file", "file:///etc/passwd"}}, json::object{{"file", "javascript:alert(1)"}},
        json::object{{"file", "/relative"}}, json::object{{"file", 7}}, json::object{},
        json::object{{"file", "https://cdn.example/" + std::string(kMaxUrlLength, 'a')}}}) {
    EXPECT_FALSE(answered_url(refused)) << json::serialize(refused);
  }
}

TEST(OutboxRules, TakingBackAFileThatIsGoneIsDone) {
  EXPECT_EQ(judge(OutboxKind::delete_upload, ChatError(ErrorCode::not_found, "gone", 404)),
            Verdict::delivered);
  EXPECT_EQ(judge(OutboxKind::upload_attachment,
                  ChatError(ErrorCode::payload_too_big, "over the limit", 413)),
            Verdict::failed);
  EXPECT_EQ(judge(OutboxKind::upload_attachment, ChatError(ErrorCode::network, "x", 0, true)),
            Verdict::retry);
}

TEST(OutboxRules, AFailedSendHoldsBackOnlyWhatDependsOnIt) {
  std::vector<OutboxEntry> pending{send(1, "messaging:a", "m1", "x"),
                                   entry(2, OutboxKind::update_message, "messaging:a", "m1"),
                                   send(3, "messaging:a", "m2", "y")};
  pending[0].state = OutboxState::failed;
  EXPECT_EQ(due_entries(pending, at(1000)), std::vector<std::int64_t>{3});
}

TEST(OutboxRules, NextDueIsTheEarliestWait) {
  std::vector<OutboxEntry> pending{send(1, "messaging:a", "a1", "x"),
                                   send(2, "messaging:b", "b1", "x")};
  pending[0].next_attempt_at = at(500);
  pending[1].next_attempt_at = at(300);
  EXPECT_EQ(next_due(pending), at(300));
  pending[1].state = OutboxState::failed;
  EXPECT_EQ(next_due(pending), at(500));
  EXPECT_FALSE(next_due({}));
}

TEST(OutboxRules, ErrorsAreJudgedByCodeAndKind) {
  const ChatError duplicate(ErrorCode::input, "a message with ID m1 already exists", 400);
  EXPECT_EQ(judge(OutboxKind::send_message, duplicate), Verdict::delivered);
  EXPECT_EQ(judge(OutboxKind::update_message, duplicate), Verdict::failed);
  const ChatError gone(ErrorCode::not_found, "no such message", 404);
  EXPECT_EQ(judge(OutboxKind::delete_message, gone), Verdict::delivered);
  EXPECT_EQ(judge(OutboxKind::delete_reaction, gone), Verdict::delivered);
  EXPECT_EQ(judge(OutboxKind::update_message, gone), Verdict::failed);
  for (const auto& transient :
       {ChatError(ErrorCode::network, "refused", 0, true), ChatError(ErrorCode::internal, "", 500),
        ChatError(ErrorCode::rate_limited, "", 429), ChatError(ErrorCode::request_timeout, "", 408),
        ChatError(static_cast<ErrorCode>(99), "bad gateway", 502)}) {
    EXPECT_EQ(judge(OutboxKind::send_message, transient), Verdict::retry) << transient.what();
  }
  for (const auto& permanent : {ChatError(ErrorCode::input, "text too long", 400),
                                ChatError(ErrorCode::not_allowed, "not a member", 403),
                                ChatError(ErrorCode::authentication, "bad token", 401)}) {
    EXPECT_EQ(judge(OutboxKind::send_message, permanent), Verdict::failed) << permanent.what();
  }
}

TEST(OutboxRules, RetryDelaysDoubleToTheCapWithJitterInTheUpperHalf) {
  const RetryPolicy policy;
  std::mt19937 random(42);
  const std::int64_t ceilings[] = {400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000};
  for (std::int64_t n = 1; n <= 9; ++n) {
    const auto ceiling = ceilings[n - 1];
    for (int draw = 0; draw < 50; ++draw) {
      const auto d = retry_delay(n, policy, random).count();
      EXPECT_GE(d, ceiling / 2) << "failure " << n;
      EXPECT_LE(d, ceiling) << "failure " << n;
    }
  }
  EXPECT_LE(retry_delay(1000, policy, random).count(), 30000);
  const RetryPolicy fast{.first_delay = 10ms, .max_delay = 40ms};
  EXPECT_LE(retry_delay(5, fast, random).count(), 40);
}

TEST(OutboxRules, OldQueuedEntriesExpire) {
  std::vector<OutboxEntry> pending{send(1, "messaging:a", "a1", "x"),
                                   send(2, "messaging:a", "a2", "x")};
  pending[0].created_at = at(0);
  pending[1].created_at = at(20 * 3600);
  const RetryPolicy policy;
  EXPECT_EQ(expired_entries(pending, at(24 * 3600 + 1), policy), std::vector<std::int64_t>{1});
  EXPECT_TRUE(expired_entries(pending, at(24 * 3600), policy).empty());
  pending[0].state = OutboxState::failed;
  EXPECT_TRUE(expired_entries(pending, at(24 * 3600 + 1), policy).empty());
}

TEST(OutboxRules, EntriesACrashLeftSendingAreFound) {
  std::vector<OutboxEntry> pending{send(1, "messaging:a", "a1", "x"),
                                   send(2, "messaging:b", "b1", "x"),
                                   send(3, "messaging:c", "c1", "x")};
  pending[1].state = OutboxState::sending;
  pending[2].state = OutboxState::failed;
  EXPECT_EQ(interrupted_entries(pending), std::vector<std::int64_t>{2});
}

TEST(OutboxRules, APartialUpdateCancelsUntriedOnesWhoseFieldsItSetsAgain) {
  auto update = [](std::int64_t id, json::object set) {
    return entry(id, OutboxKind::partial_update_message, "messaging:a", "m1",
                 {{"set", std::move(set)}, {"unset", json::array{}}});
  };
  std::vector<OutboxEntry> pending{update(1, {{"pinned", true}, {"pin_expires", nullptr}}),
                                   update(2, {{"text", "t"}}), update(3, {{"pinned", true}})};
  pending[2].attempts = 1;  // tried: it may have reached the server
  auto plan = plan_enqueue(pending, update(0, {{"pinned", false}, {"pin_expires", nullptr}}));
  EXPECT_TRUE(plan.add);
  EXPECT_EQ(plan.remove, std::vector<std::int64_t>{1});

  // Of another message, or naming fields the new one leaves alone: kept.
  auto other = update(0, {{"pinned", false}});
  other.message_id = "m2";
  EXPECT_TRUE(plan_enqueue(pending, other).remove.empty());
  EXPECT_TRUE(plan_enqueue(pending, update(0, {{"pinned", false}})).remove.empty());

  // A deletion drops the untried ones of its message, as it drops edits.
  auto deletion = entry(0, OutboxKind::delete_message, "messaging:a", "m1");
  EXPECT_EQ(plan_enqueue(pending, deletion).remove, (std::vector<std::int64_t>{1, 2}));
}

TEST(OutboxRules, ALaterSettingOfTheSameThingReplacesAnUntriedOne) {
  auto hide = [](std::int64_t id, std::string cid, bool hidden, bool clear = false) {
    return entry(id, OutboxKind::set_channel_hidden, std::move(cid), "",
                 {{"hidden", hidden}, {"clear_history", clear}});
  };
  auto mute = [](std::int64_t id, std::string user, bool muted) {
    return entry(id, OutboxKind::set_user_muted, "", "",
                 {{"user_id", std::move(user)}, {"muted", muted}});
  };
  std::vector<OutboxEntry> pending{hide(1, "messaging:a", true), hide(2, "messaging:b", true),
                                   hide(3, "messaging:a", true, true), mute(4, "bob", true),
                                   mute(5, "carol", true)};
  // A show of a replaces its untried hide, but not the hide that clears the history, which the
  // server must still do.
  EXPECT_EQ(plan_enqueue(pending, hide(0, "messaging:a", false)).remove,
            std::vector<std::int64_t>{1});
  EXPECT_EQ(plan_enqueue(pending, mute(0, "bob", false)).remove, std::vector<std::int64_t>{4});
  pending[3].attempts = 1;  // tried: it may have reached the server, and still goes
  EXPECT_TRUE(plan_enqueue(pending, mute(0, "bob", false)).remove.empty());

  // A membership update replaces one only if it sets every field that one did.
  auto member = [](std::int64_t id, json::object set) {
    return entry(id, OutboxKind::update_membership, "messaging:a", "", {{"set", std::move(set)}});
  };
  std::vector<OutboxEntry> membership{member(1, {{"pinned", true}}),
                                      member(2, {{"pinned", true}, {"archived", true}})};
  EXPECT_EQ(plan_enqueue(membership, member(0, {{"pinned", false}})).remove,
            std::vector<std::int64_t>{1});
  EXPECT_EQ(plan_enqueue(membership, member(0, {{"archived", false}, {"pinned", false}})).remove,
            (std::vector<std::int64_t>{1, 2}));
}

TEST(OutboxRules, AnEditIsNotFoldedIntoItsSendPastAPartialUpdate) {
  std::vector<OutboxEntry> pending{send(1, "messaging:a", "m1", "draft"),
                                   entry(2, OutboxKind::partial_update_message, "messaging:a", "m1",
                                         {{"set", {{"mood", "calm"}}}})};
  // The edit, a full update, must still take away the mood the partial update sets.
  auto plan = plan_enqueue(pending, entry(0, OutboxKind::update_message, "messaging:a", "m1",
                                          {{"message", {{"id", "m1"}, {"text", "final"}}}}));
  EXPECT_TRUE(plan.add);
  EXPECT_FALSE(plan.rewrite);
  EXPECT_TRUE(plan.remove.empty()) << "the partial update still goes";
}

OutboxEntry draft(std::int64_t id, OutboxKind kind, std::string cid,
                  std::optional<std::string> parent) {
  if (kind == OutboxKind::delete_draft) {
    json::object payload;
    if (parent) payload["parent_id"] = *parent;
    return entry(id, kind, std::move(cid), "", std::move(payload));
  }
  json::object message{{"id", "d" + std::to_string(id)}, {"text", "draft"}};
  if (parent) message["parent_id"] = *parent;
  return entry(id, kind, std::move(cid), "", {{"message", std::move(message)}});
}

TEST(OutboxRules, ADraftsLatestSaveOrDeletionReplacesUntriedOnesOfThatDraftOnly) {
  std::vector<OutboxEntry> pending{draft(1, OutboxKind::save_draft, "messaging:a", std::nullopt),
                                   draft(2, OutboxKind::save_draft, "messaging:a", "root"),
                                   draft(3, OutboxKind::save_draft, "messaging:b", std::nullopt)};
  pending.push_back(draft(4, OutboxKind::save_draft, "messaging:a", std::nullopt));
  pending.back().attempts = 1;  // tried: it may have arrived
  auto plan =
      plan_enqueue(pending, draft(0, OutboxKind::delete_draft, "messaging:a", std::nullopt));
  EXPECT_TRUE(plan.add);
  EXPECT_EQ(plan.remove, std::vector<std::int64_t>{1});
  plan = plan_enqueue(pending, draft(0, OutboxKind::save_draft, "messaging:a", "root"));
  EXPECT_EQ(plan.remove, std::vector<std::int64_t>{2});
  // A send takes its draft away: the untried save of that draft need not go.
  plan = plan_enqueue(pending, send(0, "messaging:b", "m1", "sent"));
  EXPECT_TRUE(plan.add);
  EXPECT_EQ(plan.remove, std::vector<std::int64_t>{3});
  EXPECT_EQ(draft_parent(pending[1]), "root");
  EXPECT_EQ(draft_parent(draft(0, OutboxKind::delete_draft, "messaging:a", "root")), "root");
}

TEST(OutboxRules, AChannelUpdateReplacesUntriedUpdatesAndPartialUpdatesOfItsFields) {
  const std::vector<OutboxEntry> pending{
      entry(1, OutboxKind::partial_update_channel, "messaging:a", "",
            {{"set", {{"name", "x"}}}, {"unset", json::array{}}}),
      entry(2, OutboxKind::partial_update_channel, "messaging:a", "",
            {{"set", {{"name", "y"}, {"topic", "t"}}}, {"unset", json::array{}}}),
      entry(3, OutboxKind::update_channel, "messaging:b", "", {{"data", {{"name", "b"}}}})};
  auto plan = plan_enqueue(pending, entry(0, OutboxKind::partial_update_channel, "messaging:a", "",
                                          {{"set", {{"name", "z"}}}, {"unset", json::array{}}}));
  EXPECT_EQ(plan.remove, std::vector<std::int64_t>{1}) << "2 sets a topic this one does not";
  plan = plan_enqueue(pending,
                      entry(0, OutboxKind::update_channel, "messaging:a", "", {{"data", {}}}));
  EXPECT_EQ(plan.remove, (std::vector<std::int64_t>{1, 2}));
  plan = plan_enqueue(pending, entry(0, OutboxKind::partial_update_user, "", "",
                                     {{"set", {{"name", "n"}}}, {"unset", json::array{}}}));
  EXPECT_TRUE(plan.remove.empty());
}

TEST(OutboxRules, AChannelCreatedAndDeletedBeforeTryingSendsNothing) {
  std::vector<OutboxEntry> pending{entry(1, OutboxKind::create_channel, "messaging:a", ""),
                                   send(2, "messaging:a", "m1", "hi"),
                                   send(3, "messaging:b", "m2", "elsewhere")};
  auto plan = plan_enqueue(pending, entry(0, OutboxKind::delete_channel, "messaging:a", ""));
  EXPECT_FALSE(plan.add);
  EXPECT_EQ(plan.remove, (std::vector<std::int64_t>{1, 2}));
  pending[0].attempts = 1;  // tried: the server may have made it
  plan = plan_enqueue(pending, entry(0, OutboxKind::delete_channel, "messaging:a", ""));
  EXPECT_TRUE(plan.add);
  EXPECT_TRUE(plan.remove.empty());
}

TEST(OutboxRules, AFailedCreationHoldsBackItsWholeChannel) {
  std::vector<OutboxEntry> pending{entry(1, OutboxKind::create_channel, "messaging:a", ""),
                                   send(2, "messaging:a", "m1", "hi"),
                                   entry(3, OutboxKind::update_members, "messaging:a", ""),
                                   send(4, "messaging:b", "m2", "elsewhere")};
  EXPECT_EQ(due_entries(pending, at(1000)), (std::vector<std::int64_t>{1, 4}));
  pending[0].state = OutboxState::failed;
  EXPECT_EQ(due_entries(pending, at(1000)), std::vector<std::int64_t>{4});
  EXPECT_TRUE(changes_channel(OutboxKind::update_members));
  EXPECT_FALSE(changes_channel(OutboxKind::create_channel));
  EXPECT_EQ(judge(OutboxKind::delete_channel, ChatError(ErrorCode::not_found, "gone", 404)),
            Verdict::delivered);
  EXPECT_EQ(judge(OutboxKind::delete_draft, ChatError(ErrorCode::not_found, "gone", 404)),
            Verdict::delivered);
  // A leave retried after its answer was lost: she is no member any more, as wanted.
  const ChatError refused(ErrorCode::not_allowed, "not a member", 403);
  const OutboxEntry leave = entry(0, OutboxKind::update_members, "messaging:a", "",
                                  {{"remove_members", json::array{"me"}}});
  EXPECT_EQ(judge(leave, "me", refused), Verdict::delivered);
  EXPECT_EQ(judge(leave, "someone else", refused), Verdict::failed);
  EXPECT_EQ(judge(entry(0, OutboxKind::update_members, "messaging:a", "",
                        {{"remove_members", json::array{"bob"}}}),
                  "me", refused),
            Verdict::failed);
}

}  // namespace
}  // namespace chatkeep::outbox

#include <gtest/gtest.h>

#include "chatkeep/json.hpp"

namespace chatkeep {
namespace {

using boost::json::array;

TEST(Filter, HelpersBuildStreamsForm) {
  Filter f = Filter::all_of(
      {Filter::eq("type", "messaging"), Filter::in("members", array{"alice"}),
       Filter::any_of({Filter::exists("frozen", false), Filter::gte("member_count", 2)})});
  EXPECT_EQ(f.json(), parse_json(R"({"$and":[{"type":{"$eq":"messaging"}},
      {"members":{"$in":["alice"]}},
      {"$or":[{"frozen":{"$exists":false}},{"member_count":{"$gte":2}}]}]})"));
  EXPECT_TRUE(Filter().json().empty());
}

TEST(Filter, HelpersRefuseWhatStreamWouldRefuse) {
  EXPECT_THROW(Filter::eq("", 1), ChatError);
  EXPECT_THROW(Filter::eq("$type", 1), ChatError);
  EXPECT_THROW(Filter::eq("type", boost::json::object{{"a", 1}}), ChatError);
  EXPECT_THROW(Filter::gt("created_at", true), ChatError);
  EXPECT_THROW(Filter::all_of({}), ChatError);
}

TEST(Filter, FromJsonAcceptsEveryOperator) {
  auto json = parse_json(R"({"type":"messaging","cid":{"$ne":"x:y"},"id":{"$nin":["a"]},
      "members":{"$in":["alice","bob"]},"last_message_at":{"$gt":"2026-01-01T00:00:00Z","$lte":"2027-01-01T00:00:00Z"},
      "created_at":{"$lt":"2027-01-01T00:00:00Z"},"member_count":{"$gte":1},"frozen":false,
      "team":{"$exists":true},"name":{"$autocomplete":"gen"},"tags":["a","b"],
      "$nor":[{"disabled":true}],"$or":[{"hidden":{"$eq":false}},{"custom.level":{"$contains":3}}]})");
  EXPECT_EQ(Filter::from_json(json).json(), json);
}

TEST(Filter, FromJsonNamesTheBadPart) {
  struct Case {
    const char* json;
    const char* error;
  } cases[] = {
      {R"([])", "filter: expected object"},
      {R"({"type":{}})", "filter.type: expected an operator"},
      {R"({"type":{"$regex":"x"}})", "filter.type.$regex: unknown operator"},
      {R"({"members":{"$in":"alice"}})", "filter.members.$in: expected array"},
      {R"({"frozen":{"$exists":1}})", "filter.frozen.$exists: expected boolean"},
      {R"({"n":{"$gt":[1]}})", "filter.n.$gt: expected string or number"},
      {R"({"n":{"$eq":{"a":1}}})", "filter.n.$eq: expected a value, not an object"},
      {R"({"$and":{}})", "filter.$and: expected array of filters"},
      {R"({"$or":[]})", "filter.$or: expected at least one filter"},
      {R"({"$or":[{"a":1},{"b":{"$in":1}}]})", "filter.$or[1].b.$in: expected array"},
      {R"({"$where":"1"})", "filter.$where: expected a field name or $and, $or, $nor"},
  };
  for (const auto& c : cases) {
    try {
      (void)Filter::from_json(parse_json(c.json));
      ADD_FAILURE() << c.json << " accepted";
    } catch (const ChatError& e) {
      EXPECT_EQ(e.message(), c.error) << c.json;
      EXPECT_EQ(e.code(), ErrorCode::input);
    }
  }
}

TEST(Filter, CanonicalTextIgnoresKeyOrder) {
  Filter a = Filter::from_json(parse_json(R"({"type":"messaging","members":{"$in":["a"]}})"));
  Filter b = Filter::from_json(parse_json(R"({"members":{"$in":["a"]},"type":"messaging"})"));
  EXPECT_EQ(a.canonical(), b.canonical());
  EXPECT_EQ(a.canonical(), R"({"members":{"$in":["a"]},"type":"messaging"})");
  EXPECT_NE(a.canonical(), Filter::eq("type", "messaging").canonical());
  EXPECT_EQ(canonical_json(parse_json(R"({"b":[{"d":1,"c":2}],"a":"\u00e9\n"})")),
            "{\"a\":\"\xc3\xa9\\n\",\"b\":[{\"c\":2,\"d\":1}]}");
}

TEST(QueryChannelsRequest, RoundTripsAndValidates) {
  const char* text = R"({"filter_conditions":{"members":{"$in":["alice"]}},
      "sort":[{"field":"last_message_at","direction":-1},{"field":"created_at","direction":1}],
      "state":true,"watch":true,"presence":false,"limit":30,"offset":0,"message_limit":25,
      "member_limit":100})";
  auto request = decode<QueryChannelsRequest>(text);
  ASSERT_TRUE(request.sort);
  EXPECT_EQ((*request.sort)[1].direction, SortDirection::ascending);
  EXPECT_EQ(request.limit, 30);
  EXPECT_EQ(to_json(request), parse_json(text));

  EXPECT_THROW((void)decode<QueryChannelsRequest>(R"({"limit":1})"), ChatError);
  try {
    (void)decode<QueryChannelsRequest>(
        R"({"filter_conditions":{},"sort":[{"field":"x","direction":0}]})");
    FAIL();
  } catch (const ChatError& e) {
    EXPECT_EQ(e.message(), "query.sort[0].direction: expected 1 or -1");
  }
  try {
    (void)decode<QueryChannelsRequest>(R"({"filter_conditions":{"a":{"$bad":1}}})");
    FAIL();
  } catch (const ChatError& e) {
    EXPECT_EQ(e.message(), "query.filter_conditions.a.$bad: unknown operator");
  }
}

TEST(MessagePaginationTest, RoundTrips) {
  auto page = decode<MessagePagination>(R"({"limit":50,"id_lt":"m9"})");
  EXPECT_EQ(page.limit, 50);
  EXPECT_EQ(page.id_lt, "m9");
  EXPECT_FALSE(page.id_around);
  EXPECT_EQ(encode(page), R"({"limit":50,"id_lt":"m9"})");
  EXPECT_EQ(encode(Pagination{.limit = 10, .offset = 20}), R"({"limit":10,"offset":20})");
}

}  // namespace
}  // namespace chatkeep

#include "chatkeep/timestamp.hpp"

#include <gtest/gtest.h>

namespace chatkeep {
namespace {

Timestamp parse(std::string_view text) {
  auto t = Timestamp::parse(text);
  EXPECT_TRUE(t) << text;
  return t.value_or(Timestamp());
}

TEST(Timestamp, StreamsFormsAreWrittenBackExactly) {
  for (const char* text : {"2021-08-11T10:42:44.222203145Z", "2024-04-04T09:26:11.805899Z",
                           "1970-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999999Z",
                           "0001-01-01T00:00:00Z", "1969-12-31T23:59:59.999999Z"}) {
    EXPECT_EQ(parse(text).to_string(), text);
  }
}

TEST(Timestamp, KeepsNanoseconds) {
  Timestamp t = parse("2021-08-11T10:42:44.222203145Z");
  EXPECT_EQ(t.unix_seconds(), 1628678564);
  EXPECT_EQ(t.nanos(), 222203145);
  EXPECT_EQ(t.unix_micros(), 1628678564222203);
  EXPECT_LT(parse("2021-08-11T10:42:44.222203Z"), t);
}

TEST(Timestamp, FewerDigitsAreNormalisedToMicroseconds) {
  EXPECT_EQ(parse("2026-06-24T11:44:49Z").to_string(), "2026-06-24T11:44:49.000000Z");
  EXPECT_EQ(parse("2026-06-24T11:44:49.5Z").to_string(), "2026-06-24T11:44:49.500000Z");
  EXPECT_EQ(parse("2026-06-24T11:44:49.1234567Z").to_string(), "2026-06-24T11:44:49.123456700Z");
}

TEST(Timestamp, OffsetsAreConvertedToUtc) {
  EXPECT_EQ(parse("2026-06-24T13:44:49.25+02:00"), parse("2026-06-24T11:44:49.25Z"));
  EXPECT_EQ(parse("2026-06-24T06:14:49-05:30").to_string(), "2026-06-24T11:44:49.000000Z");
  EXPECT_EQ(parse("2026-01-01T00:30:00+01:00").to_string(), "2025-12-31T23:30:00.000000Z");
  EXPECT_EQ(parse("2026-06-24T11:44:49+00:00"), parse("2026-06-24T11:44:49Z"));
}

TEST(Timestamp, LowerCaseSeparatorsAreAccepted) {
  EXPECT_EQ(parse("2026-06-24t11:44:49z"), parse("2026-06-24T11:44:49Z"));
}

TEST(Timestamp, ZeroTimeIsNever) {
  Timestamp never = parse("0001-01-01T00:00:00Z");
  EXPECT_TRUE(never.is_never());
  EXPECT_EQ(never, Timestamp::never());
  EXPECT_EQ(parse("0001-01-01T00:00:00.000000Z"), never);
  EXPECT_LT(never, Timestamp());
  EXPECT_EQ(never.time_point(), std::chrono::system_clock::time_point::min());
  EXPECT_EQ(Timestamp::from_unix_micros(never.unix_micros()), never);
}

TEST(Timestamp, RejectsWhatIsNotRfc3339) {
  for (const char* text :
       {"", "yesterday", "2026-06-24", "2026-06-24T11:44:49", "2026-6-24T11:44:49Z",
        "2026-06-24 11:44:49Z", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2026-06-24T24:00:00Z", "2026-06-24T11:60:00Z", "2026-06-24T11:44:49.Z",
        "2026-06-24T11:44:49.1234567891Z", "2026-06-24T11:44:49Zjunk", "2026-06-24T11:44:49+0200x",
        "0000-01-01T00:00:00Z", "+2026-06-24T11:44:49Z",
        "2026-06-24T11:44:49.12345678901234567890Z", "\xff\xfe"}) {
    EXPECT_FALSE(Timestamp::parse(text)) << text;
  }
}

TEST(Timestamp, UnixConversionsAgree) {
  Timestamp t = Timestamp::from_unix_nanos(-1);
  EXPECT_EQ(t.to_string(), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(t.unix_seconds(), -1);
  EXPECT_EQ(t.nanos(), 999999999);
  EXPECT_EQ(Timestamp::from_unix_micros(-1).to_string(), "1969-12-31T23:59:59.999999Z");
  auto now = std::chrono::system_clock::now();
  EXPECT_EQ(Timestamp::from_time_point(now).time_point(), now);
  EXPECT_LE(Timestamp::from_time_point(now), Timestamp::now());
}

}  // namespace
}  // namespace chatkeep

#include "chatkeep/timestamp.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <sstream>

#include <date/date.h>
#include <fmt/format.h>

namespace chatkeep {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;

// date's parser accepts one-digit months, hour 24, minute 60 (carried into the next hour) and a
// fraction without digits; RFC 3339 fixes the layout of "YYYY-MM-DDTHH:MM:SS[.f]", so check it
// before handing the text over.
bool has_rfc3339_layout(std::string_view t) {
  constexpr std::string_view kLayout = "dddd-dd-ddTdd:dd:dd";
  if (t.size() < kLayout.size() + 1) return false;
  for (std::size_t i = 0; i < kLayout.size(); ++i) {
    bool ok = kLayout[i] == 'd' ? std::isdigit(static_cast<unsigned char>(t[i])) != 0
                                : t[i] == kLayout[i];
    if (!ok) return false;
  }
  auto two_digits = [&](std::size_t at) { return (t[at] - '0') * 10 + (t[at + 1] - '0'); };
  if (two_digits(11) > 23 || two_digits(14) > 59 || two_digits(17) > 59) return false;
  if (t[19] == '.' && (t.size() < 21 || !std::isdigit(static_cast<unsigned char>(t[20])))) {
    return false;
  }
  return true;
}

}  // namespace

Timestamp Timestamp::now() {
  return from_time_point(std::chrono::system_clock::now());
}

Timestamp Timestamp::from_unix_nanos(std::int64_t nanos) {
  std::int64_t seconds = nanos / kNanosPerSecond;
  std::int64_t rest = nanos % kNanosPerSecond;
  if (rest < 0) {
    rest += kNanosPerSecond;
    --seconds;
  }
  return Timestamp(seconds, static_cast<std::int32_t>(rest));
}

Timestamp Timestamp::from_unix_micros(std::int64_t micros) {
  std::int64_t seconds = micros / 1'000'000;
  std::int64_t rest = micros % 1'000'000;
  if (rest < 0) {
    rest += 1'000'000;
    --seconds;
  }
  return Timestamp(seconds, static_cast<std::int32_t>(rest * 1'000));
}

Timestamp Timestamp::from_time_point(std::chrono::system_clock::time_point tp) {
  return from_unix_nanos(
      std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count());
}

std::chrono::system_clock::time_point Timestamp::time_point() const {
  using std::chrono::system_clock;
  using Rep = system_clock::duration::rep;
  // system_clock on 64-bit nanoseconds spans about 1678..2262.
  constexpr std::int64_t kLimit = std::numeric_limits<Rep>::max() / kNanosPerSecond - 1;
  if (seconds_ <= -kLimit) return system_clock::time_point::min();
  if (seconds_ >= kLimit) return system_clock::time_point::max();
  auto since_epoch = std::chrono::seconds(seconds_) + std::chrono::nanoseconds(nanos_);
  return system_clock::time_point(std::chrono::duration_cast<system_clock::duration>(since_epoch));
}

std::optional<Timestamp> Timestamp::parse(std::string_view text) {
  // Longest accepted form: "YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+hh:mm".
  if (text.size() > 35) return std::nullopt;
  std::array<char, 36> upper{};
  std::transform(text.begin(), text.end(), upper.begin(), [](char c) {
    return c == 't' ? 'T' : c == 'z' ? 'Z' : c;  // RFC 3339 allows lower case
  });
  std::string_view t(upper.data(), text.size());
  if (!has_rfc3339_layout(t)) return std::nullopt;

  // One stream per thread: building an istream per call costs more than the parse itself.
  thread_local std::istringstream in;
  in.clear();
  in.str(std::string(t));
  date::fields<std::chrono::nanoseconds> fields;
  std::chrono::minutes offset{0};
  if (t.back() == 'Z') {
    date::from_stream(in, "%Y-%m-%dT%H:%M:%SZ", fields, static_cast<std::string*>(nullptr),
                      static_cast<std::chrono::minutes*>(nullptr));
  } else {
    date::from_stream(in, "%Y-%m-%dT%H:%M:%S%Ez", fields, static_cast<std::string*>(nullptr),
                      &offset);
  }
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) return std::nullopt;
  if (!fields.ymd.ok() || !fields.has_tod) return std::nullopt;
  int year = static_cast<int>(fields.ymd.year());
  if (year < 1 || year > 9999) return std::nullopt;

  std::int64_t days = date::sys_days(fields.ymd).time_since_epoch().count();
  std::int64_t day_nanos = fields.tod.to_duration().count();
  std::int64_t seconds =
      days * kSecondsPerDay + day_nanos / kNanosPerSecond - std::int64_t{offset.count()} * 60;
  return Timestamp(seconds, static_cast<std::int32_t>(day_nanos % kNanosPerSecond));
}

std::string Timestamp::to_string() const {
  if (is_never()) return "0001-01-01T00:00:00Z";
  std::int64_t days = seconds_ / kSecondsPerDay;
  std::int64_t second_of_day = seconds_ % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --days;
  }
  date::year_month_day ymd{date::sys_days(date::days(static_cast<int>(days)))};
  auto h = second_of_day / 3600, m = second_of_day / 60 % 60, s = second_of_day % 60;
  if (nanos_ % 1000 == 0) {
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), h, m,
                       s, nanos_ / 1000);
  }
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), h, m, s,
                     nanos_);
}

}  // namespace chatkeep

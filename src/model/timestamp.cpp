#include "chatkeep/timestamp.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <date/date.h>

namespace chatkeep {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;

// RFC 3339 fixes the layout "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)". Digits are read with
// std::from_chars at their fixed places; the calendar (month lengths, leap years, days since the
// epoch) is the date library's. date::from_stream did all of it at 1.2 us a call, through an
// istream and long-double seconds; this is the hot path of every decoded message.
bool digits(std::string_view t, std::size_t at, std::size_t count, int& value) {
  const char* first = t.data() + at;
  const char* last = first + count;
  if (at + count > t.size() ||
      !std::all_of(first, last, [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  return std::from_chars(first, last, value).ec == std::errc();
}

bool literal(std::string_view t, std::size_t at, char c) {
  return at < t.size() && t[at] == c;
}

// Writes v as `width` digits, zero padded.
char* put(char* out, std::int64_t v, int width) {
  char* end = out + width;
  for (char* p = end; p != out;) {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return end;
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

std::optional<Timestamp> Timestamp::parse(std::string_view t) {
  int year, month, day, hour, minute, second;
  if (!digits(t, 0, 4, year) || !literal(t, 4, '-') || !digits(t, 5, 2, month) ||
      !literal(t, 7, '-') || !digits(t, 8, 2, day) ||
      !(literal(t, 10, 'T') || literal(t, 10, 't')) || !digits(t, 11, 2, hour) ||
      !literal(t, 13, ':') || !digits(t, 14, 2, minute) || !literal(t, 16, ':') ||
      !digits(t, 17, 2, second)) {
    return std::nullopt;
  }
  if (year < 1 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;

  std::size_t at = 19;
  std::int64_t nanos = 0;
  if (literal(t, at, '.')) {
    const std::size_t first = ++at;
    while (at < t.size() && t[at] >= '0' && t[at] <= '9')
      ++at;
    const std::size_t count = at - first;
    if (count == 0 || count > 9) return std::nullopt;
    int fraction;
    if (!digits(t, first, count, fraction)) return std::nullopt;
    nanos = fraction;
    for (std::size_t i = count; i < 9; ++i)
      nanos *= 10;
  }
  std::int64_t offset_seconds = 0;
  if (literal(t, at, 'Z') || literal(t, at, 'z')) {
    ++at;
  } else if (literal(t, at, '+') || literal(t, at, '-')) {
    int oh, om;
    if (!digits(t, at + 1, 2, oh) || !literal(t, at + 3, ':') || !digits(t, at + 4, 2, om) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_seconds = (std::int64_t{oh} * 3600 + om * 60) * (t[at] == '-' ? -1 : 1);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != t.size()) return std::nullopt;

  const std::int64_t days = date::sys_days(ymd).time_since_epoch().count();
  const std::int64_t seconds =
      days * kSecondsPerDay + hour * 3600 + minute * 60 + second - offset_seconds;
  return Timestamp(seconds, static_cast<std::int32_t>(nanos));
}

std::string Timestamp::to_string() const {
  if (is_never()) return "0001-01-01T00:00:00Z";
  std::int64_t days = seconds_ / kSecondsPerDay;
  std::int64_t second_of_day = seconds_ % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --days;
  }
  const date::year_month_day ymd{date::sys_days(date::days(static_cast<int>(days)))};
  char buffer[40];
  char* p = put(buffer, static_cast<int>(ymd.year()), 4);
  *p++ = '-';
  p = put(p, static_cast<unsigned>(ymd.month()), 2);
  *p++ = '-';
  p = put(p, static_cast<unsigned>(ymd.day()), 2);
  *p++ = 'T';
  p = put(p, second_of_day / 3600, 2);
  *p++ = ':';
  p = put(p, second_of_day / 60 % 60, 2);
  *p++ = ':';
  p = put(p, second_of_day % 60, 2);
  *p++ = '.';
  p = nanos_ % 1000 == 0 ? put(p, nanos_ / 1000, 6) : put(p, nanos_, 9);
  *p++ = 'Z';
  return std::string(buffer, p);
}

}  // namespace chatkeep

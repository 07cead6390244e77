#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chatkeep {

// A point in UTC time with nanosecond precision, from year 1 to year 9999.
//
// Stream sends RFC 3339 times with up to nanoseconds and uses 0001-01-01T00:00:00Z for "never",
// which is outside the range of std::chrono::system_clock on 64-bit nanoseconds; so a Timestamp
// keeps whole seconds and nanoseconds apart. Invariant: 0 <= nanos < 1e9.
class Timestamp {
 public:
  // The Unix epoch.
  constexpr Timestamp() = default;

  // 0001-01-01T00:00:00Z, Stream's "never".
  static constexpr Timestamp never() { return Timestamp(-62135596800, 0); }
  static Timestamp now();
  static Timestamp from_unix_nanos(std::int64_t nanos);
  static Timestamp from_time_point(std::chrono::system_clock::time_point tp);

  // Parses RFC 3339 (`2021-08-11T10:42:44.222203145Z`, `...+02:00`); nullopt if it is not one or
  // its year is outside 1..9999.
  static std::optional<Timestamp> parse(std::string_view text);

  // RFC 3339 in UTC: six fractional digits, or nine when the time has sub-microsecond detail;
  // never() is written as Stream writes it, `0001-01-01T00:00:00Z`.
  std::string to_string() const;

  bool is_never() const { return *this == never(); }
  std::int64_t unix_seconds() const { return seconds_; }
  std::int32_t nanos() const { return nanos_; }
  // Microseconds since the epoch: an ordered integer key for storage (exact to the microsecond).
  std::int64_t unix_micros() const { return seconds_ * 1'000'000 + nanos_ / 1'000; }
  static Timestamp from_unix_micros(std::int64_t micros);
  // Clamped to the range of system_clock.
  std::chrono::system_clock::time_point time_point() const;

  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;

 private:
  constexpr Timestamp(std::int64_t seconds, std::int32_t nanos)
      : seconds_(seconds), nanos_(nanos) {}

  std::int64_t seconds_ = 0;  // since 1970-01-01T00:00:00Z; negative before it
  std::int32_t nanos_ = 0;
};

}  // namespace chatkeep

#pragma once

#include <functional>
#include <optional>
#include <string_view>

namespace chatkeep {

enum class LogLevel { trace, debug, info, warn, error, off };

// Receives each log line chatkeep writes at or above the configured level. It may be called from
// any of chatkeep's threads, so it must be thread-safe.
using LogSink = std::function<void(LogLevel level, std::string_view message)>;

// How a part of chatkeep logs. The default prints nothing. A level without a sink writes to stderr.
struct LogOptions {
  LogLevel level = LogLevel::off;
  LogSink sink;
};

std::string_view to_string(LogLevel level);
// "trace", "debug", "info", "warn", "error" or "off"; nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view name);

}  // namespace chatkeep

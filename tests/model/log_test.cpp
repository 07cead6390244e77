#include "log/logger.hpp"

#include <mutex>
#include <vector>

#include <gtest/gtest.h>

namespace chatkeep {
namespace {

struct Captured {
  std::mutex mutex;
  std::vector<std::pair<LogLevel, std::string>> lines;
  LogSink sink() {
    return [this](LogLevel level, std::string_view message) {
      std::lock_guard lock(mutex);
      lines.emplace_back(level, std::string(message));
    };
  }
};

TEST(Log, DefaultOptionsLogNothing) {
  auto logger = log::make_logger("store", {});
  EXPECT_FALSE(logger->should_log(spdlog::level::critical));
  EXPECT_TRUE(logger->sinks().empty());
}

TEST(Log, SinkReceivesLinesAtOrAboveTheLevel) {
  Captured captured;
  auto logger = log::make_logger("store", {.level = LogLevel::warn, .sink = captured.sink()});
  logger->info("quiet {}", 1);
  logger->warn("loud {}", 2);
  logger->error("louder");
  ASSERT_EQ(captured.lines.size(), 2u);
  EXPECT_EQ(captured.lines[0].first, LogLevel::warn);
  EXPECT_EQ(captured.lines[0].second, "[store] loud 2");
  EXPECT_EQ(captured.lines[1].first, LogLevel::error);
}

TEST(Log, SinkWithLevelOffGetsNothing) {
  Captured captured;
  auto logger = log::make_logger("net", {.level = LogLevel::off, .sink = captured.sink()});
  logger->error("dropped");
  EXPECT_TRUE(captured.lines.empty());
}

TEST(Log, LevelNames) {
  for (auto level : {LogLevel::trace, LogLevel::debug, LogLevel::info, LogLevel::warn,
                     LogLevel::error, LogLevel::off}) {
    EXPECT_EQ(parse_log_level(to_string(level)), level);
  }
  EXPECT_FALSE(parse_log_level("verbose"));
}

}  // namespace
}  // namespace chatkeep

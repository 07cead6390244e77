#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace chatkeep::bench {

// One line of the results. `ratio` is chatkeep's cost over the baseline's (time, bytes, rows or
// memory): below 1 means chatkeep does better. A row without a target only reports a figure.
struct Row {
  std::string name;
  std::string unit;
  double value = 0;
  std::optional<double> baseline;
  std::optional<double> ratio;
  std::string target;
  std::optional<bool> met;
};

struct Settings {
  bool quick = false;
  std::filesystem::path cache_dir;  // generated databases, kept between runs
  std::filesystem::path self;       // this program, re-run for the memory probe
  std::int64_t db_messages = 1'000'000;
  std::int64_t big_channel_messages = 100'000;
  std::int64_t ingest_events = 100'000;
  std::int64_t catchup_events = 10'000;
  std::int64_t outbox_writes = 2'000;
  std::int64_t background_writes = 20'000;
  std::int64_t amplification_events = 2'000;
  int repeats = 7;  // of the short read workloads, the median is reported

  static Settings full();
  static Settings small();
};

using Workload = std::function<std::vector<Row>(const Settings&)>;

struct NamedWorkload {
  std::string name;
  Workload run;
};

// The workloads of BENCHMARKS.md, in order.
std::vector<NamedWorkload> workloads();

// live_state_bench.cpp
std::vector<Row> live_state(const Settings& s);

// For the memory probe run in a fresh process: hydrates the first page once from the cached
// database ("chatkeep" or "raw") and returns the peak resident set in KiB.
long hydrate_peak_rss_kib(const Settings& settings, const std::string& which);

}  // namespace chatkeep::bench

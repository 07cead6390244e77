// chatkeep_bench: the persistence benchmarks of BENCHMARKS.md. Each workload measures chatkeep
// and a baseline in the same run and prints both with their ratio and the target.

#include <sys/utsname.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "workloads.hpp"

namespace {

using chatkeep::bench::Row;

std::string machine() {
  std::string cpu = "unknown CPU";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname name{};
  uname(&name);
  return fmt::format("{}, {} cores, {} {}", cpu, std::thread::hardware_concurrency(), name.sysname,
                     name.release);
}

std::string figure(double v) {
  if (v >= 1000) return fmt::format("{:.0f}", v);
  if (v >= 10) return fmt::format("{:.1f}", v);
  return fmt::format("{:.2f}", v);
}

void print_table(const std::vector<Row>& rows) {
  fmt::print("{:<44} {:>12} {:>12} {:>7}  {:<14} {:<26} {}\n", "workload", "chatkeep", "baseline",
             "ratio", "unit", "target", "met");
  for (const auto& r : rows) {
    fmt::print("{:<44} {:>12} {:>12} {:>7}  {:<14} {:<26} {}\n", r.name, figure(r.value),
               r.baseline ? figure(*r.baseline) : "-",
               r.ratio ? fmt::format("{:.2f}", *r.ratio) : "-", r.unit, r.target,
               r.met ? (*r.met ? "yes" : "NO") : "-");
  }
}

void write_json(const std::string& path, const std::vector<Row>& rows, bool quick) {
  boost::json::array workloads;
  for (const auto& r : rows) {
    boost::json::object w{
        {"name", r.name}, {"unit", r.unit}, {"value", r.value}, {"target", r.target}};
    w["baseline"] = r.baseline ? boost::json::value(*r.baseline) : nullptr;
    w["ratio"] = r.ratio ? boost::json::value(*r.ratio) : nullptr;
    w["met"] = r.met ? boost::json::value(*r.met) : nullptr;
    workloads.push_back(std::move(w));
  }
  boost::json::object out{{"machine", machine()}, {"quick", quick}, {"workloads", workloads}};
  std::ofstream(path) << boost::json::serialize(out) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"chatkeep persistence benchmarks"};
  bool quick = false;
  std::string json_path, cache_dir = "bench-data", probe;
  std::vector<std::string> only;
  int repeats = 0;
  app.add_flag("--quick", quick, "small sizes, well under a minute");
  app.add_option("--json", json_path, "also write the results as JSON to this file");
  app.add_option("--cache-dir", cache_dir, "where generated databases are kept between runs");
  app.add_option("--only", only, "run only these workloads (by name)");
  app.add_option("--repeats", repeats,
                 "samples of the read workloads (more for a profile under perf)");
  app.add_option("--probe-rss", probe, "internal: hydrate once and print peak RSS in KiB")
      ->group("");
  CLI11_PARSE(app, argc, argv);

  auto settings = quick ? chatkeep::bench::Settings::small() : chatkeep::bench::Settings::full();
  settings.cache_dir = cache_dir;
  if (repeats > 0) settings.repeats = repeats;
  // Re-run through /proc/<pid>/exe: it still works if the binary is replaced meanwhile.
  settings.self = fmt::format("/proc/{}/exe", getpid());
  try {
    if (!probe.empty()) {
      std::cout << chatkeep::bench::hydrate_peak_rss_kib(settings, probe) << "\n";
      return 0;
    }
    std::vector<Row> rows;
    bool all_measured = true;
    for (const auto& workload : chatkeep::bench::workloads()) {
      if (!only.empty() && std::find(only.begin(), only.end(), workload.name) == only.end()) {
        continue;
      }
      std::cerr << "running " << workload.name << "...\n";
      auto result = workload.run(settings);
      // A workload that produced no figure is a failure, whatever the figure would have been.
      for (const auto& row : result)
        all_measured = all_measured && std::isfinite(row.value) && row.value > 0;
      all_measured = all_measured && !result.empty();
      rows.insert(rows.end(), result.begin(), result.end());
    }
    fmt::print("chatkeep benchmarks ({}) on {}\n\n", quick ? "quick sizes" : "full sizes",
               machine());
    print_table(rows);
    if (!json_path.empty()) write_json(json_path, rows, quick);
    if (!all_measured) {
      std::cerr << "chatkeep_bench: a workload produced no figure\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "chatkeep_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

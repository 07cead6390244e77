#pragma once

// The chatkeep program for its tests: run to the end, or `chatkeep serve` kept running.

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace chatkeep::testing {

struct Outcome {
  int status = -1;
  std::vector<std::string> lines;  // stdout and stderr
};

// Runs the program with `args` (a shell word list), to the end.
inline Outcome chatkeep(const std::string& args) {
  cli::ChildProcess process({"/bin/sh", "-c", std::string(CHATKEEP_CLI) + " " + args + " 2>&1"});
  Outcome outcome;
  try {
    for (;;)
      outcome.lines.push_back(process.receive(std::chrono::seconds(30)));
  } catch (const std::runtime_error&) {
    // the output ended
  }
  outcome.status = process.wait();
  return outcome;
}

// `chatkeep serve` as a child process on `port` (0: any), its data in `db`, API key "k" and secret
// "s"; returns the port.
inline std::uint16_t serve(std::unique_ptr<cli::ChildProcess>& server, const std::string& db,
                           std::uint16_t port = 0) {
  server = std::make_unique<cli::ChildProcess>(
      std::vector<std::string>{CHATKEEP_CLI, "serve", "--port", std::to_string(port), "--api-key",
                               "k", "--api-secret", "s", "--db", db, "--log-level", "off"});
  const std::string line = server->receive(std::chrono::seconds(30));  // "... on host:port"
  return static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
}

}  // namespace chatkeep::testing

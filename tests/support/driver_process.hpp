#pragma once

// A crash test's child process: forked and exec'd with its stdout on a pipe, read line by line,
// and killed with SIGKILL whenever the test decides.

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace chatkeep::testing {

class DriverProcess {
 public:
  explicit DriverProcess(std::vector<std::string> argv) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execv(args[0], args.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fds[0];
  }
  ~DriverProcess() {
    if (pid_ > 0) kill_now();
    close(out_);
  }
  DriverProcess(const DriverProcess&) = delete;
  DriverProcess& operator=(const DriverProcess&) = delete;

  // The next line, or "" when the driver ended or said nothing for `limit`.
  std::string line(std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    for (;;) {
      if (auto eol = buffer_.find('\n'); eol != std::string::npos) {
        std::string l = buffer_.substr(0, eol);
        buffer_.erase(0, eol + 1);
        return l;
      }
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(limit.count())) <= 0) return "";
      char chunk[256];
      const auto n = read(out_, chunk, sizeof chunk);
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  void kill_now() {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int wait_exit() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

// The crash tests' child (tests/client/outbox_driver.cpp) and its script.
struct DriverScript {
  std::string binary;
  std::uint16_t port = 0;
  std::string dir;
  std::uint32_t seed = 0;
  std::size_t length = 0;
  bool uploads = false;  // an UploadScript, not an OutboxScript
};

// A run of the driver from action `from` on; `online`: until its outbox is empty.
inline DriverProcess start_driver(const DriverScript& script, std::size_t from, bool online) {
  std::vector<std::string> argv = {script.binary,
                                   "--port",
                                   std::to_string(script.port),
                                   "--dir",
                                   script.dir,
                                   "--seed",
                                   std::to_string(script.seed),
                                   "--length",
                                   std::to_string(script.length),
                                   "--from",
                                   std::to_string(from)};
  if (script.uploads) argv.push_back("--uploads");
  if (online) argv.push_back("--online");
  return DriverProcess(std::move(argv));
}

struct Killed {
  std::size_t acked = 0;  // actions acknowledged, all in order
  int kills = 0;
};

// Runs the driver again and again, each run from the first action not acknowledged: lets it
// acknowledge fewer than `max_acks` actions, waits less than `max_pause`, and kills it, until
// `enough(killed)`. Acknowledgements must come in order; a run that ends before its script is done
// fails the test.
template <class Enough>
Killed kill_repeatedly(const DriverScript& script, std::mt19937& random, std::size_t max_acks,
                       std::chrono::microseconds max_pause, Enough enough) {
  using namespace std::chrono_literals;
  Killed k;
  while (!enough(k)) {
    DriverProcess run = start_driver(script, k.acked, false);
    for (std::size_t target = random() % max_acks, seen = 0; seen < target; ++seen) {
      const std::string l = run.line();
      if (l.rfind("ack ", 0) != 0) {
        if (l != "done") {
          ADD_FAILURE() << "the driver ended early: '" << l << "'";
          return k;
        }
        break;
      }
      EXPECT_EQ(std::stoul(l.substr(4)), k.acked) << "acknowledged out of order";
      ++k.acked;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(
        random() % static_cast<std::uint64_t>(std::max<std::int64_t>(max_pause.count(), 1))));
    run.kill_now();
    ++k.kills;
    // Whatever it acknowledged in the moment before the kill counts too.
    for (std::string l = run.line(0ms); !l.empty(); l = run.line(0ms)) {
      if (l.rfind("ack ", 0) == 0) k.acked = std::stoul(l.substr(4)) + 1;
    }
  }
  return k;
}

}  // namespace chatkeep::testing

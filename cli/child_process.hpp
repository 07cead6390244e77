#pragma once

// A child process talked to by lines: the demo's app, which it starts, kills and starts again.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace chatkeep::cli {

class ChildProcess {
 public:
  // Starts argv[0] with these arguments, its stdin and stdout piped to this process.
  explicit ChildProcess(const std::vector<std::string>& argv);
  ~ChildProcess();  // kills it if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void send(const std::string& line);
  // The next line it writes, without the newline; throws if none comes within `timeout` or its
  // output ends.
  std::string receive(std::chrono::milliseconds timeout);
  // SIGKILL, then reaps it.
  void kill();
  // Waits for it to end; its exit status (128 + signal if killed).
  int wait();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buffer_;
};

}  // namespace chatkeep::cli

#pragma once

// A terminal for a test to type into and read, as a person would: a detached tmux session running
// one command, on a tmux server of the test's own (its own socket, killed at the end).

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

namespace chatkeep::testing {

class Terminal {
 public:
  // Starts `command` (a shell command line) in a `columns` x `rows` terminal.
  Terminal(const std::string& name, const std::string& command, int columns = 100, int rows = 24)
      : tmux_("tmux -L chatkeep-test-" + std::to_string(::getpid()) + "-" + name), session_(name) {
    run(tmux_ + " new-session -d -s " + session_ + " -x " + std::to_string(columns) + " -y " +
        std::to_string(rows) + " " + quote(command + "; sleep 1"));
  }
  ~Terminal() { std::system((tmux_ + " kill-server 2>/dev/null").c_str()); }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  // Types `text` and presses Enter.
  void type(const std::string& text) {
    keys(text);
    press("Enter");
  }
  // Types `text` only.
  void keys(const std::string& text) {
    run(tmux_ + " send-keys -t " + session_ + " -l " + quote(text));
  }
  // Presses a key by its tmux name ("Tab", "Enter").
  void press(const std::string& key) { run(tmux_ + " send-keys -t " + session_ + " " + key); }

  // What the screen shows now, one line per row.
  std::string screen() const { return output(tmux_ + " capture-pane -p -t " + session_); }

  // Waits until the screen satisfies `test`; the last screen seen either way.
  std::string wait_for(const std::function<bool(const std::string&)>& test,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last = screen();
    while (!test(last) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      last = screen();
    }
    return last;
  }
  std::string wait_for(const std::string& text) const {
    return wait_for([&](const std::string& s) { return s.find(text) != std::string::npos; });
  }

  // Whether the command is still running (the session ends a second after it does).
  bool running() const {
    return std::system((tmux_ + " has-session -t " + session_ + " 2>/dev/null").c_str()) == 0;
  }

 private:
  static std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s)
      q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  }
  static void run(const std::string& command) {
    if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
  }
  static std::string output(const std::string& command) {
    std::string out;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
      char buffer[4096];
      std::size_t n = 0;
      while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
        out.append(buffer, n);
      ::pclose(pipe);
    }
    return out;
  }

  std::string tmux_;
  std::string session_;
};

}  // namespace chatkeep::testing

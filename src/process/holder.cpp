#include "process/holder.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include <fmt/format.h>

namespace chatkeep::process {

std::string new_holder_id() {
  return fmt::format("{}:{:016x}", ::getpid(), std::random_device{}() * 0x9E3779B97F4A7C15ull);
}

bool holder_alive(std::string_view holder) {
  const auto colon = holder.find(':');
  if (colon == std::string_view::npos || colon == 0) return true;
  long pid = 0;
  for (char c : holder.substr(0, colon)) {
    if (c < '0' || c > '9') return true;
    pid = pid * 10 + (c - '0');
    if (pid > 1'000'000'000) return true;
  }
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace chatkeep::process

#pragma once

// chatkeep-server's command line, shared by the chatkeep-server program and `chatkeep serve`.

#include <CLI/CLI.hpp>

#include "server.hpp"

namespace chatkeep::server {

struct ServeCommand {
  ServerOptions options;
  std::string log_level = "info";
  bool no_chaos = false;
};

// Adds chatkeep-server's flags to `app`, bound to `command`.
void add_serve_flags(CLI::App& app, ServeCommand& command);

// Serves until SIGINT or SIGTERM, first printing the address it listens on (the first line of
// output, for scripts that ask for port 0). Returns the exit status; errors go to stderr under
// the name `program`.
int serve(ServeCommand& command, const char* program);

}  // namespace chatkeep::server

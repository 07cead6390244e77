// chatkeep-server: the reference backend, as a program. Serves until SIGINT or SIGTERM.

#include "command.hpp"

int main(int argc, char** argv) {
  chatkeep::server::ServeCommand command;
  CLI::App app{"chatkeep-server: a Stream Chat compatible backend for development and tests"};
  chatkeep::server::add_serve_flags(app, command);
  CLI11_PARSE(app, argc, argv);
  return chatkeep::server::serve(command, "chatkeep-server");
}

// `chatkeep serve`: chatkeep-server, with the same flags.

#include "command.hpp"
#include "commands.hpp"

namespace chatkeep::cli {

void add_serve(CLI::App& app, int& status) {
  auto command = std::make_shared<server::ServeCommand>();
  CLI::App* sub = app.add_subcommand("serve", "run chatkeep-server (the same flags)");
  server::add_serve_flags(*sub, *command);
  sub->callback([command, &status] { status = server::serve(*command, "chatkeep serve"); });
}

}  // namespace chatkeep::cli

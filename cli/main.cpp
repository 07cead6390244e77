// chatkeep: the command-line program (agent, chat, demo, inspect, query, search, send, serve, sync,
// token).

#include <iostream>

#include "chatkeep/error.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"chatkeep: an offline-first chat client engine, from the command line"};
  app.set_version_flag("--version", std::string("chatkeep ") + CHATKEEP_VERSION);
  app.require_subcommand(1);
  // Errors are one line.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("chatkeep: ") + e.what() + " (see --help)\n";
  });
  int status = 0;
  chatkeep::cli::add_agent(app, status);
  chatkeep::cli::add_chat(app, status);
  chatkeep::cli::add_demo(app, status);
  chatkeep::cli::add_demo_app(app, status);
  chatkeep::cli::add_inspect(app, status);
  chatkeep::cli::add_query(app, status);
  chatkeep::cli::add_search(app, status);
  chatkeep::cli::add_send(app, status);
  chatkeep::cli::add_serve(app, status);
  chatkeep::cli::add_sync(app, status);
  chatkeep::cli::add_token(app, status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const chatkeep::ChatError& e) {
    std::cerr << "chatkeep: " << e.message() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "chatkeep: " << e.what() << "\n";
    return 1;
  }
  return status;
}

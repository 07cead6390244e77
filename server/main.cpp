// chatkeep-server: the reference backend, as a program. Serves until SIGINT or SIGTERM.

#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "chatkeep/error.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
  chatkeep::server::ServerOptions options;
  std::string log_level = "info";
  CLI::App app{"chatkeep-server: a Stream Chat compatible backend for development and tests"};
  app.add_option("--host", options.host, "address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "port (0: any free port)")->capture_default_str();
  app.add_option("--api-key", options.api_key, "the app's API key")->required();
  app.add_option("--api-secret", options.api_secret, "the secret tokens are signed with")
      ->required();
  app.add_option("--db", options.db, "SQLite file for the server's data (:memory: for none)")
      ->capture_default_str();
  app.add_flag("--allow-dev-tokens", options.allow_dev_tokens, "accept development tokens");
  bool no_chaos = false;
  app.add_flag("--no-chaos", no_chaos, "disable fault injection (/_chaos)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.chaos = !no_chaos;
  auto level = chatkeep::parse_log_level(log_level);
  if (!level) {
    std::cerr << "chatkeep-server: unknown log level '" << log_level << "'\n";
    return 2;
  }
  options.log.level = *level;

  try {
    chatkeep::server::Server server(options);
    const auto port = server.start();
    // The first line of output names the port, for scripts that ask for port 0.
    std::cout << "chatkeep-server listening on " << options.host << ":" << port << std::endl;
    boost::asio::io_context signals_io;
    boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { server.stop(); });
    signals_io.run();
  } catch (const std::exception& e) {
    std::cerr << "chatkeep-server: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

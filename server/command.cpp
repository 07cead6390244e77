#include "command.hpp"

#include <csignal>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "chatkeep/error.hpp"

namespace chatkeep::server {

void add_serve_flags(CLI::App& app, ServeCommand& command) {
  ServerOptions& options = command.options;
  app.add_option("--host", options.host, "address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "port (0: any free port)")->capture_default_str();
  app.add_option("--api-key", options.api_key, "the app's API key")->required();
  app.add_option("--api-secret", options.api_secret, "the secret tokens are signed with")
      ->required();
  app.add_option("--db", options.db, "SQLite file for the server's data (:memory: for none)")
      ->capture_default_str();
  app.add_option("--files-dir", options.files_directory,
                 "where uploaded files are kept (default: beside --db, or temporary for :memory:)");
  app.add_option("--public-url", options.public_url,
                 "what upload URLs start with, as clients reach the server (default: "
                 "http://HOST:PORT)");
  app.add_option("--max-upload-bytes", options.max_upload_bytes, "the largest file accepted")
      ->capture_default_str();
  app.add_flag("--allow-dev-tokens", options.allow_dev_tokens, "accept development tokens");
  app.add_flag("--no-chaos", command.no_chaos, "disable fault injection (/_chaos)");
  app.add_option("--log-level", command.log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
}

int serve(ServeCommand& command, const char* program) {
  ServerOptions options = command.options;
  options.chaos = !command.no_chaos;
  auto level = parse_log_level(command.log_level);
  if (!level) {
    std::cerr << program << ": unknown log level '" << command.log_level << "'\n";
    return 2;
  }
  options.log.level = *level;
  try {
    Server server(options);
    const auto port = server.start();
    std::cout << "chatkeep-server listening on " << options.host << ":" << port << std::endl;
    boost::asio::io_context signals_io;
    boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { server.stop(); });
    signals_io.run();
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace chatkeep::server

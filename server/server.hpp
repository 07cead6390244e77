#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "chatkeep/log.hpp"

namespace chatkeep::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port
  std::string api_key;
  std::string api_secret;
  std::string db = ":memory:";  // the server's SQLite file
  bool allow_dev_tokens = false;
  bool chaos = true;                              // fault injection under /_chaos (a later slice)
  std::size_t max_body_bytes = 1 << 20;           // larger bodies: HTTP 413, code 22
  std::uint64_t max_upload_bytes = 100ull << 20;  // per uploaded file (Stream's limit)
  // Where uploaded files are kept; empty: beside `db` (its name + ".files"), or for ":memory:" a
  // private temporary directory removed when the server stops.
  std::string files_directory;
  // What upload URLs start with ("https://chat.example.com"); empty: http://host:port as bound.
  std::string public_url;
  std::chrono::milliseconds request_timeout{10'000};  // a request must arrive whole by then
  // A socket whose unsent frames pass this (its client reads too slowly, or not at all) is
  // dropped; its client reconnects and catches up through /sync.
  std::size_t max_socket_backlog_bytes = 4 << 20;
  LogOptions log;
};

// chatkeep-server: a reference backend speaking the Stream Chat protocol (protocol.md), run by
// the chatkeep-server program or in-process by tests. It serves on one thread of its own.
class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving; returns the port bound.
  std::uint16_t start();
  // Closes the listener and every connection, then returns. Harmless when not started.
  void stop();
  std::uint16_t port() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace chatkeep::server

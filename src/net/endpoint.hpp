#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>

namespace chatkeep::net {

// Where a base URL points: http or https (ws or wss for sockets), host and port.
struct Endpoint {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string base_path;  // without a trailing '/'
  // Where connections go, when not to host:port (ClientOptions::connect_to). The Host header,
  // SNI and certificate checks still name `host`.
  std::string connect_host;
  std::uint16_t connect_port = 0;

  // The Host header (RFC 7230 5.4): the host, an IPv6 address in brackets, and the port
  // unless it is the scheme's default; for HTTP and the WebSocket handshake alike.
  std::string host_header() const;

  // "https://chat.example.com", "http://127.0.0.1:3030/api", and `connect_to` "host:port" or
  // empty; ChatError (code 4) otherwise.
  static Endpoint parse(std::string_view base_url, std::string_view connect_to = {});
};

// A TLS client context that verifies the peer's certificate chain against the system's trust
// store, and also against `extra_ca_file` (PEM) when given.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& extra_ca_file = "");

}  // namespace chatkeep::net

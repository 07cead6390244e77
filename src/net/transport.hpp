#pragma once

// Opening a TCP or TLS stream to an endpoint, for the HTTP client and the WebSocket alike. The
// two stream types are template parameters of what runs over them.

#include <functional>
#include <memory>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "net/endpoint.hpp"

namespace chatkeep::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

inline beast::tcp_stream& tcp_layer(PlainStream& stream) {
  return stream;
}
inline beast::tcp_stream& tcp_layer(TlsStream& stream) {
  return beast::get_lowest_layer(stream);
}

// Resolves, connects (with `timeout` for each step), disables Nagle, and for TLS sets SNI and
// host name verification and completes the handshake. `done` gets the error, if any. The
// handlers share ownership of the stream, so its owner may drop it (after closing its socket)
// while they are pending.
template <class Stream>
void open_stream(std::shared_ptr<Stream> stream, tcp::resolver& resolver, Endpoint endpoint,
                 std::chrono::milliseconds timeout, std::function<void(beast::error_code)> done) {
  tcp_layer(*stream).expires_after(timeout);
  const bool elsewhere = !endpoint.connect_host.empty();
  const std::string host = elsewhere ? endpoint.connect_host : endpoint.host;
  const std::string port = std::to_string(elsewhere ? endpoint.connect_port : endpoint.port);
  resolver.async_resolve(
      host, port,
      [stream, endpoint = std::move(endpoint), timeout, done = std::move(done)](
          beast::error_code ec, const tcp::resolver::results_type& results) mutable {
        if (ec) return done(ec);
        tcp_layer(*stream).async_connect(
            results, [stream, endpoint = std::move(endpoint), timeout, done = std::move(done)](
                         beast::error_code ec2, const tcp::endpoint&) mutable {
              if (ec2) return done(ec2);
              beast::error_code ignored;
              tcp_layer(*stream).socket().set_option(tcp::no_delay(true), ignored);
              if constexpr (std::is_same_v<Stream, TlsStream>) {
                // SNI names hosts, never addresses (RFC 6066).
                beast::error_code not_an_address;
                (void)asio::ip::make_address(endpoint.host, not_an_address);
                if (not_an_address &&
                    SSL_ctrl(stream->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                             TLSEXT_NAMETYPE_host_name,
                             const_cast<char*>(endpoint.host.c_str())) != 1) {
                  return done(beast::error_code(static_cast<int>(::ERR_get_error()),
                                                asio::error::get_ssl_category()));
                }
                stream->set_verify_callback(ssl::host_name_verification(endpoint.host));
                tcp_layer(*stream).expires_after(timeout);
                stream->async_handshake(
                    ssl::stream_base::client,
                    [stream, done = std::move(done)](beast::error_code ec3) { done(ec3); });
              } else {
                (void)timeout;
                done({});
              }
            });
      });
}

}  // namespace chatkeep::net

#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/system/error_code.hpp>

#include "net/endpoint.hpp"

namespace chatkeep::net {

struct HttpResult {
  boost::system::error_code error;  // the transport failed (resolve, connect, TLS, timeout)
  unsigned status = 0;
  std::string body;
  std::string date;  // the Date header, the server's time of the answer (RFC 7231), if any
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// HTTP/1.1 to one endpoint over a pool of at most `max_connections` kept-alive connections (TLS
// for https, verified with `tls`), each opened when a request finds none idle and again after it
// drops. A connection carries one exchange at a time; requests wait in the order given for a
// free one, so with more than one connection they may be answered in any order (a caller that
// needs an order waits for each answer). Each request has `timeout` for connecting and for its
// exchange. Callbacks run on `executor`. Knows nothing of chat.
class HttpClient {
 public:
  HttpClient(boost::asio::any_io_executor executor, Endpoint endpoint,
             std::shared_ptr<boost::asio::ssl::context> tls, std::chrono::milliseconds timeout,
             std::size_t max_connections = 4);
  ~HttpClient();  // closes; queued requests fail with operation_aborted
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `target` is the path and query, below the endpoint's base path. Callable from any thread.
  void send(boost::beast::http::verb method, std::string target, Headers headers, std::string body,
            std::function<void(HttpResult)> done);
  // Fails queued requests with operation_aborted and drops the connection.
  void close();

  // Where and how it connects, for a connection of another kind to the same server (an upload,
  // http_upload.hpp).
  const Endpoint& endpoint() const;
  const std::shared_ptr<boost::asio::ssl::context>& tls() const;
  std::chrono::milliseconds timeout() const;
  boost::asio::any_io_executor executor() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace chatkeep::net

#pragma once

#include <chrono>
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
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// HTTP/1.1 to one endpoint over a kept-alive connection (TLS for https, verified with `tls`),
// opened when needed and again after it drops. Requests go out one at a time in the order
// given; each has `timeout` for connecting and for its exchange. Callbacks run on `executor`.
// Knows nothing of chat.
class HttpClient {
 public:
  HttpClient(boost::asio::any_io_executor executor, Endpoint endpoint,
             std::shared_ptr<boost::asio::ssl::context> tls, std::chrono::milliseconds timeout);
  ~HttpClient();  // closes; queued requests fail with operation_aborted
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `target` is the path and query, below the endpoint's base path. Callable from any thread.
  void send(boost::beast::http::verb method, std::string target, Headers headers, std::string body,
            std::function<void(HttpResult)> done);
  // Fails queued requests with operation_aborted and drops the connection.
  void close();

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace chatkeep::net

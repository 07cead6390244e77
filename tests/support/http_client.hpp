#pragma once

// A plain blocking HTTP/1.1 client for tests against a server on loopback: real sockets, no
// chatkeep code.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

namespace chatkeep::testing {

struct HttpResponse {
  unsigned status = 0;
  std::string text;
  boost::json::value json;  // null when the body is not JSON
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port);  // connected to 127.0.0.1:port
  ~HttpClient();

  HttpResponse send(boost::beast::http::verb method, const std::string& target,
                    const std::string& body = "",
                    const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Writes raw bytes, for requests no well-behaved client would send.
  void write_raw(const std::string& bytes);
  HttpResponse receive();
  // True when the server has closed the connection (reads end).
  bool closed_by_server();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chatkeep::testing

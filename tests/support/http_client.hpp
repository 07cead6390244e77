#pragma once

// A plain HTTP/1.1 client for tests against a server on loopback: real sockets, no chatkeep code.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace chatkeep::testing {

struct HttpResponse {
  unsigned status = 0;
  std::string text;
  boost::json::value json;  // null when the body is not JSON
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) : stream_(io_) {
    stream_.connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  }

  HttpResponse send(boost::beast::http::verb method, const std::string& target,
                    const std::string& body = "",
                    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    namespace http = boost::beast::http;
    http::request<http::string_body> request{method, target, 11};
    request.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers)
      request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    http::write(stream_, request);
    return receive();
  }

  // Writes raw bytes, for requests no well-behaved client would send.
  void write_raw(const std::string& bytes) {
    boost::asio::write(stream_.socket(), boost::asio::buffer(bytes));
  }

  HttpResponse receive() {
    namespace http = boost::beast::http;
    http::response<http::string_body> response;
    http::read(stream_, buffer_, response);
    HttpResponse out{response.result_int(), response.body(), nullptr};
    boost::system::error_code ec;
    out.json = boost::json::parse(out.text, ec);
    return out;
  }

  // True when the server has closed the connection (reads end).
  bool closed_by_server() {
    char byte;
    boost::system::error_code ec;
    stream_.socket().read_some(boost::asio::buffer(&byte, 1), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

 private:
  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace chatkeep::testing

#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

namespace chatkeep::testing {

namespace http = boost::beast::http;

struct HttpClient::Impl {
  boost::asio::io_context io;
  boost::beast::tcp_stream stream{io};
  boost::beast::flat_buffer buffer;
};

HttpClient::HttpClient(std::uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->stream.connect(
      boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(http::verb method, const std::string& target, const std::string& body,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers)
    request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  http::write(impl_->stream, request);
  return receive();
}

void HttpClient::write_raw(const std::string& bytes) {
  boost::asio::write(impl_->stream.socket(), boost::asio::buffer(bytes));
}

HttpResponse HttpClient::receive() {
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);  // downloads of large files too
  http::read(impl_->stream, impl_->buffer, parser);
  http::response<http::string_body> response = parser.release();
  HttpResponse out{response.result_int(), response.body(), nullptr};
  boost::system::error_code ec;
  out.json = boost::json::parse(out.text, ec);
  return out;
}

bool HttpClient::closed_by_server() {
  char byte;
  boost::system::error_code ec;
  impl_->stream.socket().read_some(boost::asio::buffer(&byte, 1), ec);
  return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
}

}  // namespace chatkeep::testing

#include "support/holding_server.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast.hpp>

namespace chatkeep::testing {

class HoldingServer::Impl {
 public:
  explicit Impl(std::size_t wanted) : wanted_(wanted) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Impl() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::size_t accepted() const { return accepted_; }

 private:
  struct Held {
    std::shared_ptr<boost::beast::tcp_stream> stream;
    std::shared_ptr<boost::beast::flat_buffer> buffer;
    std::shared_ptr<boost::beast::http::request<boost::beast::http::string_body>> request;
  };

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      ++accepted_;
      read(std::make_shared<boost::beast::tcp_stream>(std::move(socket)),
           std::make_shared<boost::beast::flat_buffer>());
      accept();
    });
  }

  void read(std::shared_ptr<boost::beast::tcp_stream> stream,
            std::shared_ptr<boost::beast::flat_buffer> buffer) {
    auto request = std::make_shared<boost::beast::http::request<boost::beast::http::string_body>>();
    boost::beast::http::async_read(
        *stream, *buffer, *request,
        [this, stream, buffer, request](boost::system::error_code ec, std::size_t) {
          if (ec) return;
          held_.push_back({stream, buffer, request});
          if (held_.size() == wanted_) release();
        });
  }

  void release() {
    namespace http = boost::beast::http;
    for (auto& [stream, buffer, request] : held_) {
      auto response = std::make_shared<http::response<http::string_body>>(http::status::ok, 11);
      response->body() = std::string(request->target());
      response->keep_alive(true);
      response->prepare_payload();
      http::async_write(
          *stream, *response,
          [this, stream, buffer, response](boost::system::error_code ec, std::size_t) {
            if (!ec) read(stream, buffer);
          });
    }
    held_.clear();
  }

  using tcp = boost::asio::ip::tcp;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_{io_, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  std::size_t wanted_;
  std::atomic<std::size_t> accepted_{0};
  std::vector<Held> held_;
  std::thread thread_;
};

HoldingServer::HoldingServer(std::size_t wanted) : impl_(std::make_unique<Impl>(wanted)) {}
HoldingServer::~HoldingServer() = default;
std::uint16_t HoldingServer::port() const {
  return impl_->port();
}
std::size_t HoldingServer::accepted() const {
  return impl_->accepted();
}

}  // namespace chatkeep::testing

#include <optional>

#include <fmt/format.h>

#include "server_impl.hpp"

namespace chatkeep::server {
namespace {

namespace websocket = beast::websocket;

// One connection: requests read one at a time, each with a deadline and a body limit.
class Session final : public Connection, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {}

  void read() {
    parser_.emplace();
    parser_->body_limit(server_.options().max_body_bytes);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(server_.options().request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

 private:
  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      reply_and_close(ChatError(
          ErrorCode::payload_too_big,
          fmt::format("request body over the limit of {} bytes", server_.options().max_body_bytes),
          413));
      return;
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      close();  // gone, or too slow: drop it
      return;
    }
    if (ec) {
      reply_and_close(ChatError(ErrorCode::input, "malformed HTTP request: " + ec.message(), 400));
      return;
    }
    auto request = parser_->release();
    if (websocket::is_upgrade(request) && request.target().starts_with("/connect")) {
      open_event_socket(std::move(stream_), std::move(request), server_);
      return;  // the socket has the connection now
    }
    std::function<void()> then;
    auto response = server_.handle(request, then);
    const bool close_after = !request.keep_alive();
    if (server_.latency().count() > 0) {
      // Injected latency: the answer waits before it goes out.
      timer_.expires_after(server_.latency());
      timer_.async_wait([self = shared_from_this(), response = std::move(response), close_after,
                         then = std::move(then)](beast::error_code) mutable {
        self->write(std::move(response), close_after, std::move(then));
      });
      return;
    }
    write(std::move(response), close_after, std::move(then));
  }

  void reply_and_close(const ChatError& error) { write(server_.handle_error(error), true); }

  void write(http::response<http::string_body> response, bool then_close,
             std::function<void()> then = {}) {
    auto held = std::make_shared<http::response<http::string_body>>(std::move(response));
    stream_.expires_after(server_.options().request_timeout);
    http::async_write(stream_, *held,
                      [self = shared_from_this(), held, then_close, then = std::move(then)](
                          beast::error_code ec, std::size_t) {
                        if (then) then();
                        if (ec || then_close) {
                          self->close();
                        } else {
                          self->read();
                        }
                      });
  }

  void close() override {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  asio::steady_timer timer_{stream_.get_executor()};
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Server::Impl& server_;
};

}  // namespace

void serve_http(tcp::socket socket, Server::Impl& server) {
  // Answers and events are small and should leave at once, not wait for more to send (Nagle).
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto session = std::make_shared<Session>(std::move(socket), server);
  server.track(session);
  session->read();
}

}  // namespace chatkeep::server

#include <algorithm>
#include <array>
#include <optional>

#include <fmt/format.h>

#include "server_impl.hpp"

namespace chatkeep::server {
namespace {

namespace websocket = beast::websocket;

// What multipart may wrap around an uploaded file (boundaries, part headers, a `user` part).
constexpr std::uint64_t kMultipartOverhead = 64 * 1024;

// One connection: requests read one at a time, each with a deadline and a body limit. The
// header comes first; an upload's body is then read piece by piece into an UploadReceiver (its
// deadline renewed with each piece, so a large file on a slow link gets there), any other body
// whole.
class Session final : public Connection, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {}

  void read() {
    header_.emplace();
    header_->header_limit(16 * 1024);
    header_->body_limit(boost::none);  // the body's limit is known once the header is (on_header)
    stream_.expires_after(server_.options().request_timeout);
    http::async_read_header(stream_, buffer_, *header_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

 private:
  // A failure to read: too large, gone, too slow, or not HTTP. True when the connection ends.
  bool read_failed(beast::error_code ec) {
    if (!ec) return false;
    if (ec == http::error::body_limit) {
      reply_and_close(ChatError(ErrorCode::payload_too_big, "request body over the limit", 413));
    } else if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
               ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
               ec == asio::error::eof) {
      close();  // gone, or too slow: drop it
    } else {
      reply_and_close(ChatError(ErrorCode::input, "malformed HTTP request: " + ec.message(), 400));
    }
    return true;
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (read_failed(ec)) return;
    http::request<http::string_body> header(header_->get().base());
    auto route = server_.upload_route_of(header);
    // The parser checks a declared length against its limit when the header arrives, which was
    // before the limit for this body was known: checked here instead (chunked bodies are
    // checked as they come).
    const std::uint64_t limit = route ? server_.options().max_upload_bytes + kMultipartOverhead
                                      : server_.options().max_body_bytes;
    if (header_->content_length() && *header_->content_length() > limit) {
      reply_and_close(ChatError(ErrorCode::payload_too_big,
                                fmt::format("request body over the limit of {} bytes", limit),
                                413));
      return;
    }
    if (route) {
      try {
        upload_ = server_.begin_upload(header, std::move(*route));
      } catch (const ChatError& e) {
        // Refused before a byte of the body was read: the connection cannot be reused.
        reply_and_close(with_status(e));
        return;
      }
      const bool expects_continue = beast::iequals(header[http::field::expect], "100-continue");
      upload_header_ = std::move(header);
      upload_parser_.emplace(std::move(*header_));
      upload_parser_->body_limit(limit);
      if (!expects_continue) return read_upload();
      // The client waits for this before it sends the body (RFC 9110, 10.1.1).
      auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      stream_.expires_after(server_.options().request_timeout);
      http::async_write(stream_, *go_on,
                        [self = shared_from_this(), go_on](beast::error_code written, std::size_t) {
                          if (written) return self->close();
                          self->read_upload();
                        });
      return;
    }
    parser_.emplace(std::move(*header_));
    parser_->body_limit(limit);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      reply_and_close(ChatError(
          ErrorCode::payload_too_big,
          fmt::format("request body over the limit of {} bytes", server_.options().max_body_bytes),
          413));
      return;
    }
    if (read_failed(ec)) return;
    auto request = parser_->release();
    if (websocket::is_upgrade(request) && request.target().starts_with("/connect")) {
      open_event_socket(std::move(stream_), std::move(request), server_);
      return;  // the socket has the connection now
    }
    std::function<void()> then;
    auto response = server_.handle(request, then, this);
    answer(std::move(response), !request.keep_alive(), std::move(then));
  }

  void read_upload() {
    auto& body = upload_parser_->get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    stream_.expires_after(server_.options().request_timeout);
    http::async_read_some(stream_, buffer_, *upload_parser_,
                          beast::bind_front_handler(&Session::on_upload, shared_from_this()));
  }

  void on_upload(beast::error_code ec, std::size_t) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::body_limit) {
      reply_and_close(ChatError(
          ErrorCode::payload_too_big,
          fmt::format("file over the limit of {} bytes", server_.options().max_upload_bytes), 413));
      return;
    }
    if (read_failed(ec)) {
      upload_.reset();  // its temporary file goes
      return;
    }
    const std::size_t got = chunk_.size() - upload_parser_->get().body().size;
    try {
      upload_->feed(std::string_view(chunk_.data(), got));
    } catch (const ChatError& e) {
      upload_.reset();
      reply_and_close(with_status(e));
      return;
    }
    const std::uint64_t drop_after = server_.upload_drop_after();
    if (drop_after > 0 && upload_->body_bytes() >= drop_after) {
      upload_.reset();
      close();  // fault injection: the connection dies mid-body
      return;
    }
    if (upload_parser_->is_done()) {
      std::function<void()> then;
      auto response = server_.finish_upload(*upload_, upload_header_, then);
      upload_.reset();
      answer(std::move(response), !upload_header_.keep_alive(), std::move(then));
      return;
    }
    if (const std::uint64_t rate = server_.upload_bytes_per_second(); rate > 0 && got > 0) {
      // Fault injection: a slow link, as the time these bytes would have taken at `rate`.
      timer_.expires_after(std::chrono::microseconds(got * 1'000'000 / rate));
      timer_.async_wait([self = shared_from_this()](beast::error_code wait) {
        if (!wait) self->read_upload();
      });
      return;
    }
    read_upload();
  }

  void answer(Answer response, bool then_close, std::function<void()> then) {
    if (server_.latency().count() > 0) {
      // Injected latency: the answer waits before it goes out.
      timer_.expires_after(server_.latency());
      timer_.async_wait([self = shared_from_this(), response = std::move(response), then_close,
                         then = std::move(then)](beast::error_code) mutable {
        self->write(std::move(response), then_close, std::move(then));
      });
      return;
    }
    write(std::move(response), then_close, std::move(then));
  }

  void reply_and_close(const ChatError& error) { write(server_.handle_error(error), true); }

  void write(Answer response, bool then_close, std::function<void()> then = {}) {
    auto held = std::make_shared<Answer>(std::move(response));
    // A deadline per answer that grows with its size: a download of 100 MB is not a stalled one.
    const auto size = held->body().empty() ? 0 : net::SplicedBody::size(held->body());
    stream_.expires_after(server_.options().request_timeout +
                          std::chrono::milliseconds(size / (256 * 1024)));
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
  std::optional<http::request_parser<http::empty_body>> header_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::request_parser<http::buffer_body>> upload_parser_;
  http::request<http::string_body> upload_header_;
  std::unique_ptr<UploadReceiver> upload_;
  std::array<char, 64 * 1024> chunk_{};
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

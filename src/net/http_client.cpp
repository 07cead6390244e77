#include "net/http_client.hpp"

#include <deque>
#include <optional>

#include <boost/beast/http.hpp>

#include "net/transport.hpp"

namespace chatkeep::net {

namespace http = beast::http;

namespace {

struct Pending {
  http::request<http::string_body> request;
  std::function<void(HttpResult)> done;
};

// An error of the kind a connection kept alive too long gives when the server has closed it:
// the request never reached it, so sending it again on a new connection is safe.
bool stale(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::eof;
}

}  // namespace

class HttpClient::Impl : public std::enable_shared_from_this<HttpClient::Impl> {
 public:
  Impl(asio::any_io_executor executor, Endpoint endpoint, std::shared_ptr<ssl::context> tls,
       std::chrono::milliseconds timeout)
      : executor_(std::move(executor)),
        endpoint_(std::move(endpoint)),
        tls_(std::move(tls)),
        timeout_(timeout),
        resolver_(executor_) {}

  void enqueue(Pending pending) {
    queue_.push_back(std::move(pending));
    if (!busy_) next();
  }

  void close() {
    closed_ = true;
    drop_connection();
    while (!queue_.empty()) {
      auto done = std::move(queue_.front().done);
      queue_.pop_front();
      done(HttpResult{.error = asio::error::operation_aborted});
    }
  }

  const Endpoint& endpoint() const { return endpoint_; }
  const asio::any_io_executor& executor() const { return executor_; }

 private:
  void next() {
    if (queue_.empty() || closed_) {
      busy_ = false;
      return;
    }
    busy_ = true;
    if (plain_ || secure_) {
      exchange(true);
      return;
    }
    connect();
  }

  void connect() {
    auto self = shared_from_this();
    if (endpoint_.tls) {
      auto stream = std::make_shared<TlsStream>(executor_, *tls_);
      secure_ = stream;
      open_stream(stream, resolver_, endpoint_, timeout_,
                  [self, stream](beast::error_code ec) { self->opened(stream, ec); });
    } else {
      auto stream = std::make_shared<PlainStream>(executor_);
      plain_ = stream;
      open_stream(stream, resolver_, endpoint_, timeout_,
                  [self, stream](beast::error_code ec) { self->opened(stream, ec); });
    }
  }

  // Whether `stream` is still the connection (not dropped or replaced meanwhile).
  bool current(const void* stream) const {
    return stream == plain_.get() || stream == secure_.get();
  }

  template <class Stream>
  void opened(const std::shared_ptr<Stream>& stream, beast::error_code ec) {
    if (!current(stream.get())) return;  // closed meanwhile: close() answered the requests
    if (ec) {
      drop_connection();
      return finish(HttpResult{.error = ec});
    }
    exchange_on(stream, false);
  }

  void exchange(bool reused) {
    if (secure_) {
      exchange_on(secure_, reused);
    } else {
      exchange_on(plain_, reused);
    }
  }

  template <class Stream>
  void exchange_on(const std::shared_ptr<Stream>& stream, bool reused) {
    auto self = shared_from_this();
    tcp_layer(*stream).expires_after(timeout_);
    response_.emplace();
    response_->body_limit(64 * 1024 * 1024);
    buffer_.clear();
    http::async_write(
        *stream, queue_.front().request, [self, stream, reused](beast::error_code ec, std::size_t) {
          if (!self->current(stream.get())) return;
          if (ec) return self->failed(ec, reused);
          http::async_read(*stream, self->buffer_, *self->response_,
                           [self, stream, reused](beast::error_code ec2, std::size_t) {
                             if (!self->current(stream.get())) return;
                             if (ec2) return self->failed(ec2, reused);
                             self->answered();
                           });
        });
  }

  void failed(beast::error_code ec, bool reused) {
    drop_connection();
    if (reused && stale(ec) && !closed_) {
      connect();  // once more, on a fresh connection
      return;
    }
    finish(HttpResult{.error = ec});
  }

  void answered() {
    auto response = response_->release();
    if (!response.keep_alive()) drop_connection();
    finish(HttpResult{.status = response.result_int(), .body = std::move(response.body())});
  }

  void finish(HttpResult result) {
    if (queue_.empty()) return;  // closed meanwhile
    auto done = std::move(queue_.front().done);
    queue_.pop_front();
    done(std::move(result));
    next();
  }

  // Pending handlers keep the stream alive and find it is no longer current.
  void drop_connection() {
    beast::error_code ignored;
    if (plain_) {
      plain_->socket().shutdown(tcp::socket::shutdown_both, ignored);
      plain_->close();
      plain_.reset();
    }
    if (secure_) {
      tcp_layer(*secure_).close();  // no TLS close_notify: the connection is being abandoned
      secure_.reset();
    }
  }

  asio::any_io_executor executor_;
  Endpoint endpoint_;
  std::shared_ptr<ssl::context> tls_;
  std::chrono::milliseconds timeout_;
  tcp::resolver resolver_;
  std::shared_ptr<PlainStream> plain_;
  std::shared_ptr<TlsStream> secure_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> response_;
  std::deque<Pending> queue_;
  bool busy_ = false;
  bool closed_ = false;
};

HttpClient::HttpClient(asio::any_io_executor executor, Endpoint endpoint,
                       std::shared_ptr<ssl::context> tls, std::chrono::milliseconds timeout)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(endpoint), std::move(tls),
                                   timeout)) {}

HttpClient::~HttpClient() {
  close();
}

void HttpClient::send(http::verb method, std::string target, Headers headers, std::string body,
                      std::function<void(HttpResult)> done) {
  http::request<http::string_body> request{method, impl_->endpoint().base_path + target, 11};
  request.set(http::field::host, impl_->endpoint().host);
  request.keep_alive(true);
  for (auto& [name, value] : headers)
    request.set(name, value);
  if (!body.empty()) request.set(http::field::content_type, "application/json");
  request.body() = std::move(body);
  request.prepare_payload();
  // The executor's thread owns the queue and the connection.
  asio::dispatch(impl_->executor(),
                 [impl = impl_, pending = Pending{std::move(request), std::move(done)}]() mutable {
                   impl->enqueue(std::move(pending));
                 });
}

void HttpClient::close() {
  asio::dispatch(impl_->executor(), [impl = impl_] { impl->close(); });
}

}  // namespace chatkeep::net

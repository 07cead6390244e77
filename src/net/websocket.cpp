#include "net/websocket.hpp"

#include <deque>
#include <optional>

#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "net/transport.hpp"

namespace chatkeep::net {

namespace websocket = beast::websocket;

// What the public class needs of a connection over either kind of stream.
class WebSocket::Impl {
 public:
  virtual ~Impl() = default;
  virtual void open(std::string target, Handlers handlers,
                    std::function<void(beast::error_code)> opened) = 0;
  virtual void send(std::string frame) = 0;
  virtual void close(bool notify) = 0;
  virtual const asio::any_io_executor& executor() const = 0;
};

namespace {

template <class Stream>
class Connection final : public WebSocket::Impl,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(asio::any_io_executor executor, Endpoint endpoint, std::shared_ptr<ssl::context> tls,
             WebSocketOptions options)
      : executor_(executor),
        endpoint_(std::move(endpoint)),
        options_(std::move(options)),
        tls_(std::move(tls)),
        resolver_(executor),
        ws_(make_stream(executor, tls_.get())),
        ping_timer_(executor),
        dead_timer_(executor) {}

  const asio::any_io_executor& executor() const override { return executor_; }

  void open(std::string target, WebSocket::Handlers handlers,
            std::function<void(beast::error_code)> opened) override {
    handlers_ = std::move(handlers);
    auto self = this->shared_from_this();
    // The stream lives in this connection; the handlers share ownership of the whole.
    open_stream(std::shared_ptr<Stream>(self, &ws_.next_layer()), resolver_, endpoint_,
                options_.connect_timeout,
                [self, target = endpoint_.base_path + target,
                 opened = std::move(opened)](beast::error_code ec) mutable {
                  if (ec) return opened(ec);
                  self->upgrade(std::move(target), std::move(opened));
                });
  }

  void send(std::string frame) override {
    if (!open_) return;
    queue_.push_back(std::move(frame));
    if (!writing_) write_next();
  }

  void close(bool notify) override {
    if (!open_) {
      beast::error_code ignored;
      tcp_layer(stream()).socket().close(ignored);
      return;
    }
    if (!notify) handlers_ = {};
    ws_.async_close(websocket::close_code::normal,
                    [self = this->shared_from_this()](beast::error_code) {
                      self->end(asio::error::operation_aborted);
                    });
  }

 private:
  static websocket::stream<Stream> make_stream(const asio::any_io_executor& executor,
                                               ssl::context* tls) {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      return websocket::stream<Stream>(executor, *tls);
    } else {
      (void)tls;
      return websocket::stream<Stream>(executor);
    }
  }

  auto& stream() { return ws_.next_layer(); }

  void upgrade(std::string target, std::function<void(beast::error_code)> opened) {
    auto self = this->shared_from_this();
    ws_.async_handshake(endpoint_.host_header(), target,
                        [self, opened = std::move(opened)](beast::error_code ec) {
                          if (ec) return opened(ec);
                          // From here the WebSocket's own keep-alive and dead timer govern.
                          tcp_layer(self->stream()).expires_never();
                          self->open_ = true;
                          self->schedule_ping();
                          self->arm_dead_timer();
                          self->read();
                          opened({});
                        });
  }

  void read() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->end(ec);
      self->arm_dead_timer();
      std::string frame = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      if (self->handlers_.frame) self->handlers_.frame(std::move(frame));
      if (self->open_) self->read();
    });
  }

  void write_next() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      self->queue_.pop_front();
                      if (ec) return self->end(ec);
                      if (self->queue_.empty()) {
                        self->writing_ = false;
                      } else {
                        self->write_next();
                      }
                    });
  }

  void schedule_ping() {
    if (!options_.ping) return;
    ping_timer_.expires_after(options_.ping_interval);
    ping_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || !self->open_) return;
      self->send(self->options_.ping());
      self->schedule_ping();
    });
  }

  void arm_dead_timer() {
    dead_timer_.expires_after(options_.dead_after);
    dead_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || !self->open_) return;
      self->end(asio::error::timed_out);
    });
  }

  // The connection is over: once, whatever ended it.
  void end(beast::error_code ec) {
    if (!open_) return;
    open_ = false;
    ping_timer_.cancel();
    dead_timer_.cancel();
    const int code = ws_.reason().code;
    beast::error_code ignored;
    tcp_layer(stream()).socket().close(ignored);
    if (handlers_.closed) {
      auto closed = std::move(handlers_.closed);
      handlers_ = {};
      closed(ec, code);
    }
  }

  asio::any_io_executor executor_;
  Endpoint endpoint_;
  WebSocketOptions options_;
  std::shared_ptr<ssl::context> tls_;  // the TLS stream refers to it
  tcp::resolver resolver_;
  websocket::stream<Stream> ws_;
  asio::steady_timer ping_timer_;
  asio::steady_timer dead_timer_;
  WebSocket::Handlers handlers_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool open_ = false;
};

}  // namespace

WebSocket::WebSocket(asio::any_io_executor executor, Endpoint endpoint,
                     std::shared_ptr<ssl::context> tls, WebSocketOptions options) {
  if (endpoint.tls) {
    impl_ = std::make_shared<Connection<TlsStream>>(executor, std::move(endpoint), std::move(tls),
                                                    std::move(options));
  } else {
    impl_ = std::make_shared<Connection<PlainStream>>(executor, std::move(endpoint), nullptr,
                                                      std::move(options));
  }
}

WebSocket::~WebSocket() {
  asio::dispatch(impl_->executor(), [impl = impl_] { impl->close(false); });
}

void WebSocket::open(std::string target, Handlers handlers,
                     std::function<void(boost::system::error_code)> opened) {
  asio::dispatch(impl_->executor(),
                 [impl = impl_, target = std::move(target), handlers = std::move(handlers),
                  opened = std::move(opened)]() mutable {
                   impl->open(std::move(target), std::move(handlers), std::move(opened));
                 });
}

void WebSocket::send(std::string frame) {
  asio::dispatch(impl_->executor(), [impl = impl_, frame = std::move(frame)]() mutable {
    impl->send(std::move(frame));
  });
}

void WebSocket::close() {
  asio::dispatch(impl_->executor(), [impl = impl_] { impl->close(true); });
}

}  // namespace chatkeep::net

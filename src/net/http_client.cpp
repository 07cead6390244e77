#include "net/http_client.hpp"

#include <algorithm>
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

// One connection of the pool and the exchange it carries, if any.
struct Connection {
  std::shared_ptr<PlainStream> plain;
  std::shared_ptr<TlsStream> secure;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> response;
  std::optional<Pending> pending;

  bool open() const { return plain || secure; }
  // Whether `stream` is still this connection's (not dropped or replaced meanwhile).
  bool current(const void* stream) const { return stream == plain.get() || stream == secure.get(); }

  // Pending handlers keep the stream alive and find it is no longer current.
  void drop() {
    beast::error_code ignored;
    if (plain) {
      plain->socket().shutdown(tcp::socket::shutdown_both, ignored);
      plain->close();
      plain.reset();
    }
    if (secure) {
      tcp_layer(*secure).close();  // no TLS close_notify: the connection is being abandoned
      secure.reset();
    }
  }
};

using ConnectionPtr = std::shared_ptr<Connection>;

}  // namespace

// Lives on the executor's thread, which owns the queue and every connection.
class HttpClient::Impl : public std::enable_shared_from_this<HttpClient::Impl> {
 public:
  Impl(asio::any_io_executor executor, Endpoint endpoint, std::shared_ptr<ssl::context> tls,
       std::chrono::milliseconds timeout, std::size_t max_connections)
      : executor_(std::move(executor)),
        endpoint_(std::move(endpoint)),
        tls_(std::move(tls)),
        timeout_(timeout),
        max_connections_(std::max<std::size_t>(max_connections, 1)),
        resolver_(executor_) {}

  void enqueue(Pending pending) {
    queue_.push_back(std::move(pending));
    assign();
  }

  void close() {
    closed_ = true;
    std::vector<std::function<void(HttpResult)>> aborted;
    for (auto& connection : connections_) {
      connection->drop();
      if (connection->pending) aborted.push_back(std::move(connection->pending->done));
    }
    connections_.clear();
    for (auto& pending : queue_)
      aborted.push_back(std::move(pending.done));
    queue_.clear();
    for (auto& done : aborted)
      done(HttpResult{.error = asio::error::operation_aborted});
  }

  const Endpoint& endpoint() const { return endpoint_; }
  const asio::any_io_executor& executor() const { return executor_; }
  const std::shared_ptr<ssl::context>& tls() const { return tls_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  // Hands queued requests to idle connections, opening new ones up to the limit.
  void assign() {
    while (!queue_.empty() && !closed_) {
      auto idle = std::find_if(connections_.begin(), connections_.end(),
                               [](const ConnectionPtr& c) { return !c->pending; });
      ConnectionPtr connection;
      if (idle != connections_.end()) {
        connection = *idle;
      } else if (connections_.size() < max_connections_) {
        connection = connections_.emplace_back(std::make_shared<Connection>());
      } else {
        return;
      }
      connection->pending = std::move(queue_.front());
      queue_.pop_front();
      if (connection->open()) {
        exchange(connection, true);
      } else {
        connect(connection);
      }
    }
  }

  void connect(const ConnectionPtr& connection) {
    auto self = shared_from_this();
    if (endpoint_.tls) {
      auto stream = std::make_shared<TlsStream>(executor_, *tls_);
      connection->secure = stream;
      open_stream(stream, resolver_, endpoint_, timeout_,
                  [self, connection, stream](beast::error_code ec) {
                    self->opened(connection, stream, ec);
                  });
    } else {
      auto stream = std::make_shared<PlainStream>(executor_);
      connection->plain = stream;
      open_stream(stream, resolver_, endpoint_, timeout_,
                  [self, connection, stream](beast::error_code ec) {
                    self->opened(connection, stream, ec);
                  });
    }
  }

  template <class Stream>
  void opened(const ConnectionPtr& connection, const std::shared_ptr<Stream>& stream,
              beast::error_code ec) {
    if (!connection->current(stream.get())) return;  // closed meanwhile: close() answered
    if (ec) {
      connection->drop();
      return finish(connection, HttpResult{.error = ec});
    }
    exchange_on(connection, stream, false);
  }

  void exchange(const ConnectionPtr& connection, bool reused) {
    if (connection->secure) {
      exchange_on(connection, connection->secure, reused);
    } else {
      exchange_on(connection, connection->plain, reused);
    }
  }

  template <class Stream>
  void exchange_on(const ConnectionPtr& connection, const std::shared_ptr<Stream>& stream,
                   bool reused) {
    auto self = shared_from_this();
    tcp_layer(*stream).expires_after(timeout_);
    connection->response.emplace();
    connection->response->body_limit(64 * 1024 * 1024);
    connection->buffer.clear();
    http::async_write(*stream, connection->pending->request,
                      [self, connection, stream, reused](beast::error_code ec, std::size_t) {
                        if (!connection->current(stream.get())) return;
                        if (ec) return self->failed(connection, ec, reused);
                        http::async_read(
                            *stream, connection->buffer, *connection->response,
                            [self, connection, stream, reused](beast::error_code ec2, std::size_t) {
                              if (!connection->current(stream.get())) return;
                              if (ec2) return self->failed(connection, ec2, reused);
                              self->answered(connection);
                            });
                      });
  }

  void failed(const ConnectionPtr& connection, beast::error_code ec, bool reused) {
    connection->drop();
    if (reused && stale(ec) && !closed_) {
      connect(connection);  // once more, on a fresh connection
      return;
    }
    finish(connection, HttpResult{.error = ec});
  }

  void answered(const ConnectionPtr& connection) {
    auto response = connection->response->release();
    if (!response.keep_alive()) connection->drop();
    finish(connection, HttpResult{.status = response.result_int(),
                                  .body = std::move(response.body()),
                                  .date = std::string(response[http::field::date])});
  }

  // Answers the connection's request, frees the connection (or forgets it, closed), and goes on
  // with the queue. The callback may enqueue or close; it runs after the pool is consistent.
  void finish(const ConnectionPtr& connection, HttpResult result) {
    auto done = std::move(connection->pending->done);
    connection->pending.reset();
    if (!connection->open()) std::erase(connections_, connection);
    done(std::move(result));
    assign();
  }

  asio::any_io_executor executor_;
  Endpoint endpoint_;
  std::shared_ptr<ssl::context> tls_;
  std::chrono::milliseconds timeout_;
  std::size_t max_connections_;
  tcp::resolver resolver_;
  std::vector<ConnectionPtr> connections_;
  std::deque<Pending> queue_;
  bool closed_ = false;
};

HttpClient::HttpClient(asio::any_io_executor executor, Endpoint endpoint,
                       std::shared_ptr<ssl::context> tls, std::chrono::milliseconds timeout,
                       std::size_t max_connections)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(endpoint), std::move(tls),
                                   timeout, max_connections)) {}

HttpClient::~HttpClient() {
  close();
}

void HttpClient::send(http::verb method, std::string target, Headers headers, std::string body,
                      std::function<void(HttpResult)> done) {
  http::request<http::string_body> request{method, impl_->endpoint().base_path + target, 11};
  request.set(http::field::host, impl_->endpoint().host_header());
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

const Endpoint& HttpClient::endpoint() const {
  return impl_->endpoint();
}
const std::shared_ptr<ssl::context>& HttpClient::tls() const {
  return impl_->tls();
}
std::chrono::milliseconds HttpClient::timeout() const {
  return impl_->timeout();
}
asio::any_io_executor HttpClient::executor() const {
  return impl_->executor();
}

}  // namespace chatkeep::net

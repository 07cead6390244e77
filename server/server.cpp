#include "server.hpp"

#include <optional>
#include <thread>

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/url/parse.hpp>

#include "auth.hpp"
#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "log/logger.hpp"
#include "router.hpp"
#include "routes.hpp"
#include "state.hpp"

namespace chatkeep::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// The HTTP status a ChatError goes out with when it did not name one.
ChatError with_status(const ChatError& e) {
  if (e.http_status() != 0) return e;
  int status = 500;
  switch (e.code()) {
    case ErrorCode::input:
      status = 400;
      break;
    case ErrorCode::payload_too_big:
      status = 413;
      break;
    case ErrorCode::not_found:
      status = 404;
      break;
    case ErrorCode::not_allowed:
      status = 403;
      break;
    default:
      break;
  }
  return ChatError(e.code(), e.message(), status);
}

Response error_response(const ChatError& error) {
  const ChatError e = with_status(error);
  return Response{.status = static_cast<unsigned>(e.http_status()), .body = to_json(e)};
}

// An open connection, as the server sees it when stopping.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void close() = 0;
};

}  // namespace

class Server::Impl {
 public:
  explicit Impl(ServerOptions options)
      : options_(std::move(options)),
        log_(log::make_logger("server", options_.log)),
        state_(options_.db),
        auth_{options_.api_key, options_.api_secret, options_.allow_dev_tokens} {
    add_user_routes(router_, state_);
    add_channel_routes(router_, state_);
    add_message_routes(router_, state_);
    add_sync_routes(router_, state_);
  }

  ~Impl() { stop(); }

  std::uint16_t start() {
    const tcp::endpoint endpoint(asio::ip::make_address(options_.host), options_.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { io_.run(); });
    log_->info("listening on {}:{}", options_.host, port_);
    return port_;
  }

  // Closes the listener and every connection on the server's thread; run() then returns once
  // their handlers have seen the close.
  void stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      for (auto& weak : connections_) {
        if (auto connection = weak.lock()) connection->close();
      }
      connections_.clear();
    });
    thread_.join();
  }

  void track(const std::shared_ptr<Connection>& connection) {
    std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
    connections_.push_back(connection);
  }

  std::uint16_t port() const { return port_; }
  const ServerOptions& options() const { return options_; }

  // One request in, one response out; never throws.
  http::response<http::string_body> handle(const http::request<http::string_body>& raw) {
    const auto start = Clock::now();
    Response response;
    try {
      response = route(raw);
    } catch (const ChatError& e) {
      response = error_response(e);
    } catch (const std::exception& e) {
      log_->error("{} {}: {}", std::string_view(raw.method_string()),
                  std::string_view(raw.target()), e.what());
      response = error_response(ChatError(ErrorCode::internal, "internal error", 500));
    }
    return finish(std::move(response), raw.version(), raw.keep_alive(), start);
  }

  // The answer to a request that could not be read; the connection closes after it.
  http::response<http::string_body> handle_error(const ChatError& error) {
    return finish(error_response(error), 11, false, Clock::now());
  }

 private:
  Response route(const http::request<http::string_body>& raw) {
    Request request;
    request.method = raw.method();
    request.raw = &raw;
    auto url = boost::urls::parse_origin_form(raw.target());
    if (!url) throw ChatError(ErrorCode::input, "malformed request target", 400);
    request.path = std::string(url->path());
    for (const auto& param : url->params())
      request.query[param.key] = param.value;
    const Router::Match match = router_.match(request);
    if (!match.handler) {
      if (match.path_known) throw ChatError(ErrorCode::input, "method not allowed", 405);
      throw ChatError(ErrorCode::not_found, "no such route: " + request.path, 404);
    }
    authenticate(request, match.access, auth_);
    return (*match.handler)(request);
  }

  http::response<http::string_body> finish(Response response, unsigned version, bool keep_alive,
                                           Clock::time_point start) {
    response.body["duration"] = fmt::format(
        "{:.2f}ms", std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    http::response<http::string_body> out{static_cast<http::status>(response.status), version};
    out.set(http::field::content_type, "application/json");
    out.keep_alive(keep_alive);
    out.body() = boost::json::serialize(response.body);
    out.prepare_payload();
    return out;
  }

  void accept();

  ServerOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  State state_;
  AuthSettings auth_;
  Router router_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::vector<std::weak_ptr<Connection>> connections_;  // touched only on the server's thread
  std::thread thread_;
};

namespace {

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
    const auto request = parser_->release();
    write(server_.handle(request), !request.keep_alive());
  }

  void reply_and_close(const ChatError& error) { write(server_.handle_error(error), true); }

  void write(http::response<http::string_body> response, bool then_close) {
    auto held = std::make_shared<http::response<http::string_body>>(std::move(response));
    stream_.expires_after(server_.options().request_timeout);
    http::async_write(
        stream_, *held,
        [self = shared_from_this(), held, then_close](beast::error_code ec, std::size_t) {
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
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Server::Impl& server_;
};

}  // namespace

void Server::Impl::accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (!ec) {
      auto session = std::make_shared<Session>(std::move(socket), *this);
      track(session);
      session->read();
    }
    accept();
  });
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Server::~Server() = default;
std::uint16_t Server::start() {
  return impl_->start();
}
void Server::stop() {
  impl_->stop();
}
std::uint16_t Server::port() const {
  return impl_->port();
}

}  // namespace chatkeep::server

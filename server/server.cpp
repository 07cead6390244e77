#include "server.hpp"

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/url/parse.hpp>

#include "auth.hpp"
#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "chatkeep/uuid.hpp"
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

// A client's socket, as the server sees it when events go out.
class EventSink : public Connection {
 public:
  virtual const std::string& user_id() const = 0;
  virtual void watch(const std::string& cid) = 0;
  virtual void unwatch(const std::string& cid) = 0;
  virtual bool watches(const std::string& cid) const = 0;
  virtual void send(std::string frame) = 0;
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
    port_ = options_.port;
    listen();
    port_ = acceptor_.local_endpoint().port();  // the one chosen, when asked for any
    thread_ = std::thread([this] { io_.run(); });
    log_->info("listening on {}:{}", options_.host, port_);
    return port_;
  }

  // Closes the listener and every connection on the server's thread; run() then returns once
  // their handlers have seen the close.
  void stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      stopping_ = true;
      reopen_.cancel();
      disconnect_all();
    });
    thread_.join();
  }

  // Fault injection (protocol.md, "chatkeep-server extensions").
  std::chrono::milliseconds latency() const { return chaos_.latency; }
  // Frames held back by reordering go out before the socket answers a health check.
  void flush_held(const std::string& connection_id) {
    auto held = held_.find(connection_id);
    if (held == held_.end()) return;
    if (auto sink = sockets_[connection_id].lock()) sink->send(std::move(held->second));
    held_.erase(held);
  }

  void track(const std::shared_ptr<Connection>& connection) {
    std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
    connections_.push_back(connection);
  }

  std::uint16_t port() const { return port_; }
  const ServerOptions& options() const { return options_; }

  // One request in, one response out; never throws.
  http::response<http::string_body> handle(const http::request<http::string_body>& raw,
                                           std::function<void()>& then) {
    const auto start = Clock::now();
    Response response;
    try {
      response = route(raw);
      publish(state_.take_recorded());
    } catch (const ChatError& e) {
      state_.take_recorded();  // rolled back: nothing happened
      response = error_response(e);
    } catch (const std::exception& e) {
      state_.take_recorded();
      log_->error("{} {}: {}", std::string_view(raw.method_string()),
                  std::string_view(raw.target()), e.what());
      response = error_response(ChatError(ErrorCode::internal, "internal error", 500));
    }
    then = std::move(response.then);
    return finish(std::move(response), raw.version(), raw.keep_alive(), start);
  }

  // The answer to a request that could not be read; the connection closes after it.
  http::response<http::string_body> handle_error(const ChatError& error) {
    return finish(error_response(error), 11, false, Clock::now());
  }

 private:
 public:
  // A socket opens: checks the caller as for any call, records the user's details, and returns
  // the own user of the first frame. ChatError when refused.
  OwnUser open_socket(const http::request<http::string_body>& raw, const std::string& connection_id,
                      const std::shared_ptr<EventSink>& sink) {
    Request request = parse(raw);
    authenticate(request, Access::user, auth_);
    const std::string me = *request.caller.user_id;
    if (auto param = request.query.find("json"); param != request.query.end()) {
      const boost::json::value connect = parse_json(param->second);
      const boost::json::value* details =
          connect.is_object() ? connect.as_object().if_contains("user_details") : nullptr;
      if (details && details->is_object()) {
        User user = from_json<User>(*details);
        if (user.id != me) {
          throw ChatError(ErrorCode::authentication, "user_details.id is not the token's user",
                          401);
        }
        if (auto known = state_.user(me)) user.created_at = known->created_at;
        state_.upsert_users({std::move(user)});
      }
    }
    OwnUser own;
    static_cast<User&>(own) = state_.user(me).value_or(User{.id = me});
    const auto [unread_messages, unread_channels] = state_.unread_totals(me);
    own.total_unread_count = unread_messages;
    own.unread_channels = unread_channels;
    own.unread_count = unread_messages;
    own.devices = std::vector<Device>{};
    own.mutes = std::vector<Mute>{};
    own.channel_mutes = std::vector<ChannelMute>{};
    sockets_[connection_id] = sink;
    track(sink);
    return own;
  }

  void forget_socket(const std::string& connection_id) { sockets_.erase(connection_id); }

 private:
  static Request parse(const http::request<http::string_body>& raw) {
    Request request;
    request.method = raw.method();
    request.raw = &raw;
    auto url = boost::urls::parse_origin_form(raw.target());
    if (!url) throw ChatError(ErrorCode::input, "malformed request target", 400);
    request.path = std::string(url->path());
    for (const auto& param : url->params())
      request.query[param.key] = param.value;
    return request;
  }

  // Channel events go to the sockets watching the channel; notifications about a membership to
  // the sockets of the user concerned, watching or not. A removed member stops watching.
  void publish(const std::vector<Event>& events) {
    for (const auto& event : events) {
      if (!event.cid) continue;
      const bool notification = event.kind == EventType::notification_added_to_channel ||
                                event.kind == EventType::notification_removed_from_channel;
      const std::string concerned = event.member ? event.member->id() : std::string();
      const std::string frame = encode(event);
      for (const auto& [id, weak] : sockets_) {
        auto sink = weak.lock();
        if (!sink) continue;
        if (notification ? sink->user_id() == concerned : sink->watches(*event.cid)) {
          deliver(id, *sink, frame);
        }
        if (event.kind == EventType::member_removed && sink->user_id() == concerned) {
          sink->unwatch(*event.cid);
        }
      }
    }
  }

  Response route(const http::request<http::string_body>& raw) {
    Request request = parse(raw);
    if (request.path == "/_chaos") return chaos(request);
    if (chaos_.fail_remaining > 0) {
      --chaos_.fail_remaining;
      const auto status = static_cast<int>(chaos_.fail_status);
      const ErrorCode code = status == 429   ? ErrorCode::rate_limited
                             : status >= 500 ? ErrorCode::internal
                                             : ErrorCode::input;
      throw ChatError(code, "injected failure (/_chaos)", status);
    }
    const Router::Match match = router_.match(request);
    if (!match.handler) {
      if (match.path_known) throw ChatError(ErrorCode::input, "method not allowed", 405);
      throw ChatError(ErrorCode::not_found, "no such route: " + request.path, 404);
    }
    authenticate(request, match.access, auth_);
    Response response = (*match.handler)(request);
    if (!response.unwatch.empty()) {
      auto connection = request.query.find("connection_id");
      auto sink = connection == request.query.end() ? nullptr : sockets_[connection->second].lock();
      if (sink && request.caller.user_id && sink->user_id() == *request.caller.user_id) {
        for (const auto& cid : response.unwatch)
          sink->unwatch(cid);
      }
    }
    if (!response.transient.empty()) {
      std::vector<Event> events;
      for (const auto& event : response.transient)
        events.push_back(from_json<Event>(event));
      publish(events);
    }
    if (!response.watch.empty()) {
      // watch: true binds the channel to the caller's socket, named by connection_id.
      auto connection = request.query.find("connection_id");
      auto sink = connection == request.query.end() ? nullptr : sockets_[connection->second].lock();
      if (sink && request.caller.user_id && sink->user_id() == *request.caller.user_id) {
        for (const auto& cid : response.watch)
          sink->watch(cid);
      }
    }
    return response;
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

  // One frame to one socket, as fault injection wants it: twice, or swapped with the next one.
  void deliver(const std::string& connection_id, EventSink& sink, const std::string& frame) {
    const int copies = chaos_.duplicate ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      if (!chaos_.reorder) {
        sink.send(frame);
      } else if (auto held = held_.find(connection_id); held == held_.end()) {
        held_[connection_id] = frame;
      } else {
        sink.send(frame);
        sink.send(std::move(held->second));
        held_.erase(held);
      }
    }
  }

  void disconnect_all() {
    beast::error_code ignored;
    acceptor_.close(ignored);
    for (auto& weak : connections_) {
      if (auto connection = weak.lock()) connection->close();
    }
    connections_.clear();
    sockets_.clear();
    held_.clear();
  }

  void listen() {
    const tcp::endpoint endpoint(asio::ip::make_address(options_.host), port_);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    accept();
  }

  // GET shows, POST sets, DELETE clears the faults; the server-side token only.
  Response chaos(Request& request) {
    if (!options_.chaos) throw ChatError(ErrorCode::not_found, "fault injection is disabled", 404);
    authenticate(request, Access::server, auth_);
    Response response;
    if (request.method == http::verb::delete_) {
      for (auto& [id, frame] : held_) {
        if (auto sink = sockets_[id].lock()) sink->send(std::move(frame));
      }
      held_.clear();
      chaos_ = Chaos{};
    } else if (request.method == http::verb::post) {
      const boost::json::object body = request.json_body();
      auto integer = [&](const char* name) -> std::optional<std::int64_t> {
        const boost::json::value* v = body.if_contains(name);
        if (!v) return std::nullopt;
        if (!v->is_int64() || v->as_int64() < 0) {
          throw ChatError(ErrorCode::input, std::string(name) + ": expected a count", 400);
        }
        return v->as_int64();
      };
      auto flag = [&](const char* name, bool& out) {
        if (const boost::json::value* v = body.if_contains(name)) {
          if (!v->is_bool())
            throw ChatError(ErrorCode::input, std::string(name) + ": expected boolean", 400);
          out = v->as_bool();
        }
      };
      if (auto n = integer("fail_next")) chaos_.fail_remaining = static_cast<int>(*n);
      if (auto s = integer("fail_status")) chaos_.fail_status = static_cast<unsigned>(*s);
      if (auto ms = integer("latency_ms")) chaos_.latency = std::chrono::milliseconds(*ms);
      flag("duplicate_events", chaos_.duplicate);
      flag("reorder_events", chaos_.reorder);
      bool drop = false;
      flag("drop_sockets", drop);
      const auto offline = integer("offline_ms");
      if (drop || offline) {
        // After this answer is written: drop every connection, and stay away for offline_ms.
        response.then = [this, offline] {
          std::vector<std::shared_ptr<Connection>> open;
          for (auto& weak : connections_) {
            if (auto connection = weak.lock()) open.push_back(connection);
          }
          for (auto& connection : open)
            connection->close();
          if (offline && *offline > 0) {
            beast::error_code ignored;
            acceptor_.close(ignored);
            reopen_.expires_after(std::chrono::milliseconds(*offline));
            reopen_.async_wait([this](beast::error_code ec) {
              if (!ec && !stopping_) listen();
            });
          }
        };
      }
    } else if (request.method != http::verb::get) {
      throw ChatError(ErrorCode::input, "method not allowed", 405);
    }
    response.body = {{"fail_next", chaos_.fail_remaining},
                     {"fail_status", chaos_.fail_status},
                     {"latency_ms", chaos_.latency.count()},
                     {"duplicate_events", chaos_.duplicate},
                     {"reorder_events", chaos_.reorder}};
    return response;
  }

  struct Chaos {
    int fail_remaining = 0;
    unsigned fail_status = 500;
    std::chrono::milliseconds latency{0};
    bool duplicate = false;
    bool reorder = false;
  };

  void accept();

  ServerOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  State state_;
  AuthSettings auth_;
  Router router_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::vector<std::weak_ptr<Connection>> connections_;       // touched only on the server's thread
  std::map<std::string, std::weak_ptr<EventSink>> sockets_;  // by connection id, likewise
  Chaos chaos_;
  std::map<std::string, std::string> held_;  // by connection id: a frame held back by reordering
  asio::steady_timer reopen_{io_};
  bool stopping_ = false;
  std::thread thread_;
};

namespace {

namespace websocket = beast::websocket;

// A client's WebSocket (protocol.md, "WebSocket"): the first frame is health.check with the own
// user and the connection id, or connection.error followed by a close with code 1000; the client's
// health checks are answered; events of the channels it watches are pushed, in order.
class Socket final : public EventSink, public std::enable_shared_from_this<Socket> {
 public:
  static void open(beast::tcp_stream stream, http::request<http::string_body> request,
                   Server::Impl& server) {
    auto socket = std::make_shared<Socket>(std::move(stream), server);
    socket->request_ = std::move(request);
    // No frame from the client for a minute: it is gone (clients check every 25 s).
    socket->ws_.set_option(
        websocket::stream_base::timeout{std::chrono::seconds(10), std::chrono::seconds(60), false});
    socket->ws_.async_accept(socket->request_,
                             beast::bind_front_handler(&Socket::on_accept, socket));
  }

  Socket(beast::tcp_stream stream, Server::Impl& server)
      : ws_(std::move(stream)), server_(server) {}

  const std::string& user_id() const override { return user_id_; }
  void watch(const std::string& cid) override { watching_.insert(cid); }
  void unwatch(const std::string& cid) override { watching_.erase(cid); }
  bool watches(const std::string& cid) const override { return watching_.count(cid) > 0; }

  void send(std::string frame) override {
    queue_.push_back(std::move(frame));
    if (!writing_) write_next();
  }

  void close() override {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close();
  }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) return;
    connection_id_ = make_uuid_v4();
    try {
      OwnUser me = server_.open_socket(request_, connection_id_, shared_from_this());
      user_id_ = me.id;
      Event hello{.type = "health.check",
                  .kind = EventType::health_check,
                  .created_at = Timestamp::now(),
                  .me = std::move(me),
                  .connection_id = connection_id_};
      hello.extra["cid"] = "*";
      send(encode(hello));
      read();
    } catch (const ChatError& e) {
      boost::json::object frame{{"type", "connection.error"},
                                {"created_at", Timestamp::now().to_string()},
                                {"error", to_json(with_status(e))}};
      closing_ = true;
      send(boost::json::serialize(frame));
    }
  }

  void read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&Socket::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      server_.forget_socket(connection_id_);
      return;
    }
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    try {
      Event frame = decode<Event>(text);
      if (frame.kind == EventType::health_check) {
        server_.flush_held(connection_id_);
        Event reply{.type = "health.check",
                    .kind = EventType::health_check,
                    .created_at = Timestamp::now(),
                    .connection_id = connection_id_};
        reply.extra["cid"] = "*";
        send(encode(reply));
      }
    } catch (const ChatError&) {
      // A frame that is not an event is ignored; the socket stays open.
    }
    read();
  }

  void write_next() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()),
                    beast::bind_front_handler(&Socket::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    queue_.pop_front();
    if (ec) {
      server_.forget_socket(connection_id_);
      return;
    }
    if (!queue_.empty()) {
      write_next();
      return;
    }
    writing_ = false;
    if (closing_) {
      ws_.async_close(websocket::close_code::normal,
                      [self = shared_from_this()](beast::error_code) {});
    }
  }

  websocket::stream<beast::tcp_stream> ws_;
  Server::Impl& server_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool closing_ = false;
  std::string connection_id_;
  std::string user_id_;
  std::set<std::string> watching_;
};

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
      Socket::open(std::move(stream_), std::move(request), server_);
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

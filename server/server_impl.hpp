#pragma once

// Inside chatkeep-server: the server (one thread, one io_context) and the two kinds of
// connection it serves, HTTP sessions (session.cpp) and event sockets (socket.cpp).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include "auth.hpp"
#include "chatkeep/error.hpp"
#include "chatkeep/user.hpp"
#include "log/logger.hpp"
#include "net/spliced_body.hpp"
#include "router.hpp"
#include "server.hpp"
#include "state.hpp"
#include "uploads.hpp"

namespace chatkeep::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// An open connection, as the server sees it when stopping or dropping everything.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void close() = 0;
};

// A client's event socket, as the server sees it when events go out.
class EventSink : public Connection {
 public:
  virtual const std::string& user_id() const = 0;
  virtual void watch(const std::string& cid) = 0;
  virtual void unwatch(const std::string& cid) = 0;
  virtual bool watches(const std::string& cid) const = 0;
  virtual void send(std::string frame) = 0;
};

// Every answer: JSON bytes, or a file streamed from disk (a download).
using Answer = http::response<net::SplicedBody>;

// The error with the HTTP status its code implies when it did not name one.
ChatError with_status(const ChatError& error);

// Everything below runs on the server's thread only.
class Server::Impl {
 public:
  explicit Impl(ServerOptions options);
  ~Impl();

  std::uint16_t start();
  // Closes the listener and every connection; returns once the thread has finished.
  void stop();
  std::uint16_t port() const { return port_; }
  const ServerOptions& options() const { return options_; }

  // One request in, one response out, in one transaction; never throws. `then` is what must
  // run once the response has been written.
  // `connection`: the one the request came on, for fault injection that drops the others.
  Answer handle(const http::request<http::string_body>& raw, std::function<void()>& then,
                const Connection* connection = nullptr);
  // The answer to a request that could not be read; the connection closes after it.
  Answer handle_error(const ChatError& error);

  // Uploads (uploads.hpp). Whether a request whose header has come is an upload, to be read by
  // an UploadReceiver rather than whole.
  std::optional<UploadRoute> upload_route_of(const http::request<http::string_body>& header) const;
  // Checks the caller as for any route, and that they may upload to the channel, before any of
  // the body is read. ChatError when refused.
  std::unique_ptr<UploadReceiver> begin_upload(const http::request<http::string_body>& header,
                                               UploadRoute route);
  // The body has come whole: the answer, the upload recorded in one transaction. Never throws.
  Answer finish_upload(UploadReceiver& upload, const http::request<http::string_body>& header,
                       std::function<void()>& then);
  // Fault injection on uploads: a body is cut after this many bytes (0: never), or read at most
  // this fast (0: as fast as it comes).
  std::uint64_t upload_drop_after() const { return chaos_.upload_drop_after; }
  std::uint64_t upload_bytes_per_second() const { return chaos_.upload_bytes_per_second; }
  void track(const std::shared_ptr<Connection>& connection);

  // A socket opens: checks the caller as for any call, records the user's details, and returns
  // the own user of the first frame. ChatError when refused.
  OwnUser open_socket(const http::request<http::string_body>& raw, const std::string& connection_id,
                      const std::shared_ptr<EventSink>& sink);
  void forget_socket(const std::string& connection_id);
  // The open socket with this connection id, if any.
  std::shared_ptr<EventSink> socket(const std::string& connection_id) const;

  // Fault injection (chaos.cpp; protocol.md, "chatkeep-server extensions").
  std::chrono::milliseconds latency() const { return chaos_.latency; }
  // Frames held back by reordering go out before the socket answers a health check.
  void flush_held(const std::string& connection_id);

 private:
  Response route(Request& request);
  // Sends each event to the connections it is addressed to (AddressedEvent).
  void publish(const std::vector<AddressedEvent>& events);
  // The frame with this user's unread totals, which ride on message.new and notification.*.
  std::string with_unread_totals(const std::string& frame, const std::string& user_id,
                                 std::map<std::string, std::string>& suffixes);
  // Binds or unbinds channels to the socket named by the request's connection_id, if it is the
  // caller's.
  void bind_socket(const Request& request, const Response& response);
  void listen();
  void accept();
  void disconnect_all();

  Response chaos(Request& request);
  // One frame to one socket, as fault injection wants it: twice, or swapped with the next one.
  void deliver(const std::string& connection_id, EventSink& sink, const std::string& frame);

  // Whether this request draws an injected failure that comes `percent` times in 100.
  bool draw(int percent);
  ChatError injected_failure() const;

  struct Chaos {
    int fail_remaining = 0;
    int fail_rate = 0;        // percent of requests refused before they take effect
    int fail_after_rate = 0;  // percent carried out but answered with fail_status (answer lost)
    unsigned fail_status = 500;
    std::chrono::milliseconds latency{0};
    bool duplicate = false;
    bool reorder = false;
    bool refuse_sockets = false;  // WebSocket upgrades answered 503 while REST works
    std::uint64_t upload_drop_after = 0;
    std::uint64_t upload_bytes_per_second = 0;
  };

  // The answer's envelope around a response: JSON with "duration", or a file's bytes.
  Answer finish(Response response, unsigned version, bool keep_alive,
                std::chrono::steady_clock::time_point start) const;
  // The response to a request that failed, and the failure's changes undone.
  Response failed(const http::request<http::string_body>& raw, std::exception_ptr error);

  ServerOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  UploadSettings uploads_;
  bool temporary_files_ = false;  // uploads_.directory is the server's own, removed at the end
  State state_;
  AuthSettings auth_;
  Router router_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::vector<std::weak_ptr<Connection>> connections_;
  std::map<std::string, std::weak_ptr<EventSink>> sockets_;  // by connection id
  Chaos chaos_;
  std::mt19937 chaos_random_{std::random_device{}()};
  std::map<std::string, std::string> held_;  // by connection id: a frame held back by reordering
  asio::steady_timer reopen_{io_};
  asio::steady_timer accept_pause_{io_};  // after a failed accept (no file descriptors left)
  bool stopping_ = false;
  std::thread thread_;
};

// Serves HTTP on an accepted connection (session.cpp); hands WebSocket upgrades of /connect to
// open_event_socket.
void serve_http(tcp::socket socket, Server::Impl& server);
// Completes the upgrade and runs the event socket (socket.cpp).
void open_event_socket(beast::tcp_stream stream, http::request<http::string_body> request,
                       Server::Impl& server);

}  // namespace chatkeep::server

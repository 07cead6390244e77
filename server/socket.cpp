#include <deque>
#include <set>

#include "chatkeep/json.hpp"
#include "chatkeep/uuid.hpp"
#include "server_impl.hpp"

namespace chatkeep::server {
namespace {

namespace websocket = beast::websocket;

// A client's WebSocket (protocol.md, "WebSocket"): the first frame is health.check with the own
// user and the connection id, or connection.error followed by a close with code 1000; the client's
// health checks are answered; events of the channels it watches are pushed, in order.
class Socket final : public EventSink, public std::enable_shared_from_this<Socket> {
 public:
  Socket(beast::tcp_stream stream, http::request<http::string_body> request, Server::Impl& server)
      : ws_(std::move(stream)), server_(server), request_(std::move(request)) {}

  void start() {
    // The HTTP session's request deadline still runs on the TCP stream; from here on the
    // WebSocket's own timeouts govern. No frame from the client for a minute: it is gone
    // (clients check every 25 s).
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(
        websocket::stream_base::timeout{std::chrono::seconds(10), std::chrono::seconds(60), false});
    ws_.async_accept(request_, beast::bind_front_handler(&Socket::on_accept, shared_from_this()));
  }

  const std::string& user_id() const override { return user_id_; }
  void watch(const std::string& cid) override { watching_.insert(cid); }
  void unwatch(const std::string& cid) override { watching_.erase(cid); }
  bool watches(const std::string& cid) const override { return watching_.count(cid) > 0; }

  void send(std::string frame) override {
    if (dropped_) return;
    queued_bytes_ += frame.size();
    queue_.push_back(std::move(frame));
    if (queued_bytes_ > server_.options().max_socket_backlog_bytes) return drop();
    if (!writing_) write_next();
  }

  void close() override {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close();
  }

 private:
  // Too far behind: the frames are not worth their memory, since /sync has them all. The
  // connection is cut (no close frame: the client is not reading); the pending read then fails
  // and forgets the socket (not here: the server may be walking its sockets, sending), what is
  // in flight fails, and the socket goes with its last handler.
  void drop() {
    dropped_ = true;
    close();
  }

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
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    if (dropped_) return;
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
  std::size_t queued_bytes_ = 0;  // of queue_, the frame being written included
  bool writing_ = false;
  bool dropped_ = false;
  bool closing_ = false;
  std::string connection_id_;
  std::string user_id_;
  std::set<std::string> watching_;
};

}  // namespace

void open_event_socket(beast::tcp_stream stream, http::request<http::string_body> request,
                       Server::Impl& server) {
  std::make_shared<Socket>(std::move(stream), std::move(request), server)->start();
}

}  // namespace chatkeep::server

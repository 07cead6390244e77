#include "support/scripted_server.hpp"

#include <ctime>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast.hpp>

namespace chatkeep::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

// The HTTP Date of now (RFC 7231 IMF-fixdate), as a real server sends it.
std::string http_date() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return text;
}

}  // namespace

class ScriptedServer::Impl {
 public:
  Impl() {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Impl() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  HttpHandler http_;
  FrameHandler greet_;
  FrameHandler answer_;
  std::vector<ScriptedRequest> requests_;
  std::vector<std::string> frames_;

 private:
  using Request = http::request<http::string_body>;

  struct Socket {
    explicit Socket(tcp::socket s) : ws(std::move(s)) {}
    websocket::stream<tcp::socket> ws;
    beast::flat_buffer buffer;
    std::vector<std::string> outgoing;
    bool writing = false;
  };

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      serve(std::make_shared<tcp::socket>(std::move(s)), std::make_shared<beast::flat_buffer>());
      accept();
    });
  }

  ScriptedRequest record(const Request& raw) {
    ScriptedRequest request{.method = std::string(raw.method_string()),
                            .target = std::string(raw.target()),
                            .body = raw.body()};
    for (const auto& field : raw) {
      std::string name(field.name_string());
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = std::string(field.value());
    }
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    return request;
  }

  void serve(std::shared_ptr<tcp::socket> socket, std::shared_ptr<beast::flat_buffer> buffer) {
    auto raw = std::make_shared<Request>();
    http::async_read(*socket, *buffer, *raw,
                     [this, socket, buffer, raw](boost::system::error_code ec, std::size_t) {
                       if (ec) return;
                       const ScriptedRequest request = record(*raw);
                       if (websocket::is_upgrade(*raw)) return upgrade(socket, raw, request);
                       HttpHandler handler;
                       {
                         std::lock_guard lock(mutex_);
                         handler = http_;
                       }
                       const ScriptedReply reply = handler ? handler(request) : ScriptedReply{404};
                       auto response = std::make_shared<http::response<http::string_body>>(
                           static_cast<http::status>(reply.status), raw->version());
                       response->set(http::field::content_type, "application/json");
                       response->set(http::field::date, http_date());
                       response->body() = reply.body;
                       response->keep_alive(raw->keep_alive());
                       response->prepare_payload();
                       http::async_write(*socket, *response,
                                         [this, socket, buffer, response](
                                             boost::system::error_code e, std::size_t) {
                                           if (!e && response->keep_alive()) serve(socket, buffer);
                                         });
                     });
  }

  void upgrade(const std::shared_ptr<tcp::socket>& socket, const std::shared_ptr<Request>& raw,
               const ScriptedRequest& request) {
    auto s = std::make_shared<Socket>(std::move(*socket));
    s->ws.async_accept(*raw, [this, s, raw, target = request.target](boost::system::error_code ec) {
      if (ec) return;
      FrameHandler greet;
      {
        std::lock_guard lock(mutex_);
        greet = greet_;
      }
      if (greet) send(s, greet(target));
      read(s);
    });
  }

  void read(const std::shared_ptr<Socket>& s) {
    s->ws.async_read(s->buffer, [this, s](boost::system::error_code ec, std::size_t) {
      if (ec) return;
      std::string text = beast::buffers_to_string(s->buffer.data());
      s->buffer.consume(s->buffer.size());
      FrameHandler answer;
      {
        std::lock_guard lock(mutex_);
        frames_.push_back(text);
        answer = answer_;
      }
      if (answer) send(s, answer(text));
      read(s);
    });
  }

  void send(const std::shared_ptr<Socket>& s, std::vector<std::string> frames) {
    for (auto& frame : frames)
      s->outgoing.push_back(std::move(frame));
    write_next(s);
  }

  void write_next(const std::shared_ptr<Socket>& s) {
    if (s->writing || s->outgoing.empty()) return;
    s->writing = true;
    auto text = std::make_shared<std::string>(std::move(s->outgoing.front()));
    s->outgoing.erase(s->outgoing.begin());
    s->ws.text(true);
    s->ws.async_write(asio::buffer(*text),
                      [this, s, text](boost::system::error_code ec, std::size_t) {
                        s->writing = false;
                        if (!ec) write_next(s);
                      });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
};

ScriptedServer::ScriptedServer() : impl_(std::make_unique<Impl>()) {}
ScriptedServer::~ScriptedServer() = default;

std::uint16_t ScriptedServer::port() const {
  return impl_->port_;
}

void ScriptedServer::on_http(HttpHandler handler) {
  std::lock_guard lock(impl_->mutex_);
  impl_->http_ = std::move(handler);
}

void ScriptedServer::on_socket(FrameHandler greet, FrameHandler answer) {
  std::lock_guard lock(impl_->mutex_);
  impl_->greet_ = std::move(greet);
  impl_->answer_ = std::move(answer);
}

std::vector<ScriptedRequest> ScriptedServer::requests() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->requests_;
}

std::vector<std::string> ScriptedServer::frames() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->frames_;
}

}  // namespace chatkeep::testing

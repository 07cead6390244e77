#include "relay.hpp"

#include <array>
#include <future>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

namespace chatkeep::cli {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// One relayed connection: bytes copied both ways until either side closes.
struct Pipe : std::enable_shared_from_this<Pipe> {
  explicit Pipe(tcp::socket accepted)
      : app(std::move(accepted)), server(app.get_executor()), resolver(app.get_executor()) {}

  void start(const std::string& host, std::uint16_t port) {
    resolver.async_resolve(
        host, std::to_string(port),
        [self = shared_from_this()](boost::system::error_code ec,
                                    const tcp::resolver::results_type& addresses) {
          if (ec) return self->close();
          asio::async_connect(self->server, addresses,
                              [self](boost::system::error_code ec2, const tcp::endpoint&) {
                                if (ec2) return self->close();
                                self->copy(self->app, self->server, self->up);
                                self->copy(self->server, self->app, self->down);
                              });
        });
  }

  void copy(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buffer) {
    from.async_read_some(asio::buffer(buffer), [self = shared_from_this(), &from, &to, &buffer](
                                                   boost::system::error_code ec, std::size_t n) {
      if (ec) return self->close();
      asio::async_write(to, asio::buffer(buffer, n),
                        [self, &from, &to, &buffer](boost::system::error_code ec2, std::size_t) {
                          if (ec2) return self->close();
                          self->copy(from, to, buffer);
                        });
    });
  }

  void close() {
    boost::system::error_code ignored;
    app.close(ignored);
    server.close(ignored);
  }

  tcp::socket app;
  tcp::socket server;
  tcp::resolver resolver;
  std::array<char, 16384> up{};
  std::array<char, 16384> down{};
};

}  // namespace

class Relay::Impl {
 public:
  Impl(std::string host, std::uint16_t port) : target_host_(std::move(host)), target_port_(port) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Impl() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }

  // Runs `f` on the relay's thread and waits for it.
  template <class F>
  void run(F f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  void cut() {
    cut_ = true;
    for (auto& weak : pipes_) {
      if (auto pipe = weak.lock()) pipe->close();
    }
    pipes_.clear();
  }
  void restore() { cut_ = false; }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      if (cut_) {
        boost::system::error_code ignored;
        socket.close(ignored);  // no network: the connection ends at once
      } else {
        auto pipe = std::make_shared<Pipe>(std::move(socket));
        std::erase_if(pipes_, [](const auto& weak) { return weak.expired(); });
        pipes_.push_back(pipe);
        pipe->start(target_host_, target_port_);
      }
      accept();
    });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
  std::uint16_t port_ = acceptor_.local_endpoint().port();
  std::string target_host_;
  std::uint16_t target_port_;
  bool cut_ = false;
  std::vector<std::weak_ptr<Pipe>> pipes_;
  std::thread thread_;
};

Relay::Relay(std::string host, std::uint16_t port)
    : impl_(std::make_shared<Impl>(std::move(host), port)) {}
Relay::~Relay() = default;
std::uint16_t Relay::port() const {
  return impl_->port();
}
void Relay::cut() {
  impl_->run([this] { impl_->cut(); });
}
void Relay::restore() {
  impl_->run([this] { impl_->restore(); });
}

}  // namespace chatkeep::cli

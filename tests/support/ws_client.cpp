#include "support/ws_client.hpp"

#include <chrono>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>

namespace chatkeep::testing {

struct WsClient::Impl {
  boost::asio::io_context io;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws{io};
};

WsClient::WsClient(std::uint16_t port, const std::string& target)
    : impl_(std::make_unique<Impl>()) {
  auto& tcp = boost::beast::get_lowest_layer(impl_->ws);
  tcp.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  tcp.expires_after(std::chrono::seconds(10));
  impl_->ws.handshake("127.0.0.1", target);
}

WsClient::~WsClient() = default;

boost::json::value WsClient::read() {
  boost::beast::get_lowest_layer(impl_->ws).expires_after(std::chrono::seconds(10));
  boost::beast::flat_buffer buffer;
  impl_->ws.read(buffer);
  return boost::json::parse(boost::beast::buffers_to_string(buffer.data()));
}

void WsClient::write(const std::string& text) {
  impl_->ws.text(true);
  impl_->ws.write(boost::asio::buffer(text));
}

int WsClient::read_until_closed() {
  try {
    for (;;)
      (void)read();
  } catch (const boost::system::system_error& e) {
    if (e.code() == boost::beast::websocket::error::closed) return impl_->ws.reason().code;
  }
  return -1;
}

}  // namespace chatkeep::testing

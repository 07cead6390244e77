#include "net/endpoint.hpp"

#include <charconv>
#include <optional>

#include <boost/url/parse.hpp>

#include "chatkeep/error.hpp"

namespace chatkeep::net {

namespace {

// A port, 1 to 65535; nullopt otherwise.
std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string Endpoint::host_header() const {
  std::string header = host.find(':') == std::string::npos ? host : "[" + host + "]";
  if (port != (tls ? 443 : 80)) header += ":" + std::to_string(port);
  return header;
}

Endpoint Endpoint::parse(std::string_view base_url, std::string_view connect_to) {
  auto url = boost::urls::parse_absolute_uri(base_url);
  auto bad = [&](std::string_view why) {
    return ChatError(ErrorCode::input,
                     "base URL '" + std::string(base_url) + "': " + std::string(why));
  };
  if (!url) throw bad("not an absolute URL");
  Endpoint endpoint;
  const std::string scheme(url->scheme());
  if (scheme == "https" || scheme == "wss") {
    endpoint.tls = true;
  } else if (scheme != "http" && scheme != "ws") {
    throw bad("the scheme must be http or https");
  }
  endpoint.host = std::string(url->host_address());
  if (endpoint.host.empty()) throw bad("no host");
  endpoint.port = endpoint.tls ? 443 : 80;
  if (url->has_port()) {
    const auto port = parse_port(url->port());
    if (!port) throw bad("bad port");
    endpoint.port = *port;
  }
  endpoint.base_path = std::string(url->encoded_path());
  while (!endpoint.base_path.empty() && endpoint.base_path.back() == '/')
    endpoint.base_path.pop_back();

  if (!connect_to.empty()) {
    const auto colon = connect_to.rfind(':');
    const auto port =
        colon == std::string_view::npos ? std::nullopt : parse_port(connect_to.substr(colon + 1));
    std::string_view host = connect_to.substr(0, colon == std::string_view::npos ? 0 : colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);  // [::1]:3030
    if (!port || host.empty()) {
      throw ChatError(ErrorCode::input,
                      "connect_to '" + std::string(connect_to) + "': expected host:port");
    }
    endpoint.connect_host = std::string(host);
    endpoint.connect_port = *port;
  }
  return endpoint;
}

std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& extra_ca_file) {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  context->set_default_verify_paths();
  if (!extra_ca_file.empty()) {
    boost::system::error_code ec;
    context->load_verify_file(extra_ca_file, ec);
    if (ec) {
      throw ChatError(ErrorCode::input,
                      "cannot load the CA file '" + extra_ca_file + "': " + ec.message());
    }
  }
  context->set_verify_mode(ssl::verify_peer);
  return context;
}

}  // namespace chatkeep::net

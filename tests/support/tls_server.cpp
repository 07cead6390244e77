#include "support/tls_server.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <stdexcept>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>

namespace chatkeep::testing {

namespace {

template <class Write>
std::string to_pem(Write write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (write(bio.get()) != 1) throw std::runtime_error("OpenSSL: PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

TestCertificate::TestCertificate(const std::string& subject_alt_names) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) throw std::runtime_error("OpenSSL: key or certificate");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("chatkeep test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] :
       {std::pair{NID_subject_alt_name, subject_alt_names},
        std::pair{NID_basic_constraints, std::string("critical,CA:TRUE")}}) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    if (!extension) throw std::runtime_error("OpenSSL: extension");
    X509_add_ext(cert.get(), extension, -1);
    X509_EXTENSION_free(extension);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("OpenSSL: sign");
  }
  certificate_pem = to_pem([&](BIO* bio) { return PEM_write_bio_X509(bio, cert.get()); });
  key_pem = to_pem([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
}

std::string TestCertificate::write_ca_file(const std::filesystem::path& path) const {
  std::ofstream(path) << certificate_pem;
  return path.string();
}

class TlsServer::Impl {
 public:
  explicit Impl(const TestCertificate& certificate) : tls_(boost::asio::ssl::context::tls_server) {
    tls_.use_certificate_chain(boost::asio::buffer(certificate.certificate_pem));
    tls_.use_private_key(boost::asio::buffer(certificate.key_pem), boost::asio::ssl::context::pem);
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Impl() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  using Stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket s) {
      if (ec) return;
      auto stream = std::make_shared<Stream>(std::move(s), tls_);
      stream->async_handshake(boost::asio::ssl::stream_base::server,
                              [this, stream](boost::system::error_code ec2) {
                                if (!ec2) serve(stream);
                              });
      accept();
    });
  }

  void serve(const std::shared_ptr<Stream>& stream) {
    namespace http = boost::beast::http;
    auto buffer = std::make_shared<boost::beast::flat_buffer>();
    auto request = std::make_shared<http::request<http::string_body>>();
    http::async_read(
        *stream, *buffer, *request,
        [this, stream, buffer, request](boost::system::error_code ec, std::size_t) {
          if (ec) return;
          if (boost::beast::websocket::is_upgrade(*request)) {
            echo(stream, request);
            return;
          }
          auto response = std::make_shared<http::response<http::string_body>>(http::status::ok,
                                                                              request->version());
          response->body() = R"({"target":")" + std::string(request->target()) + R"("})";
          response->keep_alive(request->keep_alive());
          response->prepare_payload();
          http::async_write(*stream, *response,
                            [this, stream, response](boost::system::error_code ec2, std::size_t) {
                              if (!ec2) serve(stream);
                            });
        });
  }

  struct Echo {
    explicit Echo(Stream&& stream) : ws(std::move(stream)) {}
    boost::beast::websocket::stream<Stream> ws;
    boost::beast::flat_buffer buffer;
  };

  void echo(const std::shared_ptr<Stream>& stream,
            const std::shared_ptr<boost::beast::http::request<boost::beast::http::string_body>>&
                request) {
    auto echo = std::make_shared<Echo>(std::move(*stream));
    echo->ws.async_accept(*request, [this, echo, request](boost::system::error_code ec) {
      if (!ec) read(echo);
    });
  }

  void read(const std::shared_ptr<Echo>& echo) {
    echo->ws.async_read(echo->buffer, [this, echo](boost::system::error_code ec, std::size_t) {
      if (ec) return;
      auto text =
          std::make_shared<std::string>(boost::beast::buffers_to_string(echo->buffer.data()));
      echo->buffer.consume(echo->buffer.size());
      echo->ws.text(true);
      echo->ws.async_write(boost::asio::buffer(*text),
                           [this, echo, text](boost::system::error_code ec2, std::size_t) {
                             if (!ec2) read(echo);
                           });
    });
  }

  boost::asio::io_context io_;
  boost::asio::ssl::context tls_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TlsServer::TlsServer(const TestCertificate& certificate)
    : impl_(std::make_unique<Impl>(certificate)) {}
TlsServer::~TlsServer() = default;
std::uint16_t TlsServer::port() const {
  return impl_->port();
}

}  // namespace chatkeep::testing

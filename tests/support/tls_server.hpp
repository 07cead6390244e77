#pragma once

// A TLS endpoint on loopback for tests, with a certificate made here: a self-signed EC key and
// certificate for the names asked for (by default IP 127.0.0.1 and DNS localhost), written as a
// CA file a client can trust. Every HTTP request gets 200 with {"target": "<its target>"}; a
// WebSocket upgrade gets an echo of every text frame.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace chatkeep::testing {

struct TestCertificate {
  std::string certificate_pem;
  std::string key_pem;

  explicit TestCertificate(const std::string& subject_alt_names = "IP:127.0.0.1,DNS:localhost");

  // Writes the certificate where a client can load it as a trust anchor.
  std::string write_ca_file(const std::filesystem::path& path) const;
};

class TlsServer {
 public:
  explicit TlsServer(const TestCertificate& certificate);  // listening, on its own thread
  ~TlsServer();
  std::uint16_t port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chatkeep::testing

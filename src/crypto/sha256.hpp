#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace chatkeep::crypto {

// The SHA-256 of `data` as 64 lowercase hex digits (OpenSSL), for names derived from ids that
// must be stable across builds and machines.
std::string sha256_hex(std::string_view data);

// The SHA-256 of a file's bytes, read in pieces; nullopt if it cannot be read.
std::optional<std::string> sha256_hex_of_file(const std::filesystem::path& path);

// A SHA-256 fed in pieces, for bytes that stream past (an upload) and are never whole in memory.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::string_view bytes);
  // The digest as 64 lowercase hex digits; the hasher is spent after it.
  std::string hex();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace chatkeep::crypto

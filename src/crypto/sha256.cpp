#include "crypto/sha256.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include "chatkeep/error.hpp"

namespace chatkeep::crypto {

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    throw ChatError(ErrorCode::internal, "SHA-256 failed");
  }
  std::string hex;
  hex.reserve(2 * size);
  for (unsigned int i = 0; i < size; ++i)
    hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace chatkeep::crypto

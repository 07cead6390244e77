#pragma once

#include <string>
#include <string_view>

namespace chatkeep::crypto {

// The SHA-256 of `data` as 64 lowercase hex digits (OpenSSL), for names derived from ids that
// must be stable across builds and machines.
std::string sha256_hex(std::string_view data);

}  // namespace chatkeep::crypto

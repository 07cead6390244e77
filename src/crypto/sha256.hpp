#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace chatkeep::crypto {

// The SHA-256 of `data` as 64 lowercase hex digits (OpenSSL), for names derived from ids that
// must be stable across builds and machines.
std::string sha256_hex(std::string_view data);

// The SHA-256 of a file's bytes, read in pieces; nullopt if it cannot be read.
std::optional<std::string> sha256_hex_of_file(const std::filesystem::path& path);

}  // namespace chatkeep::crypto

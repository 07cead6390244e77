#pragma once

// The fuzz input as JSON, for the targets that decode it; nullopt when it is not JSON (the
// parser's own refusal, which its own tests cover).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/json/value.hpp>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"

namespace chatkeep::fuzz {

inline std::optional<boost::json::value> json_input(const std::uint8_t* data, std::size_t size) {
  try {
    return parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const ChatError&) {
    return std::nullopt;
  }
}

}  // namespace chatkeep::fuzz

#include "chatkeep/token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"

namespace chatkeep {
namespace {

namespace json = boost::json;

constexpr std::string_view kHeader =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";  // {"alg":"HS256","typ":"JWT"}
constexpr std::string_view kDevSignature = "devtoken";

ChatError auth_error(ErrorCode code, std::string_view message) {
  return ChatError(code, std::string(message), 401);
}

// Standard base64 (OpenSSL), then the URL-safe alphabet without padding.
std::string base64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (char& c : out)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

// Either alphabet, padded or not (development tokens use standard base64 with padding).
std::optional<std::string> base64_decode(std::string_view text) {
  std::string in(text);
  for (char& c : in)
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  if (in.find('=') == std::string::npos) in.append((4 - in.size() % 4) % 4, '=');
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the bytes the padding stands for. Padding is at most two '=' and
  // only at the end; anything else is not base64 (and more '=' than bytes decoded would make
  // the size below wrap around: found by fuzzing).
  const std::size_t padding = in.size() - (in.find_last_not_of('=') + 1);
  if (padding > 2 || in.find('=') < in.size() - padding || padding > static_cast<std::size_t>(n)) {
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::string hmac_sha256(std::string_view secret, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &size)) {
    throw ChatError(ErrorCode::internal, "HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(digest), size);
}

std::string sign(std::string_view secret, const json::object& payload) {
  std::string token = std::string(kHeader) + "." + base64url(json::serialize(payload));
  return token + "." + base64url(hmac_sha256(secret, token));
}

struct Parts {
  std::string_view header, payload, signature;
};

Parts split(std::string_view token) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    throw auth_error(ErrorCode::authentication, "malformed token: expected three parts");
  }
  return {token.substr(0, first), token.substr(first + 1, second - first - 1),
          token.substr(second + 1)};
}

json::object decode_part(std::string_view part, std::string_view what) {
  auto bytes = base64_decode(part);
  if (!bytes) throw auth_error(ErrorCode::authentication, fmt::format("malformed token {}", what));
  try {
    json::value value = parse_json(*bytes);
    if (value.is_object()) return std::move(value.as_object());
  } catch (const ChatError&) {
  }
  throw auth_error(ErrorCode::authentication, fmt::format("malformed token {}", what));
}

std::optional<std::int64_t> seconds_claim(const json::object& payload, std::string_view name) {
  const json::value* v = payload.if_contains(name);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64())
    return static_cast<std::int64_t>(std::min<std::uint64_t>(v->get_uint64(), INT64_MAX));
  if (v->is_double()) {
    // Any JSON number is a claim's right, 1e300 too: clamped into range before the cast, which
    // would be undefined outside it. (A huge exp never expires; a huge nbf is never valid.)
    constexpr double kLimit = 9.0e18;
    return static_cast<std::int64_t>(std::clamp(std::floor(v->get_double()), -kLimit, kLimit));
  }
  throw auth_error(ErrorCode::authentication, fmt::format("token claim {} is not a number", name));
}

TokenClaims claims_of(const Parts& parts) {
  const json::object header = decode_part(parts.header, "header");
  const json::value* alg = header.if_contains("alg");
  if (!alg || !alg->is_string() || alg->get_string() != "HS256") {
    throw auth_error(ErrorCode::token_signature_invalid, "token algorithm must be HS256");
  }
  const json::object payload = decode_part(parts.payload, "payload");
  TokenClaims claims;
  if (const json::value* user = payload.if_contains("user_id"); user && user->is_string()) {
    claims.user_id = std::string(user->get_string());
  }
  if (const json::value* server = payload.if_contains("server"); server && server->is_bool()) {
    claims.server = server->get_bool();
  }
  claims.expires = seconds_claim(payload, "exp");
  claims.issued_at = seconds_claim(payload, "iat");
  claims.not_before = seconds_claim(payload, "nbf");
  claims.development = parts.signature == kDevSignature;
  if (!claims.server && (!claims.user_id || claims.user_id->empty())) {
    throw auth_error(ErrorCode::authentication, "token names no user");
  }
  return claims;
}

}  // namespace

std::string make_user_token(std::string_view secret, std::string_view user_id,
                            std::optional<Timestamp> expires, std::optional<Timestamp> issued_at) {
  json::object payload{{"user_id", user_id}};
  if (expires) payload["exp"] = expires->unix_seconds();
  if (issued_at) payload["iat"] = issued_at->unix_seconds();
  return sign(secret, payload);
}

std::string make_server_token(std::string_view secret) {
  return sign(secret, json::object{{"server", true}});
}

std::string make_dev_token(std::string_view user_id) {
  // Standard base64 for the payload, as Stream's SDKs write it.
  const std::string payload = json::serialize(json::object{{"user_id", user_id}});
  std::string encoded(4 * ((payload.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(payload.data()),
                                static_cast<int>(payload.size()));
  encoded.resize(static_cast<std::size_t>(n));
  return fmt::format("{}.{}.{}", kHeader, encoded, kDevSignature);
}

TokenClaims read_token_claims(std::string_view token) {
  return claims_of(split(token));
}

TokenClaims verify_token(std::string_view token, std::string_view secret, Timestamp now,
                         bool allow_dev_tokens) {
  const Parts parts = split(token);
  TokenClaims claims = claims_of(parts);
  if (claims.development) {
    if (!allow_dev_tokens || claims.server) {
      throw auth_error(ErrorCode::token_signature_invalid,
                       "development tokens are not allowed by this server");
    }
    return claims;
  }
  const std::string signed_part(token.substr(0, parts.header.size() + 1 + parts.payload.size()));
  const std::string expected = hmac_sha256(secret, signed_part);
  const auto given = base64_decode(parts.signature);
  if (!given || given->size() != expected.size() ||
      CRYPTO_memcmp(given->data(), expected.data(), expected.size()) != 0) {
    throw auth_error(ErrorCode::token_signature_invalid, "token signature is invalid");
  }
  const std::int64_t t = now.unix_seconds();
  if (claims.expires && t >= *claims.expires) {
    throw auth_error(ErrorCode::token_expired, "token has expired");
  }
  if (claims.not_before && t < *claims.not_before) {
    throw auth_error(ErrorCode::token_not_valid_yet, "token is not valid yet");
  }
  if (claims.issued_at && t < *claims.issued_at) {
    throw auth_error(ErrorCode::token_used_before_issued_at, "token used before issued-at");
  }
  return claims;
}

}  // namespace chatkeep

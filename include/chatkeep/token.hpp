#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chatkeep/timestamp.hpp"

namespace chatkeep {

// Stream's tokens (protocol.md, "Authentication"): HS256 JWTs signed with the app secret, and
// development tokens whose signature is the literal `devtoken`.

// A user token, payload {"user_id": ...} with `exp` and `iat` (whole seconds) when given.
std::string make_user_token(std::string_view secret, std::string_view user_id,
                            std::optional<Timestamp> expires = {},
                            std::optional<Timestamp> issued_at = {});
// The server-side token for admin calls, payload {"server": true}.
std::string make_server_token(std::string_view secret);
// A development token: no secret; accepted only by servers that allow them.
std::string make_dev_token(std::string_view user_id);

struct TokenClaims {
  std::optional<std::string> user_id;
  bool server = false;
  bool development = false;
  std::optional<std::int64_t> expires;     // exp, seconds since the epoch
  std::optional<std::int64_t> issued_at;   // iat
  std::optional<std::int64_t> not_before;  // nbf
};

// Checks a token at time `now` and returns its claims. Failures are ChatErrors with Stream's codes
// and HTTP 401: 5 for a malformed token or one naming no user, 43 for another algorithm or a bad
// signature (a development token where they are not allowed included), 40 expired, 41 not valid
// yet, 42 issued in the future.
TokenClaims verify_token(std::string_view token, std::string_view secret, Timestamp now,
                         bool allow_dev_tokens);

// The claims without checking the signature, as a client reads its own token (code 5 if
// malformed).
TokenClaims read_token_claims(std::string_view token);

}  // namespace chatkeep

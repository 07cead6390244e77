#pragma once

#include <string>

#include "http.hpp"
#include "router.hpp"

namespace chatkeep::server {

struct AuthSettings {
  std::string api_key;
  std::string api_secret;
  bool allow_dev_tokens = false;
};

// Where a request's token may be: REST calls carry it in the Authorization header only; the
// socket's upgrade also in the query (`authorization`, `stream-auth-type`), where browsers and
// Stream's clients put it. A token in a REST URL would end up in proxies' and servers' logs.
enum class TokenIn { header, header_or_query };

// Checks the api_key, the token (Authorization header, `stream-auth-type: jwt`) and that a user
// token belongs to the `user_id` the request names, then that the caller may use the route; fills
// request.caller. Failures are ChatErrors with Stream's codes (2 bad api key, 5 and 40-43 tokens,
// 17 not allowed).
void authenticate(Request& request, Access access, const AuthSettings& settings,
                  TokenIn token_in = TokenIn::header);

}  // namespace chatkeep::server

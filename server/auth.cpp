#include "auth.hpp"

#include "chatkeep/error.hpp"
#include "chatkeep/token.hpp"

namespace chatkeep::server {

void authenticate(Request& request, Access access, const AuthSettings& settings, TokenIn token_in) {
  auto api_key = request.query.find("api_key");
  if (api_key == request.query.end() || api_key->second != settings.api_key) {
    throw ChatError(ErrorCode::bad_api_key, "api_key not valid", 401);
  }
  // Sockets carry the token and auth type as query parameters.
  auto from_query = [&](const char* name) {
    auto found = request.query.find(name);
    return found == request.query.end() || token_in != TokenIn::header_or_query ? std::string()
                                                                                : found->second;
  };
  std::string token = request.header("Authorization");
  if (token.empty()) token = from_query("authorization");
  if (token.empty()) throw ChatError(ErrorCode::authentication, "missing authorization token", 401);
  std::string auth_type = request.header("stream-auth-type");
  if (auth_type.empty()) auth_type = from_query("stream-auth-type");
  if (!auth_type.empty() && auth_type != "jwt") {
    throw ChatError(ErrorCode::authentication, "unsupported stream-auth-type " + auth_type, 401);
  }
  const TokenClaims claims =
      verify_token(token, settings.api_secret, Timestamp::now(), settings.allow_dev_tokens);
  if (claims.server) {
    request.caller = Caller{.server = true};
  } else {
    auto named = request.query.find("user_id");
    if (named != request.query.end() && named->second != *claims.user_id) {
      throw ChatError(ErrorCode::authentication, "the token belongs to another user", 401);
    }
    request.caller = Caller{.user_id = claims.user_id};
  }
  if (access == Access::server && !request.caller.server) {
    throw ChatError(ErrorCode::not_allowed, "this call needs a server-side token", 403);
  }
  if (access == Access::user && !request.caller.user_id) {
    throw ChatError(ErrorCode::not_allowed, "this call needs a user token", 403);
  }
}

}  // namespace chatkeep::server

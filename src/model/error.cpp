#include "chatkeep/error.hpp"

#include <fmt/format.h>

#include "chatkeep/json.hpp"

namespace chatkeep {

bool is_retriable(ErrorCode code, int http_status) {
  switch (code) {
    case ErrorCode::internal:
    case ErrorCode::rate_limited:
    case ErrorCode::request_timeout:
    case ErrorCode::cooldown:
    case ErrorCode::network:
      return true;
    default:
      return http_status >= 500 || http_status == 408 || http_status == 429;
  }
}

ChatError::ChatError(ErrorCode code, std::string message, int http_status)
    : ChatError(code, std::move(message), http_status, is_retriable(code, http_status)) {}

ChatError::ChatError(ErrorCode code, std::string message, int http_status, bool retriable)
    : code_(code),
      http_status_(http_status),
      message_(std::move(message)),
      retriable_(retriable),
      what_(fmt::format("chatkeep error {}: {}", static_cast<int>(code), message_)) {}

ChatError error_from_json(const boost::json::value& body, int http_status) {
  const boost::json::object* object = body.if_object();
  const boost::json::value* code = object ? object->if_contains("code") : nullptr;
  if (!code || !code->is_int64()) {
    // No Stream error body: a proxy, a load balancer or a half-open connection answered.
    return ChatError(ErrorCode::network,
                     fmt::format("HTTP {} without a chat error body", http_status), http_status,
                     true);
  }
  std::string message;
  if (const auto* m = object->if_contains("message"); m && m->is_string()) {
    message = m->get_string();
  }
  int status = http_status;
  if (const auto* s = object->if_contains("StatusCode"); s && s->is_int64() && status == 0) {
    status = static_cast<int>(s->get_int64());
  }
  auto error_code = static_cast<ErrorCode>(static_cast<int>(code->get_int64()));
  return ChatError(error_code, std::move(message), status);
}

boost::json::object to_json(const ChatError& error) {
  return {{"code", static_cast<int>(error.code())},
          {"message", error.message()},
          {"StatusCode", error.http_status()},
          {"duration", "0.00ms"},
          {"more_info", "https://getstream.io/chat/docs/api_errors_response"},
          {"details", boost::json::array()}};
}

}  // namespace chatkeep

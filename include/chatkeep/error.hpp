#pragma once

#include <exception>
#include <string>

namespace chatkeep {

// Stream's error codes (protocol.md, "Errors"), and chatkeep's own from 1000 up. Any other code
// a server sends is kept as is: the enum has a fixed underlying type, so every int is a value.
enum class ErrorCode : int {
  internal = -1,
  bad_api_key = 2,
  authentication_failed = 3,
  input = 4,
  authentication = 5,
  rate_limited = 9,
  not_found = 16,
  not_allowed = 17,
  event_not_supported = 18,
  message_too_long = 20,
  payload_too_big = 22,
  request_timeout = 23,
  token_expired = 40,
  token_not_valid_yet = 41,
  token_used_before_issued_at = 42,
  token_signature_invalid = 43,
  cooldown = 60,

  // chatkeep's own, never on the wire.
  network = 1000,        // no answer, or an answer without a Stream error body
  storage = 1001,        // the local database failed
  invalid_state = 1002,  // the call does not fit the object's state (e.g. not connected)
  cancelled = 1003,      // the work was abandoned (shutdown, discard)
};

// Every public failure of chatkeep. A value type that is also thrown.
class ChatError : public std::exception {
 public:
  ChatError(ErrorCode code, std::string message, int http_status = 0);
  // With an explicit retriable flag, overriding the one derived from code and status.
  ChatError(ErrorCode code, std::string message, int http_status, bool retriable);

  ErrorCode code() const { return code_; }
  // The HTTP status the error came with; 0 when it did not come from an HTTP answer.
  int http_status() const { return http_status_; }
  const std::string& message() const { return message_; }
  // Whether trying the same thing again later can succeed (network, 5xx, 408, 429, codes
  // -1, 9, 23, 60).
  bool retriable() const { return retriable_; }

  const char* what() const noexcept override { return what_.c_str(); }

  friend bool operator==(const ChatError& a, const ChatError& b) {
    return a.code_ == b.code_ && a.http_status_ == b.http_status_ && a.message_ == b.message_ &&
           a.retriable_ == b.retriable_;
  }

 private:
  ErrorCode code_;
  int http_status_;
  std::string message_;
  bool retriable_;
  std::string what_;  // "chatkeep error <code>: <message>"
};

// Whether an error with this code and HTTP status is worth retrying (protocol.md).
bool is_retriable(ErrorCode code, int http_status);

}  // namespace chatkeep

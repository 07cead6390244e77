#pragma once

// A request as the routes see it, and their answer.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "addressed_event.hpp"

namespace chatkeep::server {

namespace http = boost::beast::http;

// Who is calling, once authenticated.
struct Caller {
  std::optional<std::string> user_id;  // a user token's user
  bool server = false;                 // the server-side token
};

struct Request {
  http::verb method = http::verb::unknown;
  std::string path;                          // percent-encoded (router.hpp)
  std::map<std::string, std::string> query;  // decoded; the last of repeated names wins
  std::vector<std::string> params;           // the {segments} of the route's pattern
  const http::request<http::string_body>* raw = nullptr;
  Caller caller;
  const void* connection = nullptr;  // the Connection it came on (server_impl.hpp), if known

  std::string header(std::string_view name) const;
  // The body as a JSON object ({} when empty); ChatError (code 4) when it is not one.
  boost::json::object json_body() const;
  // The `payload=` query parameter of GET requests, parsed the same way.
  boost::json::object json_payload() const;
};

// Bytes of a file on disk that an answer carries instead of JSON (a download), streamed.
struct FileSpan {
  std::filesystem::path path;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct Response {
  unsigned status = 200;
  boost::json::object body;  // "duration" is added on the way out
  // When set, the answer is this file's bytes, not `body`; `headers` then say what they are.
  std::optional<FileSpan> file;
  std::vector<std::pair<std::string, std::string>> headers;
  // Channels the caller's socket (the request's connection_id) watches from now on.
  std::vector<std::string> watch;
  // Channels the caller's socket stops watching.
  std::vector<std::string> unwatch;
  // Events pushed to the sockets but never logged (typing, notification.mark_read).
  std::vector<AddressedEvent> transient;
  // Run once the response has been written (fault injection that cuts connections).
  std::function<void()> then;
};

}  // namespace chatkeep::server

#pragma once

// A multipart/form-data body (RFC 7578) read as it arrives, in pieces of any size: each part's
// headers are parsed whole (they are small, and limited), its content is handed on in pieces and
// never held. An upload of 100 MB costs what its largest piece costs.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace chatkeep::server {

struct MultipartPart {
  std::string name;                     // Content-Disposition's name
  std::optional<std::string> filename;  // and filename, when the part is a file
  std::string content_type;             // as declared; "text/plain" when not
};

class MultipartReader {
 public:
  struct Handlers {
    std::function<void(const MultipartPart&)> begin;
    std::function<void(std::string_view)> content;
    std::function<void()> end;
  };

  // The boundary from a Content-Type header ("multipart/form-data; boundary=..."); ChatError
  // (400, code 4) when it is not multipart/form-data or names no usable boundary.
  static std::string boundary_of(std::string_view content_type);

  MultipartReader(std::string boundary, Handlers handlers);

  // The next bytes of the body. Throws ChatError (400, code 4) once they cannot be a
  // multipart body, or the handlers' errors.
  void feed(std::string_view bytes);
  // The body has ended: ChatError (400) unless it ended with the closing boundary.
  void finish();

 private:
  enum class Stage { preamble, after_boundary, headers, content, epilogue };
  void parse_headers(std::string_view block);

  static constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
  static constexpr int kMaxParts = 16;

  std::string delimiter_;  // CRLF "--" boundary
  Handlers handlers_;
  Stage stage_ = Stage::preamble;
  std::string pending_;  // bytes not yet placed: a possible delimiter's start, or headers
  int parts_ = 0;
};

}  // namespace chatkeep::server

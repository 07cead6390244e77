#pragma once

// Files for upload tests: a real (tiny) PNG, and multipart/form-data bodies as clients send them.

#include <string>
#include <string_view>

namespace chatkeep::testing {

// A valid 1x1 PNG: what libmagic calls image/png.
inline std::string tiny_png() {
  static constexpr unsigned char kBytes[] = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
      0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
      0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
      0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99,
      0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
  return std::string(reinterpret_cast<const char*>(kBytes), sizeof(kBytes));
}

inline constexpr std::string_view kBoundary = "----chatkeep-test-boundary-7MA4YWxkTrZu0gW";

inline std::string multipart_content_type() {
  return "multipart/form-data; boundary=" + std::string(kBoundary);
}

// A body with one `file` part (and a `user` part when given).
inline std::string multipart_file(std::string_view filename, std::string_view content_type,
                                  std::string_view bytes, std::string_view user_json = {}) {
  std::string body;
  if (!user_json.empty()) {
    body += "--" + std::string(kBoundary) + "\r\n";
    body += "Content-Disposition: form-data; name=\"user\"\r\n\r\n";
    body += std::string(user_json) + "\r\n";
  }
  body += "--" + std::string(kBoundary) + "\r\n";
  std::string quoted;  // quotes and backslashes escaped
  for (char c : filename) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  body += "Content-Disposition: form-data; name=\"file\"; filename=\"" + quoted + "\"\r\n";
  body += "Content-Type: " + std::string(content_type) + "\r\n\r\n";
  body += bytes;
  body += "\r\n--" + std::string(kBoundary) + "--\r\n";
  return body;
}

}  // namespace chatkeep::testing

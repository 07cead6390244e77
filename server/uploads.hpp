#pragma once

// Uploads (protocol.md, "Files"): POST /channels/{type}/{id}/image and /file take one file as
// multipart/form-data; the bytes go to disk as they arrive, named by their SHA-256, and the
// answer is the URL that serves them. The session reads the request's header first and asks
// begin_upload (server.cpp) whether the caller may upload there, so a refused upload costs no
// disk; then it feeds the body to an UploadReceiver piece by piece.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/sha256.hpp"
#include "http.hpp"
#include "multipart.hpp"
#include "router.hpp"
#include "state.hpp"

namespace chatkeep::server {

struct UploadSettings {
  std::filesystem::path directory;  // where the files are, by hash
  std::string public_url;           // what URLs start with: scheme, host and port
  std::uint64_t max_bytes = 0;      // per file
};

// Whether the request (by its method and path) is an upload: the channel's cid and whether it
// is the image route.
struct UploadRoute {
  std::string cid;
  bool image = false;
};
std::optional<UploadRoute> upload_route(http::verb method, std::string_view target);

// One upload's body on its way in. The file part is written to a temporary file in the
// directory while hashed; finish() checks it, moves it to its hash's name and records it.
class UploadReceiver {
 public:
  // `request` is authenticated and allowed to upload to `route`.
  UploadReceiver(Request request, UploadRoute route, const UploadSettings& settings);
  ~UploadReceiver();  // removes the temporary file unless finished
  UploadReceiver(const UploadReceiver&) = delete;
  UploadReceiver& operator=(const UploadReceiver&) = delete;

  // The next bytes of the body; ChatError (400 malformed, 413 too large) ends the upload.
  void feed(std::string_view bytes);
  // The body is complete: the answer ({"file": url}), the upload recorded. ChatError when the
  // body held no file, or an image route got something that is no image.
  Response finish(State& state);

  std::uint64_t body_bytes() const { return body_bytes_; }
  const Request& request() const { return request_; }

 private:
  void begin_part(const MultipartPart& part);
  void part_content(std::string_view bytes);

  Request request_;
  UploadRoute route_;
  const UploadSettings& settings_;
  MultipartReader reader_;
  enum class Into { nothing, file, user } into_ = Into::nothing;
  bool have_file_ = false;
  std::string file_name_;
  std::filesystem::path temporary_;
  int fd_ = -1;
  crypto::Sha256 hash_;
  std::uint64_t file_bytes_ = 0;
  std::uint64_t body_bytes_ = 0;
  std::string head_;       // the file's first bytes, to tell its type
  std::string user_part_;  // the `user` part of a server-side call (JSON)
};

// DELETE /channels/{type}/{id}/image and /file (?url=), and GET /uploads/{hash}/{name} (Range
// supported). Downloads need no token: a URL is as good as the file, as with Stream's CDN.
void add_upload_routes(Router& router, State& state, const UploadSettings& settings);

}  // namespace chatkeep::server

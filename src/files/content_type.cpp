#include "files/content_type.hpp"

#include <fstream>
#include <memory>
#include <mutex>

#include <magic.h>

#include "chatkeep/error.hpp"

namespace chatkeep::files {

namespace {

// One libmagic handle for the process, loaded on first use: loading its database costs
// milliseconds, and a handle is not safe for two threads at once, hence the mutex.
class Magic {
 public:
  std::string mime_type(std::string_view head) {
    std::lock_guard lock(mutex_);
    if (!cookie_) {
      cookie_.reset(magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF));
      if (!cookie_ || magic_load(cookie_.get(), nullptr) != 0) {
        const std::string why = cookie_ ? magic_error(cookie_.get()) : "out of memory";
        cookie_.reset();
        throw ChatError(ErrorCode::internal, "libmagic cannot load its database: " + why);
      }
    }
    const char* type = magic_buffer(cookie_.get(), head.data(), head.size());
    return type ? std::string(type) : std::string("application/octet-stream");
  }

 private:
  struct Close {
    void operator()(magic_t cookie) const { magic_close(cookie); }
  };
  std::mutex mutex_;
  std::unique_ptr<std::remove_pointer_t<magic_t>, Close> cookie_;
};

Magic& magic() {
  static Magic instance;
  return instance;
}

}  // namespace

std::string content_type(std::string_view head) {
  if (head.size() > kContentTypeHead) head = head.substr(0, kContentTypeHead);
  std::string type = magic().mime_type(head);
  // libmagic says "inode/x-empty" for nothing at all, and "application/x-empty" in some builds.
  if (type.empty() || type.find("empty") != std::string::npos) return "application/octet-stream";
  return type;
}

std::string content_type_of_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ChatError(ErrorCode::input, "cannot read " + path.string());
  std::string head(kContentTypeHead, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (in.bad()) throw ChatError(ErrorCode::input, "cannot read " + path.string());
  head.resize(static_cast<std::size_t>(in.gcount()));
  return content_type(head);
}

bool is_image(std::string_view mime_type) {
  // The formats apps show as pictures. libmagic also knows dozens of obscure "image/x-..."
  // types, some of which random bytes match (a BIOS logo, say); those are files. SVG can carry
  // script: a file too.
  for (std::string_view type : {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp",
                                "image/tiff", "image/heic", "image/heif", "image/avif"}) {
    if (mime_type == type) return true;
  }
  return false;
}

std::string attachment_type(std::string_view mime_type) {
  if (is_image(mime_type)) return "image";
  if (mime_type.starts_with("video/")) return "video";
  if (mime_type.starts_with("audio/")) return "audio";
  return "file";
}

}  // namespace chatkeep::files

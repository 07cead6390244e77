// Files the user sends (DESIGN.md, "The outbox"): copying them into the file cache when they are
// sent, and files sent alone, outside the outbox. The outbox's side is outbox_actions.cpp (the
// message and its entries) and outbox_uploads.cpp (delivery).

#include <algorithm>

#include <fmt/format.h>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "chatkeep/uuid.hpp"
#include "client/client_core.hpp"
#include "files/content_type.hpp"

namespace chatkeep {

namespace json = boost::json;

namespace {

// A MIME type the app gave goes into a multipart header: "type/subtype" and parameters, in
// printable ASCII without quotes that could end the header early.
void check_mime_type(const std::string& type) {
  const bool printable = std::all_of(type.begin(), type.end(), [](char c) {
    return c > 0x20 && c < 0x7F && c != '"' && c != '\\';
  });
  if (type.size() > 127 || !printable || type.find('/') == std::string::npos) {
    throw ChatError(ErrorCode::input, "not a MIME type: '" + type + "'");
  }
}

}  // namespace

std::vector<outbox::Upload> ClientCore::stage_files(FileCache& cache,
                                                    std::vector<LocalFile> files) {
  std::vector<outbox::Upload> staged;
  try {
    for (auto& file : files) {
      std::uintmax_t size = file.bytes.size();
      if (!file.path.empty()) {
        std::error_code error;
        size = std::filesystem::file_size(file.path, error);
        if (error) {
          throw ChatError(ErrorCode::input,
                          "cannot read " + file.path.string() + ": " + error.message());
        }
      }
      if (size > kMaxFileBytes) {
        throw ChatError(
            ErrorCode::input,
            fmt::format("{} is {} bytes, over the {} a file may be",
                        file.path.empty() ? "a file" : file.path.string(), size, kMaxFileBytes));
      }
      if (file.mime_type) check_mime_type(*file.mime_type);
      outbox::Upload& upload = staged.emplace_back();
      upload.key = "upload:" + make_uuid_v4();
      if (file.path.empty()) {
        cache.put(upload.key, file.bytes, FileCache::Keep::pinned);
      } else {
        cache.put_file(upload.key, file.path, FileCache::Keep::pinned);
      }
      const auto stored = cache.stored(upload.key);
      if (!stored) throw ChatError(ErrorCode::storage, "a file vanished from the cache as it came");
      upload.sha256 = stored->sha256;
      upload.size = static_cast<std::int64_t>(stored->size);
      upload.path = stored->path.string();
      // Told from the content only when the app did not say (libmagic reads the file).
      upload.mime_type =
          file.mime_type ? *file.mime_type : files::content_type_of_file(stored->path);
      upload.name = file.title.value_or(file.path.filename().string());
      if (upload.name.empty()) upload.name = "file";
      upload.image = files::is_image(upload.mime_type);
    }
  } catch (...) {
    unstage_files(cache, staged);
    throw;
  }
  return staged;
}

void ClientCore::unstage_files(FileCache& cache, const std::vector<outbox::Upload>& files) {
  for (const auto& file : files) {
    try {
      cache.remove(file.key);
    } catch (const ChatError&) {
      // The sweep at the next start takes what is left.
    }
  }
}

void ClientCore::upload_alone(const std::string& cid, outbox::Upload file, bool image_route,
                              Callback<std::string> done) {
  auto fail = [&](ChatError error) { deliver([done, error] { done({.error = error}); }); };
  if (!session_) return fail(ChatError(ErrorCode::invalid_state, "no user is connected"));
  if (image_route && !file.image) {
    unstage_files(*session_->files, {file});
    return fail(ChatError(ErrorCode::input, "the file is not an image (" + file.mime_type + ")"));
  }
  authorized<json::object>(
      [this, cid, file, image_route](Callback<json::object> answer) {
        api_->upload_file(cid, image_route,
                          net::FileUpload{.file = file.path,
                                          .size = static_cast<std::uint64_t>(file.size),
                                          .filename = file.name,
                                          .content_type = file.mime_type},
                          nullptr, std::move(answer));
      },
      [this, file, done, files = session_->files](Result<json::object> r) {
        Result<std::string> result;
        result.value = r ? outbox::answered_url(*r.value) : std::nullopt;
        if (!result.value) {
          result.error = r.error.value_or(
              ChatError(ErrorCode::input, "the server's answer holds no usable URL of the file"));
        }
        // Kept under its URL when it went, else let go of.
        boost::asio::post(files_thread_, [this, files, file, result, done] {
          try {
            if (result.value) {
              files->rekey(file.key, *result.value);
            } else {
              files->remove(file.key);
            }
          } catch (const ChatError& e) {
            log_->warn("the file cache after an upload: {}", e.what());
          }
          deliver([done, result] { done(result); });
        });
      });
}

void ClientCore::delete_file(const std::string& cid, bool image, const std::string& url,
                             Callback<bool> done) {
  auto fail = [&](ChatError error) { deliver([done, error] { done({.error = error}); }); };
  if (!session_) return fail(ChatError(ErrorCode::invalid_state, "no user is connected"));
  authorized<json::object>(
      [this, cid, image, url](Callback<json::object> answer) {
        api_->delete_file(cid, image, url, std::move(answer));
      },
      [this, done](Result<json::object> r) {
        Result<bool> result;
        if (r) {
          result.value = true;
        } else {
          result.error = r.error;
        }
        deliver([done, result] { done(result); });
      });
}

}  // namespace chatkeep

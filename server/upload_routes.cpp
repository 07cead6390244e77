// Uploads (uploads.hpp): the receiver that takes a multipart body to disk, and the routes that
// delete and serve what was uploaded.
//
// Files are named by the SHA-256 of their bytes, so identical bytes are stored once however
// often and wherever they are sent; a row per (channel, hash, name) says who may see them under
// which URL. A URL is public_url/uploads/{hash}/{name}: the same bytes sent again to the same
// channel under the same name get the same URL, which is what lets a client retry an upload
// whose answer was lost without leaving a second copy.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/pchars.hpp>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "files/content_type.hpp"
#include "ids.hpp"
#include "routes.hpp"
#include "uploads.hpp"

namespace chatkeep::server {

namespace {

constexpr std::size_t kMaxUserPart = 64 * 1024;
constexpr std::size_t kMaxNameBytes = 200;

[[noreturn]] void too_large(const UploadSettings& settings) {
  throw ChatError(ErrorCode::payload_too_big,
                  fmt::format("file over the limit of {} bytes", settings.max_bytes), 413);
}

// Whether `text` is UTF-8 without control characters: what a file name in a URL may hold.
bool printable_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80           ? 1
                         : (c >> 5) == 0x6  ? 2
                         : (c >> 4) == 0xE  ? 3
                         : (c >> 3) == 0x1E ? 4
                                            : 0;
    if (length == 0 || i + length > text.size()) return false;
    if (length == 1 && (c < 0x20 || c == 0x7F)) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
    }
    i += length;
  }
  return true;
}

// The name an upload is served under: the last segment of what the client called it, printable,
// at most kMaxNameBytes; "file" when nothing usable is left.
std::string served_name(std::string_view given) {
  const std::size_t slash = given.find_last_of("/\\");
  if (slash != std::string_view::npos) given.remove_prefix(slash + 1);
  if (given == "." || given == ".." || !printable_utf8(given)) return "file";
  std::string name(given);
  if (name.size() > kMaxNameBytes) {
    std::size_t cut = kMaxNameBytes;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) >> 6) == 0x2)
      --cut;  // not inside a character
    name.resize(cut);
  }
  return name.empty() ? "file" : name;
}

std::string upload_url(const UploadSettings& settings, const std::string& hash,
                       const std::string& name) {
  return settings.public_url + "/uploads/" + hash + "/" +
         boost::urls::encode(name, boost::urls::pchars);
}

bool is_hash(std::string_view text) {
  return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::filesystem::path stored_file(const UploadSettings& settings, const std::string& hash) {
  return settings.directory / hash;
}

// The (hash, name) a URL of this server names; ChatError 400 when it names none.
std::pair<std::string, std::string> named_upload(const UploadSettings& settings,
                                                 const std::string& url) {
  const std::string prefix = settings.public_url + "/uploads/";
  auto parsed = boost::urls::parse_uri(url);
  if (!url.starts_with(prefix) || !parsed || parsed->segments().size() != 3) {
    throw ChatError(ErrorCode::input, "url: not an upload of this server", 400);
  }
  auto segment = parsed->segments().begin();
  ++segment;
  std::string hash = *segment++;
  std::string name = *segment;
  if (!is_hash(hash)) throw ChatError(ErrorCode::input, "url: not an upload of this server", 400);
  return {std::move(hash), std::move(name)};
}

Response delete_upload(State& state, const UploadSettings& settings, Request& request) {
  const std::string cid = make_cid(request.params[0], request.params[1]);
  auto url = request.query.find("url");
  if (url == request.query.end()) throw ChatError(ErrorCode::input, "url is required", 400);
  const auto [hash, name] = named_upload(settings, url->second);
  const auto channel = state.channel(cid);
  if (!channel) {
    throw ChatError(ErrorCode::not_found, fmt::format("channel '{}' does not exist", cid), 404);
  }
  const auto upload = state.upload(cid, hash, name);
  if (!upload) throw ChatError(ErrorCode::not_found, "no such upload in this channel", 404);
  if (!request.caller.server) {
    const std::string& me = *request.caller.user_id;
    require_member(state, cid, me);
    // Its sender, or whoever may change the channel.
    if (upload->user_id != me) require_capability(state, *channel, me, "update-channel");
  }
  state.remove_upload(cid, hash, name);
  if (!state.bytes_referenced(hash)) {
    std::error_code ignored;
    std::filesystem::remove(stored_file(settings, hash), ignored);
  }
  return Response{};
}

// One range of `size` bytes from a Range header ("bytes=a-b", "bytes=a-", "bytes=-n"); nullopt
// for the whole file (no header, or several ranges, which a server may answer whole). Throws
// a 416 answer's error when the range lies outside the file.
std::optional<std::pair<std::uint64_t, std::uint64_t>> range_of(std::string_view header,
                                                                std::uint64_t size) {
  if (header.empty()) return std::nullopt;
  if (!header.starts_with("bytes=") || header.find(',') != std::string_view::npos) {
    return std::nullopt;
  }
  header.remove_prefix(6);
  const std::size_t dash = header.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view digits) -> std::optional<std::uint64_t> {
    if (digits.empty() || digits.size() > 19 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
    return std::stoull(std::string(digits));
  };
  const auto first = number(header.substr(0, dash));
  const auto last = number(header.substr(dash + 1));
  std::uint64_t begin = 0;
  std::uint64_t end = 0;  // exclusive
  if (first) {
    if (!last && dash + 1 != header.size()) return std::nullopt;
    begin = *first;
    end = last ? std::min(*last + 1, size) : size;
  } else if (last) {
    begin = size - std::min(*last, size);
    end = size;
  } else {
    return std::nullopt;
  }
  if (begin >= size || begin >= end) {
    throw ChatError(ErrorCode::input, "range not satisfiable", 416);
  }
  return std::pair{begin, end};
}

Response download(State& state, const UploadSettings& settings, Request& request) {
  const std::string& hash = request.params[0];
  const std::string& name = request.params[1];
  const auto upload = is_hash(hash) ? state.any_upload(hash, name) : std::nullopt;
  std::error_code error;
  const std::filesystem::path path = stored_file(settings, hash);
  const std::uint64_t size = upload ? std::filesystem::file_size(path, error) : 0;
  if (!upload || error) throw ChatError(ErrorCode::not_found, "no such file", 404);
  Response response;
  response.headers = {{"Content-Type", upload->content_type},
                      {"Accept-Ranges", "bytes"},
                      {"ETag", "\"" + hash + "\""},
                      // The bytes under a URL never change: its name is their hash.
                      {"Cache-Control", "public, max-age=31536000, immutable"},
                      // A browser on this origin must not run what a user uploaded: the type is
                      // the one told from the content, never guessed again, and anything but a
                      // plain image is a download, not a page.
                      {"X-Content-Type-Options", "nosniff"}};
  if (!files::is_image(upload->content_type)) {
    response.headers.emplace_back("Content-Disposition", "attachment");
  }
  std::optional<std::pair<std::uint64_t, std::uint64_t>> range;
  try {
    range = range_of(request.header("Range"), size);
  } catch (const ChatError&) {
    response.status = 416;
    response.headers.emplace_back("Content-Range", fmt::format("bytes */{}", size));
    response.file = FileSpan{.path = path, .offset = 0, .length = 0};
    return response;
  }
  if (range) {
    response.status = 206;
    response.headers.emplace_back(
        "Content-Range", fmt::format("bytes {}-{}/{}", range->first, range->second - 1, size));
    response.file =
        FileSpan{.path = path, .offset = range->first, .length = range->second - range->first};
  } else {
    response.file = FileSpan{.path = path, .offset = 0, .length = size};
  }
  return response;
}

}  // namespace

std::optional<UploadRoute> upload_route(http::verb method, std::string_view target) {
  if (method != http::verb::post) return std::nullopt;
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  const auto segments = url->segments();
  if (segments.size() != 4) return std::nullopt;
  auto it = segments.begin();
  if (*it++ != "channels") return std::nullopt;
  const std::string type = *it++;
  const std::string id = *it++;
  const std::string kind = *it;
  if (kind != "image" && kind != "file") return std::nullopt;
  require_valid_id(IdKind::channel_type, type, "type");
  require_valid_id(IdKind::channel_id, id, "id");
  return UploadRoute{.cid = make_cid(type, id), .image = kind == "image"};
}

UploadReceiver::UploadReceiver(Request request, UploadRoute route, const UploadSettings& settings)
    : request_(std::move(request)),
      route_(std::move(route)),
      settings_(settings),
      reader_(MultipartReader::boundary_of(request_.header("Content-Type")),
              MultipartReader::Handlers{
                  .begin = [this](const MultipartPart& part) { begin_part(part); },
                  .content = [this](std::string_view bytes) { part_content(bytes); },
                  .end = [this] { into_ = Into::nothing; }}) {}

UploadReceiver::~UploadReceiver() {
  if (fd_ >= 0) ::close(fd_);
  if (!temporary_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
}

void UploadReceiver::feed(std::string_view bytes) {
  body_bytes_ += bytes.size();
  reader_.feed(bytes);
}

void UploadReceiver::begin_part(const MultipartPart& part) {
  if (part.name == "file") {
    if (have_file_) throw ChatError(ErrorCode::input, "more than one file part", 400);
    have_file_ = true;
    file_name_ = served_name(part.filename.value_or("file"));
    std::random_device random;
    temporary_ = settings_.directory / fmt::format(".incoming-{:08x}{:08x}", random(), random());
    fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      temporary_.clear();
      throw ChatError(ErrorCode::internal,
                      std::string("storing an upload: ") + std::strerror(errno));
    }
    into_ = Into::file;
  } else if (part.name == "user") {
    into_ = Into::user;
  } else {
    into_ = Into::nothing;  // other fields are ignored, as Stream does
  }
}

void UploadReceiver::part_content(std::string_view bytes) {
  if (into_ == Into::user) {
    if (user_part_.size() + bytes.size() > kMaxUserPart) {
      throw ChatError(ErrorCode::input, "the user part is too long", 400);
    }
    user_part_.append(bytes);
    return;
  }
  if (into_ != Into::file) return;
  file_bytes_ += bytes.size();
  if (file_bytes_ > settings_.max_bytes) too_large(settings_);
  if (head_.size() < files::kContentTypeHead) {
    head_.append(bytes.substr(0, files::kContentTypeHead - head_.size()));
  }
  hash_.update(bytes);
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw ChatError(ErrorCode::internal,
                      std::string("storing an upload: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

Response UploadReceiver::finish(State& state) {
  reader_.finish();
  if (!have_file_) throw ChatError(ErrorCode::input, "the body has no file part", 400);
  const std::string type = files::content_type(head_);
  if (route_.image && !files::is_image(type)) {
    throw ChatError(ErrorCode::input,
                    fmt::format("the file is not an image (its content is {})", type), 400);
  }
  std::string uploader;
  if (request_.caller.user_id) {
    uploader = *request_.caller.user_id;
  } else if (!user_part_.empty()) {
    // A server-side call names its user; a user's own call never does (it is the token's).
    const boost::json::value user = parse_json(user_part_);
    const boost::json::value* id = user.is_object() ? user.as_object().if_contains("id") : nullptr;
    if (!id || !id->is_string())
      throw ChatError(ErrorCode::input, "user.id: expected a string", 400);
    uploader = std::string(id->as_string());
    require_valid_id(IdKind::user_id, uploader, "user.id");
  }
  const std::string hash = hash_.hex();
  if (::fsync(fd_) != 0 || ::close(std::exchange(fd_, -1)) != 0) {
    throw ChatError(ErrorCode::internal, std::string("storing an upload: ") + std::strerror(errno));
  }
  // Identical bytes are already there, or become so by this rename (atomic: no reader sees half).
  std::filesystem::rename(temporary_, stored_file(settings_, hash));
  temporary_.clear();
  const State::Upload kept =
      state.record_upload(State::Upload{.cid = route_.cid,
                                        .hash = hash,
                                        .name = file_name_,
                                        .content_type = type,
                                        .size = static_cast<std::int64_t>(file_bytes_),
                                        .user_id = uploader,
                                        .created_at = Timestamp::now()});
  Response response;
  response.body["file"] = upload_url(settings_, kept.hash, kept.name);
  if (route_.image) response.body["thumb_url"] = response.body["file"];
  return response;
}

void add_upload_routes(Router& router, State& state, const UploadSettings& settings) {
  for (const char* kind : {"image", "file"}) {
    router.add(http::verb::delete_, fmt::format("/channels/{{type}}/{{id}}/{}", kind),
               Access::user_or_server,
               [&state, &settings](Request& r) { return delete_upload(state, settings, r); });
  }
  router.add(http::verb::get, "/uploads/{hash}/{name}", Access::anyone,
             [&state, &settings](Request& r) { return download(state, settings, r); });
}

}  // namespace chatkeep::server

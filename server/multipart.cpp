#include "multipart.hpp"

#include <algorithm>
#include <cctype>

#include "chatkeep/error.hpp"

namespace chatkeep::server {

namespace {

[[noreturn]] void malformed(const std::string& why) {
  throw ChatError(ErrorCode::input, "malformed multipart body: " + why, 400);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

// The value of `name` among a header's `; name=value` parameters, unquoted.
std::optional<std::string> parameter(std::string_view header, std::string_view name) {
  std::size_t at = header.find(';');
  while (at != std::string_view::npos) {
    std::string_view rest = trimmed(header.substr(at + 1));
    const std::size_t equals = rest.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    const std::string key = lower(trimmed(rest.substr(0, equals)));
    rest = trimmed(rest.substr(equals + 1));
    std::string value;
    std::size_t end = 0;
    if (!rest.empty() && rest.front() == '"') {
      for (end = 1; end < rest.size() && rest[end] != '"'; ++end) {
        if (rest[end] == '\\' && end + 1 < rest.size()) ++end;
        value += rest[end];
      }
      if (end >= rest.size()) return std::nullopt;  // unterminated
      ++end;
    } else {
      end = std::min(rest.find(';'), rest.size());
      value = std::string(trimmed(rest.substr(0, end)));
    }
    if (key == name) return value;
    const std::size_t next = rest.find(';', end);
    if (next == std::string_view::npos) return std::nullopt;
    at = static_cast<std::size_t>(rest.data() + next - header.data());
  }
  return std::nullopt;
}

}  // namespace

std::string MultipartReader::boundary_of(std::string_view content_type) {
  const std::string type = lower(trimmed(content_type.substr(0, content_type.find(';'))));
  if (type != "multipart/form-data") {
    throw ChatError(ErrorCode::input, "expected a multipart/form-data body", 400);
  }
  auto boundary = parameter(content_type, "boundary");
  // RFC 2046: 1 to 70 characters.
  if (!boundary || boundary->empty() || boundary->size() > 70) {
    throw ChatError(ErrorCode::input, "multipart/form-data without a usable boundary", 400);
  }
  return *boundary;
}

MultipartReader::MultipartReader(std::string boundary, Handlers handlers)
    : delimiter_("\r\n--" + boundary), handlers_(std::move(handlers)) {
  // The first boundary may open the body, with no line break before it.
  pending_ = "\r\n";
}

void MultipartReader::feed(std::string_view bytes) {
  pending_.append(bytes);
  for (;;) {
    switch (stage_) {
      case Stage::preamble:
      case Stage::content: {
        const std::size_t found = pending_.find(delimiter_);
        if (found == std::string::npos) {
          // All but what could be the start of a delimiter is content (or preamble, dropped).
          const std::size_t keep = std::min(pending_.size(), delimiter_.size() - 1);
          const std::size_t safe = pending_.size() - keep;
          if (stage_ == Stage::content && safe > 0) {
            handlers_.content(std::string_view(pending_).substr(0, safe));
          }
          pending_.erase(0, safe);
          if (stage_ == Stage::preamble && pending_.size() > kMaxHeaderBytes) {
            malformed("no boundary where the body starts");
          }
          return;
        }
        if (stage_ == Stage::content) {
          if (found > 0) handlers_.content(std::string_view(pending_).substr(0, found));
          handlers_.end();
        }
        pending_.erase(0, found + delimiter_.size());
        stage_ = Stage::after_boundary;
        break;
      }
      case Stage::after_boundary: {
        if (pending_.size() < 2) return;
        if (pending_.starts_with("--")) {
          stage_ = Stage::epilogue;
          break;
        }
        // Transport padding (spaces and tabs) may follow a boundary before its line ends.
        const std::size_t line_end = pending_.find("\r\n");
        if (line_end == std::string::npos) {
          if (pending_.size() > 256) malformed("a boundary line too long");
          return;
        }
        if (!trimmed(std::string_view(pending_).substr(0, line_end)).empty()) {
          malformed("text after a boundary");
        }
        pending_.erase(0, line_end + 2);
        if (++parts_ > kMaxParts) malformed("more than " + std::to_string(kMaxParts) + " parts");
        stage_ = Stage::headers;
        break;
      }
      case Stage::headers: {
        const std::size_t end = pending_.find("\r\n\r\n");
        if (end == std::string::npos) {
          if (pending_.size() > kMaxHeaderBytes) malformed("a part's headers are too long");
          return;
        }
        const std::string block = pending_.substr(0, end + 2);
        pending_.erase(0, end + 4);
        parse_headers(block);
        // The content ends where a delimiter starts: its CRLF is the delimiter's.
        stage_ = Stage::content;
        break;
      }
      case Stage::epilogue:
        pending_.clear();
        return;
    }
  }
}

void MultipartReader::parse_headers(std::string_view block) {
  MultipartPart part{.content_type = "text/plain"};
  bool disposed = false;
  while (!block.empty()) {
    const std::size_t line_end = block.find("\r\n");
    const std::string_view line = block.substr(0, line_end);
    block.remove_prefix(line_end == std::string_view::npos ? block.size() : line_end + 2);
    if (line.empty()) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) malformed("a part header without a colon");
    const std::string name = lower(trimmed(line.substr(0, colon)));
    const std::string_view value = trimmed(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (lower(trimmed(value.substr(0, value.find(';')))) != "form-data") {
        malformed("a part that is not form-data");
      }
      auto field = parameter(value, "name");
      if (!field) malformed("a part without a name");
      part.name = std::move(*field);
      part.filename = parameter(value, "filename");
      disposed = true;
    } else if (name == "content-type") {
      part.content_type = std::string(value);
    }
  }
  if (!disposed) malformed("a part without Content-Disposition");
  handlers_.begin(part);
}

void MultipartReader::finish() {
  if (stage_ != Stage::epilogue) malformed("the body ended before its closing boundary");
}

}  // namespace chatkeep::server

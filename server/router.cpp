#include "router.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"

namespace chatkeep::server {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 1;
  while (start <= path.size()) {
    const auto end = path.find('/', start);
    segments.emplace_back(path.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return segments;
}

boost::json::object parse_object(std::string_view text, std::string_view what) {
  if (text.empty()) return {};
  boost::json::value value = parse_json(text);
  if (!value.is_object()) {
    throw ChatError(ErrorCode::input, std::string(what) + " must be a JSON object", 400);
  }
  return std::move(value.as_object());
}

}  // namespace

std::string Request::header(std::string_view name) const {
  auto found = raw->find(name);
  return found == raw->end() ? std::string() : std::string(found->value());
}

boost::json::object Request::json_body() const {
  try {
    return parse_object(raw->body(), "the request body");
  } catch (const ChatError& e) {
    throw ChatError(e.code(), e.message(), 400);  // bad input from outside is a 400
  }
}

boost::json::object Request::json_payload() const {
  auto found = query.find("payload");
  try {
    return parse_object(found == query.end() ? std::string_view() : found->second, "payload");
  } catch (const ChatError& e) {
    throw ChatError(e.code(), e.message(), 400);
  }
}

void Router::add(http::verb method, std::string pattern, Access access, Handler handler) {
  routes_.push_back({method, split_path(pattern), access, std::move(handler)});
}

namespace {

// The path's segments, each percent-decoded after the split: an id holding an encoded '/'
// stays one segment, addressable like any other, and cannot route elsewhere.
std::vector<std::string> decoded_segments(std::string_view encoded_path) {
  std::vector<std::string> segments = split_path(encoded_path);
  for (auto& segment : segments) {
    auto text = boost::urls::make_pct_string_view(segment);
    if (!text) throw ChatError(ErrorCode::input, "malformed percent-encoding in the path", 400);
    segment = text->decode();
  }
  return segments;
}

}  // namespace

Router::Match Router::match(Request& request) const {
  const auto segments = decoded_segments(request.path);
  Match result;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::vector<std::string> params;
    bool same = true;
    for (std::size_t i = 0; i < segments.size() && same; ++i) {
      const std::string& want = route.segments[i];
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        same = !segments[i].empty();
        params.push_back(segments[i]);
      } else {
        same = want == segments[i];
      }
    }
    if (!same) continue;
    result.path_known = true;
    if (route.method != request.method) continue;
    request.params = std::move(params);
    result.handler = &route.handler;
    result.access = route.access;
    return result;
  }
  return result;
}

}  // namespace chatkeep::server

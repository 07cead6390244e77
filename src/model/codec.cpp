#include "model/codec.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"

namespace chatkeep::model {
namespace {

// Error messages quote keys from untrusted input: keep them short and printable.
void append_key(std::string& out, std::string_view key) {
  constexpr std::size_t kMaxShown = 64;
  for (std::size_t i = 0; i < key.size() && i < kMaxShown; ++i) {
    auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (key.size() > kMaxShown) out += "...";
}

void append_canonical(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      const json::object& object = v.get_object();
      std::vector<const json::key_value_pair*> members;
      members.reserve(object.size());
      for (const auto& member : object)
        members.push_back(&member);
      std::sort(members.begin(), members.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out.push_back('{');
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (i) out.push_back(',');
        out += json::serialize(json::string_view(members[i]->key()));
        out.push_back(':');
        append_canonical(out, members[i]->value());
      }
      out.push_back('}');
      break;
    }
    case json::kind::array: {
      const json::array& array = v.get_array();
      out.push_back('[');
      for (std::size_t i = 0; i < array.size(); ++i) {
        if (i) out.push_back(',');
        append_canonical(out, array[i]);
      }
      out.push_back(']');
      break;
    }
    default:
      out += json::serialize(v);
  }
}

// A number beyond double's range parses as infinity, which JSON cannot express: refuse it rather
// than write `Infinity` back later.
void check_finite(const json::value& v, const Path& path) {
  switch (v.kind()) {
    case json::kind::double_:
      if (!std::isfinite(v.get_double())) fail(path, "number out of range");
      break;
    case json::kind::object:
      for (const auto& member : v.get_object()) {
        check_finite(member.value(), Path(path, member.key()));
      }
      break;
    case json::kind::array: {
      const json::array& array = v.get_array();
      for (std::size_t i = 0; i < array.size(); ++i)
        check_finite(array[i], Path(path, i));
      break;
    }
    default:
      break;
  }
}

}  // namespace

std::string Path::str() const {
  std::vector<const Path*> frames;
  for (const Path* p = this; p; p = p->parent_)
    frames.push_back(p);
  std::string out;
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    const Path& frame = **it;
    if (frame.is_index_) {
      out += fmt::format("[{}]", frame.index_);
    } else {
      if (frame.parent_) out.push_back('.');
      append_key(out, frame.key_);
    }
  }
  return out;
}

void fail(const Path& path, std::string_view problem) {
  throw ChatError(ErrorCode::input, fmt::format("{}: {}", path.str(), problem));
}

void read(const json::value& v, std::string& out, const Path& path) {
  const json::string* s = v.if_string();
  if (!s) fail(path, "expected string");
  out.assign(s->data(), s->size());
}

void read(const json::value& v, bool& out, const Path& path) {
  const bool* b = v.if_bool();
  if (!b) fail(path, "expected boolean");
  out = *b;
}

void read(const json::value& v, std::int64_t& out, const Path& path) {
  if (const std::int64_t* i = v.if_int64()) {
    out = *i;
  } else if (const std::uint64_t* u = v.if_uint64()) {
    if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      fail(path, "integer out of range");
    }
    out = static_cast<std::int64_t>(*u);
  } else {
    fail(path, "expected integer");
  }
}

void read(const json::value& v, Timestamp& out, const Path& path) {
  const json::string* s = v.if_string();
  std::optional<Timestamp> t;
  if (s) t = Timestamp::parse(std::string_view(s->data(), s->size()));
  if (!t) fail(path, "expected RFC 3339 time");
  out = *t;
}

void read(const json::value& v, json::object& out, const Path& path) {
  const json::object* object = v.if_object();
  if (!object) fail(path, "expected object");
  out = *object;
}

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
  } else if (!open_.empty()) {
    if (open_.back()) out_.push_back(',');
    open_.back() = true;
  }
}

void JsonWriter::flush() {
  while (!serializer_.done())
    out_.append(serializer_.read(buffer_));
}

void JsonWriter::begin_object() {
  separate();
  out_.push_back('{');
  open_.push_back(false);
}

void JsonWriter::end_object() {
  out_.push_back('}');
  open_.pop_back();
}

void JsonWriter::begin_array() {
  separate();
  out_.push_back('[');
  open_.push_back(false);
}

void JsonWriter::end_array() {
  out_.push_back(']');
  open_.pop_back();
}

void JsonWriter::key(std::string_view name) {
  string(name);
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::string(std::string_view s) {
  separate();
  serializer_.reset(json::string_view(s.data(), s.size()));
  flush();
}

void JsonWriter::integer(std::int64_t v) {
  separate();
  char digits[24];
  out_.append(digits, std::to_chars(digits, digits + sizeof digits, v).ptr);
}

void JsonWriter::boolean(bool v) {
  separate();
  out_.append(v ? "true" : "false");
}

void JsonWriter::value(const json::value& v) {
  separate();
  serializer_.reset(&v);
  flush();
}

void JsonWriter::value(const json::object& v) {
  separate();
  serializer_.reset(&v);
  flush();
}

void append(const std::string& v, JsonWriter& w) {
  w.string(v);
}
void append(bool v, JsonWriter& w) {
  w.boolean(v);
}
void append(std::int64_t v, JsonWriter& w) {
  w.integer(v);
}
void append(const Timestamp& v, JsonWriter& w) {
  w.string(v.to_string());
}
void append(const json::object& v, JsonWriter& w) {
  w.value(v);
}

json::value write(const std::string& v) {
  return json::value(json::string_view(v));
}
json::value write(bool v) {
  return json::value(v);
}
json::value write(std::int64_t v) {
  return json::value(v);
}
json::value write(const Timestamp& v) {
  return json::value(v.to_string());
}
json::value write(const json::object& v) {
  return json::value(v);
}

}  // namespace chatkeep::model

namespace chatkeep {

boost::json::value parse_json(std::string_view text, const ParseLimits& limits,
                              boost::json::storage_ptr storage) {
  if (text.size() > limits.max_bytes) {
    throw ChatError(ErrorCode::payload_too_big,
                    fmt::format("JSON text of {} bytes is over the limit of {} bytes", text.size(),
                                limits.max_bytes));
  }
  // One parser per thread and depth limit, reused: building one allocates its buffers.
  thread_local std::size_t parser_depth = 0;
  thread_local std::unique_ptr<boost::json::parser> parser;
  if (!parser || parser_depth != limits.max_depth) {
    boost::json::parse_options options;
    options.max_depth = limits.max_depth;
    parser = std::make_unique<boost::json::parser>(boost::json::storage_ptr(), options);
    parser_depth = limits.max_depth;
  }
  parser->reset(std::move(storage));
  boost::system::error_code ec;
  // write() takes a complete text: incomplete input and trailing data are errors.
  const std::size_t consumed = parser->write(text.data(), text.size(), ec);
  if (ec) {
    throw ChatError(ErrorCode::input,
                    fmt::format("invalid JSON at byte {}: {}", consumed, ec.message()));
  }
  boost::json::value json = parser->release();
  model::check_finite(json, model::Path("json"));
  return json;
}

std::string canonical_json(const boost::json::value& json) {
  std::string out;
  model::append_canonical(out, json);
  return out;
}

}  // namespace chatkeep

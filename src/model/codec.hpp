#pragma once

// The machinery behind chatkeep's JSON codec. Each model type has one field table that names its
// members once; decoding and encoding both walk it, so the two directions cannot disagree.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json.hpp>

#include "chatkeep/timestamp.hpp"

namespace chatkeep::model {

namespace json = boost::json;

// Writes JSON text directly, without building a json::value first: the encoder's hot path.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  // An object member's name; the next value written is its value.
  void key(std::string_view name);
  void string(std::string_view s);
  void integer(std::int64_t v);
  void boolean(bool v);
  void value(const json::value& v);
  void value(const json::object& v);

 private:
  void separate();  // a comma between members or elements, as needed
  void flush();     // what the serializer was reset to, into out_

  std::string& out_;
  json::serializer serializer_;
  std::vector<bool> open_;  // per open object or array: whether a member was written
  bool after_key_ = false;
  char buffer_[1024];
};

// Deeper model nesting than this (quoted messages quoting quoted messages...) is refused.
inline constexpr std::size_t kMaxModelDepth = 32;

// Where a value sits in a document: a chain of frames on the decoder's stack, formatted only when
// something fails.
class Path {
 public:
  explicit Path(std::string_view root) : key_(root) {}
  Path(const Path& parent, std::string_view key)
      : parent_(&parent), key_(key), depth_(parent.depth_ + 1) {}
  Path(const Path& parent, std::size_t index)
      : parent_(&parent), index_(index), is_index_(true), depth_(parent.depth_ + 1) {}

  std::size_t depth() const { return depth_; }
  // "message.attachments[2].title"
  std::string str() const;

 private:
  const Path* parent_ = nullptr;
  std::string_view key_;
  std::size_t index_ = 0;
  bool is_index_ = false;
  std::size_t depth_ = 0;
};

// Throws ChatError{input, "<path>: <problem>"}.
[[noreturn]] void fail(const Path& path, std::string_view problem);

// Leaf values.
void read(const json::value& v, std::string& out, const Path& path);
void read(const json::value& v, bool& out, const Path& path);
void read(const json::value& v, std::int64_t& out, const Path& path);
void read(const json::value& v, Timestamp& out, const Path& path);
void read(const json::value& v, json::object& out, const Path& path);

json::value write(const std::string& v);
json::value write(bool v);
json::value write(std::int64_t v);
json::value write(const Timestamp& v);
json::value write(const json::object& v);

void append(const std::string& v, JsonWriter& w);
void append(bool v, JsonWriter& w);
void append(std::int64_t v, JsonWriter& w);
void append(const Timestamp& v, JsonWriter& w);
void append(const json::object& v, JsonWriter& w);

}  // namespace chatkeep::model

namespace chatkeep {
class Filter;
struct SortOption;
struct Event;
}  // namespace chatkeep

namespace chatkeep::model {

// Types whose rules go beyond a field table. Declared before the container templates below so
// that those find them (these types live outside this namespace, out of reach of ADL).
void read(const json::value& v, Filter& out, const Path& path);
json::value write(const Filter& v);
void read(const json::value& v, SortOption& out, const Path& path);
json::value write(const SortOption& v);
void append(const Filter& v, JsonWriter& w);
void append(const SortOption& v, JsonWriter& w);
// Event decoding is not table-only: the type decides whether the rest is read at all.
void read(const json::value& v, Event& out, const Path& path);

template <class T>
struct Tag {};

template <class T>
class FieldTable;

// A type is modelled when a field table is declared for it (one overload of field_table per type,
// defined beside the type's table).
template <class T>
concept Modelled = requires {
  field_table(Tag<T>{});
};

template <Modelled T>
void read(const json::value& v, T& out, const Path& path);
template <Modelled T>
json::value write(const T& v);
template <Modelled T>
void append(const T& v, JsonWriter& w);

// Containers, in terms of their elements.
template <class T>
void read(const json::value& v, std::optional<T>& out, const Path& path) {
  read(v, out.emplace(), path);
}

template <class T>
void read(const json::value& v, std::shared_ptr<const T>& out, const Path& path) {
  auto value = std::make_shared<T>();
  read(v, *value, path);
  out = std::move(value);
}

template <class T>
void read(const json::value& v, std::vector<T>& out, const Path& path) {
  const json::array* array = v.if_array();
  if (!array) fail(path, "expected array");
  out.clear();
  out.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    read((*array)[i], out.emplace_back(), Path(path, i));
  }
}

template <class T>
void read(const json::value& v, std::map<std::string, T>& out, const Path& path) {
  const json::object* object = v.if_object();
  if (!object) fail(path, "expected object");
  out.clear();
  for (const auto& member : *object) {
    read(member.value(), out[std::string(member.key())], Path(path, member.key()));
  }
}

template <class T>
json::value write(const std::vector<T>& v) {
  json::array array;
  array.reserve(v.size());
  for (const auto& element : v)
    array.push_back(write(element));
  return array;
}

template <class T>
json::value write(const std::map<std::string, T>& v) {
  json::object object;
  object.reserve(v.size());
  for (const auto& [key, element] : v)
    object.emplace(key, write(element));
  return object;
}

template <class T>
void append(const std::vector<T>& v, JsonWriter& w) {
  w.begin_array();
  for (const auto& element : v)
    append(element, w);
  w.end_array();
}

template <class T>
void append(const std::map<std::string, T>& v, JsonWriter& w) {
  w.begin_object();
  for (const auto& [key, element] : v) {
    w.key(key);
    append(element, w);
  }
  w.end_object();
}

// Whether a member holds a value to encode.
template <class T>
bool is_set(const std::optional<T>& v) {
  return v.has_value();
}
template <class T>
bool is_set(const std::shared_ptr<const T>& v) {
  return v != nullptr;
}
template <class T>
bool is_set(const T&) {
  return true;  // required members are always written
}

template <class T>
const T& value_of(const std::optional<T>& v) {
  return *v;
}
template <class T>
const T& value_of(const std::shared_ptr<const T>& v) {
  return *v;
}
template <class T>
const T& value_of(const T& v) {
  return v;
}

// One member of a model type's JSON object.
template <class T>
struct Field {
  std::string_view name;
  void (*decode)(T& object, const json::value& v, const Path& path);
  void (*encode)(const T& object, std::string_view name, json::object& out);
  void (*append)(const T& object, JsonWriter& w);  // the member's value
  bool (*present)(const T& object);                // whether the member is written
  bool required = false;
};

template <class T, auto Member>
void decode_member(T& object, const json::value& v, const Path& path) {
  read(v, object.*Member, path);
}

template <class T, auto Member>
void encode_member(const T& object, std::string_view name, json::object& out) {
  const auto& member = object.*Member;
  if (is_set(member)) out.insert_or_assign(name, write(value_of(member)));
}

template <class T, auto Member>
void append_member(const T& object, JsonWriter& w) {
  append(value_of(object.*Member), w);
}

template <class T, auto Member>
bool member_present(const T& object) {
  return is_set(object.*Member);
}

template <class T, auto Member>
constexpr Field<T> make_field(std::string_view name, bool required) {
  return Field<T>{name,
                  &decode_member<T, Member>,
                  &encode_member<T, Member>,
                  &append_member<T, Member>,
                  &member_present<T, Member>,
                  required};
}

// The member's wire name is its C++ name: tables cannot misspell it.
#define CHATKEEP_FIELD(Type, member) \
  ::chatkeep::model::make_field<Type, &Type::member>(#member, false)
#define CHATKEEP_REQUIRED(Type, member) \
  ::chatkeep::model::make_field<Type, &Type::member>(#member, true)

// The fields of T. T must have a member `extra` (json::object) for everything else. A table may
// also name a check to run once every member is read (cross-field rules, derived values).
template <class T>
class FieldTable {
 public:
  using Finish = void (*)(T& object, const Path& path);

  FieldTable(std::string_view root_name, std::vector<Field<T>> fields, Finish finish = nullptr)
      : root_name_(root_name), fields_(std::move(fields)), finish_(finish) {
    if (fields_.size() > 64) throw std::logic_error("a field table holds at most 64 fields");
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      index_.emplace(fields_[i].name, i);
      if (fields_[i].required) required_.push_back(i);
    }
  }

  // The name that starts error paths when T is decoded at the root ("message").
  std::string_view root_name() const { return root_name_; }
  // Whether `name` is one of T's modelled fields (else a decoded object keeps it in `extra`).
  bool names(std::string_view name) const { return index_.contains(name); }
  // The bits of read()'s `given` for the fields named (each must be one of T's).
  std::uint64_t given_fields(std::initializer_list<std::string_view> names) const {
    std::uint64_t bits = 0;
    for (auto name : names)
      bits |= std::uint64_t{1} << index_.at(name);
    return bits;
  }

  // Reads `v` into `out`. The fields whose bits are set in `given` (given_fields()) the caller
  // has set already, from outside the document: they count as present.
  void read(const json::value& v, T& out, const Path& path, std::uint64_t given = 0) const {
    if (path.depth() > kMaxModelDepth) fail(path, "nested too deeply");
    const json::object* object = v.if_object();
    if (!object) fail(path, "expected object");
    std::uint64_t seen = given;  // bit i: field i was present
    // append() writes the fields in the table's order, leaving out those not set, so in a
    // stored row each key is most likely one of the fields after the last one found. The search
    // starts there and wraps around: a few comparisons, most ending at the length, where
    // hashing every key cost a third of decoding a message.
    std::size_t next = 0;
    for (const auto& member : *object) {
      const std::size_t i = find_field(member.key(), next);
      if (i == fields_.size()) {
        out.extra.insert_or_assign(member.key(), member.value());
        continue;
      }
      next = i + 1;
      const Field<T>& field = fields_[i];
      seen |= std::uint64_t{1} << i;
      if (member.value().is_null() && !field.required) {
        out.extra.insert_or_assign(member.key(), nullptr);  // kept so encoding writes it back
        continue;
      }
      field.decode(out, member.value(), Path(path, member.key()));
    }
    for (std::size_t i : required_) {
      if (!(seen >> i & 1)) fail(Path(path, fields_[i].name), "required");
    }
    if (finish_) finish_(out, path);
  }

  // The object as JSON text, leaving out the members named in `except`.
  void append(const T& v, JsonWriter& w,
              std::initializer_list<std::string_view> except = {}) const {
    auto excluded = [&](std::string_view name) {
      return std::find(except.begin(), except.end(), name) != except.end();
    };
    w.begin_object();
    for (const auto& field : fields_) {
      if (!field.present(v) || excluded(field.name)) continue;
      w.key(field.name);
      field.append(v, w);
    }
    for (const auto& member : v.extra) {
      if (excluded(member.key())) continue;
      // A modelled field that is set takes precedence over `extra`, as in write().
      auto found = index_.find(member.key());
      if (found != index_.end() && fields_[found->second].present(v)) continue;
      w.key(member.key());
      w.value(member.value());
    }
    w.end_object();
  }

  json::object write(const T& v) const {
    json::object out;
    out.reserve(fields_.size() + v.extra.size());
    for (const auto& field : fields_)
      field.encode(v, field.name, out);
    for (const auto& member : v.extra) {
      if (!out.contains(member.key())) out.emplace(member.key(), member.value());
    }
    return out;
  }

 private:
  // The index of the field named `name`, searched from `from` (at most fields_.size()) on and
  // then from the start; fields_.size() when T has none.
  std::size_t find_field(std::string_view name, std::size_t from) const {
    for (std::size_t i = from; i < fields_.size(); ++i)
      if (fields_[i].name == name) return i;
    for (std::size_t i = 0; i < from; ++i)
      if (fields_[i].name == name) return i;
    return fields_.size();
  }

  std::string_view root_name_;
  std::vector<Field<T>> fields_;
  Finish finish_;
  std::unordered_map<std::string_view, std::size_t> index_;
  std::vector<std::size_t> required_;
};

template <Modelled T>
void read(const json::value& v, T& out, const Path& path) {
  field_table(Tag<T>{}).read(v, out, path);
}

template <Modelled T>
json::value write(const T& v) {
  return field_table(Tag<T>{}).write(v);
}

template <Modelled T>
void append(const T& v, JsonWriter& w) {
  field_table(Tag<T>{}).append(v, w);
}

// T's JSON text without the members named in `except` (for rows that keep them elsewhere).
template <Modelled T>
std::string encode_except(const T& v, std::initializer_list<std::string_view> except) {
  std::string out;
  JsonWriter w(out);
  field_table(Tag<T>{}).append(v, w, except);
  return out;
}

// Decodes a stored row into `out`, whose members named in `given` the caller has set from the
// row's columns (a row's JSON leaves out what its columns hold): decoding needs no copy of the
// document with them put back in.
template <Modelled T>
void read_row(const json::value& v, T& out, std::initializer_list<std::string_view> given) {
  const auto& table = field_table(Tag<T>{});
  table.read(v, out, Path(table.root_name()), table.given_fields(given));
}

// Decodes a whole document as T, with T's root name starting the error paths.
template <Modelled T>
T read_root(const json::value& v) {
  const auto& table = field_table(Tag<T>{});
  T out;
  table.read(v, out, Path(table.root_name()));
  return out;
}

}  // namespace chatkeep::model

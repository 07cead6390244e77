#include "search/indexed_text.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

namespace chatkeep::search {
namespace {

namespace json = boost::json;

const json::string* string_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? &value->get_string() : nullptr;
}

// The file name in a URL: the last part of its path, without query or fragment.
std::string_view file_name(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const auto slash = url.rfind('/');
  return slash == std::string_view::npos ? std::string_view{} : url.substr(slash + 1);
}

void append_line(std::string& out, std::string_view line) {
  if (line.empty()) return;
  if (!out.empty()) out += '\n';
  const std::size_t from = out.size();
  out.append(line);
  for (std::size_t i = from; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (c < 0x20 && c != '\n' && c != '\t') out[i] = ' ';
  }
}

// The next code point of `text` from `i`, moving `i` past it; a byte that starts no valid
// sequence stands for itself (stored text is valid UTF-8; this only must not run past the end).
char32_t next_code_point(std::string_view text, std::size_t& i) {
  const auto lead = static_cast<unsigned char>(text[i++]);
  if (lead < 0x80) return lead;
  const int extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
  char32_t c = lead & (0x3F >> extra);
  for (int k = 0; k < extra && i < text.size(); ++k)
    c = (c << 6) | (static_cast<unsigned char>(text[i++]) & 0x3F);
  return c;
}

struct Range {
  char32_t first, last;
};
// Scripts written without spaces between words, and symbols the word tokenizer drops.
constexpr std::array<Range, 14> kUnspaced = {{
    {0x0E00, 0x0EFF},    // Thai, Lao
    {0x1000, 0x109F},    // Myanmar
    {0x1780, 0x17FF},    // Khmer
    {0x2300, 0x23FF},    // technical symbols (watch, hourglass)
    {0x2600, 0x27BF},    // symbols, dingbats
    {0x2B00, 0x2BFF},    // arrows and stars
    {0x2E80, 0x9FFF},    // CJK radicals and punctuation, kana, Bopomofo, CJK ideographs
    {0xA000, 0xA4CF},    // Yi
    {0xAC00, 0xD7AF},    // Hangul syllables
    {0xF900, 0xFAFF},    // CJK compatibility ideographs
    {0xFF65, 0xFFDC},    // half-width kana and Hangul
    {0x1F000, 0x1FAFF},  // emoji and pictographs
    {0x20000, 0x3134F},  // CJK extensions B to G
    {0xE0000, 0xE007F},  // tags (flag sequences)
}};

// A trigger asks for the same row's text several times in a row (its WHEN clause, each index's
// statement, and SQLite may evaluate a subquery's column more than once): the last few answers
// are kept, by the exact JSON they came from, so that each row's JSON is parsed once.
struct RecentTexts {
  static constexpr std::size_t kSize = 4;
  struct Entry {
    std::string json;
    std::optional<std::string> text;
  };
  std::array<Entry, kSize> entries;
  std::size_t next = 0;

  const std::optional<std::string>& of(std::string_view json) {
    for (const Entry& e : entries)
      if (!e.json.empty() && e.json == json) return e.text;
    Entry& e = entries[next++ % kSize];
    e.json.assign(json);
    e.text = indexed_text(json);
    return e.text;
  }
};

void indexed_text_function(sqlite3_context* context, int, sqlite3_value** argv) {
  const auto* data = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  if (!data) return sqlite3_result_null(context);
  const auto size = static_cast<std::size_t>(sqlite3_value_bytes(argv[0]));
  thread_local RecentTexts recent;
  const std::optional<std::string>& text = recent.of({data, size});
  if (!text) return sqlite3_result_null(context);
  sqlite3_result_text64(context, text->data(), text->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void unspaced_function(sqlite3_context* context, int, sqlite3_value** argv) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  if (!text) return sqlite3_result_null(context);
  const auto size = static_cast<std::size_t>(sqlite3_value_bytes(argv[0]));
  auto words = unspaced_words({text, size});
  if (!words) return sqlite3_result_null(context);
  sqlite3_result_text64(context, words->data(), words->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

}  // namespace

std::optional<std::string> indexed_text(std::string_view message_json) {
  // Most stored messages are a few hundred bytes: parsed on the stack.
  std::array<unsigned char, 4096> buffer;
  json::monotonic_resource arena(buffer.data(), buffer.size());
  boost::system::error_code ec;
  const json::value value = json::parse(message_json, ec, &arena);
  if (ec || !value.is_object()) return std::nullopt;
  const json::object& message = value.get_object();
  const json::string* type = string_at(message, "type");
  const json::value* deleted_at = message.if_contains("deleted_at");
  if ((type && *type == "deleted") || (deleted_at && !deleted_at->is_null())) return std::nullopt;
  std::string out;
  if (const json::string* text = string_at(message, "text")) append_line(out, *text);
  const json::value* attachments = message.if_contains("attachments");
  if (attachments && attachments->is_array()) {
    for (const json::value& a : attachments->get_array()) {
      if (!a.is_object()) continue;
      const json::object& attachment = a.get_object();
      std::string_view title;
      if (const json::string* t = string_at(attachment, "title")) {
        title = *t;
        append_line(out, title);
      }
      for (const char* key : {"asset_url", "image_url"}) {
        const json::string* url = string_at(attachment, key);
        if (!url) continue;
        const std::string_view name = file_name(*url);
        if (name != title) append_line(out, name);
        break;
      }
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> unspaced_words(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t end = std::min(text.find_first_of(" \t\n\r", i), text.size());
    const std::string_view word = text.substr(i, end - i);
    if (has_unspaced(word)) {
      if (!out.empty()) out += ' ';
      out.append(word);
    }
    i = end + 1;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

bool has_unspaced(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const char32_t c = next_code_point(text, i);
    for (const Range& r : kUnspaced)
      if (c >= r.first && c <= r.last) return true;
  }
  return false;
}

void register_functions(sqlite3* db) {
  // Deterministic, so that a trigger computes the very text an earlier trigger indexed; and
  // innocuous, so that triggers may call them whatever the connection's trusted_schema says.
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  sqlite3_create_function_v2(db, "chatkeep_indexed_text", 1, flags, nullptr, indexed_text_function,
                             nullptr, nullptr, nullptr);
  sqlite3_create_function_v2(db, "chatkeep_unspaced", 1, flags, nullptr, unspaced_function, nullptr,
                             nullptr, nullptr);
}

}  // namespace chatkeep::search

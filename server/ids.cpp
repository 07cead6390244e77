#include "ids.hpp"

#include <fmt/format.h>

#include "chatkeep/error.hpp"

namespace chatkeep::server {
namespace {

struct Rule {
  std::size_t max_length;
  std::string_view punctuation;  // allowed besides ASCII letters and digits
  bool lower_case_only;
  std::string_view described;
};

Rule rule(IdKind kind) {
  switch (kind) {
    case IdKind::channel_type:
      return {64, "_-", true, "lower-case letters, digits, '_' and '-'"};
    case IdKind::channel_id:
      return {64, "_-!", false, "letters, digits, '_', '-' and '!'"};
    case IdKind::message_id:
      return {255, "_-.:@!", false, "letters, digits and _ - . : @ !"};
    case IdKind::user_id:
      return {255, "_-@", false, "letters, digits, '_', '-' and '@'"};
    case IdKind::reaction_type:
      return {64, "_-+:.", false, "letters, digits and _ - + : ."};
  }
  return {0, "", true, ""};
}

bool allowed(char c, const Rule& r) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= '0' && c <= '9') return true;
  if (c >= 'A' && c <= 'Z') return !r.lower_case_only;
  return r.punctuation.find(c) != std::string_view::npos;
}

}  // namespace

void require_valid_id(IdKind kind, std::string_view id, std::string_view field) {
  const Rule r = rule(kind);
  if (id.empty())
    throw ChatError(ErrorCode::input, fmt::format("{}: may not be empty", field), 400);
  if (id.size() > r.max_length) {
    throw ChatError(ErrorCode::input,
                    fmt::format("{}: longer than {} characters", field, r.max_length), 400);
  }
  for (char c : id) {
    if (!allowed(c, r)) {
      throw ChatError(ErrorCode::input, fmt::format("{}: may hold only {}", field, r.described),
                      400);
    }
  }
}

}  // namespace chatkeep::server

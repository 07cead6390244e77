#include "store/rows.hpp"

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "model/tables.hpp"

namespace chatkeep::store {

namespace json = boost::json;
using sqlite::Query;

namespace {

OutboxKind parse_kind(std::string_view text) {
  for (int i = 0; i <= static_cast<int>(OutboxKind::answer_invite); ++i) {
    const auto kind = static_cast<OutboxKind>(i);
    if (to_string(kind) == text) return kind;
  }
  throw ChatError(ErrorCode::storage, fmt::format("unknown outbox kind '{}'", text));
}

OutboxState parse_state(std::string_view text) {
  for (auto state : {OutboxState::queued, OutboxState::sending, OutboxState::failed}) {
    if (to_string(state) == text) return state;
  }
  throw ChatError(ErrorCode::storage, fmt::format("unknown outbox state '{}'", text));
}

}  // namespace

json::value parse_row(std::string_view data, json::storage_ptr storage) {
  json::value value = parse_json(data, {}, std::move(storage));
  if (!value.is_object()) throw ChatError(ErrorCode::storage, "a stored row is not a JSON object");
  return value;
}

json::object user_object(std::string_view id, std::optional<std::string_view> data,
                         json::storage_ptr storage) {
  json::object user =
      data ? std::move(parse_row(*data, storage).as_object()) : json::object(storage);
  user.insert_or_assign("id", id);
  return user;
}

void read_channel_columns(const Query& row, int first, Channel& channel) {
  if (!row.is_null(first)) {
    const std::int64_t at = row.integer(first);
    if (!channel.last_message_at || channel.last_message_at->unix_micros() != at) {
      channel.last_message_at = Timestamp::from_unix_micros(at);
    }
  }
  if (!row.is_null(first + 1)) channel.hidden = row.integer(first + 1) != 0;
  if (!row.is_null(first + 2)) channel.truncated_at = Timestamp::parse(row.text(first + 2));
}

Read stored_read(const Query& row, int data_column, User user) {
  Read read{.user = std::move(user)};
  model::read_row(parse_row(row.text(data_column)), read, {"user"});
  if (!row.is_null(data_column + 1)) read.unread_messages = row.integer(data_column + 1);
  return read;
}

std::optional<std::int64_t> micros(const std::optional<Timestamp>& t) {
  if (!t || t->is_never()) return std::nullopt;
  return t->unix_micros();
}

std::pair<std::string, std::string> split_cid(const std::string& cid) {
  auto colon = cid.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == cid.size()) {
    throw ChatError(ErrorCode::input, fmt::format("invalid cid '{}': expected type:id", cid));
  }
  return {cid.substr(0, colon), cid.substr(colon + 1)};
}

const std::string& message_channel(const Message& message, const std::optional<std::string>& cid) {
  static const std::string kNone;
  const std::string& channel = message.cid ? *message.cid : cid ? *cid : kNone;
  if (channel.empty()) {
    throw ChatError(ErrorCode::input, fmt::format("message {}: cid required", message.id));
  }
  if (message.cid && cid && *message.cid != *cid) {
    throw ChatError(ErrorCode::input,
                    fmt::format("message {}: cid {} is not {}", message.id, channel, *cid));
  }
  if (!message.created_at) {
    throw ChatError(ErrorCode::input, fmt::format("message {}: created_at required", message.id));
  }
  return channel;
}

std::pair<std::string, std::string> reaction_owner(const Reaction& reaction,
                                                   const std::optional<std::string>& message_id,
                                                   const std::optional<std::string>& user_id) {
  std::string mid = message_id ? *message_id : reaction.message_id.value_or("");
  std::string uid = user_id            ? *user_id
                    : reaction.user_id ? *reaction.user_id
                    : reaction.user    ? reaction.user->id
                                       : "";
  if (mid.empty() || uid.empty()) {
    throw ChatError(ErrorCode::input,
                    fmt::format("reaction {}: message_id and user_id required", reaction.type));
  }
  if (reaction.user && reaction.user->id != uid) {
    throw ChatError(ErrorCode::input,
                    fmt::format("reaction {}: user.id does not match user_id", reaction.type));
  }
  return {std::move(mid), std::move(uid)};
}

OutboxEntry outbox_entry(Query& q) {
  OutboxEntry e;
  e.id = q.integer(0);
  e.kind = parse_kind(q.text(1));
  e.cid = q.text(2);
  e.message_id = q.text(3);
  e.payload = std::move(parse_row(q.text(4)).as_object());
  e.state = parse_state(q.text(5));
  e.attempts = q.integer(6);
  if (!q.is_null(7)) e.error = std::string(q.text(7));
  e.created_at = Timestamp::from_unix_micros(q.integer(8));
  if (!q.is_null(9)) e.next_attempt_at = Timestamp::from_unix_micros(q.integer(9));
  return e;
}

std::string query_key(const Filter& filter, const Sort& sort) {
  return filter.canonical() + "\n" + canonical_json(to_json(sort));
}

std::string order_by(const Sort& sort) {
  std::string order;
  const Sort effective = sort.empty() ? Sort{{.field = "last_updated"}} : sort;
  for (const auto& option : effective) {
    std::string_view column;
    if (option.field == "last_message_at")
      column = "c.last_message_at";
    else if (option.field == "created_at")
      column = "c.created_at";
    else if (option.field == "updated_at")
      column = "c.updated_at";
    else if (option.field == "member_count")
      column = "c.member_count";
    else if (option.field == "last_updated") {
      column =
          "COALESCE(MAX(c.last_message_at, c.updated_at), c.last_message_at, c.updated_at, "
          "c.created_at)";
    } else
      continue;  // a field only the server can sort on: keep its order
    order += fmt::format("{} {}, ", column,
                         option.direction == SortDirection::ascending ? "ASC" : "DESC");
  }
  return order + "q.position ASC";
}

}  // namespace chatkeep::store

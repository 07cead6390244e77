// GET /search (protocol.md, "More endpoints"): Stream's message search over chatkeep-server's own
// FTS5 index (search/message_index.hpp, the client's too), within the channels the caller is a
// member of and the channel filter takes. The payload:
//   filter_conditions          required: a channel filter, as POST /channels takes
//   query                      the text (search/search_terms.hpp's syntax), or
//   message_filter_conditions  a filter on messages; its `text` ({"$autocomplete": t} or
//                              {"$q": t}) is the text, the rest is matched on each message
//   sort                       [{"field": "relevance" | "created_at", "direction": -1 | 1}]
//   limit, offset | next       a page: at most 100; `next` is the previous answer's
// The answer: {"results": [{"message": {.., "channel": {..}}}], "next"?}.

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "chatkeep/json.hpp"
#include "model/filter_match.hpp"
#include "routes.hpp"

namespace chatkeep::server {
namespace {

namespace json = boost::json;

constexpr std::int64_t kMaxLimit = 100;
constexpr std::int64_t kMaxOffset = 1000;  // Stream's
// The most messages one search considers before its message filter and page.
constexpr std::size_t kMaxCandidates = 10'000;

ChatError bad(std::string message) {
  return ChatError(ErrorCode::input, "search: " + std::move(message), 400);
}

std::int64_t integer_field(const json::object& payload, std::string_view name,
                           std::int64_t fallback, std::int64_t max) {
  const json::value* value = payload.if_contains(name);
  if (!value || value->is_null()) return fallback;
  if (!value->is_int64() || value->as_int64() < 0 || value->as_int64() > max) {
    throw bad(fmt::format("{}: expected an integer from 0 to {}", name, max));
  }
  return value->as_int64();
}

// Whether the sort asks for newest (or oldest) first rather than relevance.
struct Order {
  bool relevance = true;
  bool ascending = false;
};

Order read_sort(const json::object& payload) {
  const json::value* sort = payload.if_contains("sort");
  if (!sort || sort->is_null()) return {};
  std::vector<json::object> fields;
  if (sort->is_object()) {
    // {"created_at": -1}, as the JavaScript client may send it.
    for (const auto& [field, direction] : sort->get_object())
      fields.push_back({{"field", field}, {"direction", direction}});
  } else if (sort->is_array()) {
    for (const auto& entry : sort->get_array()) {
      if (!entry.is_object()) throw bad("sort: expected objects");
      fields.push_back(entry.get_object());
    }
  } else {
    throw bad("sort: expected an array");
  }
  if (fields.empty()) return {};
  const json::value* field = fields.front().if_contains("field");
  const json::value* direction = fields.front().if_contains("direction");
  if (!field || !field->is_string()) throw bad("sort: each needs a field");
  const bool ascending = direction && direction->is_int64() && direction->as_int64() > 0;
  if (field->as_string() == "relevance") return {.relevance = true};
  if (field->as_string() == "created_at") return {.relevance = false, .ascending = ascending};
  throw bad("sort: by relevance or created_at only");
}

// The text of a message filter's `text` condition, which it leaves without.
std::optional<std::string> take_text(json::object& filter) {
  json::value* text = filter.if_contains("text");
  if (!text) return std::nullopt;
  std::optional<std::string> found;
  if (text->is_string()) {
    found = std::string(text->get_string());
  } else if (text->is_object()) {
    for (const char* op : {"$autocomplete", "$q"}) {
      const json::value* v = text->get_object().if_contains(op);
      if (v && v->is_string()) found = std::string(v->get_string());
    }
  }
  if (!found) throw bad("message_filter_conditions.text: expected {\"$autocomplete\": text}");
  filter.erase("text");
  return found;
}

// A message as a message filter sees it: its fields, with `user.id` and `user_id` for its
// author, and `attachments` only when it has some (so that $exists asks whether it has).
json::object message_document(const Message& message) {
  json::object document = to_json(message).as_object();
  if (message.user) {
    document["user.id"] = message.user->id;
    document["user_id"] = message.user->id;
  }
  if (!message.attachments || message.attachments->empty()) document.erase("attachments");
  return document;
}

Response search(State& state, Request& request) {
  const std::string me = *request.caller.user_id;
  const json::object payload = request.json_payload();
  const json::value* channel_filter = payload.if_contains("filter_conditions");
  if (!channel_filter || !channel_filter->is_object() || channel_filter->get_object().empty()) {
    throw bad("filter_conditions: a channel filter is required");
  }
  const Filter channels = Filter::from_json(channel_filter->get_object());
  std::optional<std::string> text;
  json::object message_filter;
  if (const json::value* query = payload.if_contains("query"); query && !query->is_null()) {
    if (!query->is_string()) throw bad("query: expected text");
    text = std::string(query->get_string());
  }
  if (const json::value* conditions = payload.if_contains("message_filter_conditions");
      conditions && !conditions->is_null()) {
    if (!conditions->is_object()) throw bad("message_filter_conditions: expected an object");
    message_filter = conditions->get_object();
    if (auto more = take_text(message_filter)) text = text ? *text + " " + *more : *more;
    Filter::from_json(message_filter);  // its shape checked, as a channel filter's
  }
  if (!text && message_filter.empty()) {
    throw bad("either query or message_filter_conditions is required");
  }
  std::optional<search::SearchTerms> terms;
  if (text) {
    try {
      terms = search::parse_search_text(*text);
    } catch (const ChatError& e) {
      throw ChatError(ErrorCode::input, e.message(), 400);
    }
  }
  const Order order = read_sort(payload);
  const std::int64_t limit = integer_field(payload, "limit", 20, kMaxLimit);
  std::int64_t offset = integer_field(payload, "offset", 0, kMaxOffset);
  if (const json::value* next = payload.if_contains("next"); next && !next->is_null()) {
    if (offset != 0) throw bad("offset and next: one or the other");
    // chatkeep-server's `next` is the next offset, as text: opaque to clients all the same.
    const std::string cursor = next->is_string() ? std::string(next->get_string()) : "";
    offset = -1;
    if (!cursor.empty() && cursor.size() <= 4 &&
        std::all_of(cursor.begin(), cursor.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      offset = std::stoll(cursor);
    }
    if (offset < 0 || offset > kMaxOffset) throw bad("next: not a cursor of this server");
  }

  // The caller's own channels only (not every channel they could read), that the filter takes.
  std::vector<json::object> documents;
  std::vector<Channel> candidates;
  for (const auto& cid : state.visible_channels(me)) {
    if (!state.is_member(cid, me)) continue;
    candidates.push_back(*state.channel(cid));
    documents.push_back(channel_document(state, candidates.back(), me));
  }
  std::map<std::string, json::value> searched;  // cid: the channel, as results carry it
  for (std::size_t i : model::select(documents, channels, {}, 0, SIZE_MAX))
    searched.emplace(candidates[i].cid, to_json(candidates[i]));
  std::vector<std::string> cids;
  for (const auto& [cid, channel] : searched)
    cids.push_back(cid);

  std::vector<Message> found =
      state.search_messages(me, cids, terms, order.relevance, kMaxCandidates);
  if (!message_filter.empty()) {
    std::erase_if(found, [&](const Message& m) {
      return !model::matches(message_filter, message_document(m));
    });
  }
  if (order.ascending) std::reverse(found.begin(), found.end());
  json::array results;
  const auto first = static_cast<std::size_t>(offset);
  for (std::size_t i = first; i < found.size() && i < first + static_cast<std::size_t>(limit);
       ++i) {
    json::object message = to_json(found[i]).as_object();
    message["channel"] = searched.at(*found[i].cid);
    results.push_back(json::object{{"message", std::move(message)}});
  }
  json::object body{{"results", std::move(results)}};
  const std::size_t after = first + static_cast<std::size_t>(limit);
  if (after < found.size() && static_cast<std::int64_t>(after) <= kMaxOffset) {
    body["next"] = std::to_string(after);
  }
  if (first > 0) {
    body["previous"] = std::to_string(
        first > static_cast<std::size_t>(limit) ? first - static_cast<std::size_t>(limit) : 0);
  }
  return Response{.body = std::move(body)};
}

}  // namespace

void add_search_routes(Router& router, State& state) {
  router.add(http::verb::get, "/search", Access::user,
             [&state](Request& r) { return search(state, r); });
}

}  // namespace chatkeep::server

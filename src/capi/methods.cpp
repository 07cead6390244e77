// The C interface's method table: each method of docs/c-api.md, its parameters decoded from the
// request's JSON with the wire protocol's codec, and its answers encoded the same way.

#include "capi/methods.hpp"

#include <map>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

#include "capi/json_client.hpp"
#include "chatkeep/json.hpp"
#include "chatkeep/token.hpp"

namespace chatkeep::capi {

namespace json = boost::json;

namespace {

// --- parameters ------------------------------------------------------------------------------

ChatError bad_param(std::string_view name, std::string_view what) {
  return ChatError(ErrorCode::input, fmt::format("params.{}: {}", name, what));
}

const json::value* param(const json::object& params, std::string_view name) {
  const json::value* v = params.if_contains(name);
  return v && !v->is_null() ? v : nullptr;
}

std::string text(const json::object& params, std::string_view name) {
  const json::value* v = param(params, name);
  if (!v || !v->is_string() || v->as_string().empty()) {
    throw bad_param(name, "a non-empty string is required");
  }
  return std::string(v->as_string());
}

std::optional<std::string> optional_text(const json::object& params, std::string_view name) {
  const json::value* v = param(params, name);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw bad_param(name, "a string is required");
  return std::string(v->as_string());
}

std::int64_t integer(const json::object& params, std::string_view name,
                     std::optional<std::int64_t> fallback = std::nullopt) {
  const json::value* v = param(params, name);
  if (!v) {
    if (fallback) return *fallback;
    throw bad_param(name, "an integer is required");
  }
  if (!v->is_int64()) throw bad_param(name, "an integer is required");
  return v->as_int64();
}

bool boolean(const json::object& params, std::string_view name, bool fallback) {
  const json::value* v = param(params, name);
  if (!v) return fallback;
  if (!v->is_bool()) throw bad_param(name, "true or false is required");
  return v->as_bool();
}

const json::object& object(const json::object& params, std::string_view name) {
  static const json::object empty;
  const json::value* v = param(params, name);
  if (!v) return empty;
  if (!v->is_object()) throw bad_param(name, "an object is required");
  return v->as_object();
}

// A model from the parameter's wire JSON; the codec's own error says what is wrong inside it.
template <class T>
T model(const json::object& params, std::string_view name) {
  const json::value* v = param(params, name);
  if (!v) throw bad_param(name, "required");
  return from_json<T>(*v);
}

ChatChannel channel_of(JsonClient* client, const json::object& params) {
  return client->client().channel(text(params, "type"), text(params, "id"));
}

// --- answers ---------------------------------------------------------------------------------

template <class T>
json::value array_of(const std::vector<T>& items) {
  json::array out;
  for (const auto& item : items)
    out.push_back(to_json(item));
  return out;
}

json::value outbox_json(const std::vector<OutboxEntry>& entries) {
  json::array out;
  for (const OutboxEntry& e : entries) {
    json::object o{{"id", e.id},
                   {"kind", to_string(e.kind)},
                   {"cid", e.cid},
                   {"message_id", e.message_id},
                   {"state", to_string(e.state)},
                   {"attempts", e.attempts},
                   {"created_at", e.created_at.to_string()}};
    if (e.error) o["error"] = *e.error;
    out.push_back(std::move(o));
  }
  return out;
}

json::value search_json(const SearchResults& results) {
  json::array hits;
  for (const SearchHit& hit : results.hits) {
    json::array matches;
    for (const TextSpan& m : hit.matches)
      matches.push_back(json::object{{"offset", m.offset}, {"length", m.length}});
    hits.push_back(json::object{{"message", to_json(hit.message)},
                                {"channel", to_json(hit.channel)},
                                {"found_in", hit.found_in},
                                {"matches", std::move(matches)}});
  }
  return json::object{{"hits", std::move(hits)}, {"partial", results.partial}};
}

// Answers an offline-first call: each answer with its source, the server's last.
template <class T, class Encode>
AnswerCallback<T> twice(const Responder& responder, Encode encode) {
  return [responder, encode](Answer<T> answer) {
    const bool final = answer.source == Source::server;
    if (answer.error) {
      responder.fail(*answer.error);
    } else if (answer.value) {
      responder.answer(encode(*answer.value), answer.source, final);
    }
  };
}

template <class T, class Encode>
Callback<T> once(const Responder& responder, Encode encode) {
  return [responder, encode](Result<T> result) {
    if (result.error) {
      responder.fail(*result.error);
    } else if (result.value) {
      responder.answer(encode(*result.value));
    }
  };
}

json::value unread_json(const UnreadCounts& counts) {
  return json::object{{"total_unread_count", counts.total_unread_count},
                      {"unread_channels", counts.unread_channels},
                      {"unread_mentions", counts.unread_mentions}};
}

// --- the table -------------------------------------------------------------------------------

using Params = const json::object&;

const std::map<std::string, Method, std::less<>>& methods() {
  static const std::map<std::string, Method, std::less<>> table = {
      {"version",
       {.local = true,
        .static_method = true,
        .run = [](JsonClient*, Params, const Responder& r) { r.answer(chatkeep_version()); }}},
      {"make_user_token",
       {.local = true,
        .static_method = true,
        .run =
            [](JsonClient*, Params p, const Responder& r) {
              std::optional<Timestamp> expires;
              if (const auto at = optional_text(p, "expires_at")) {
                expires = Timestamp::parse(*at);
                if (!expires) throw bad_param("expires_at", "an RFC 3339 time is required");
              }
              r.answer(
                  json::string(make_user_token(text(p, "secret"), text(p, "user_id"), expires)));
            }}},
      {"make_dev_token",
       {.local = true,
        .static_method = true,
        .run =
            [](JsonClient*, Params p, const Responder& r) {
              r.answer(json::string(make_dev_token(text(p, "user_id"))));
            }}},
      {"connect_user",
       {.run =
            [](JsonClient* c, Params p, const Responder& r) {
              User user = model<User>(p, "user");
              std::string token = text(p, "token");
              c->client().connect_user(
                  std::move(user), std::move(token),
                  once<OwnUser>(r, [](const OwnUser& u) { return to_json(u); }));
            }}},
      {"disconnect_user",
       {.run =
            [](JsonClient* c, Params p, const Responder& r) {
              const bool flush = boolean(p, "flush", false);
              ChatClient& client = c->client();
              c->run_later([&client, flush, r] {
                try {
                  const FlushResult result = client.disconnect_user(flush);
                  r.answer(
                      json::object{{"discarded_outbox_entries", result.discarded_outbox_entries}});
                } catch (const ChatError& e) {
                  r.fail(e);
                }
              });
            }}},
      {"network_available",
       {.local = true,
        .run =
            [](JsonClient* c, Params, const Responder& r) {
              c->client().network_available();
              r.answer(json::object{});
            }}},
      {"online",
       {.local = true,
        .run = [](JsonClient* c, Params, const Responder& r) { r.answer(c->client().online()); }}},
      {"sync_now",
       {.run =
            [](JsonClient* c, Params, const Responder& r) {
              c->client().sync_now(once<std::size_t>(
                  r, [](std::size_t n) { return json::value(static_cast<std::int64_t>(n)); }));
            }}},
      {"query_channels",
       {.run =
            [](JsonClient* c, Params p, const Responder& r) {
              QueryChannelsOptions options;
              if (const json::value* f = param(p, "filter")) options.filter = Filter::from_json(*f);
              if (const json::value* s = param(p, "sort")) {
                if (!s->is_array()) throw bad_param("sort", "an array of sort options");
                for (const json::value& option : s->as_array())
                  options.sort.push_back(from_json<SortOption>(option));
              }
              options.limit = integer(p, "limit", options.limit);
              options.offset = integer(p, "offset", options.offset);
              options.message_limit = integer(p, "message_limit", options.message_limit);
              options.member_limit = integer(p, "member_limit", options.member_limit);
              options.watch = boolean(p, "watch", options.watch);
              c->client().query_channels(
                  std::move(options),
                  twice<std::vector<ChannelState>>(
                      r, [](const std::vector<ChannelState>& s) { return array_of(s); }));
            }}},
      {"search",
       {.run =
            [](JsonClient* c, Params p, const Responder& r) {
              SearchQuery query;
              query.text = text(p, "text");
              query.limit = static_cast<std::size_t>(integer(p, "limit", 20));
              query.offset = static_cast<std::size_t>(integer(p, "offset", 0));
              query.user_id = optional_text(p, "user_id");
              c->client().search(std::move(query), twice<SearchResults>(r, search_json));
            }}},
      {"unread_counts",
       {.local = true,
        .run = [](JsonClient* c, Params,
                  const Responder& r) { r.answer(unread_json(c->client().unread_counts())); }}},
      {"outbox",
       {.local = true,
        .run = [](JsonClient* c, Params,
                  const Responder& r) { r.answer(outbox_json(c->client().outbox())); }}},
      {"retry",
       {.local = true,
        .run =
            [](JsonClient* c, Params p, const Responder& r) {
              c->client().retry(integer(p, "entry_id"));
              r.answer(json::object{});
            }}},
      {"discard",
       {.local = true,
        .run =
            [](JsonClient* c, Params p, const Responder& r) {
              c->client().discard(integer(p, "entry_id"));
              r.answer(json::object{});
            }}},
      {"channel.create",
       {.local = true,
        .run =
            [](JsonClient* c, Params p, const Responder& r) {
              std::vector<std::string> members;
              if (const json::value* m = param(p, "members")) {
                if (!m->is_array()) throw bad_param("members", "an array of user ids is required");
                for (const json::value& id : m->as_array()) {
                  if (!id.is_string()) throw bad_param("members", "user ids are strings");
                  members.emplace_back(id.as_string());
                }
              }
              channel_of(c, p).create(object(p, "data"), std::move(members));
              r.answer(json::object{});
            }}},
      {"channel.watch",
       {.run =
            [](JsonClient* c, Params p, const Responder& r) {
              ChannelQuery query;
              if (const json::value* m = param(p, "messages")) {
                query.messages = from_json<MessagePagination>(*m);
              }
              channel_of(c, p).watch(
                  std::move(query),
                  twice<ChannelState>(r, [](const ChannelState& s) { return to_json(s); }));
            }}},
      {"channel.send_message",
       {.local = true,
        .run =
            [](JsonClient* c, Params p, const Responder& r) {
              r.answer(to_json(channel_of(c, p).send_message(model<Message>(p, "message"))));
            }}},
      {"channel.delete_message",
       {.local = true,
        .run =
            [](JsonClient* c, Params p, const Responder& r) {
              channel_of(c, p).delete_message(text(p, "message_id"), boolean(p, "hard", false));
              r.answer(json::object{});
            }}},
      {"channel.send_reaction",
       {.local = true,
        .run =
            [](JsonClient* c, Params p, const Responder& r) {
              channel_of(c, p).send_reaction(text(p, "message_id"), model<Reaction>(p, "reaction"));
              r.answer(json::object{});
            }}},
      {"channel.mark_read",
       {.local = true,
        .run =
            [](JsonClient* c, Params p, const Responder& r) {
              channel_of(c, p).mark_read();
              r.answer(json::object{});
            }}},
  };
  return table;
}

}  // namespace

Responder::Responder(std::string method, json::value extra, Post post)
    : method_(std::move(method)), extra_(std::move(extra)), post_(std::move(post)) {}

json::object Responder::head(const char* type) const {
  json::object item{{"@type", type}, {"method", method_}};
  if (!extra_.is_null()) item["extra"] = extra_;
  return item;
}

void Responder::answer(json::value result, std::optional<Source> source, bool final) const {
  json::object item = head("answer");
  if (source) item["source"] = *source == Source::cache ? "cache" : "server";
  item["final"] = final;
  item["result"] = std::move(result);
  post_(item);
}

void Responder::fail(const ChatError& error) const {
  json::object item = head("error");
  item["error"] = json::object{{"code", static_cast<int>(error.code())},
                               {"http_status", error.http_status()},
                               {"message", error.message()},
                               {"retriable", error.retriable()}};
  post_(item);
}

const Method* find_method(std::string_view name) {
  const auto& table = methods();
  const auto found = table.find(name);
  return found == table.end() ? nullptr : &found->second;
}

void parse_request(std::string_view text, Request& request) {
  const json::value parsed = parse_json(text);
  if (!parsed.is_object()) throw ChatError(ErrorCode::input, "a request is a JSON object");
  const json::object& o = parsed.as_object();
  if (const json::value* extra = o.if_contains("extra")) request.extra = *extra;
  const json::value* method = o.if_contains("method");
  if (!method || !method->is_string()) {
    throw ChatError(ErrorCode::input, "method: a string naming the method is required");
  }
  request.method = std::string(method->as_string());
  if (const json::value* params = o.if_contains("params"); params && !params->is_null()) {
    if (!params->is_object()) throw ChatError(ErrorCode::input, "params: an object is required");
    request.params = params->as_object();
  }
}

void run_request(JsonClient* client, std::string_view text, const Responder::Post& post,
                 bool local_only) {
  Request request;
  try {
    parse_request(text, request);
  } catch (const ChatError& e) {
    // What little can be read of it is echoed, so the caller can still match the error.
    Responder(request.method, request.extra, post).fail(e);
    return;
  }
  const Responder responder(request.method, request.extra, post);
  try {
    const Method* method = find_method(request.method);
    if (!method) {
      throw ChatError(ErrorCode::input, fmt::format("no method named \"{}\"", request.method));
    }
    if (local_only && !method->local) {
      throw ChatError(ErrorCode::input,
                      fmt::format("{} answers later: send it with chatkeep_send", request.method));
    }
    if (!client && !method->static_method) {
      throw ChatError(ErrorCode::input, fmt::format("{} needs a client", request.method));
    }
    method->run(client, request.params, responder);
  } catch (const ChatError& e) {
    responder.fail(e);
  } catch (const std::exception& e) {
    responder.fail(ChatError(ErrorCode::internal, e.what()));
  }
}

}  // namespace chatkeep::capi

#include "api/api.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "chatkeep/json.hpp"

namespace chatkeep::api {

namespace json = boost::json;
using boost::beast::http::verb;

namespace {

// Decodes a typed answer, turning a malformed one into a ChatError rather than an exception on
// the network thread.
template <class T, class Decode>
Callback<json::object> typed(Callback<T> done, Decode decode) {
  return [done = std::move(done), decode = std::move(decode)](Result<json::object> r) {
    if (!r) return done(Result<T>{.error = std::move(r.error)});
    try {
      done(Result<T>{.value = decode(*r.value)});
    } catch (const ChatError& e) {
      done(Result<T>{.error = ChatError(e.code(), "malformed answer: " + e.message(), 0, false)});
    } catch (const std::exception& e) {
      done(Result<T>{.error = ChatError(ErrorCode::input,
                                        std::string("malformed answer: ") + e.what(), 0, false)});
    }
  };
}

// The elements of `body[name]` that decode as T; those that do not go to `skipped`.
template <class T>
std::vector<T> decode_each(const json::object& body, std::string_view name,
                           const Api::SkipHandler& skipped) {
  const json::value* value = body.if_contains(name);
  if (!value || !value->is_array()) {
    throw ChatError(ErrorCode::input, std::string(name) + ": expected an array");
  }
  std::vector<T> out;
  out.reserve(value->as_array().size());
  for (const auto& element : value->as_array()) {
    try {
      out.push_back(from_json<T>(element));
    } catch (const ChatError& e) {
      if (skipped) skipped(name, e);
    }
  }
  return out;
}

}  // namespace

std::string encoded(std::string_view value) {
  return boost::urls::encode(value, boost::urls::unreserved_chars);
}

std::string channel_path(const std::string& cid) {
  const auto colon = cid.find(':');
  return "/channels/" + encoded(cid.substr(0, colon)) + "/" + encoded(cid.substr(colon + 1));
}

std::optional<Timestamp> parse_http_date(std::string_view text) {
  // Fixed width: "Sun, 06 Nov 1994 08:49:37 GMT". Rewritten as RFC 3339, which Timestamp
  // checks (days of the month, ranges).
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(25) != " GMT") return {};
  const std::size_t month = kMonths.find(text.substr(8, 3));
  if (month == std::string_view::npos || month % 3 != 0) return {};
  const std::string rfc3339 =
      std::string(text.substr(12, 4)) + "-" + fmt::format("{:02}", month / 3 + 1) + "-" +
      std::string(text.substr(5, 2)) + "T" + std::string(text.substr(17, 8)) + "Z";
  if (text[7] != ' ' || text[11] != ' ' || text[16] != ' ') return {};
  return Timestamp::parse(rfc3339);
}

Api::Api(net::HttpClient& http, std::string api_key, std::string client_name)
    : http_(http), api_key_(std::move(api_key)), client_name_(std::move(client_name)) {}

void Api::set_user(std::string user_id, std::string token) {
  user_id_ = std::move(user_id);
  token_ = std::move(token);
}

void Api::set_connection_id(std::optional<std::string> connection_id) {
  connection_id_ = std::move(connection_id);
}

std::string Api::target(const std::string& path, const std::string& query) const {
  std::string target = path + "?api_key=" + encoded(api_key_);
  if (!user_id_.empty()) target += "&user_id=" + encoded(user_id_);
  if (connection_id_) target += "&connection_id=" + encoded(*connection_id_);
  if (!query.empty()) target += "&" + query;
  return target;
}

net::Headers Api::headers() const {
  return {
      {"Authorization", token_}, {"stream-auth-type", "jwt"}, {"X-Stream-Client", client_name_}};
}

std::function<void(net::HttpResult)> Api::answering(Callback<json::object> done) const {
  return [answered_at = answered_at_, done = std::move(done)](net::HttpResult r) {
    *answered_at = r.error ? std::nullopt : parse_http_date(r.date);
    if (r.error) {
      return done({.error = ChatError(ErrorCode::network,
                                      "no answer from the server: " + r.error.message(), 0, true)});
    }
    json::value answer;
    try {
      answer = parse_json(r.body);
    } catch (const ChatError&) {
      // No JSON at all (a proxy's page, say): worth another try, as protocol.md says.
      return done({.error = ChatError(
                       ErrorCode::network,
                       "an answer without a JSON body (HTTP " + std::to_string(r.status) + ")",
                       static_cast<int>(r.status), true)});
    }
    if (r.status >= 200 && r.status < 300 && answer.is_object()) {
      return done({.value = std::move(answer.as_object())});
    }
    done({.error = error_from_json(answer, static_cast<int>(r.status))});
  };
}

void Api::call(verb method, const std::string& path, json::object body, Callback<json::object> done,
               const std::string& query) {
  std::string text = method == verb::get || method == verb::delete_ ? "" : json::serialize(body);
  http_.send(method, target(path, query), headers(), std::move(text), answering(std::move(done)));
}

net::CancelUpload Api::upload_file(const std::string& cid, bool image, net::FileUpload file,
                                   net::UploadProgress progress, Callback<json::object> done) {
  file.target = target(channel_path(cid) + (image ? "/image" : "/file"));
  file.headers = headers();
  return net::upload_file(http_.executor(), http_.endpoint(), http_.tls(), http_.timeout(),
                          std::move(file), std::move(progress), answering(std::move(done)));
}

void Api::delete_file(const std::string& cid, bool image, const std::string& url,
                      Callback<json::object> done) {
  call(verb::delete_, channel_path(cid) + (image ? "/image" : "/file"), {}, std::move(done),
       "url=" + encoded(url));
}

void Api::query_channels(const QueryChannelsRequest& request,
                         Callback<std::vector<ChannelState>> done) {
  call(verb::post, "/channels", to_json(request).as_object(),
       typed<std::vector<ChannelState>>(
           std::move(done), [skipped = skipped_](const json::object& body) {
             return decode_each<ChannelState>(body, "channels", *skipped);
           }));
}

void Api::query_channel(const std::string& cid, json::object body, Callback<ChannelState> done) {
  call(verb::post, channel_path(cid) + "/query", std::move(body),
       typed<ChannelState>(std::move(done), [](const json::object& answer) {
         return from_json<ChannelState>(answer);
       }));
}

void Api::replies(const std::string& parent_id, const MessagePagination& page,
                  Callback<std::vector<Message>> done) {
  std::string query;
  auto add = [&](const char* name, const std::string& value) {
    if (!query.empty()) query += '&';
    query.append(name).append("=").append(encoded(value));
  };
  if (page.limit) add("limit", std::to_string(*page.limit));
  if (page.id_lt) add("id_lt", *page.id_lt);
  if (page.id_lte) add("id_lte", *page.id_lte);
  if (page.id_gt) add("id_gt", *page.id_gt);
  if (page.id_gte) add("id_gte", *page.id_gte);
  if (page.id_around) add("id_around", *page.id_around);
  call(verb::get, "/messages/" + encoded(parent_id) + "/replies", {},
       typed<std::vector<Message>>(std::move(done),
                                   [skipped = skipped_](const json::object& body) {
                                     return decode_each<Message>(body, "messages", *skipped);
                                   }),
       query);
}

void Api::message(const std::string& id, Callback<Message> done) {
  call(verb::get, "/messages/" + encoded(id), {},
       typed<Message>(std::move(done), [](const json::object& body) {
         const json::value* message = body.if_contains("message");
         if (!message) throw ChatError(ErrorCode::input, "message: required");
         return from_json<Message>(*message);
       }));
}

void Api::search(const json::object& payload, Callback<std::vector<Found>> done) {
  call(verb::get, "/search", {},
       typed<std::vector<Found>>(
           std::move(done),
           [skipped = skipped_](const json::object& body) {
             const json::value* results = body.if_contains("results");
             if (!results || !results->is_array()) {
               throw ChatError(ErrorCode::input, "results: expected an array");
             }
             std::vector<Found> found;
             for (const auto& result : results->get_array()) {
               try {
                 const json::value* message =
                     result.is_object() ? result.get_object().if_contains("message") : nullptr;
                 if (!message) throw ChatError(ErrorCode::input, "results: a message is required");
                 Found f{.message = from_json<Message>(*message)};
                 const json::value* channel = f.message.extra.if_contains("channel");
                 if (!channel) throw ChatError(ErrorCode::input, "results: a channel is required");
                 f.channel = from_json<Channel>(*channel);
                 f.message.extra.erase("channel");
                 if (f.message.cid != f.channel.cid || !f.message.created_at) {
                   throw ChatError(ErrorCode::input, "results: a message of another channel");
                 }
                 found.push_back(std::move(f));
               } catch (const ChatError& e) {
                 if (*skipped) (*skipped)("results", e);
               }
             }
             return found;
           }),
       "payload=" + encoded(json::serialize(payload)));
}

void Api::members(const std::string& cid, std::int64_t limit, Callback<std::vector<Member>> done) {
  const auto colon = cid.find(':');
  const json::object payload{{"type", cid.substr(0, colon)},
                             {"id", cid.substr(colon + 1)},
                             {"filter_conditions", json::object{}},
                             {"limit", limit}};
  call(verb::get, "/members", {},
       typed<std::vector<Member>>(std::move(done),
                                  [skipped = skipped_](const json::object& body) {
                                    return decode_each<Member>(body, "members", *skipped);
                                  }),
       "payload=" + encoded(json::serialize(payload)));
}

void Api::stop_watching(const std::string& cid, Callback<json::object> done) {
  call(verb::post, channel_path(cid) + "/stop-watching", {}, std::move(done));
}

void Api::sync(const std::vector<std::string>& cids, Timestamp since,
               Callback<std::vector<Event>> done) {
  json::array list;
  for (const auto& cid : cids)
    list.emplace_back(cid);
  call(verb::post, "/sync",
       {{"channel_cids", std::move(list)}, {"last_sync_at", since.to_string()}},
       typed<std::vector<Event>>(std::move(done), [skipped = skipped_](const json::object& body) {
         return decode_each<Event>(body, "events", *skipped);
       }));
}

void Api::send_message(const std::string& cid, json::object body, Callback<json::object> done) {
  call(verb::post, channel_path(cid) + "/message", std::move(body), std::move(done));
}

void Api::update_message(const std::string& id, json::object body, Callback<json::object> done) {
  call(verb::post, "/messages/" + encoded(id), std::move(body), std::move(done));
}

void Api::delete_message(const std::string& id, bool hard, Callback<json::object> done) {
  call(verb::delete_, "/messages/" + encoded(id), {}, std::move(done), hard ? "hard=true" : "");
}

void Api::send_reaction(const std::string& message_id, json::object body,
                        Callback<json::object> done) {
  call(verb::post, "/messages/" + encoded(message_id) + "/reaction", std::move(body),
       std::move(done));
}

void Api::delete_reaction(const std::string& message_id, const std::string& type,
                          Callback<json::object> done) {
  call(verb::delete_, "/messages/" + encoded(message_id) + "/reaction/" + encoded(type), {},
       std::move(done));
}

void Api::mark_read(const std::string& cid, json::object body, Callback<json::object> done) {
  call(verb::post, channel_path(cid) + "/read", std::move(body), std::move(done));
}

void Api::send_event(const std::string& cid, json::object event, Callback<json::object> done) {
  call(verb::post, channel_path(cid) + "/event", {{"event", std::move(event)}}, std::move(done));
}

}  // namespace chatkeep::api

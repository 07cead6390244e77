#pragma once

// One function per REST call of protocol.md that the client makes, typed in and out, with
// Stream's error bodies turned into ChatErrors. Knows the protocol's conventions (api_key,
// user_id and connection_id in the query, the JWT headers) and nothing of the store.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/channel_state.hpp"
#include "chatkeep/error.hpp"
#include "chatkeep/event.hpp"
#include "chatkeep/query.hpp"
#include "chatkeep/result.hpp"
#include "net/http_client.hpp"
#include "net/http_upload.hpp"

namespace chatkeep::api {

using chatkeep::Callback;
using chatkeep::Result;

// A value percent-encoded for a URL's path or query.
std::string encoded(std::string_view value);
// "/channels/{type}/{id}" of a cid, encoded.
std::string channel_path(const std::string& cid);
// An HTTP Date (RFC 7231's IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`); nullopt otherwise.
std::optional<Timestamp> parse_http_date(std::string_view text);

class Api {
 public:
  // `http` must outlive the Api; callbacks run on its executor.
  Api(net::HttpClient& http, std::string api_key, std::string client_name);

  // Who calls, and through which socket (once it is open). Set on the executor's thread.
  void set_user(std::string user_id, std::string token);
  void set_connection_id(std::optional<std::string> connection_id);
  // X-Stream-Client: the same on every request and on the socket.
  const std::string& client_name() const { return client_name_; }

  // Called for each element of a listed answer (events, channels, messages, members) that does
  // not decode: it is skipped and the rest kept, as one bad event must not cost a whole page.
  using SkipHandler = std::function<void(std::string_view list, const ChatError& why)>;
  void on_skipped(SkipHandler handler) { *skipped_ = std::move(handler); }

  // The server's time (its Date header, to the second) of the answer whose callback is running;
  // nullopt when that answer had none. The one time a client may checkpoint at without a socket:
  // a peer's event times prove nothing about how far an answer reaches.
  std::optional<Timestamp> answered_at() const { return *answered_at_; }

  // Any call: the answer's JSON object, or a ChatError (the server's own, or code network when
  // there was no answer or no error body, retriable).
  void call(boost::beast::http::verb method, const std::string& path, boost::json::object body,
            Callback<boost::json::object> done, const std::string& query = "");

  // POST /channels. `watch` binds the channels to the socket, which needs a connection id.
  void query_channels(const QueryChannelsRequest& request,
                      Callback<std::vector<ChannelState>> done);
  // POST /channels/{type}/{id}/query: get or create, with the body's data, paging and watch.
  void query_channel(const std::string& cid, boost::json::object body, Callback<ChannelState> done);
  // GET /messages/{parent_id}/replies: a page of a thread, ascending.
  void replies(const std::string& parent_id, const MessagePagination& page,
               Callback<std::vector<Message>> done);
  // GET /messages/{id}.
  void message(const std::string& id, Callback<Message> done);
  // GET /search (protocol.md): each result's message and the channel it carries. A result
  // without its channel, or with another channel than its message's, is skipped.
  struct Found {
    Message message;
    Channel channel;
  };
  void search(const boost::json::object& payload, Callback<std::vector<Found>> done);
  // GET /members: the channel's first `limit` members.
  void members(const std::string& cid, std::int64_t limit, Callback<std::vector<Member>> done);
  // POST /channels/{type}/{id}/stop-watching.
  void stop_watching(const std::string& cid, Callback<boost::json::object> done);
  // POST /sync.
  void sync(const std::vector<std::string>& cids, Timestamp since,
            Callback<std::vector<Event>> done);

  // The outbox's calls (protocol.md, "Messages", "Reactions", "Read state"). Each answers with
  // the server's JSON object as it is: the outbox judges whether it shows the action done.
  // POST /channels/{type}/{id}/message: {"message": ...}.
  void send_message(const std::string& cid, boost::json::object body,
                    Callback<boost::json::object> done);
  // POST /messages/{id}: {"message": ...}.
  void update_message(const std::string& id, boost::json::object body,
                      Callback<boost::json::object> done);
  // DELETE /messages/{id}, for good when `hard`.
  void delete_message(const std::string& id, bool hard, Callback<boost::json::object> done);
  // POST /messages/{id}/reaction: {"reaction": ..., "enforce_unique": ...}.
  void send_reaction(const std::string& message_id, boost::json::object body,
                     Callback<boost::json::object> done);
  // DELETE /messages/{id}/reaction/{type}.
  void delete_reaction(const std::string& message_id, const std::string& type,
                       Callback<boost::json::object> done);
  // POST /channels/{type}/{id}/read: {"message_id": ...} or nothing.
  void mark_read(const std::string& cid, boost::json::object body,
                 Callback<boost::json::object> done);
  // POST /channels/{type}/{id}/event: typing.start or typing.stop, to the channel's watchers.
  void send_event(const std::string& cid, boost::json::object event,
                  Callback<boost::json::object> done);

  // Files (protocol.md, "upload an image / a file"). POST /channels/{type}/{id}/image or /file:
  // `file` (its target and headers are the Api's to fill) streamed from disk on a connection of
  // its own, `progress` as it goes; the answer is {"file": url, ...}.
  net::CancelUpload upload_file(const std::string& cid, bool image, net::FileUpload file,
                                net::UploadProgress progress, Callback<boost::json::object> done);
  // DELETE /channels/{type}/{id}/image or /file?url=.
  void delete_file(const std::string& cid, bool image, const std::string& url,
                   Callback<boost::json::object> done);

 private:
  // A request's target (the path, then api_key, user_id, connection_id and `query`), its
  // headers, and the handler that makes its answer a JSON object or a ChatError.
  std::string target(const std::string& path, const std::string& query = "") const;
  net::Headers headers() const;
  std::function<void(net::HttpResult)> answering(Callback<boost::json::object> done) const;

  net::HttpClient& http_;
  std::string api_key_;
  std::string client_name_;
  std::string user_id_;
  std::string token_;
  std::optional<std::string> connection_id_;
  // Shared with the calls' callbacks, which may run after the Api is gone (the HttpClient
  // fails what it still holds when it closes).
  std::shared_ptr<SkipHandler> skipped_ = std::make_shared<SkipHandler>();
  std::shared_ptr<std::optional<Timestamp>> answered_at_ =
      std::make_shared<std::optional<Timestamp>>();
};

}  // namespace chatkeep::api

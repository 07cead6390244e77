#include "server.hpp"

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <set>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <boost/url/parse.hpp>

#include "chatkeep/json.hpp"
#include "routes.hpp"
#include "server_impl.hpp"

namespace chatkeep::server {
namespace {

using Clock = std::chrono::steady_clock;

Response error_response(const ChatError& error) {
  const ChatError e = with_status(error);
  return Response{.status = static_cast<unsigned>(e.http_status()), .body = to_json(e)};
}

Request parse(const http::request<http::string_body>& raw) {
  Request request;
  request.method = raw.method();
  request.raw = &raw;
  auto url = boost::urls::parse_origin_form(raw.target());
  if (!url) throw ChatError(ErrorCode::input, "malformed request target", 400);
  request.path = std::string(url->encoded_path());  // split before decoding (router.hpp)
  for (const auto& param : url->params())
    request.query[param.key] = param.value;
  return request;
}

bool is_notification(EventType kind) {
  return to_string(kind).starts_with("notification.");
}

}  // namespace

Answer Server::Impl::finish(Response response, unsigned version, bool keep_alive,
                            Clock::time_point start) const {
  Answer out{static_cast<http::status>(response.status), version};
  // The server's time of the answer: a client without a socket checkpoints at it.
  out.set(http::field::date,
          fmt::format("{:%a, %d %b %Y %H:%M:%S} GMT", fmt::gmtime(std::time(nullptr))));
  out.keep_alive(keep_alive);
  if (response.file) {
    for (auto& [field, value] : response.headers)
      out.set(field, value);
    out.body().push_back(net::SplicedBody::Piece{.file = response.file->path,
                                                 .offset = response.file->offset,
                                                 .length = response.file->length});
  } else {
    response.body["duration"] = fmt::format(
        "{:.2f}ms", std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    out.set(http::field::content_type, "application/json");
    out.body().push_back(net::SplicedBody::Piece{.bytes = boost::json::serialize(response.body)});
  }
  out.prepare_payload();
  return out;
}

ChatError with_status(const ChatError& e) {
  if (e.http_status() != 0) return e;
  int status = 500;
  switch (e.code()) {
    case ErrorCode::input:
      status = 400;
      break;
    case ErrorCode::payload_too_big:
      status = 413;
      break;
    case ErrorCode::not_found:
      status = 404;
      break;
    case ErrorCode::not_allowed:
      status = 403;
      break;
    default:
      break;
  }
  return ChatError(e.code(), e.message(), status);
}

Server::Impl::Impl(ServerOptions options)
    : options_(std::move(options)),
      log_(log::make_logger("server", options_.log)),
      state_(options_.db),
      auth_{options_.api_key, options_.api_secret, options_.allow_dev_tokens} {
  uploads_.max_bytes = options_.max_upload_bytes;
  if (!options_.files_directory.empty()) {
    uploads_.directory = options_.files_directory;
  } else if (options_.db != ":memory:" && !options_.db.empty()) {
    uploads_.directory = options_.db + ".files";
  } else {
    std::string pattern = (std::filesystem::temp_directory_path() / "chatkeep-server-XXXXXX");
    if (!::mkdtemp(pattern.data())) {
      throw ChatError(ErrorCode::storage, "cannot make a directory for uploads");
    }
    uploads_.directory = pattern;
    temporary_files_ = true;
  }
  std::filesystem::create_directories(uploads_.directory);
  std::filesystem::permissions(uploads_.directory, std::filesystem::perms::owner_all);
  add_user_routes(router_, state_);
  add_channel_routes(router_, state_);
  add_message_routes(router_, state_);
  add_activity_routes(router_, state_);
  add_sync_routes(router_, state_);
  add_search_routes(router_, state_);
  add_settings_routes(router_, state_);
  add_draft_routes(router_, state_);
  add_upload_routes(router_, state_, uploads_);
}

Server::Impl::~Impl() {
  stop();
  if (temporary_files_) {
    std::error_code ignored;
    std::filesystem::remove_all(uploads_.directory, ignored);
  }
}

std::uint16_t Server::Impl::start() {
  port_ = options_.port;
  listen();
  port_ = acceptor_.local_endpoint().port();  // the one chosen, when asked for any
  uploads_.public_url = options_.public_url.empty()
                            ? fmt::format("http://{}:{}", options_.host, port_)
                            : options_.public_url;
  while (uploads_.public_url.ends_with('/'))
    uploads_.public_url.pop_back();
  thread_ = std::thread([this] { io_.run(); });
  log_->info("listening on {}:{}", options_.host, port_);
  return port_;
}

// Closes the listener and every connection on the server's thread; run() then returns once
// their handlers have seen the close.
void Server::Impl::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    stopping_ = true;
    reopen_.cancel();
    accept_pause_.cancel();
    disconnect_all();
  });
  thread_.join();
}

void Server::Impl::track(const std::shared_ptr<Connection>& connection) {
  std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
  connections_.push_back(connection);
}

Answer Server::Impl::handle(const http::request<http::string_body>& raw,
                            std::function<void()>& then, const Connection* connection) {
  const auto start = Clock::now();
  Response response;
  try {
    Request request = parse(raw);
    request.connection = connection;
    if (request.path == "/_chaos") {
      response = chaos(request);
    } else {
      auto transaction = state_.transaction();
      response = route(request);
      transaction.commit();
      publish(state_.take_recorded());
      publish(response.transient);
      bind_socket(request, response);
      if (draw(chaos_.fail_after_rate)) response = error_response(injected_failure());
    }
  } catch (...) {
    response = failed(raw, std::current_exception());
  }
  then = std::move(response.then);
  return finish(std::move(response), raw.version(), raw.keep_alive(), start);
}

Response Server::Impl::failed(const http::request<http::string_body>& raw,
                              std::exception_ptr error) {
  state_.take_recorded();  // rolled back: nothing happened
  try {
    std::rethrow_exception(error);
  } catch (const ChatError& e) {
    return error_response(e);
  } catch (const std::exception& e) {
    // The path only: a query may hold a token (a socket's, or a careless client's).
    const std::string_view target = raw.target();
    log_->error("{} {}: {}", std::string_view(raw.method_string()),
                target.substr(0, target.find('?')), e.what());
  }
  return error_response(ChatError(ErrorCode::internal, "internal error", 500));
}

Answer Server::Impl::handle_error(const ChatError& error) {
  return finish(error_response(error), 11, false, Clock::now());
}

std::optional<UploadRoute> Server::Impl::upload_route_of(
    const http::request<http::string_body>& header) const {
  try {
    return upload_route(header.method(), header.target());
  } catch (const ChatError&) {
    return std::nullopt;  // not a channel the route could name: the router answers it
  }
}

std::unique_ptr<UploadReceiver> Server::Impl::begin_upload(
    const http::request<http::string_body>& header, UploadRoute route) {
  if (chaos_.fail_remaining > 0) {
    --chaos_.fail_remaining;
    throw injected_failure();
  }
  if (draw(chaos_.fail_rate)) throw injected_failure();
  Request request = parse(header);
  authenticate(request, Access::user_or_server, auth_);
  if (request.caller.user_id) {
    const Channel channel = usable_channel(state_, route.cid, *request.caller.user_id);
    require_capability(state_, channel, *request.caller.user_id, "upload-file");
  } else if (!state_.channel(route.cid)) {
    throw ChatError(ErrorCode::not_found, fmt::format("channel '{}' does not exist", route.cid),
                    404);
  }
  return std::make_unique<UploadReceiver>(std::move(request), std::move(route), uploads_);
}

Answer Server::Impl::finish_upload(UploadReceiver& upload,
                                   const http::request<http::string_body>& header,
                                   std::function<void()>& then) {
  const auto start = Clock::now();
  Response response;
  try {
    auto transaction = state_.transaction();
    response = upload.finish(state_);
    transaction.commit();
    if (draw(chaos_.fail_after_rate)) response = error_response(injected_failure());
  } catch (...) {
    response = failed(header, std::current_exception());
  }
  then = std::move(response.then);
  return finish(std::move(response), header.version(), header.keep_alive(), start);
}

Response Server::Impl::route(Request& request) {
  if (chaos_.fail_remaining > 0) {
    --chaos_.fail_remaining;
    throw injected_failure();
  }
  if (draw(chaos_.fail_rate)) throw injected_failure();
  const Router::Match match = router_.match(request);
  if (!match.handler) {
    if (match.path_known) throw ChatError(ErrorCode::input, "method not allowed", 405);
    throw ChatError(ErrorCode::not_found, "no such route: " + request.path, 404);
  }
  if (match.access != Access::anyone) authenticate(request, match.access, auth_);
  return (*match.handler)(request);
}

void Server::Impl::bind_socket(const Request& request, const Response& response) {
  if (response.watch.empty() && response.unwatch.empty()) return;
  auto connection = request.query.find("connection_id");
  if (connection == request.query.end() || !request.caller.user_id) return;
  auto sink = socket(connection->second);
  if (!sink || sink->user_id() != *request.caller.user_id) return;
  for (const auto& cid : response.unwatch)
    sink->unwatch(cid);
  for (const auto& cid : response.watch)
    sink->watch(cid);
}

std::string Server::Impl::with_unread_totals(const std::string& frame, const std::string& user_id,
                                             std::map<std::string, std::string>& suffixes) {
  auto suffix = suffixes.find(user_id);
  if (suffix == suffixes.end()) {
    const State::UnreadTotals totals = state_.unread_totals(user_id);
    suffix = suffixes
                 .emplace(user_id, fmt::format(R"(,"total_unread_count":{},"unread_channels":{},)"
                                               R"("unread_count":{}}})",
                                               totals.messages, totals.channels, totals.messages))
                 .first;
  }
  return frame.substr(0, frame.size() - 1) + suffix->second;  // before the closing brace
}

void Server::Impl::publish(const std::vector<AddressedEvent>& events) {
  std::map<std::string, std::string> suffixes;  // unread totals by user, as they are now
  for (const auto& [event, only_for, known_frame] : events) {
    const std::string frame = known_frame.empty() ? encode(event) : known_frame;
    const bool totals = event.kind == EventType::message_new || is_notification(event.kind);
    if (only_for) {
      const std::string out = totals ? with_unread_totals(frame, *only_for, suffixes) : frame;
      // A member's notice of a deletion or truncation goes where the channel event does not.
      const bool unless_watching = event.kind == EventType::notification_channel_deleted ||
                                   event.kind == EventType::notification_channel_truncated;
      for (const auto& [id, weak] : sockets_) {
        auto sink = weak.lock();
        if (!sink || sink->user_id() != *only_for) continue;
        if (unless_watching && event.cid && sink->watches(*event.cid)) continue;
        deliver(id, *sink, out);
      }
      continue;
    }
    if (!event.cid) continue;
    const std::string& cid = *event.cid;
    // A new message reaches members who are not watching as notification.message_new, made
    // when the first such member is found.
    std::set<std::string> members;
    std::string notification;
    if (event.kind == EventType::message_new && shown_in_channel(*event.message)) {
      for (auto& id : state_.member_ids(cid))
        members.insert(std::move(id));
    }
    // (An init-capture: clang 14, which builds the fuzz targets, cannot capture a binding.)
    auto notification_frame = [&, &published = event]() -> const std::string& {
      if (notification.empty()) {
        Event notify = published;
        notify.kind = EventType::notification_message_new;
        notify.type = std::string(to_string(notify.kind));
        notify.channel = state_.channel(cid);
        notification = encode(notify);
      }
      return notification;
    };
    const std::string concerned = event.member ? event.member->id() : std::string();
    for (const auto& [id, weak] : sockets_) {
      auto sink = weak.lock();
      if (!sink) continue;
      if (sink->watches(cid)) {
        deliver(id, *sink, totals ? with_unread_totals(frame, sink->user_id(), suffixes) : frame);
      } else if (members.contains(sink->user_id())) {
        deliver(id, *sink, with_unread_totals(notification_frame(), sink->user_id(), suffixes));
      }
      if ((event.kind == EventType::member_removed && sink->user_id() == concerned) ||
          event.kind == EventType::channel_deleted) {
        sink->unwatch(cid);
      }
    }
  }
}

OwnUser Server::Impl::open_socket(const http::request<http::string_body>& raw,
                                  const std::string& connection_id,
                                  const std::shared_ptr<EventSink>& sink) {
  if (chaos_.refuse_sockets) {
    throw ChatError(ErrorCode::internal, "sockets are refused (fault injection)", 503, true);
  }
  Request request = parse(raw);
  authenticate(request, Access::user, auth_, TokenIn::header_or_query);
  const std::string me = *request.caller.user_id;
  if (auto param = request.query.find("json"); param != request.query.end()) {
    const boost::json::value connect = parse_json(param->second);
    const boost::json::value* details =
        connect.is_object() ? connect.as_object().if_contains("user_details") : nullptr;
    if (details && details->is_object()) {
      const User given = self_settable(from_json<User>(*details));
      if (given.id != me) {
        throw ChatError(ErrorCode::authentication, "user_details.id is not the token's user", 401);
      }
      // As Stream does: a connect updates the fields it carries, and only those a user may set
      // about themselves; the rest of the user stays as it was.
      User user = state_.user(me).value_or(User{.id = me, .role = "user"});
      if (given.name) user.name = given.name;
      if (given.image) user.image = given.image;
      if (given.language) user.language = given.language;
      for (const auto& [key, value] : given.extra)
        user.extra[key] = value;
      state_.upsert_users({std::move(user)});
    }
  }
  OwnUser own = state_.own_user(me);
  sockets_[connection_id] = sink;
  track(sink);
  return own;
}

std::shared_ptr<EventSink> Server::Impl::socket(const std::string& connection_id) const {
  auto found = sockets_.find(connection_id);
  return found == sockets_.end() ? nullptr : found->second.lock();
}

void Server::Impl::forget_socket(const std::string& connection_id) {
  sockets_.erase(connection_id);
  held_.erase(connection_id);
}

void Server::Impl::disconnect_all() {
  beast::error_code ignored;
  acceptor_.close(ignored);
  for (auto& weak : connections_) {
    if (auto connection = weak.lock()) connection->close();
  }
  connections_.clear();
  sockets_.clear();
  held_.clear();
}

void Server::Impl::listen() {
  const tcp::endpoint endpoint(asio::ip::make_address(options_.host), port_);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  accept();
}

void Server::Impl::accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (!ec) {
      serve_http(std::move(socket), *this);
      return accept();
    }
    // Out of file descriptors (or memory), the connection stays queued and the next accept
    // fails at once: accepting again straight away would spin a core. A pause lets
    // connections close meanwhile.
    log_->warn("accepting a connection failed ({}); pausing 100 ms", ec.message());
    accept_pause_.expires_after(std::chrono::milliseconds(100));
    accept_pause_.async_wait([this](beast::error_code pause) {
      if (!pause && acceptor_.is_open()) accept();
    });
  });
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Server::~Server() = default;
std::uint16_t Server::start() {
  return impl_->start();
}
void Server::stop() {
  impl_->stop();
}
std::uint16_t Server::port() const {
  return impl_->port();
}

}  // namespace chatkeep::server

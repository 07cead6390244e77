// Fault injection (protocol.md, "chatkeep-server extensions"): the parts of the server that
// misbehave on purpose, so that clients can be tested against drops, outages, failures,
// latency, duplicates and reordering, and uploads cut off mid-body or trickling in.

#include "server_impl.hpp"

namespace chatkeep::server {

// GET shows, POST sets, DELETE clears the faults; the server-side token only. Failures come
// three ways: the next N requests (fail_next), a share of all requests refused before they take
// effect (fail_rate, percent), and a share carried out whose answer is then lost
// (fail_after_rate: the client sees fail_status, though the server did the work); `seed` makes
// the draws repeatable.
Response Server::Impl::chaos(Request& request) {
  if (!options_.chaos) throw ChatError(ErrorCode::not_found, "fault injection is disabled", 404);
  authenticate(request, Access::server, auth_);
  Response response;
  if (request.method == http::verb::delete_) {
    for (auto& [id, frame] : held_) {
      if (auto sink = socket(id)) sink->send(std::move(frame));
    }
    held_.clear();
    chaos_ = Chaos{};
  } else if (request.method == http::verb::post) {
    const boost::json::object body = request.json_body();
    auto integer = [&](const char* name) -> std::optional<std::int64_t> {
      const boost::json::value* v = body.if_contains(name);
      if (!v) return std::nullopt;
      if (!v->is_int64() || v->as_int64() < 0) {
        throw ChatError(ErrorCode::input, std::string(name) + ": expected a count", 400);
      }
      return v->as_int64();
    };
    auto flag = [&](const char* name, bool& out) {
      if (const boost::json::value* v = body.if_contains(name)) {
        if (!v->is_bool())
          throw ChatError(ErrorCode::input, std::string(name) + ": expected boolean", 400);
        out = v->as_bool();
      }
    };
    auto percent = [&](const char* name, int& out) {
      if (auto n = integer(name)) {
        if (*n > 100) throw ChatError(ErrorCode::input, std::string(name) + ": at most 100", 400);
        out = static_cast<int>(*n);
      }
    };
    if (auto n = integer("fail_next")) chaos_.fail_remaining = static_cast<int>(*n);
    percent("fail_rate", chaos_.fail_rate);
    percent("fail_after_rate", chaos_.fail_after_rate);
    if (auto seed = integer("seed")) chaos_random_.seed(static_cast<std::uint32_t>(*seed));
    if (auto s = integer("fail_status")) chaos_.fail_status = static_cast<unsigned>(*s);
    if (auto ms = integer("latency_ms")) chaos_.latency = std::chrono::milliseconds(*ms);
    if (auto n = integer("upload_drop_after_bytes"))
      chaos_.upload_drop_after = static_cast<std::uint64_t>(*n);
    if (auto n = integer("upload_bytes_per_second")) {
      chaos_.upload_bytes_per_second = static_cast<std::uint64_t>(*n);
    }
    flag("duplicate_events", chaos_.duplicate);
    flag("reorder_events", chaos_.reorder);
    flag("refuse_sockets", chaos_.refuse_sockets);
    bool drop = false;
    flag("drop_sockets", drop);
    const auto offline = integer("offline_ms");
    if (drop || offline) {
      // Done before the answer goes: every other connection is dropped and, for offline_ms, no
      // new one accepted; the caller's own goes once its answer is written. So whoever has read
      // the answer finds the outage begun, and a connection it opens next is refused or new,
      // never one dropped later by this request.
      std::vector<std::shared_ptr<Connection>> open;
      std::shared_ptr<Connection> own;
      for (auto& weak : connections_) {
        if (auto connection = weak.lock()) {
          (connection.get() == request.connection ? own : open.emplace_back()) = connection;
        }
      }
      for (auto& connection : open)
        connection->close();
      if (offline && *offline > 0) {
        beast::error_code ignored;
        acceptor_.close(ignored);
        reopen_.expires_after(std::chrono::milliseconds(*offline));
        reopen_.async_wait([this](beast::error_code ec) {
          if (!ec && !stopping_) listen();
        });
      }
      response.then = [own] {
        if (own) own->close();
      };
    }
  } else if (request.method != http::verb::get) {
    throw ChatError(ErrorCode::input, "method not allowed", 405);
  }
  response.body = {{"fail_next", chaos_.fail_remaining},
                   {"fail_rate", chaos_.fail_rate},
                   {"fail_after_rate", chaos_.fail_after_rate},
                   {"fail_status", chaos_.fail_status},
                   {"latency_ms", chaos_.latency.count()},
                   {"duplicate_events", chaos_.duplicate},
                   {"reorder_events", chaos_.reorder},
                   {"upload_drop_after_bytes", chaos_.upload_drop_after},
                   {"upload_bytes_per_second", chaos_.upload_bytes_per_second}};
  return response;
}

bool Server::Impl::draw(int percent) {
  return percent > 0 && std::uniform_int_distribution<int>(0, 99)(chaos_random_) < percent;
}

ChatError Server::Impl::injected_failure() const {
  const auto status = static_cast<int>(chaos_.fail_status);
  const ErrorCode code = status == 429   ? ErrorCode::rate_limited
                         : status >= 500 ? ErrorCode::internal
                                         : ErrorCode::input;
  return ChatError(code, "injected failure (/_chaos)", status);
}

void Server::Impl::deliver(const std::string& connection_id, EventSink& sink,
                           const std::string& frame) {
  const int copies = chaos_.duplicate ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    if (!chaos_.reorder) {
      sink.send(frame);
    } else if (auto held = held_.find(connection_id); held == held_.end()) {
      held_[connection_id] = frame;
    } else {
      sink.send(frame);
      sink.send(std::move(held->second));
      held_.erase(held);
    }
  }
}

void Server::Impl::flush_held(const std::string& connection_id) {
  auto held = held_.find(connection_id);
  if (held == held_.end()) return;
  if (auto sink = socket(connection_id)) sink->send(std::move(held->second));
  held_.erase(held);
}

}  // namespace chatkeep::server

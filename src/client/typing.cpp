#include "client/typing.hpp"

namespace chatkeep {
namespace {

std::optional<std::string> parent_of(const std::string& key) {
  return key.empty() ? std::nullopt : std::optional(key);
}

}  // namespace

Typing::Typing(boost::asio::io_context& io, Send send, std::function<void(Event)> emit)
    : io_(io), send_(std::move(send)), emit_(std::move(emit)) {}

void Typing::keystroke(const std::string& cid, const std::optional<std::string>& parent) {
  const Where where{cid, parent.value_or("")};
  const auto now = std::chrono::steady_clock::now();
  auto& sending = sending_[where];
  if (!sending) {
    sending = std::make_unique<Sending>(Sending{now, boost::asio::steady_timer(io_)});
    send_(cid, parent, EventType::typing_start);
  } else if (now - sending->started >= kStartEvery) {
    sending->started = now;
    send_(cid, parent, EventType::typing_start);
  }
  sending->idle.expires_after(kStopAfter);
  sending->idle.async_wait([this, where](boost::system::error_code ec) {
    if (!ec) stop(where.first, parent_of(where.second));
  });
}

void Typing::stop(const std::string& cid, const std::optional<std::string>& parent) {
  // Erasing cancels the idle timer; inside its own handler, it has fired already.
  if (sending_.erase({cid, parent.value_or("")}) > 0) send_(cid, parent, EventType::typing_stop);
}

void Typing::heard(const Event& event) {
  if (!event.cid || !event.user) return;
  const auto who = std::tuple{*event.cid, event.parent_id.value_or(""), event.user->id};
  if (event.kind == EventType::typing_stop) {
    heard_.erase(who);
    return;
  }
  auto& heard = heard_[who];
  if (!heard) heard = std::make_unique<Heard>(Heard{event, boost::asio::steady_timer(io_)});
  heard->start = event;
  heard->expiry.expires_after(kHeardFor);
  heard->expiry.async_wait([this, who](boost::system::error_code ec) {
    if (ec) return;
    const auto found = heard_.find(who);
    if (found == heard_.end()) return;
    Event stopped = std::move(found->second->start);
    heard_.erase(found);
    stopped.type = std::string(to_string(EventType::typing_stop));
    stopped.kind = EventType::typing_stop;
    stopped.created_at = Timestamp::now();
    stopped.extra["expired"] = true;  // local: no stop came
    emit_(std::move(stopped));
  });
}

void Typing::clear() {
  sending_.clear();
  heard_.clear();
}

}  // namespace chatkeep

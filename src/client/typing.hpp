#pragma once

// Typing, both ways, on the network thread. Out: typing.start at most once every 2 s per
// channel (or thread) while keys are pressed, and typing.stop 3 s after the last one or when
// the app says so; never queued (what cannot go now is dropped). In: a user heard typing who sends
// no stop within 7 s stops by themselves, told as a local typing.stop (Stream's clients drop
// them the same way).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "chatkeep/event.hpp"

namespace chatkeep {

class Typing {
 public:
  static constexpr std::chrono::seconds kStartEvery{2};
  static constexpr std::chrono::seconds kStopAfter{3};
  static constexpr std::chrono::seconds kHeardFor{7};

  // `send` sends one typing event now, or drops it; `emit` tells the app of an expired one.
  using Send = std::function<void(const std::string& cid, const std::optional<std::string>& parent,
                                  EventType type)>;
  Typing(boost::asio::io_context& io, Send send, std::function<void(Event)> emit);

  void keystroke(const std::string& cid, const std::optional<std::string>& parent);
  void stop(const std::string& cid, const std::optional<std::string>& parent);
  // A typing.start or typing.stop from the server.
  void heard(const Event& event);
  // The session ended: nothing pending is sent, nothing heard expires.
  void clear();

 private:
  using Where = std::pair<std::string, std::string>;  // cid, parent id ('' for the channel)
  struct Sending {
    std::chrono::steady_clock::time_point started;
    boost::asio::steady_timer idle;
  };
  struct Heard {
    Event start;
    boost::asio::steady_timer expiry;
  };

  boost::asio::io_context& io_;
  Send send_;
  std::function<void(Event)> emit_;
  std::map<Where, std::unique_ptr<Sending>> sending_;
  std::map<std::tuple<std::string, std::string, std::string>, std::unique_ptr<Heard>> heard_;
};

}  // namespace chatkeep

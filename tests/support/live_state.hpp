#pragma once

// Live state tests' common ground: a fresh read of a channel list from the store, and a port
// nothing listens on.

#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json/array.hpp>

#include "chatkeep/client.hpp"
#include "chatkeep/json.hpp"
#include "chatkeep/list_copy.hpp"
#include "state/live_state.hpp"

namespace chatkeep::testing {

inline std::vector<std::string> cids_of(const std::vector<ChannelState>& states) {
  std::vector<std::string> cids;
  for (const auto& state : states)
    cids.push_back(state.channel.cid);
  return cids;
}

inline std::vector<std::string> ids_of(const std::vector<Message>& messages) {
  std::vector<std::string> ids;
  for (const auto& message : messages)
    ids.push_back(message.id);
  return ids;
}

inline boost::json::array json_of(const std::vector<ChannelState>& states) {
  boost::json::array all;
  for (const auto& state : states)
    all.push_back(to_json(state));
  return all;
}

// A fresh read of the list from the store, by a model of its own that never asks the server.
inline std::vector<ChannelState> fresh_read(ChatClient& client, ChannelListOptions options) {
  state::Host host{.store = client.persistence(),
                   .deliver = [](std::function<void()>) {},
                   .fetch_channels = {},
                   .fetch_messages = {},
                   .fetch_replies = {}};
  return std::make_shared<state::ListModel>(
             host, [] {}, std::move(options))
      ->view()
      ->items();
}

// A loopback port that was free a moment ago and is closed now: a server that is down.
inline std::uint16_t closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::address_v4::loopback(), 0});
  return probe.local_endpoint().port();
}

}  // namespace chatkeep::testing

#pragma once

// A stored channel as a channel list's filter and sort see it: what a live list (src/state/)
// and a search's channel filter both match, so that they agree on which channels a filter takes.

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/persistence.hpp"

namespace chatkeep::store {

struct StoredChannel {
  boost::json::object document;  // model::channel_document
  ChannelState state;            // as read, with `message_limit` messages
};

std::optional<StoredChannel> stored_channel(ChatPersistenceClient& store, const std::string& cid,
                                            const std::string& me, std::size_t message_limit);

// The cids of the stored channels `filter` takes as a channel list applies it
// (model::channel_filter: hidden ones only when it asks about `hidden`).
std::vector<std::string> stored_channels_matching(ChatPersistenceClient& store,
                                                  const Filter& filter);

}  // namespace chatkeep::store

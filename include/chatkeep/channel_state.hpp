#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <boost/json/object.hpp>

#include "chatkeep/channel.hpp"
#include "chatkeep/member.hpp"
#include "chatkeep/message.hpp"
#include "chatkeep/user.hpp"

namespace chatkeep {

// One channel as a query returns it: the channel and a window of its messages, members and reads.
// Messages are in ascending created_at order.
struct ChannelState {
  Channel channel;  // required
  std::optional<std::vector<Message>> messages;
  std::optional<std::vector<Message>> pinned_messages;
  std::optional<std::vector<Member>> members;
  std::optional<Member> membership;  // the connected user's own membership, if a member
  std::optional<std::vector<Read>> read;
  std::optional<std::int64_t> watcher_count;
  std::optional<std::vector<User>> watchers;
  boost::json::object extra;
};

}  // namespace chatkeep

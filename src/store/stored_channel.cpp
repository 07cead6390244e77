#include "store/stored_channel.hpp"

#include "model/filter_match.hpp"

namespace chatkeep::store {

std::optional<StoredChannel> stored_channel(ChatPersistenceClient& store, const std::string& cid,
                                            const std::string& me, std::size_t message_limit) {
  std::optional<ChannelState> state = store.channel_state(
      cid, MessagePagination{.limit = static_cast<std::int64_t>(message_limit)});
  if (!state) return std::nullopt;
  model::ChannelFacts facts{.hidden = state->channel.hidden.value_or(false),
                            .membership = state->membership};
  if (state->members) {
    for (const auto& member : *state->members)
      facts.member_ids.push_back(member.id());
  }
  if (state->read) {
    for (const auto& read : *state->read) {
      if (read.user.id == me) facts.unread_count = read.unread_messages.value_or(0);
    }
  }
  boost::json::object document = model::channel_document(state->channel, facts);
  return StoredChannel{.document = std::move(document), .state = std::move(*state)};
}

std::vector<std::string> stored_channels_matching(ChatPersistenceClient& store,
                                                  const Filter& filter) {
  const Filter applied = model::channel_filter(filter);
  const std::string me = store.user_id().value_or("");
  std::vector<std::string> cids;
  for (auto& cid : store.channel_cids(SIZE_MAX)) {
    auto channel = stored_channel(store, cid, me, 0);
    if (channel && model::matches(applied.json(), channel->document)) cids.push_back(cid);
  }
  return cids;
}

}  // namespace chatkeep::store

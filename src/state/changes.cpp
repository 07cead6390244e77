#include "state/changes.hpp"

#include <algorithm>
#include <type_traits>

namespace chatkeep::state {

void Changes::merge(Changes other) {
  everything = everything || other.everything;
  unread = unread || other.unread;
  cids.merge(other.cids);
  message_ids.merge(other.message_ids);
  user_ids.merge(other.user_ids);
  histories.merge(other.histories);
  for (auto& [cid, messages] : other.upserted) {
    auto& mine = upserted[cid];
    mine.insert(mine.end(), messages.begin(), messages.end());
  }
}

Changes changes_of(const Batch& batch, const ApplyResult& result, OutboxSubjects& outbox) {
  Changes c;
  std::size_t added = 0;
  auto touch_entry = [&](std::int64_t id, bool removed) {
    const auto found = outbox.find(id);
    if (found == outbox.end()) {
      c.everything = true;  // an entry from before the client knew the outbox
      return;
    }
    c.cids.insert(found->second.first);
    if (!found->second.second.empty()) c.message_ids.insert(found->second.second);
    if (removed) outbox.erase(found);
  };
  for (const auto& mutation : batch) {
    std::visit(
        [&](const auto& m) {
          using M = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<M, UpsertUsers>) {
            for (const auto& user : m.users)
              c.user_ids.insert(user.id);
          } else if constexpr (std::is_same_v<M, UpsertChannels>) {
            for (const auto& channel : m.channels)
              c.cids.insert(channel.cid);
          } else if constexpr (std::is_same_v<M, UpsertMessages>) {
            if (m.cid) c.cids.insert(*m.cid);
            for (const auto& message : m.messages) {
              if (message.cid) c.cids.insert(*message.cid);
              c.message_ids.insert(message.id);
              if (const auto* cid = message.cid ? &*message.cid
                                    : m.cid     ? &*m.cid
                                                : nullptr;
                  cid && message.created_at) {
                c.upserted[*cid].emplace_back(message.id, message.created_at->unix_micros());
              }
              if (message.parent_id) c.message_ids.insert(*message.parent_id);
            }
            c.unread = c.unread || m.arrived;
          } else if constexpr (std::is_same_v<M, UpsertMembers> ||
                               std::is_same_v<M, DeleteMembers>) {
            c.cids.insert(m.cid);
            c.unread = true;
          } else if constexpr (std::is_same_v<M, UpsertReads>) {
            c.cids.insert(m.cid);
            c.unread = true;
          } else if constexpr (std::is_same_v<M, TruncateChannel>) {
            c.cids.insert(m.cid);
            c.histories.insert(m.cid);
            c.unread = true;
          } else if constexpr (std::is_same_v<M, RecordPage>) {
            c.cids.insert(m.cid);
            if (!m.parent_id) c.histories.insert(m.cid);
          } else if constexpr (std::is_same_v<M, SetChannelHidden>) {
            c.cids.insert(m.cid);
          } else if constexpr (std::is_same_v<M, DeleteChannels>) {
            c.cids.insert(m.cids.begin(), m.cids.end());
            c.histories.insert(m.cids.begin(), m.cids.end());
            c.unread = true;
          } else if constexpr (std::is_same_v<M, DeleteMessages>) {
            if (const auto* ids = std::get_if<DeleteMessages::ByIds>(&m.which)) {
              c.message_ids.insert(ids->ids.begin(), ids->ids.end());
            } else if (const auto* channels = std::get_if<DeleteMessages::ByChannels>(&m.which)) {
              c.cids.insert(channels->cids.begin(), channels->cids.end());
              c.histories.insert(channels->cids.begin(), channels->cids.end());
            } else {
              const auto& by_user = std::get<DeleteMessages::ByUser>(m.which);
              if (by_user.cid) {
                c.cids.insert(*by_user.cid);
                c.histories.insert(*by_user.cid);
              } else {
                c.everything = true;
              }
            }
          } else if constexpr (std::is_same_v<M, UpsertReactions>) {
            for (const auto& reaction : m.reactions) {
              if (reaction.message_id) c.message_ids.insert(*reaction.message_id);
            }
          } else if constexpr (std::is_same_v<M, DeleteReaction> ||
                               std::is_same_v<M, ReplaceReactions>) {
            c.message_ids.insert(m.message_id);
          } else if constexpr (std::is_same_v<M, MarkAllRead>) {
            c.everything = true;
          } else if constexpr (std::is_same_v<M, SetConnectionInfo> ||
                               std::is_same_v<M, SetUnreadCounts>) {
            c.unread = true;
          } else if constexpr (std::is_same_v<M, AddOutboxEntry>) {
            const std::int64_t id = added < result.outbox_ids.size() ? result.outbox_ids[added] : 0;
            ++added;
            outbox[id] = {m.entry.cid, m.entry.message_id};
            c.cids.insert(m.entry.cid);
            if (!m.entry.message_id.empty()) c.message_ids.insert(m.entry.message_id);
          } else if constexpr (std::is_same_v<M, UpdateOutboxEntry>) {
            touch_entry(m.id, false);
          } else if constexpr (std::is_same_v<M, RemoveOutboxEntry>) {
            touch_entry(m.id, true);
          }
          // Drafts, saved queries, the checkpoint and upload records show in no live list.
        },
        mutation);
  }
  return c;
}

}  // namespace chatkeep::state

#include "chatkeep/persistence.hpp"

#include <cstdint>
#include <set>

namespace chatkeep {

std::string_view to_string(OutboxKind kind) {
  switch (kind) {
    case OutboxKind::send_message:
      return "send_message";
    case OutboxKind::update_message:
      return "update_message";
    case OutboxKind::delete_message:
      return "delete_message";
    case OutboxKind::send_reaction:
      return "send_reaction";
    case OutboxKind::delete_reaction:
      return "delete_reaction";
    case OutboxKind::mark_read:
      return "mark_read";
    case OutboxKind::upload_attachment:
      return "upload_attachment";
    case OutboxKind::delete_upload:
      return "delete_upload";
    case OutboxKind::partial_update_message:
      return "partial_update_message";
    case OutboxKind::set_channel_hidden:
      return "set_channel_hidden";
    case OutboxKind::set_channel_muted:
      return "set_channel_muted";
    case OutboxKind::update_membership:
      return "update_membership";
    case OutboxKind::set_user_muted:
      return "set_user_muted";
    case OutboxKind::set_user_blocked:
      return "set_user_blocked";
    case OutboxKind::save_draft:
      return "save_draft";
    case OutboxKind::delete_draft:
      return "delete_draft";
    case OutboxKind::update_channel:
      return "update_channel";
    case OutboxKind::partial_update_channel:
      return "partial_update_channel";
    case OutboxKind::partial_update_user:
      return "partial_update_user";
    case OutboxKind::create_channel:
      return "create_channel";
    case OutboxKind::delete_channel:
      return "delete_channel";
    case OutboxKind::truncate_channel:
      return "truncate_channel";
    case OutboxKind::update_members:
      return "update_members";
    case OutboxKind::answer_invite:
      return "answer_invite";
  }
  return "";
}

std::string_view to_string(OutboxState state) {
  switch (state) {
    case OutboxState::queued:
      return "queued";
    case OutboxState::sending:
      return "sending";
    case OutboxState::failed:
      return "failed";
  }
  return "";
}

bool ChatPersistenceClient::acquire_lease(const std::string&, const std::string&, Timestamp,
                                          Timestamp) {
  return true;
}

void ChatPersistenceClient::release_lease(const std::string&, const std::string&) {}

std::optional<std::string> ChatPersistenceClient::uploaded_url(const std::string&,
                                                               const std::string&) {
  return std::nullopt;
}

UnreadCounts ChatPersistenceClient::unread_counts() {
  UnreadCounts counts;
  const std::optional<std::string> me = user_id();
  if (!me) return counts;
  std::set<std::string> muted;
  if (const auto info = connection_info(); info && info->own_user.channel_mutes) {
    for (const auto& mute : *info->own_user.channel_mutes) {
      if (mute.channel) muted.insert(mute.channel->cid);
    }
  }
  for (const auto& cid : channel_cids(SIZE_MAX)) {
    if (muted.contains(cid)) continue;
    for (const auto& read : reads(cid)) {
      if (read.user.id != *me || read.unread_messages.value_or(0) <= 0) continue;
      counts.total_unread_count += *read.unread_messages;
      counts.unread_channels += 1;
      counts.unread_mentions += read.unread_mentions.value_or(0);
    }
  }
  return counts;
}

std::vector<HistoryGap> ChatPersistenceClient::gaps(const std::string&) {
  return {};
}

std::vector<HistoryGap> ChatPersistenceClient::thread_gaps(const std::string&, const std::string&) {
  return {};
}

SearchResults ChatPersistenceClient::search(const SearchQuery&) {
  throw ChatError(ErrorCode::invalid_state, "this store does not search");
}

std::future<ApplyResult> ChatPersistenceClient::apply_async(Batch batch) {
  std::promise<ApplyResult> done;
  try {
    done.set_value(apply(batch));
  } catch (...) {
    done.set_exception(std::current_exception());
  }
  return done.get_future();
}

void ChatPersistenceClient::set_connection_info(ConnectionInfo info) {
  apply({SetConnectionInfo{std::move(info)}});
}

void ChatPersistenceClient::set_last_sync_at(Timestamp last_sync_at) {
  apply({SetLastSyncAt{last_sync_at}});
}

}  // namespace chatkeep

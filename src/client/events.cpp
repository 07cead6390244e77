// What arrives on the socket: into the store (sync/'s writes), then to the app's listeners.

#include <algorithm>

#include "client/client_core.hpp"
#include "outbox/rules.hpp"
#include "outbox/settings.hpp"
#include "sync/writes.hpp"

namespace chatkeep {

void ClientCore::apply_live(Event event) {
  if (event.kind == EventType::health_check) {
    // The server's answer to a ping: its clock, and everything sent before it has arrived.
    if (event.created_at && (!server_now_ || *event.created_at > *server_now_)) {
      server_now_ = event.created_at;
    }
  } else if (departed(event)) {
    // Late news of a channel the user left or deleted (sent before the server had her action):
    // storing it would bring the channel back as a stub.
  } else {
    // A mute's news comes in order with the messages the server counted under it.
    if (event.me) server_mutes_ = sync::mutes_of(*event.me);
    Batch batch;
    sync::add_event_writes(event, session_->user.id, batch, server_mutes_);
    // The checkpoint follows the events stored, but never past the server's own time: an event
    // from the future moves it no further than now. It only moves forward, so an event
    // delivered late (out of order) never moves it back.
    if (!batch.empty() && event.created_at && server_now_) {
      const Timestamp to = std::min(*event.created_at, *server_now_);
      if (!checkpoint_ || (to > *checkpoint_ && checkpoint_follows_live())) {
        checkpoint_ = to;
        batch.push_back(SetLastSyncAt{to});
      }
    }
    if (!batch.empty()) {
      write(std::move(batch));
      remember_applied_live(event);
    }
    if (event.kind == EventType::typing_start || event.kind == EventType::typing_stop) {
      typing_->heard(event);
    }
    watch_new_channel(event);
    const std::string cid = event.channel ? event.channel->cid : event.cid.value_or("");
    if (event.kind == EventType::channel_deleted ||
        event.kind == EventType::notification_channel_deleted ||
        event.kind == EventType::notification_removed_from_channel ||
        event.kind == EventType::channel_kicked) {
      news_[cid] = {.at = ++news_count_, .departed = true};
      watched_.erase(cid);
      proven_.erase(cid);
    } else if (event.kind == EventType::channel_hidden ||
               event.kind == EventType::channel_visible) {
      news_[cid] = {.at = ++news_count_, .hidden = event.kind == EventType::channel_hidden};
    } else if (event.kind == EventType::message_new ||
               event.kind == EventType::notification_message_new) {
      news_.erase(cid);  // a new message shows the channel again, as the server does
    }
  }
  emit(event);
}

bool ClientCore::checkpoint_follows_live() {
  if (follows_checked_at_ == server_now_) return follows_live_;
  follows_checked_at_ = server_now_;
  try {
    const auto cids = channels_to_sync();
    follows_live_ = std::all_of(cids.begin(), cids.end(),
                                [&](const std::string& cid) { return proven_.contains(cid); });
  } catch (const ChatError& e) {
    log_->error("reading the cached channels failed: {}", e.what());
    follows_live_ = false;
  }
  return follows_live_;
}

bool ClientCore::departed(const Event& event) {
  const std::string cid = event.channel ? event.channel->cid : event.cid.value_or("");
  const auto found = news_.find(cid);
  if (cid.empty() || found == news_.end() || !found->second.departed) return false;
  // News of its end is stored all the same: an answer may have brought it back meanwhile.
  if (event.kind == EventType::channel_deleted ||
      event.kind == EventType::notification_channel_deleted ||
      event.kind == EventType::notification_removed_from_channel ||
      event.kind == EventType::channel_kicked) {
    return false;
  }
  if (event.kind == EventType::notification_added_to_channel ||
      event.kind == EventType::notification_invited ||
      event.kind == EventType::notification_message_new) {
    news_.erase(found);  // hers again
    return false;
  }
  return true;
}

// A channel the user was just added to, or one that a new message brought to them, is watched
// from now on (as Stream's SDKs do): otherwise it would join the user's lists and then never
// hear of its own deletion, edits or reads, which go to watchers.
void ClientCore::watch_new_channel(const Event& event) {
  if (event.kind != EventType::notification_added_to_channel &&
      event.kind != EventType::notification_invited &&
      event.kind != EventType::notification_message_new) {
    return;
  }
  const std::string cid = event.channel ? event.channel->cid : event.cid.value_or("");
  if (cid.empty() || watched_.contains(cid)) return;
  query_channel(cid, ChannelQuery{}, true, [](Answer<ChannelState>) {});
}

void ClientCore::remember_applied_live(const Event& event) {
  if (!event.created_at || (checkpoint_ && *event.created_at <= *checkpoint_)) {
    return;  // /sync gives only what is after the checkpoint
  }
  if (applied_live_.size() >= kMaxAppliedLive) forget_applied_live();
  if (applied_live_.size() >= kMaxAppliedLive) applied_live_.clear();
  applied_live_[event_identity(event)] = *event.created_at;
}

void ClientCore::forget_applied_live() {
  if (!checkpoint_) return;
  std::erase_if(applied_live_, [&](const auto& entry) { return entry.second <= *checkpoint_; });
}

void ClientCore::write(Batch batch) {
  settle_writes(false);
  if (settings_pending_ && outbox::shows_settings(batch, session_->user.id)) {
    try {
      const auto pending = store_->outbox(0, outbox::kWholeOutbox);
      settings_pending_ = std::any_of(pending.begin(), pending.end(), [](const OutboxEntry& e) {
        return outbox::is_setting(e.kind);
      });
      if (settings_pending_) outbox::show_settings(pending, session_->user.id, batch);
    } catch (const ChatError& e) {
      log_->error("reading the outbox's settings: {}", e.what());
    }
  }
  try {
    writes_.push_back(store_->apply_async(std::move(batch)));
  } catch (const ChatError& e) {
    log_->error("storing failed: {}", e.what());
  }
}

// Logs the writes that failed. In background mode they complete on the store thread; nothing
// waits for them except a disconnect (`wait`), which must see them all done.
void ClientCore::settle_writes(bool wait) {
  std::erase_if(writes_, [&](std::future<ApplyResult>& write) {
    if (!wait && write.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      return false;
    }
    try {
      write.get();
    } catch (const std::exception& e) {
      log_->error("storing failed, the change is lost: {}", e.what());
    }
    return true;
  });
}

void ClientCore::emit(const Event& event) {
  auto listeners = listeners_.snapshot();
  if (listeners.empty()) return;
  deliver([listeners = std::move(listeners), event] {
    for (const auto& listener : listeners)
      listener(event);
  });
}

}  // namespace chatkeep

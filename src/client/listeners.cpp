#include "client/listeners.hpp"

namespace chatkeep::client {

Subscription Listeners::add(std::optional<EventType> type, Listener listener) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    entries_.emplace(id, Entry{type, std::make_shared<Listener>(std::move(listener))});
  }
  return Subscription([weak = weak_from_this(), id] {
    if (auto self = weak.lock()) {
      std::lock_guard lock(self->mutex_);
      self->entries_.erase(id);
    }
  });
}

std::shared_ptr<Listeners::Listener> Listeners::find(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(id);
  return found == entries_.end() ? nullptr : found->second.listener;
}

void Listeners::emit(const Event& event,
                     const std::function<void(std::function<void()>)>& deliver) {
  std::vector<std::uint64_t> ids;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, entry] : entries_) {
      if (!entry.type || *entry.type == event.kind) ids.push_back(id);
    }
  }
  if (ids.empty()) return;
  auto shared = std::make_shared<const Event>(event);
  for (auto id : ids) {
    deliver([weak = weak_from_this(), id, shared] {
      auto self = weak.lock();
      if (!self) return;
      if (auto listener = self->find(id)) (*listener)(*shared);
    });
  }
}

}  // namespace chatkeep::client

// Live state: channel lists and message windows that the app keeps on screen, kept equal to the
// store.
//
// The store is the one truth. Every batch the client commits, whatever made it (an event,
// catch-up, the user's own action, the outbox's delivery), passes the commit feed
// (commit_feed.hpp) once it is durable, and is summed up there as Changes: the channels,
// messages and users it touched. The summaries of a burst of commits coalesce, and one refresh
// on the network thread applies them all: each list and window that the changes concern reads
// again from the store what they touched, computes the diff from what it showed before
// (list_diff.hpp), and hands the diff to the app's executor, where the handle's copy takes it
// in before the app's listeners hear of it. So a list is never ahead of the store, never
// behind it for longer than one refresh, and what the app built from the diffs equals a fresh
// read of the store.
//
// Which channels a list holds is decided here, on the device, by the code chatkeep-server runs
// for the same query (model/filter_match.hpp), on the stored channel as the query sees it. A
// list does not trust the server's last answer for its membership, which goes stale the moment
// an event adds, hides or removes a channel; it trusts the filter. The server is asked when a
// list opens, when it grows past what the store holds, and after every reconnect; a channel
// the store holds that the server's answer should have held and did not is asked about by cid,
// and dropped from the store when the server no longer shows it to the user (it was deleted or
// the user left while the client was away).
//
// Windows hold one unbroken run of a channel's history. A window follows the latest message:
// new messages join at its end. One opened around an older message holds the run around it
// instead, and follows only once load_newer has brought it to the latest.

#include "state/live_state.hpp"

namespace chatkeep::state {

LiveState::LiveState(Host host) : host_(std::move(host)) {}
LiveState::~LiveState() = default;

bool LiveState::committed(const Batch& batch, const ApplyResult& result) {
  std::lock_guard lock(mutex_);
  Changes changes = changes_of(batch, result, outbox_);
  if (changes.empty()) return false;
  pending_.merge(std::move(changes));
  return !std::exchange(scheduled_, true);
}

bool LiveState::reset() {
  std::lock_guard lock(mutex_);
  pending_.everything = true;
  outbox_.clear();
  outbox_learned_ = false;
  return !std::exchange(scheduled_, true);
}

bool LiveState::record(Changes changes) {
  std::lock_guard lock(mutex_);
  pending_.merge(std::move(changes));
  return !std::exchange(scheduled_, true);
}

// The outbox entries stored before this client heard of them, read once (without the lock: in
// background mode the read waits for commits, whose feed takes it). Entries added meanwhile are
// known already; one removed meanwhile was unknown and marked everything.
void LiveState::learn_outbox() {
  if (outbox_learned_ || !host_.store.is_connected()) return;
  OutboxSubjects found;
  for (const auto& entry : host_.store.outbox(0, SIZE_MAX))
    found.emplace(entry.id, std::pair{entry.cid, entry.message_id});
  std::lock_guard lock(mutex_);
  found.merge(outbox_);
  outbox_ = std::move(found);
  outbox_learned_ = true;
}

void LiveState::refresh() {
  Changes changes;
  {
    std::lock_guard lock(mutex_);
    changes = std::exchange(pending_, Changes{});
    scheduled_ = false;
  }
  if (changes.empty() || !host_.store.is_connected()) return;
  try {
    learn_outbox();
    for (auto& [key, list] : lists_)
      list->refresh(changes);
    for (auto& [key, window] : windows_) {
      if (changes.everything || window->concerns(changes)) window->refresh(changes);
    }
    if (changes.everything || changes.unread || !changes.cids.empty()) publish_unread();
  } catch (const ChatError&) {
    // The store went away under a refresh (a disconnect): the next user's refresh starts over.
    record(Changes{.everything = true});
  }
}

void LiveState::publish_unread() {
  if (unread_listeners_.empty()) return;
  const UnreadCounts now = host_.store.unread_counts();
  if (unread_ == now) return;
  unread_ = now;
  host_.deliver([listeners = unread_listeners_.snapshot(), now] {
    for (const auto& listener : listeners)
      listener(now);
  });
}

// The first value goes through a list of its own, so that the Subscription's promise (never
// called once reset) holds for it too.
Subscription LiveState::watch_unread(std::function<void(const UnreadCounts&)> listener) {
  using Listeners = ListenerList<const UnreadCounts&>;
  auto shared = std::make_shared<std::function<void(const UnreadCounts&)>>(std::move(listener));
  auto call = [shared](const UnreadCounts& counts) { (*shared)(counts); };
  auto first = std::make_shared<Listeners>();
  auto subscriptions = std::make_shared<std::pair<Subscription, Subscription>>(
      first->add(call), unread_listeners_.add(call));
  const UnreadCounts now =
      host_.store.is_connected() ? host_.store.unread_counts() : UnreadCounts{};
  // The others were told the last value; a first listener sets what changes are measured from.
  if (unread_listeners_.snapshot().size() == 1) unread_ = now;
  host_.deliver([handles = first->snapshot(), now] {
    for (const auto& handle : handles)
      handle(now);
  });
  return Subscription([subscriptions] {
    subscriptions->first.reset();
    subscriptions->second.reset();
  });
}

void LiveState::settle() {
  if (host_.store.is_connected()) (void)host_.store.last_sync_at();
  refresh();
}

std::shared_ptr<LiveView<ChannelState>> LiveState::open_list(ChannelListOptions options) {
  learn_outbox();
  auto model = std::make_shared<ListModel>(
      host_, [this] { settle(); }, std::move(options));
  auto view = model->view();
  lists_.emplace(view.get(), model);
  model->fetch([](Result<std::size_t>) {});
  return view;
}

void LiveState::load_more(const void* view, Callback<std::size_t> done) {
  const auto found = lists_.find(view);
  if (found == lists_.end()) {
    return done({.error = ChatError(ErrorCode::invalid_state, "the list is closed")});
  }
  settle();
  found->second->load_more(std::move(done));
}

std::shared_ptr<LiveView<Message>> LiveState::open_window(std::string cid,
                                                          std::optional<std::string> parent_id,
                                                          std::size_t size,
                                                          std::optional<std::string> around) {
  learn_outbox();
  auto model = std::make_shared<WindowModel>(
      host_, [this] { settle(); }, std::move(cid), std::move(parent_id), size, std::move(around));
  auto view = model->view();
  windows_.emplace(view.get(), model);
  model->fetch_first();
  return view;
}

void LiveState::load_messages(const void* view, Paging direction, Callback<std::size_t> done) {
  const auto found = windows_.find(view);
  if (found == windows_.end()) {
    return done({.error = ChatError(ErrorCode::invalid_state, "the window is closed")});
  }
  settle();
  found->second->load(direction, std::move(done));
}

void LiveState::close(const void* view) {
  lists_.erase(view);
  windows_.erase(view);
}

void LiveState::reconnected() {
  for (auto& [key, list] : lists_)
    list->fetch([](Result<std::size_t>) {});
}

}  // namespace chatkeep::state

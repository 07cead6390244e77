// A message window on the network thread (the essay in live_state.cpp). It holds one run of
// history: from its oldest message to the latest, so that new messages join it and nothing it
// shows slides out while the app looks.

#include "state/list_diff.hpp"
#include "state/live_state.hpp"
#include "state/same.hpp"

namespace chatkeep::state {
namespace {

// How many messages a window read may return: more than any window holds.
constexpr std::int64_t kMaxWindow = 1'000'000;

const std::string& key_of(const Message& message) {
  return message.id;
}

std::int64_t micros(const Message& message) {
  return message.created_at ? message.created_at->unix_micros() : 0;
}

// Whether some moment strictly between x and y lies in a gap.
bool gap_between(const std::vector<HistoryGap>& gaps, std::int64_t x, std::int64_t y) {
  for (const auto& gap : gaps) {
    const std::int64_t lo = std::max(gap.after ? gap.after->unix_micros() : INT64_MIN, x);
    const std::int64_t hi = std::min(gap.before ? gap.before->unix_micros() : INT64_MAX, y);
    if (lo < hi && lo + 1 < hi) return true;
  }
  return false;
}

// The newest unbroken run of `messages` (ascending): what lies before the newest gap between
// two of them goes.
void keep_latest_run(std::vector<Message>& messages, const std::vector<HistoryGap>& gaps) {
  for (std::size_t i = messages.size(); i-- > 1;) {
    if (gap_between(gaps, micros(messages[i - 1]), micros(messages[i]))) {
      messages.erase(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

}  // namespace

WindowModel::WindowModel(Host& host, std::function<void()> settle, std::string cid,
                         std::optional<std::string> parent_id, std::size_t size)
    : host_(host),
      settle_(std::move(settle)),
      cid_(std::move(cid)),
      parent_id_(std::move(parent_id)),
      size_(std::max<std::size_t>(size, 1)),
      items_(read_window()),
      view_(std::make_shared<LiveView<Message>>(items_)) {}

std::vector<Message> WindowModel::read(const MessagePagination& page) {
  return parent_id_ ? host_.store.replies(*parent_id_, page) : host_.store.messages(cid_, page);
}

// Threads keep no gaps: their pages are the thread's replies, which catch-up does not re-query.
std::vector<HistoryGap> WindowModel::gaps() {
  return parent_id_ ? std::vector<HistoryGap>{} : host_.store.gaps(cid_);
}

// The run from the oldest message shown to the latest; the latest size_ when nothing is shown
// yet, or when the oldest shown is gone from the store.
std::vector<Message> WindowModel::read_window() {
  std::vector<Message> messages;
  if (oldest_) messages = read({.limit = kMaxWindow, .id_gte = *oldest_});
  if (messages.empty()) messages = read({.limit = static_cast<std::int64_t>(size_)});
  keep_latest_run(messages, gaps());
  oldest_ = messages.empty() ? std::nullopt : std::optional(messages.front().id);
  return messages;
}

bool WindowModel::concerns(const Changes& changes) const {
  if (changes.cids.contains(cid_)) return true;
  if (parent_id_ && changes.message_ids.contains(*parent_id_)) return true;
  for (const auto& message : items_) {
    if (changes.message_ids.contains(message.id)) return true;
    if (message.user && changes.user_ids.contains(message.user->id)) return true;
  }
  return false;
}

void WindowModel::refresh() {
  show(read_window());
}

// Reads again only what the changes touched: the shown messages that changed, and what came
// after the newest shown. Anything else reads the whole window again: a change to the channel's
// history, a message shown that is gone, one upserted among those shown that the window does
// not hold (it arrived out of order), and any change to a thread's window.
void WindowModel::refresh(const Changes& changes) {
  if (changes.everything || parent_id_ || items_.empty() || changes.histories.contains(cid_)) {
    return refresh();
  }
  const std::int64_t oldest = micros(items_.front()), newest = micros(items_.back());
  auto held = [&](const std::string& id) {
    return std::any_of(items_.begin(), items_.end(), [&](const Message& m) { return m.id == id; });
  };
  bool newer = false;
  if (const auto found = changes.upserted.find(cid_); found != changes.upserted.end()) {
    for (const auto& [id, at] : found->second) {
      if (held(id)) continue;  // re-read below; a new creation time reads everything again
      if (at > newest) {
        newer = true;
      } else if (at >= oldest) {
        return refresh();
      }
    }
  }
  std::vector<Message> fresh;
  fresh.reserve(items_.size());
  std::vector<const Message*> next;
  next.reserve(items_.size());
  for (const auto& message : items_) {
    const bool touched = changes.message_ids.contains(message.id) ||
                         (message.user && changes.user_ids.contains(message.user->id));
    if (!touched) {
      next.push_back(&message);
      continue;
    }
    std::optional<Message> again = host_.store.message(message.id);
    // Gone, moved, or created at another time (the server's copy of an echo): the order may
    // change, which only a whole read tells.
    if (!again || again->cid != message.cid || again->created_at != message.created_at) {
      return refresh();
    }
    fresh.push_back(std::move(*again));
    next.push_back(&fresh.back());
  }
  std::vector<Message> after;
  if (newer) {
    after = read({.limit = kMaxWindow, .id_gt = items_.back().id});
    const auto gaps = this->gaps();
    if (!after.empty() && gap_between(gaps, newest, micros(after.front()))) return refresh();
    if (std::any_of(after.begin(), after.end(), [&](const Message& m) { return held(m.id); })) {
      return refresh();
    }
  }
  for (const auto& message : after)
    next.push_back(&message);
  publish(next);
  std::vector<Message> kept;
  kept.reserve(next.size());
  for (const Message* message : next)
    kept.push_back(*message);
  items_ = std::move(kept);
}

void WindowModel::show(std::vector<Message> messages) {
  std::vector<const Message*> is;
  for (const auto& message : messages)
    is.push_back(&message);
  publish(is);
  items_ = std::move(messages);
}

void WindowModel::publish(const std::vector<const Message*>& next) {
  std::vector<const Message*> was;
  for (const auto& message : items_)
    was.push_back(&message);
  ListDiff<Message> diff = diff_lists<Message>(
      was, next, key_of, [](const Message& a, const Message& b) { return same(a, b); });
  if (!diff.empty()) {
    host_.deliver([view = view_, diff = std::move(diff)] { view->publish(diff); });
  }
}

void WindowModel::fetch_latest() {
  MessagePagination page{.limit = static_cast<std::int64_t>(size_)};
  auto ignore = [](Result<std::vector<Message>>) {};  // offline: the store's is what there is
  if (parent_id_) {
    host_.fetch_replies(*parent_id_, std::move(page), ignore);
  } else {
    host_.fetch_messages(cid_, std::move(page), ignore);
  }
}

void WindowModel::load_older(Callback<std::size_t> done) {
  const std::size_t had = items_.size();
  // From the store: the messages before the oldest shown.
  // From the store: the messages before the oldest shown, up to the first gap.
  auto take_older = [this, had]() -> std::size_t {
    if (!items_.empty()) {
      auto older = read({.limit = static_cast<std::int64_t>(size_), .id_lt = items_.front().id});
      const auto gaps = this->gaps();
      if (!older.empty() && gap_between(gaps, micros(older.back()), micros(items_.front()))) {
        older.clear();
      }
      keep_latest_run(older, gaps);
      if (!older.empty()) oldest_ = older.front().id;
    }
    refresh();
    return items_.size() > had ? items_.size() - had : 0;
  };
  if (const std::size_t added = take_older(); added > 0) return done({.value = added});
  // Then from the server, which stores its page before answering.
  MessagePagination page{.limit = static_cast<std::int64_t>(size_)};
  if (!items_.empty()) page.id_lt = items_.front().id;
  auto answered = [self = weak_from_this(), take_older,
                   done = std::move(done)](Result<std::vector<Message>> r) {
    auto window = self.lock();
    if (!window) return done({.error = ChatError(ErrorCode::cancelled, "the window is closed")});
    if (!r) return done({.error = std::move(r.error)});
    window->settle_();
    done({.value = take_older()});
  };
  if (parent_id_) {
    host_.fetch_replies(*parent_id_, std::move(page), std::move(answered));
  } else {
    host_.fetch_messages(cid_, std::move(page), std::move(answered));
  }
}

}  // namespace chatkeep::state

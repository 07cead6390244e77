// A message window on the network thread (the essay in live_state.cpp). It holds one run of
// history: from its oldest message to the latest, so that new messages join it and nothing it
// shows slides out while the app looks; or, opened around an older message, from its oldest to
// its newest, until loading newer messages reaches the latest and it follows from then on.

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

// Keeps of `messages` (ascending) the unbroken run that holds messages[at]: what lies across a
// gap from it goes.
void keep_run(std::vector<Message>& messages, const std::vector<HistoryGap>& gaps, std::size_t at) {
  if (messages.empty()) return;
  auto joined = [&](std::size_t i) {  // messages[i - 1] and messages[i]
    return !gap_between(gaps, micros(messages[i - 1]), micros(messages[i]));
  };
  std::size_t begin = at, end = at + 1;
  while (begin > 0 && joined(begin))
    --begin;
  while (end < messages.size() && joined(end))
    ++end;
  messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(end), messages.end());
  messages.erase(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(begin));
}

}  // namespace

WindowModel::WindowModel(Host& host, std::function<void()> settle, std::string cid,
                         std::optional<std::string> parent_id, std::size_t size,
                         std::optional<std::string> around)
    : host_(host),
      settle_(std::move(settle)),
      cid_(std::move(cid)),
      parent_id_(std::move(parent_id)),
      size_(std::max<std::size_t>(size, 1)),
      anchor_(around),
      around_(std::move(around)),
      items_(read_window()),
      view_(std::make_shared<LiveView<Message>>(items_)) {}

std::vector<Message> WindowModel::read(const MessagePagination& page) {
  return parent_id_ ? host_.store.replies(*parent_id_, page) : host_.store.messages(cid_, page);
}

std::vector<HistoryGap> WindowModel::gaps() {
  return parent_id_ ? host_.store.thread_gaps(cid_, *parent_id_) : host_.store.gaps(cid_);
}

// The run from the oldest message shown to the newest (or the latest); the latest size_ when
// nothing is shown yet, or when what was shown is gone from the store.
std::vector<Message> WindowModel::read_window() {
  if (around_) return read_around(*around_);
  std::vector<Message> messages;
  if (oldest_) {
    messages = newest_ ? read({.limit = kMaxWindow, .id_lte = *newest_, .id_gte = *oldest_})
                       : read({.limit = kMaxWindow, .id_gte = *oldest_});
  }
  if (messages.empty() && oldest_ && newest_) {  // the newest shown is gone
    messages = read(
        {.limit = static_cast<std::int64_t>(std::max(items_.size(), size_)), .id_gte = *oldest_});
  }
  if (messages.empty()) {
    newest_.reset();
    messages = read({.limit = static_cast<std::int64_t>(size_)});
  }
  const auto gaps = this->gaps();
  keep_run(messages, gaps, messages.size() - 1);
  oldest_ = messages.empty() ? std::nullopt : std::optional(messages.front().id);
  if (newest_ && !messages.empty()) newest_ = messages.back().id;
  follow_if_latest(messages, gaps);
  return messages;
}

// Up to size_ messages with `id` in the middle, and not across a gap from it; none until the
// store holds it.
std::vector<Message> WindowModel::read_around(const std::string& id) {
  std::vector<Message> messages =
      read({.limit = static_cast<std::int64_t>(size_), .id_around = id});
  const auto at =
      std::find_if(messages.begin(), messages.end(), [&](const Message& m) { return m.id == id; });
  if (at == messages.end()) return {};
  const auto gaps = this->gaps();
  keep_run(messages, gaps, static_cast<std::size_t>(at - messages.begin()));
  around_.reset();
  oldest_ = messages.front().id;
  newest_ = messages.back().id;
  follow_if_latest(messages, gaps);
  return messages;
}

// A window whose newest message is the latest the store holds, with no gap after it, follows
// the latest from now on.
void WindowModel::follow_if_latest(const std::vector<Message>& messages,
                                   const std::vector<HistoryGap>& gaps) {
  if (!newest_ || messages.empty()) return;
  if (gap_between(gaps, micros(messages.back()), INT64_MAX)) return;
  if (read({.limit = 1, .id_gt = messages.back().id}).empty()) newest_.reset();
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
// not hold (it arrived out of order), and any change to a thread's window or to a window that
// does not follow the latest (whose read is bounded by its newest).
void WindowModel::refresh(const Changes& changes) {
  if (changes.everything || parent_id_ || items_.empty() || newest_ ||
      changes.histories.contains(cid_)) {
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

void WindowModel::fetch_first() {
  MessagePagination page{.limit = static_cast<std::int64_t>(size_), .id_around = anchor_};
  // The latest page's commit refreshes the window, as any commit does. The page around the
  // anchor re-centres it, unless the app has moved it since or it follows the latest already
  // (it holds what the page could add after the anchor); offline, the store's is what there is.
  auto answered = [self = weak_from_this(), loads = loads_](Result<std::vector<Message>> r) {
    auto window = self.lock();
    if (!window || !r || !window->anchor_ || window->loads_ != loads) return;
    if (!window->newest_ && !window->around_) return;
    window->settle_();
    window->around_ = window->anchor_;
    window->refresh();
  };
  fetch(std::move(page), std::move(answered));
}

void WindowModel::fetch(MessagePagination page, Callback<std::vector<Message>> done) {
  if (parent_id_) {
    host_.fetch_replies(*parent_id_, std::move(page), std::move(done));
  } else {
    host_.fetch_messages(cid_, std::move(page), std::move(done));
  }
}

void WindowModel::load(Paging direction, Callback<std::size_t> done) {
  const bool older = direction == Paging::older;
  if (!older && !newest_ && !around_) return done({.value = 0});  // it follows the latest
  ++loads_;
  const std::size_t had = items_.size();
  // From the store: up to size_ messages beyond the window's end, up to the first gap.
  auto take = [this, had, older]() -> std::size_t {
    if (!items_.empty()) {
      const auto limit = static_cast<std::int64_t>(size_);
      auto more = older ? read({.limit = limit, .id_lt = items_.front().id})
                        : read({.limit = limit, .id_gt = items_.back().id});
      const auto gaps = this->gaps();
      if (!more.empty()) {
        const bool across = older ? gap_between(gaps, micros(more.back()), micros(items_.front()))
                                  : gap_between(gaps, micros(items_.back()), micros(more.front()));
        if (across) {
          more.clear();
        } else {
          keep_run(more, gaps, older ? more.size() - 1 : 0);
        }
      }
      if (!more.empty()) (older ? oldest_ : newest_) = older ? more.front().id : more.back().id;
    }
    refresh();
    return items_.size() > had ? items_.size() - had : 0;
  };
  if (const std::size_t added = take(); added > 0) return done({.value = added});
  if (!older && !newest_ && !around_) return done({.value = 0});  // it reached the latest
  // Then from the server, which stores its page before answering.
  MessagePagination page{.limit = static_cast<std::int64_t>(size_)};
  if (items_.empty()) {
    page.id_around = around_;
  } else if (older) {
    page.id_lt = items_.front().id;
  } else {
    page.id_gt = items_.back().id;
  }
  auto answered = [self = weak_from_this(), take,
                   done = std::move(done)](Result<std::vector<Message>> r) {
    auto window = self.lock();
    if (!window) return done({.error = ChatError(ErrorCode::cancelled, "the window is closed")});
    if (!r) return done({.error = std::move(r.error)});
    window->settle_();
    done({.value = take()});
  };
  fetch(std::move(page), std::move(answered));
}

}  // namespace chatkeep::state

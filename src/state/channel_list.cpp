// A channel list on the network thread: which stored channels the query holds, in its order (the
// essay in live_state.cpp).

#include <algorithm>
#include <set>

#include <boost/json.hpp>

#include "model/filter_match.hpp"
#include "state/list_diff.hpp"
#include "state/live_state.hpp"
#include "state/same.hpp"
#include "store/stored_channel.hpp"

namespace chatkeep::state {
namespace {

namespace json = boost::json;

// Stream's largest page of channels.
constexpr std::size_t kServerPage = 30;

const std::string& key_of(const ChannelState& state) {
  return state.channel.cid;
}

}  // namespace

ListModel::ListModel(Host& host, std::function<void()> settle, ChannelListOptions options)
    : host_(host),
      settle_(std::move(settle)),
      options_(std::move(options)),
      filter_(model::channel_filter(options_.filter)),
      sort_(model::channel_sort(options_.sort)),
      wanted_(std::max<std::size_t>(options_.page_size, 1)),
      entries_(read_all()) {
  std::vector<ChannelState> items;
  items.reserve(entries_.size());
  for (const auto& entry : entries_)
    items.push_back(entry.item);
  view_ = std::make_shared<LiveView<ChannelState>>(std::move(items));
}

bool ListModel::before(const json::object& a, const json::object& b) const {
  return model::compare_documents(a, b, sort_) < 0;
}

std::optional<ListEntry> ListModel::read_entry(const std::string& cid, const std::string& me) {
  auto stored = store::stored_channel(host_.store, cid, me, options_.message_limit);
  if (!stored || !model::matches(filter_.json(), stored->document)) return std::nullopt;
  return ListEntry{
      .cid = cid, .document = std::move(stored->document), .item = std::move(stored->state)};
}

// A fresh read: every stored channel the filter takes, sorted, up to the pages loaded.
std::vector<ListEntry> ListModel::read_all() {
  const std::string me = host_.store.user_id().value_or("");
  std::vector<ListEntry> entries;
  for (const auto& cid : host_.store.channel_cids(SIZE_MAX)) {
    if (auto entry = read_entry(cid, me)) entries.push_back(std::move(*entry));
  }
  std::sort(entries.begin(), entries.end(), [this](const ListEntry& a, const ListEntry& b) {
    return before(a.document, b.document);
  });
  if (entries.size() > wanted_) entries.resize(wanted_);
  return entries;
}

void ListModel::show(std::vector<ListEntry> next) {
  std::vector<const ListEntry*> is;
  for (const auto& entry : next)
    is.push_back(&entry);
  publish(is);
  entries_ = std::move(next);
}

void ListModel::publish(const std::vector<const ListEntry*>& next) {
  std::vector<const ChannelState*> was, is;
  for (const auto& entry : entries_)
    was.push_back(&entry.item);
  for (const ListEntry* entry : next)
    is.push_back(&entry->item);
  ListDiff<ChannelState> diff = diff_lists<ChannelState>(
      was, is, key_of, [](const ChannelState& a, const ChannelState& b) { return same(a, b); });
  if (!diff.empty()) {
    host_.deliver([view = view_, diff = std::move(diff)] { view->publish(diff); });
  }
}

// Re-reads the channels the changes touched, and places each where the sort puts it. The
// channels the list does not hold stay out unless touched: only a list that was full and lost a
// channel, or whose last place went to a touched one, must look at every stored channel again.
// Nothing held is copied: a commit costs the touched channels' reads and the diff.
void ListModel::refresh(const Changes& changes) {
  if (changes.everything) return show(read_all());
  std::set<std::string> touched(changes.cids.begin(), changes.cids.end());
  auto mentions = [&](const Message& m) {
    return changes.message_ids.contains(m.id) || (m.user && changes.user_ids.contains(m.user->id));
  };
  for (const auto& entry : entries_) {
    const ChannelState& s = entry.item;
    bool hit = false;
    if (s.messages) hit = std::any_of(s.messages->begin(), s.messages->end(), mentions);
    if (!hit && s.members && !changes.user_ids.empty()) {
      hit = std::any_of(s.members->begin(), s.members->end(),
                        [&](const Member& m) { return changes.user_ids.contains(m.id()); });
    }
    if (hit) touched.insert(entry.cid);
  }
  if (touched.empty()) return;

  const std::string me = host_.store.user_id().value_or("");
  const bool was_full = entries_.size() >= wanted_;
  std::vector<ListEntry> fresh;
  fresh.reserve(touched.size());
  for (const auto& cid : touched) {
    if (auto entry = read_entry(cid, me)) fresh.push_back(std::move(*entry));
  }
  std::vector<ListEntry*> next;
  next.reserve(entries_.size() + fresh.size());
  for (auto& entry : entries_) {
    if (!touched.contains(entry.cid)) next.push_back(&entry);
  }
  for (auto& entry : fresh) {
    const auto at = std::upper_bound(next.begin(), next.end(), &entry,
                                     [this](const ListEntry* a, const ListEntry* b) {
                                       return before(a->document, b->document);
                                     });
    next.insert(at, &entry);
  }
  if (next.size() > wanted_) next.resize(wanted_);
  // Touched channels in `next` are the fresh ones.
  const bool last_is_fresh = !next.empty() && touched.contains(next.back()->cid);
  if (was_full && (next.size() < wanted_ || last_is_fresh)) return show(read_all());
  publish(std::vector<const ListEntry*>(next.begin(), next.end()));
  std::vector<ListEntry> kept;
  kept.reserve(next.size());
  for (ListEntry* entry : next)
    kept.push_back(std::move(*entry));
  entries_ = std::move(kept);
}

void ListModel::load_more(Callback<std::size_t> done) {
  wanted_ += std::max<std::size_t>(options_.page_size, 1);
  show(read_all());
  if (entries_.size() >= wanted_) return done({.value = entries_.size()});
  // The store ran out: the server's next page.
  fetch_page(entries_.size(), std::move(done));
}

void ListModel::fetch(Callback<std::size_t> done) {
  fetch_page(0, std::move(done));
}

void ListModel::fetch_page(std::size_t offset, Callback<std::size_t> done) {
  if (offset >= wanted_) return done({.value = entries_.size()});
  const std::size_t asked = std::min(kServerPage, wanted_ - offset);
  QueryChannelsOptions query{.filter = options_.filter,
                             .sort = options_.sort,
                             .limit = static_cast<std::int64_t>(asked),
                             .offset = static_cast<std::int64_t>(offset)};
  host_.fetch_channels(
      std::move(query), [self = weak_from_this(), offset, asked,
                         done = std::move(done)](Result<std::vector<ChannelState>> r) {
        auto list = self.lock();
        if (!list) return done({.error = ChatError(ErrorCode::cancelled, "the list is closed")});
        if (!r) return done({.error = std::move(r.error)});
        std::vector<std::string> returned;
        for (const auto& state : *r.value)
          returned.push_back(state.channel.cid);
        list->drop_stragglers(returned, offset, asked,
                              [list, offset, asked, done, more = returned.size() >= asked] {
                                list->settle_();
                                if (!more) return done({.value = list->entries_.size()});
                                list->fetch_page(offset + asked, done);
                              });
      });
}

// The stored channels that the server's page should have held, by the list's order, and did
// not: the store has a stale picture of them. They are asked about by cid; what the server
// returns is stored (and the filter decides again), what it does not show the user any more
// leaves the store.
void ListModel::drop_stragglers(const std::vector<std::string>& returned, std::size_t offset,
                                std::size_t asked, std::function<void()> then) {
  settle_();
  const std::set<std::string> answered(returned.begin(), returned.end());
  std::size_t end = entries_.size();
  if (returned.size() >= asked) {
    const auto last = std::find_if(entries_.begin(), entries_.end(),
                                   [&](const ListEntry& e) { return e.cid == returned.back(); });
    end = static_cast<std::size_t>(last - entries_.begin());
  }
  json::array stragglers;
  for (std::size_t i = offset; i < end && i < entries_.size(); ++i) {
    if (!answered.contains(entries_[i].cid)) stragglers.emplace_back(entries_[i].cid);
  }
  if (stragglers.empty()) return then();
  if (stragglers.size() > kServerPage) stragglers.resize(kServerPage);
  QueryChannelsOptions query{
      .filter = Filter::from_json(json::object{{"cid", {{"$in", stragglers}}},
                                               {"hidden", {{"$in", json::array{true, false}}}}}),
      .limit = static_cast<std::int64_t>(kServerPage),
      .watch = false};
  host_.fetch_channels(std::move(query),
                       [self = weak_from_this(), stragglers,
                        then = std::move(then)](Result<std::vector<ChannelState>> r) {
                         auto list = self.lock();
                         if (!list || !r)
                           return then();  // unknown: they stay until the next refresh
                         std::set<std::string> shown;
                         for (const auto& state : *r.value)
                           shown.insert(state.channel.cid);
                         DeleteChannels gone;
                         for (const auto& cid : stragglers) {
                           if (!shown.contains(std::string(cid.as_string())))
                             gone.cids.emplace_back(cid.as_string());
                         }
                         if (!gone.cids.empty()) list->host_.store.apply({std::move(gone)});
                         then();
                       });
}

}  // namespace chatkeep::state

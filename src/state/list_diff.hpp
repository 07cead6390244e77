#pragma once

// The diff between two versions of a keyed list (items with unique keys): removals first (from
// the end, so that indexes hold), then, walking the new list, for each position an update, a
// move of an item already there, or an insert. Quadratic only in the number of moves, which a
// commit keeps small.

#include <algorithm>
#include <cstddef>
#include <string>
#include <unordered_set>
#include <vector>

#include "chatkeep/list_diff.hpp"

namespace chatkeep::state {

// `key(item)` gives an item's unique key; `same(a, b)` whether two versions of an item look
// the same to the app. The lists are of pointers, so that a caller can diff without copying,
// and an item both lists point at is unchanged without asking `same`.
template <class T, class Key, class Same>
ListDiff<T> diff_lists(const std::vector<const T*>& before, const std::vector<const T*>& after,
                       Key key, Same same) {
  using Change = ListChange<T>;
  ListDiff<T> diff;
  std::unordered_set<std::string> kept;
  for (const T* item : after)
    kept.insert(key(*item));
  std::vector<const T*> current;  // `before` as the diff so far has left it
  for (std::size_t i = before.size(); i-- > 0;) {
    if (!kept.contains(key(*before[i]))) {
      diff.push_back(Change{.kind = Change::Kind::remove, .index = i});
    }
  }
  for (const T* item : before) {
    if (kept.contains(key(*item))) current.push_back(item);
  }
  for (std::size_t i = 0; i < after.size(); ++i) {
    const std::string k = key(*after[i]);
    if (i < current.size() && key(*current[i]) == k) {
      // The same object in both lists (an item the change did not touch) is the same item.
      if (current[i] != after[i] && !same(*current[i], *after[i])) {
        diff.push_back(Change{.kind = Change::Kind::update, .index = i, .item = *after[i]});
      }
      continue;
    }
    auto found = std::find_if(current.begin() + static_cast<std::ptrdiff_t>(i), current.end(),
                              [&](const T* c) { return key(*c) == k; });
    if (found == current.end()) {
      diff.push_back(Change{.kind = Change::Kind::insert, .index = i, .item = *after[i]});
      current.insert(current.begin() + static_cast<std::ptrdiff_t>(i), after[i]);
      continue;
    }
    const auto from = static_cast<std::size_t>(found - current.begin());
    Change move{.kind = Change::Kind::move, .index = from, .to = i};
    if (*found != after[i] && !same(**found, *after[i])) move.item = *after[i];
    diff.push_back(std::move(move));
    current.erase(found);
    current.insert(current.begin() + static_cast<std::ptrdiff_t>(i), after[i]);
  }
  return diff;
}

}  // namespace chatkeep::state

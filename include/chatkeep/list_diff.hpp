#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace chatkeep {

// One change to a list an app watches (ChannelList, MessageWindow), by position. The changes of
// a diff apply in order, each to the list as the ones before it left it.
template <class T>
struct ListChange {
  enum class Kind { insert, remove, move, update };
  Kind kind = Kind::insert;
  std::size_t index = 0;  // insert: where the item goes; the others: where the item is
  std::size_t to = 0;     // move: where the item goes, counted once it has left `index`
  std::optional<T> item;  // insert and update; move too when the item also changed
};

template <class T>
using ListDiff = std::vector<ListChange<T>>;

// Applies a diff to a copy of the list: the copy then equals the list the diff came from.
template <class T>
void apply_diff(std::vector<T>& items, const ListDiff<T>& diff) {
  for (const auto& change : diff) {
    using Kind = typename ListChange<T>::Kind;
    const auto at = items.begin() + static_cast<std::ptrdiff_t>(change.index);
    switch (change.kind) {
      case Kind::insert:
        items.insert(at, *change.item);
        break;
      case Kind::remove:
        items.erase(at);
        break;
      case Kind::update:
        *at = *change.item;
        break;
      case Kind::move: {
        T item = change.item ? *change.item : std::move(*at);
        items.erase(at);
        items.insert(items.begin() + static_cast<std::ptrdiff_t>(change.to), std::move(item));
        break;
      }
    }
  }
}

}  // namespace chatkeep

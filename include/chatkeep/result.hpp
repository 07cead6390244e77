#pragma once

#include <functional>
#include <optional>

#include "chatkeep/error.hpp"

namespace chatkeep {

// An asynchronous call's outcome: a value or the error, never both.
template <class T>
struct Result {
  std::optional<T> value;
  std::optional<ChatError> error;
  explicit operator bool() const { return value.has_value(); }
};

template <class T>
using Callback = std::function<void(Result<T>)>;

// Where an offline-first answer came from.
enum class Source { cache, server };

// One of the two answers of an offline-first call: the cache's, then the server's. A server
// answer carries the error when the server could not answer; a cache answer never fails.
template <class T>
struct Answer {
  Source source = Source::cache;
  std::optional<T> value;
  std::optional<ChatError> error;
  explicit operator bool() const { return value.has_value(); }
};

template <class T>
using AnswerCallback = std::function<void(Answer<T>)>;

}  // namespace chatkeep

#pragma once

// The answers of an offline-first call as a command prints them (query, search): each as it
// comes, the cache's first, until the server's.

#include <chrono>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>

#include "chatkeep/result.hpp"

namespace chatkeep::cli {

// Prints each answer as it comes; wait() returns once the server's has, or at the deadline. An
// answer after that is not printed: the callback holds what it needs, as it may outlive this.
template <class T>
class Printer {
 public:
  explicit Printer(std::function<void(const std::string& source, const T&)> print)
      : state_(std::make_shared<State>()) {
    state_->print = std::move(print);
  }
  AnswerCallback<T> callback() {
    return [state = state_](Answer<T> a) {
      std::lock_guard lock(state->mutex);
      if (state->gave_up) return;
      const std::string source = a.source == Source::cache ? "cache" : "server";
      if (a) {
        state->print(source, *a.value);
      } else if (a.source == Source::server) {
        std::cerr << (a.error->code() == ErrorCode::input ? "chatkeep: "
                                                          : "chatkeep: the server did not answer: ")
                  << a.error->message() << "\n";
      }
      if (a.source == Source::server) state->done.set_value(a.value.has_value());
    };
  }
  bool wait(std::chrono::steady_clock::time_point deadline) {
    auto answer = state_->done.get_future();
    if (answer.wait_until(deadline) == std::future_status::ready) return answer.get();
    std::lock_guard lock(state_->mutex);
    state_->gave_up = true;
    std::cerr << "chatkeep: the server did not answer within --wait\n";
    return false;
  }

 private:
  struct State {
    std::function<void(const std::string&, const T&)> print;
    std::promise<bool> done;
    std::mutex mutex;
    bool gave_up = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace chatkeep::cli

#pragma once

// A client-side io_context on its own thread for tests of asynchronous code, and a way to wait
// for a callback's value.

#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace chatkeep::testing {

class IoThread {
 public:
  IoThread() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~IoThread() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  boost::asio::any_io_executor executor() { return io_.get_executor(); }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

// A value a callback delivers once; get() waits for it (10 s at most, then throws).
template <class T>
class Eventually {
 public:
  Eventually() : promise_(std::make_shared<std::promise<T>>()), future_(promise_->get_future()) {}
  // A callback that delivers its argument; later calls are ignored.
  auto setter() {
    return [promise = promise_, done = std::make_shared<bool>(false)](T value) {
      if (*done) return;
      *done = true;
      promise->set_value(std::move(value));
    };
  }
  T get(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    if (future_.wait_for(limit) != std::future_status::ready) {
      throw std::runtime_error("no value in time");
    }
    return future_.get();
  }
  bool ready() const {
    return future_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }

 private:
  std::shared_ptr<std::promise<T>> promise_;
  std::future<T> future_;
};

}  // namespace chatkeep::testing

#pragma once

// The C interface's handle (include/chatkeep/chatkeep.h): a ChatClient, the queue of JSON
// answers and events it produces, and the threads that keep the C caller from ever waiting on
// the client or being called back from inside a call.
//
// Requests run through the method table (methods.hpp). A method's answers are posted to the
// queue from wherever the client answers (its network thread, its executor); methods that block
// in C++ (connect and disconnect wait for the store) run on the handle's worker thread, so that
// chatkeep_send() returns at once. With a callback set, the delivery thread hands each queued
// item to it, in order; else chatkeep_receive() takes them.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <boost/json/object.hpp>

#include "chatkeep/chatkeep.h"
#include "chatkeep/client.hpp"

namespace chatkeep::capi {

class JsonClient {
 public:
  explicit JsonClient(std::string_view options_json);
  ~JsonClient();
  JsonClient(const JsonClient&) = delete;
  JsonClient& operator=(const JsonClient&) = delete;

  void send(std::string_view request_json);
  // The next item, waiting up to `timeout`; its text stays in received_ until the next call.
  const char* receive(std::chrono::milliseconds timeout);
  std::string execute(std::string_view request_json);
  void set_callback(chatkeep_callback callback, void* context);

  // For the methods: the client (ChatError invalid_state if the options were refused), an
  // answer or event to queue, and work to run on the worker thread.
  ChatClient& client();
  void post(const boost::json::object& item);
  void run_later(std::function<void()> work);

 private:
  void deliver();  // the delivery thread
  void work();     // the worker thread

  std::optional<ChatError> refused_;
  std::unique_ptr<ChatClient> client_;
  Subscription events_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> queue_;
  std::deque<std::function<void()>> tasks_;
  chatkeep_callback callback_ = nullptr;
  void* context_ = nullptr;
  bool stopping_ = false;
  std::string received_;  // what receive() returned last

  std::thread delivery_;
  std::thread worker_;
};

}  // namespace chatkeep::capi

#include "capi/json_client.hpp"

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

#include "capi/methods.hpp"
#include "chatkeep/json.hpp"

namespace chatkeep::capi {

namespace json = boost::json;

namespace {

std::string text_option(const json::object& options, std::string_view name,
                        std::string fallback = {}) {
  const json::value* v = options.if_contains(name);
  if (!v || v->is_null()) return fallback;
  if (!v->is_string()) {
    throw ChatError(ErrorCode::input, fmt::format("options.{}: a string is required", name));
  }
  return std::string(v->as_string());
}

std::chrono::milliseconds millis_option(const json::object& options, std::string_view name,
                                        std::chrono::milliseconds fallback) {
  const json::value* v = options.if_contains(name);
  if (!v || v->is_null()) return fallback;
  if (!v->is_int64() || v->as_int64() <= 0 || v->as_int64() > 3'600'000) {
    throw ChatError(ErrorCode::input,
                    fmt::format("options.{}: milliseconds between 1 and 3600000", name));
  }
  return std::chrono::milliseconds(v->as_int64());
}

// The ChatClient the options describe (chatkeep.h), or ChatError (input) naming the bad one.
std::unique_ptr<ChatClient> make_client(std::string_view options_json) {
  const json::value parsed = parse_json(options_json);
  if (!parsed.is_object()) throw ChatError(ErrorCode::input, "options: a JSON object is required");
  const json::object& options = parsed.as_object();
  const std::string api_key = text_option(options, "api_key");
  if (api_key.empty()) throw ChatError(ErrorCode::input, "options.api_key: required");
  ClientOptions client_options;
  client_options.base_url = text_option(options, "base_url", client_options.base_url);
  client_options.data_directory = text_option(options, "data_directory");
  const std::string mode = text_option(options, "connection_mode", "regular");
  if (mode == "background") {
    client_options.connection_mode = ConnectionMode::background;
  } else if (mode != "regular") {
    throw ChatError(ErrorCode::input, "options.connection_mode: \"regular\" or \"background\"");
  }
  const std::string level = text_option(options, "log_level", "off");
  const auto parsed_level = parse_log_level(level);
  if (!parsed_level) throw ChatError(ErrorCode::input, "options.log_level: not a log level");
  client_options.log.level = *parsed_level;
  client_options.request_timeout =
      millis_option(options, "request_timeout_ms", client_options.request_timeout);
  client_options.connect_timeout =
      millis_option(options, "connect_timeout_ms", client_options.connect_timeout);
  return std::make_unique<ChatClient>(api_key, std::move(client_options));
}

}  // namespace

JsonClient::JsonClient(std::string_view options_json) {
  try {
    client_ = make_client(options_json);
    events_ = client_->on_any([this](const Event& event) {
      post(json::object{{"@type", "event"}, {"event", to_json(event)}});
    });
  } catch (const std::exception& e) {
    // Refused options (ChatError), or a client that could not start: the handle says so.
    const auto* error = dynamic_cast<const ChatError*>(&e);
    refused_ = error ? *error : ChatError(ErrorCode::internal, e.what());
    Responder("create", nullptr, [this](const json::object& item) { post(item); }).fail(*refused_);
  }
  delivery_ = std::thread([this] { deliver(); });
  worker_ = std::thread([this] { work(); });
}

JsonClient::~JsonClient() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
  delivery_.join();
  events_.reset();
  client_.reset();  // disconnects; its callbacks post to a queue nobody reads any more
}

ChatClient& JsonClient::client() {
  if (!client_) {
    throw ChatError(ErrorCode::invalid_state,
                    "the client was not created: " + (refused_ ? refused_->message() : ""));
  }
  return *client_;
}

void JsonClient::post(const json::object& item) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(json::serialize(item));
  }
  changed_.notify_all();
}

void JsonClient::run_later(std::function<void()> work) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(work));
  }
  changed_.notify_all();
}

void JsonClient::send(std::string_view request_json) {
  run_request(
      this, request_json, [this](const json::object& item) { post(item); }, false);
}

std::string JsonClient::execute(std::string_view request_json) {
  std::string out;
  run_request(
      this, request_json, [&out](const json::object& item) { out = json::serialize(item); }, true);
  return out;
}

const char* JsonClient::receive(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, timeout,
                         [this] { return stopping_ || (!callback_ && !queue_.empty()); })) {
    return nullptr;
  }
  if (callback_ || queue_.empty()) return nullptr;
  received_ = std::move(queue_.front());
  queue_.pop_front();
  return received_.c_str();
}

void JsonClient::set_callback(chatkeep_callback callback, void* context) {
  {
    std::lock_guard lock(mutex_);
    callback_ = callback;
    context_ = context;
  }
  changed_.notify_all();
}

void JsonClient::deliver() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || (callback_ && !queue_.empty()); });
    if (stopping_) return;
    const std::string item = std::move(queue_.front());
    queue_.pop_front();
    const chatkeep_callback callback = callback_;
    void* const context = context_;
    lock.unlock();
    callback(context, item.c_str());
    lock.lock();
  }
}

void JsonClient::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (stopping_) return;
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

}  // namespace chatkeep::capi

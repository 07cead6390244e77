// The C functions of include/chatkeep/chatkeep.h, the only symbols libchatkeep.so exports
// (src/capi/exports.map): each catches everything, since no C++ exception may cross into C.

#include "chatkeep/chatkeep.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include <boost/json/serialize.hpp>

#include "capi/json_client.hpp"
#include "capi/methods.hpp"

struct chatkeep_client {
  chatkeep::capi::JsonClient json;
  explicit chatkeep_client(std::string_view options) : json(options) {}
};

extern "C" {

const char* chatkeep_version(void) {
  return CHATKEEP_VERSION;
}

chatkeep_client* chatkeep_create(const char* options_json) {
  try {
    return new chatkeep_client(options_json ? options_json : "");
  } catch (...) {
    return nullptr;
  }
}

void chatkeep_send(chatkeep_client* client, const char* request_json) {
  if (!client) return;
  try {
    client->json.send(request_json ? request_json : "");
  } catch (...) {
    // Only the want of memory gets here; the request is dropped.
  }
}

const char* chatkeep_receive(chatkeep_client* client, double timeout_seconds) {
  if (!client) return nullptr;
  // NaN, negative: no wait; longer than a day: a day.
  const double seconds =
      std::isnan(timeout_seconds) ? 0 : std::clamp(timeout_seconds, 0.0, 86400.0);
  try {
    return client->json.receive(std::chrono::milliseconds(static_cast<long>(seconds * 1000)));
  } catch (...) {
    return nullptr;
  }
}

const char* chatkeep_execute(chatkeep_client* client, const char* request_json) {
  thread_local std::string answer;
  try {
    if (client) {
      answer = client->json.execute(request_json ? request_json : "");
    } else {
      answer.clear();
      chatkeep::capi::run_request(
          nullptr, request_json ? request_json : "",
          [](const boost::json::object& item) { answer = boost::json::serialize(item); }, true);
    }
    return answer.c_str();
  } catch (...) {
    return nullptr;
  }
}

void chatkeep_set_callback(chatkeep_client* client, chatkeep_callback callback, void* context) {
  if (client) client->json.set_callback(callback, context);
}

void chatkeep_destroy(chatkeep_client* client) {
  delete client;
}

}  // extern "C"

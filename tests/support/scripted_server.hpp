#pragma once

// A server on loopback whose every answer the test writes: for playing a broken or hostile
// server against the client. HTTP requests go to `http`; a WebSocket upgrade gets the frames
// `greet` returns, and each frame the client sends then gets the frames `answer` returns. What
// the client sent (requests, the upgrade's target and headers, frames) is recorded. Handlers run
// on the server's own thread; set them before the client connects.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace chatkeep::testing {

struct ScriptedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct ScriptedReply {
  unsigned status = 200;
  std::string body = "{}";
};

class ScriptedServer {
 public:
  using HttpHandler = std::function<ScriptedReply(const ScriptedRequest&)>;
  using FrameHandler = std::function<std::vector<std::string>(const std::string&)>;

  ScriptedServer();  // listening on 127.0.0.1, on its own thread
  ~ScriptedServer();
  std::uint16_t port() const;

  void on_http(HttpHandler handler);
  // `greet` gets the upgrade request's target; `answer` each text frame.
  void on_socket(FrameHandler greet, FrameHandler answer = nullptr);

  std::vector<ScriptedRequest> requests() const;  // HTTP requests and upgrades, in order
  std::vector<std::string> frames() const;        // frames the client sent on any socket

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chatkeep::testing

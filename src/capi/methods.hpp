#pragma once

// The methods of the C interface's JSON requests (docs/c-api.md), named as the C++ API names
// them: a handler per method, which decodes its parameters (a ChatError of code input names the
// bad one), calls the client and answers through a Responder, once or, for the offline-first
// calls, twice (cache, then server).

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "chatkeep/error.hpp"
#include "chatkeep/result.hpp"

namespace chatkeep::capi {

class JsonClient;

// Where a request's answers go, with its method and `extra` attached.
class Responder {
 public:
  using Post = std::function<void(const boost::json::object&)>;
  Responder(std::string method, boost::json::value extra, Post post);

  void answer(boost::json::value result, std::optional<Source> source = std::nullopt,
              bool final = true) const;
  void fail(const ChatError& error) const;

 private:
  boost::json::object head(const char* type) const;
  std::string method_;
  boost::json::value extra_;
  Post post_;
};

struct Method {
  // Synchronous and local: allowed in chatkeep_execute(), answered before the handler returns.
  bool local = false;
  // Needs no client (chatkeep_execute with a NULL handle).
  bool static_method = false;
  std::function<void(JsonClient* client, const boost::json::object& params, const Responder&)> run;
};

// The method of that name, or nullptr.
const Method* find_method(std::string_view name);

// A request's parts, or ChatError (input) saying what is wrong with it, with what could be read
// before (the extra first, so that an error can carry it back).
struct Request {
  std::string method;
  boost::json::object params;
  boost::json::value extra;
};
void parse_request(std::string_view json, Request& request);

// Runs one request: every failure becomes the error answer.
void run_request(JsonClient* client, std::string_view json, const Responder::Post& post,
                 bool local_only);

}  // namespace chatkeep::capi

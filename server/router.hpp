#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http.hpp"

namespace chatkeep::server {

// Who may call a route. `anyone` needs no token at all (downloads, whose URL is the secret).
enum class Access { user, server, user_or_server, anyone };

using Handler = std::function<Response(Request&)>;

// Routes by method and path pattern ("/channels/{type}/{id}/message"); {segments} become
// Request::params in order. Request::path is still percent-encoded: it is split first and each
// segment decoded after.
class Router {
 public:
  void add(http::verb method, std::string pattern, Access access, Handler handler);

  struct Match {
    const Handler* handler = nullptr;
    Access access = Access::user;
    bool path_known = false;  // some route has this path, with another method
  };
  Match match(Request& request) const;

 private:
  struct Route {
    http::verb method;
    std::vector<std::string> segments;
    Access access;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace chatkeep::server

#pragma once

// What a user's database holds, read without changing it: `chatkeep inspect`, and the demo's
// view of Alice's database.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include <boost/json/object.hpp>

namespace chatkeep::cli {

struct InspectRequest {
  std::filesystem::path data_directory;
  std::string user;
  std::optional<std::string> channel;  // a cid: that channel's latest messages too
  std::size_t message_limit = 50;
};

// {"database": {path, bytes, wal_bytes}, "user", "checkpoint", "channels": [{cid, name,
//  last_message_at, unread}], "messages": [{id, user, text, type, created_at, deleted,
//  reactions, local_state, local_error}] (with a channel), "outbox": [{id, kind, cid,
//  message_id, state, attempts, error}]}
boost::json::object inspect(const InspectRequest& request);

// The same, for a person.
void print_inspection(const boost::json::object& inspection, std::ostream& out);

}  // namespace chatkeep::cli

#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chatkeep/user.hpp"
#include "sqlite/database.hpp"

namespace chatkeep::server {

// The server's own data, in its SQLite file (":memory:" for none).
class State {
 public:
  explicit State(const std::string& db_path);

  // Stores users, stamping created_at the first time and updated_at every time; returns them
  // as stored.
  std::vector<User> upsert_users(std::vector<User> users);
  std::optional<User> user(const std::string& id);

 private:
  sqlite::Database db_;
};

}  // namespace chatkeep::server

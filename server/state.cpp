#include "state.hpp"

#include <boost/json.hpp>

#include "chatkeep/json.hpp"

namespace chatkeep::server {

State::State(const std::string& db_path) : db_(db_path, true) {
  db_.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  db_.exec("CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL)");
}

std::optional<User> State::user(const std::string& id) {
  auto q = db_.query("SELECT data FROM users WHERE id = ?1");
  q.bind(1, id);
  if (!q.next()) return std::nullopt;
  return decode<User>(q.text(0));
}

std::vector<User> State::upsert_users(std::vector<User> users) {
  sqlite::Transaction transaction(db_);
  const Timestamp now = Timestamp::now();
  for (auto& user : users) {
    std::optional<User> old = this->user(user.id);
    user.created_at = old && old->created_at ? old->created_at : user.created_at.value_or(now);
    user.updated_at = now;
    db_.query(
           "INSERT INTO users (id, data) VALUES (?1, ?2) "
           "ON CONFLICT (id) DO UPDATE SET data = excluded.data")
        .bind(1, user.id)
        .bind(2, encode(user))
        .run();
  }
  transaction.commit();
  return users;
}

}  // namespace chatkeep::server

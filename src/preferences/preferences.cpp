#include "chatkeep/preferences.hpp"

#include <mutex>
#include <vector>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "chatkeep/error.hpp"
#include "listeners/listener_list.hpp"
#include "sqlite/database.hpp"

namespace chatkeep {

namespace json = boost::json;

namespace {

// How a value is kept: its variant index (the type, fixed forever) and its text.
struct Stored {
  std::int64_t type = 0;
  std::string text;
};

Stored store(const PreferenceValue& value) {
  Stored out{static_cast<std::int64_t>(value.index()), {}};
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out.text = v;
        } else if constexpr (std::is_same_v<T, json::value>) {
          out.text = json::serialize(v);
        } else {
          out.text = json::serialize(json::value(v));  // integers, doubles (exactly), bools
        }
      },
      value);
  return out;
}

PreferenceValue load(std::int64_t type, std::string_view text) {
  switch (type) {
    case 0:
      return std::string(text);
    case 1:
      return json::parse(text).as_int64();
    case 2:
      return json::parse(text).to_number<double>();
    case 3:
      return json::parse(text).as_bool();
    case 4:
      return json::parse(text);
    default:
      throw ChatError(ErrorCode::storage, fmt::format("a preference of unknown type {}", type));
  }
}

}  // namespace

class Preferences::Impl {
 public:
  explicit Impl(const std::filesystem::path& file)
      : db_((sqlite::create_private_file(file), file), sqlite::Database::Access::read_write) {
    db_.exec("PRAGMA busy_timeout = 5000");
    db_.exec("PRAGMA journal_mode = WAL");
    db_.exec("PRAGMA synchronous = FULL");
    db_.exec(
        "CREATE TABLE IF NOT EXISTS preferences (key TEXT PRIMARY KEY, type INTEGER NOT NULL, "
        "value TEXT NOT NULL) WITHOUT ROWID");
  }

  mutable std::mutex mutex_;  // the connection
  sqlite::Database db_;
  ListenerList<const std::string&, const std::optional<PreferenceValue>&> listeners_;

  // Called outside the lock, so that listeners may use the preferences.
  void tell(const std::vector<std::pair<std::string, std::optional<PreferenceValue>>>& changes) {
    const auto listeners = listeners_.snapshot();
    for (const auto& [key, value] : changes)
      for (const auto& listener : listeners)
        listener(key, value);
  }
};

Preferences::Preferences(const std::filesystem::path& file) : impl_(std::make_shared<Impl>(file)) {}

Preferences::~Preferences() = default;

void Preferences::set(std::string_view key, PreferenceValue value) {
  const Stored stored = store(value);
  {
    std::lock_guard lock(impl_->mutex_);
    impl_->db_.query("INSERT OR REPLACE INTO preferences (key, type, value) VALUES (?1, ?2, ?3)")
        .bind(1, key)
        .bind(2, stored.type)
        .bind(3, stored.text)
        .run();
  }
  impl_->tell({{std::string(key), std::move(value)}});
}

std::optional<PreferenceValue> Preferences::get(std::string_view key) const {
  std::lock_guard lock(impl_->mutex_);
  auto q = impl_->db_.query("SELECT type, value FROM preferences WHERE key = ?1");
  q.bind(1, key);
  if (!q.next()) return std::nullopt;
  return load(q.integer(0), q.text(1));
}

bool Preferences::remove(std::string_view key) {
  bool removed = false;
  {
    std::lock_guard lock(impl_->mutex_);
    impl_->db_.query("DELETE FROM preferences WHERE key = ?1").bind(1, key).run();
    removed = impl_->db_.changes() > 0;
  }
  if (removed) impl_->tell({{std::string(key), std::nullopt}});
  return removed;
}

std::map<std::string, PreferenceValue> Preferences::all() const {
  std::lock_guard lock(impl_->mutex_);
  std::map<std::string, PreferenceValue> out;
  auto q = impl_->db_.query("SELECT key, type, value FROM preferences");
  while (q.next())
    out.emplace(std::string(q.text(0)), load(q.integer(1), q.text(2)));
  return out;
}

void Preferences::clear() {
  std::vector<std::pair<std::string, std::optional<PreferenceValue>>> removed;
  {
    std::lock_guard lock(impl_->mutex_);
    sqlite::Transaction transaction(impl_->db_);
    {
      auto q = impl_->db_.query("DELETE FROM preferences RETURNING key");
      while (q.next())
        removed.emplace_back(std::string(q.text(0)), std::nullopt);
    }
    transaction.commit();
  }
  impl_->tell(removed);
}

Subscription Preferences::on_change(Listener listener) {
  return impl_->listeners_.add(std::move(listener));
}

void Preferences::throw_wrong_type(std::string_view key) {
  throw ChatError(ErrorCode::input, fmt::format("the preference '{}' holds another type", key));
}

}  // namespace chatkeep

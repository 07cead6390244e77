#pragma once

// Small typed settings beside the chat data: a user's (user_storage(dir, id).preferences, cleared
// by ChatClient::disconnect_user(true)) or the app's global ones (global_preferences_path(dir)).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/value.hpp>

#include "chatkeep/subscription.hpp"

namespace chatkeep {

// A setting's value. JSON is for structured settings; keep each one small (they are read whole).
using PreferenceValue = std::variant<std::string, std::int64_t, double, bool, boost::json::value>;

// Key-value settings in a SQLite file of their own (created 0600 when missing). Each write is one
// transaction committed with synchronous=FULL: once it returns, the value survives the process
// being killed and the machine losing power. Listeners hear of the changes made through this
// object, after they are committed, on the thread that made them; changes made by another process
// are seen by reads, not heard of. Every method may be called from any thread; failures are
// ChatError.
class Preferences {
 public:
  explicit Preferences(const std::filesystem::path& file);
  ~Preferences();
  Preferences(const Preferences&) = delete;
  Preferences& operator=(const Preferences&) = delete;

  void set(std::string_view key, PreferenceValue value);
  std::optional<PreferenceValue> get(std::string_view key) const;
  // The value if it is set and holds a T; ChatError (input) if it holds another type.
  template <class T>
  std::optional<T> get(std::string_view key) const {
    auto value = get(key);
    if (!value) return std::nullopt;
    if (auto* typed = std::get_if<T>(&*value)) return std::move(*typed);
    throw_wrong_type(key);
  }
  // Whether there was a value to remove.
  bool remove(std::string_view key);
  std::map<std::string, PreferenceValue> all() const;
  // Removes every setting; each listener hears of each key removed.
  void clear();

  using Listener =
      std::function<void(const std::string& key, const std::optional<PreferenceValue>& value)>;
  Subscription on_change(Listener listener);

 private:
  [[noreturn]] static void throw_wrong_type(std::string_view key);
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace chatkeep

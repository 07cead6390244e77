#include "chatkeep/storage.hpp"

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "crypto/sha256.hpp"
#include "search/index_file.hpp"
#include "store/user_database.hpp"

namespace chatkeep {

namespace {

std::string escaped_user_id(std::string_view user_id) {
  if (user_id.empty()) throw ChatError(ErrorCode::input, "the user id is empty");
  // Lower-case letters, digits, '_' and '-' stand for themselves; every other byte is %xx. The
  // mapping is one-to-one, and its output is the same on case-insensitive file systems.
  std::string escaped;
  for (char ch : user_id) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
      escaped.push_back(ch);
    } else {
      escaped += fmt::format("%{:02x}", c);
    }
  }
  // Long ids would exceed file name limits: they are named by their hash instead. '~' never
  // appears in an escaped id, so the two forms cannot meet.
  constexpr std::size_t kMaxEscaped = 128;
  if (escaped.size() > kMaxEscaped) escaped = "~" + crypto::sha256_hex(user_id);
  return escaped;
}

std::uintmax_t size_of(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

std::filesystem::path with_suffix(const std::filesystem::path& path, const char* suffix) {
  return path.string() + suffix;
}

}  // namespace

UserStorage user_storage(const std::filesystem::path& directory, std::string_view user_id) {
  const std::string id = escaped_user_id(user_id);
  return {.database = directory / ("db_" + id + ".sqlite"),
          .preferences = directory / ("prefs_" + id + ".sqlite"),
          .file_cache = directory / ("files_" + id)};
}

std::filesystem::path global_preferences_path(const std::filesystem::path& directory) {
  // '.' never appears in an escaped id, so no user's files can have this name.
  return directory / "prefs.global.sqlite";
}

StorageStats storage_stats(const std::filesystem::path& directory, std::string_view user_id) {
  const UserStorage files = user_storage(directory, user_id);
  StorageStats stats;
  stats.database_bytes = size_of(files.database);
  stats.wal_bytes = size_of(with_suffix(files.database, "-wal"));
  stats.preferences_bytes =
      size_of(files.preferences) + size_of(with_suffix(files.preferences, "-wal"));
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(files.file_cache, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    stats.file_cache_bytes += size_of(it->path());
    if (it->path().parent_path() != files.file_cache) ++stats.file_cache_entries;  // not the index
  }
  if (stats.database_bytes > 0) {
    auto db = store::open_user_database(files.database, {.read_only = true});
    stats.channels = db->integer("SELECT COUNT(*) FROM channels");
    stats.messages = db->integer("SELECT COUNT(*) FROM messages");
    stats.outbox_entries = db->integer("SELECT COUNT(*) FROM outbox");
    // A database no chatkeep since schema 9 has opened has no such table.
    if (db->integer("SELECT COUNT(*) FROM sqlite_master WHERE name = 'unknown_events'") > 0) {
      auto q = db->query("SELECT type, count FROM unknown_events");
      while (q.next())
        stats.unknown_events[std::string(q.text(0))] = q.integer(1);
    }
    // A database no chatkeep since schema 17 has opened keeps its index inside: it is not
    // counted, and starts over in a file of its own at the next open.
    if (db->integer("SELECT COUNT(*) FROM sqlite_master WHERE name = 'search_source'") > 0) {
      stats.search_index_bytes = search::index_bytes(files.database);
      stats.search_index_complete =
          search::IndexFile(files.database, search::IndexFile::Access::read_only)
              .progress()
              .complete() ||
          stats.messages == 0;
    }
  }
  return stats;
}

}  // namespace chatkeep

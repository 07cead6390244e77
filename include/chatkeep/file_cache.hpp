#pragma once

// A user's attachments and media on disk (user_storage(dir, id).file_cache), by key: usually the
// attachment's URL (ChatClient::cache_file fetches one into it).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

namespace chatkeep {

// Files under keys, within a size budget: putting a file evicts the least recently used ones
// beyond it, except pinned ones (files the user is sending, which exist nowhere else until
// uploaded). A file is written to a temporary name, synced and renamed, so no key ever names a
// half-written file, even after a crash. Reading checks the file's size and SHA-256 against what
// was written and drops an entry that no longer matches. Files are named by their key's hash, so
// no key can reach outside the directory. An index (index.sqlite) beside the files keeps sizes,
// hashes and use order; files it does not know, and temporary files of processes that are gone,
// are removed when the cache opens. Several processes may share one cache (an app and its
// agent). Every method may be called from any thread; failures are ChatError. Reading and
// writing hash the whole file: keep them off threads that must answer quickly.
class FileCache {
 public:
  static constexpr std::uintmax_t kDefaultBudget = 256ull << 20;

  explicit FileCache(std::filesystem::path directory, std::uintmax_t budget_bytes = kDefaultBudget);
  ~FileCache();
  FileCache(const FileCache&) = delete;
  FileCache& operator=(const FileCache&) = delete;

  // Whether eviction may take an entry. A pinned one stays, whatever the budget, until it is
  // removed or re-keyed.
  enum class Keep { evictable, pinned };

  // Stores `bytes` under `key` (replacing what was there) and returns the file's path. An
  // evictable file larger than the whole budget is refused (ChatError input).
  std::filesystem::path put(std::string_view key, std::string_view bytes,
                            Keep keep = Keep::evictable);
  // The same with a copy of the file at `source`.
  std::filesystem::path put_file(std::string_view key, const std::filesystem::path& source,
                                 Keep keep = Keep::evictable);
  // The file's path if it is there and intact; it becomes the most recently used.
  std::optional<std::filesystem::path> get(std::string_view key);
  // The same with its size and SHA-256 (64 hex digits), as checked.
  struct Stored {
    std::filesystem::path path;
    std::uintmax_t size = 0;
    std::string sha256;
  };
  std::optional<Stored> stored(std::string_view key);
  // The entry under `from` is under `to` from now on (replacing what was there), evictable;
  // false when there is none. A file sent is re-keyed to the URL it was uploaded to, so that
  // fetching that URL finds it here.
  bool rekey(std::string_view from, std::string_view to);
  bool remove(std::string_view key);
  // Evicts least recently used entries until the cache fits `budget_bytes`; the bytes freed.
  std::uintmax_t trim(std::uintmax_t budget_bytes);
  std::uintmax_t trim() { return trim(budget_bytes_); }
  void clear();

  std::uintmax_t size_bytes() const;
  std::int64_t entries() const;
  std::uintmax_t budget_bytes() const { return budget_bytes_; }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::uintmax_t budget_bytes_;
};

}  // namespace chatkeep

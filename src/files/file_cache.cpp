#include "chatkeep/file_cache.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "chatkeep/error.hpp"
#include "crypto/sha256.hpp"
#include "sqlite/database.hpp"

namespace chatkeep {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, int error = errno) {
  throw ChatError(ErrorCode::storage,
                  fmt::format("file cache: {}: {}", what, std::strerror(error)));
}

// Temporary files are named ".tmp-<pid>-<random>", so that a sweep knows whose they are.
constexpr std::string_view kTemporaryPrefix = ".tmp-";

bool writer_alive(const std::string& temporary_name) {
  const auto pid = std::strtol(temporary_name.c_str() + kTemporaryPrefix.size(), nullptr, 10);
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

void sync_path(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail("cannot open " + path.string());
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) fail("cannot sync " + path.string(), error);
}

}  // namespace

class FileCache::Impl {
 public:
  explicit Impl(fs::path directory)
      : directory_(std::move(directory)),
        files_(directory_ / "data"),
        db_((sqlite::create_private_file(directory_ / "index.sqlite"), directory_ / "index.sqlite"),
            sqlite::Database::Access::read_write) {
    std::error_code ec;
    fs::create_directories(files_, ec);
    if (ec) fail("cannot create " + files_.string(), ec.value());
    fs::permissions(files_, fs::perms::owner_all, ec);
    db_.exec("PRAGMA busy_timeout = 5000");
    db_.exec("PRAGMA journal_mode = WAL");
    db_.exec(
        "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
        "size INTEGER NOT NULL, sha256 TEXT NOT NULL, used INTEGER NOT NULL)");
    db_.exec("CREATE INDEX IF NOT EXISTS entries_by_use ON entries (used)");
    // Caches from before pinning have no `pinned` column; every entry of theirs is evictable.
    if (db_.integer("SELECT COUNT(*) FROM pragma_table_info('entries') WHERE name = 'pinned'") ==
        0) {
      db_.exec("ALTER TABLE entries ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0");
    }
    sweep();
  }

  // Removes what a crash left: temporary files of processes that are gone, and files the index
  // does not name. Another process (the app and its agent share the cache) may be writing: its
  // temporary file is kept while it lives, and its finished file is indexed before it is renamed
  // into place. One read of the index, not one per file: this runs each time a user connects.
  //
  // The directory is listed before the index is read: a file listed was renamed into place
  // after its entry was stored, so the index read next names it.
  void sweep() {
    std::vector<std::string> listed;
    std::error_code ec;
    for (fs::directory_iterator it(files_, ec), end; !ec && it != end; it.increment(ec))
      listed.push_back(it->path().filename().string());
    std::set<std::string> indexed;
    {
      auto q = db_.query("SELECT name FROM entries");
      while (q.next())
        indexed.emplace(q.text(0));
    }
    std::vector<fs::path> stray;
    for (const auto& name : listed) {
      if (name.starts_with(kTemporaryPrefix) ? !writer_alive(name) : !indexed.contains(name)) {
        stray.push_back(files_ / name);
      }
    }
    for (const auto& path : stray)
      fs::remove(path, ec);
  }

  fs::path put(std::string_view key, const std::function<void(const fs::path&)>& write,
               std::uintmax_t budget, Keep keep) {
    if (key.empty()) throw ChatError(ErrorCode::input, "file cache: the key is empty");
    const std::string name = crypto::sha256_hex(key);
    const fs::path temporary =
        files_ / fmt::format("{}{}-{:x}", kTemporaryPrefix, ::getpid(), random_());
    try {
      write(temporary);
      const auto size = fs::file_size(temporary);
      if (size > budget && keep == Keep::evictable) {
        throw ChatError(
            ErrorCode::input,
            fmt::format("file cache: {} bytes do not fit in a budget of {}", size, budget));
      }
      const auto hash = crypto::sha256_hex_of_file(temporary);
      if (!hash) fail("cannot read " + temporary.string());
      sync_path(temporary, O_RDONLY);
      // Indexed first: a crash before the rename leaves an entry whose file is missing, which
      // get() drops; never a file that another process's sweep would take for a stray.
      db_.query(
             "INSERT OR REPLACE INTO entries (key, name, size, sha256, used, pinned) VALUES (?1, "
             "?2, ?3, ?4, (SELECT IFNULL(MAX(used), 0) + 1 FROM entries), ?5)")
          .bind(1, key)
          .bind(2, name)
          .bind(3, static_cast<std::int64_t>(size))
          .bind(4, *hash)
          .bind(5, keep == Keep::pinned ? 1 : 0)
          .run();
      const fs::path path = files_ / name;
      fs::rename(temporary, path);
      sync_path(files_, O_RDONLY | O_DIRECTORY);
      return path;
    } catch (...) {
      std::error_code ec;
      fs::remove(temporary, ec);
      throw;
    }
  }

  std::optional<Stored> stored(std::string_view key) {
    std::string name, hash;
    std::int64_t size = 0;
    {
      auto q = db_.query("SELECT name, size, sha256 FROM entries WHERE key = ?1");
      q.bind(1, key);
      if (!q.next()) return std::nullopt;
      name = q.text(0);
      size = q.integer(1);
      hash = q.text(2);
    }
    const fs::path path = files_ / name;
    std::error_code ec;
    const auto actual = fs::file_size(path, ec);
    if (ec || actual != static_cast<std::uintmax_t>(size) ||
        crypto::sha256_hex_of_file(path) != hash) {
      remove(key);  // damaged or gone
      return std::nullopt;
    }
    db_.query("UPDATE entries SET used = (SELECT MAX(used) + 1 FROM entries) WHERE key = ?1")
        .bind(1, key)
        .run();
    return Stored{.path = path, .size = actual, .sha256 = hash};
  }

  // The index names the file under its new key first, then the file takes that name: a crash
  // between leaves an entry whose file is missing (get() drops it) and a stray that the next
  // sweep removes; never a key naming another key's bytes.
  bool rekey(std::string_view from, std::string_view to) {
    if (to.empty()) throw ChatError(ErrorCode::input, "file cache: the key is empty");
    if (from == to) return static_cast<bool>(stored(from));
    std::string old_name;
    {
      auto q = db_.query("SELECT name FROM entries WHERE key = ?1");
      q.bind(1, from);
      if (!q.next()) return false;
      old_name = q.text(0);
    }
    remove(to);
    const std::string name = crypto::sha256_hex(to);
    db_.query("UPDATE entries SET key = ?2, name = ?3, pinned = 0 WHERE key = ?1")
        .bind(1, from)
        .bind(2, to)
        .bind(3, name)
        .run();
    fs::rename(files_ / old_name, files_ / name);
    sync_path(files_, O_RDONLY | O_DIRECTORY);
    return true;
  }

  bool remove(std::string_view key) {
    std::optional<std::string> name;
    {
      auto q = db_.query("DELETE FROM entries WHERE key = ?1 RETURNING name");
      q.bind(1, key);
      if (q.next()) name = std::string(q.text(0));
      while (q.next()) {
      }
    }
    if (!name) return false;
    std::error_code ec;
    fs::remove(files_ / *name, ec);
    return true;
  }

  std::uintmax_t trim(std::uintmax_t budget) {
    std::uintmax_t total = size_bytes();
    std::uintmax_t freed = 0;
    while (total > budget) {
      std::string key;
      std::int64_t size = 0;
      {
        auto q = db_.query("SELECT key, size FROM entries WHERE pinned = 0 ORDER BY used LIMIT 1");
        if (!q.next()) break;
        key = q.text(0);
        size = q.integer(1);
      }
      remove(key);
      total -= static_cast<std::uintmax_t>(size);
      freed += static_cast<std::uintmax_t>(size);
    }
    return freed;
  }

  void clear() {
    db_.exec("DELETE FROM entries");
    sweep();
  }

  std::uintmax_t size_bytes() {
    return static_cast<std::uintmax_t>(db_.integer("SELECT IFNULL(SUM(size), 0) FROM entries"));
  }
  std::int64_t entries() { return db_.integer("SELECT COUNT(*) FROM entries"); }

  std::mutex mutex_;

 private:
  fs::path directory_;
  fs::path files_;
  sqlite::Database db_;
  std::mt19937_64 random_{std::random_device{}()};
};

FileCache::FileCache(fs::path directory, std::uintmax_t budget_bytes)
    : impl_(std::make_unique<Impl>(std::move(directory))), budget_bytes_(budget_bytes) {}

FileCache::~FileCache() = default;

fs::path FileCache::put(std::string_view key, std::string_view bytes, Keep keep) {
  std::lock_guard lock(impl_->mutex_);
  fs::path path = impl_->put(
      key,
      [&](const fs::path& temporary) {
        const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) fail("cannot create " + temporary.string());
        std::size_t written = 0;
        while (written < bytes.size()) {
          const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) {
            const int error = errno;
            ::close(fd);
            fail("cannot write " + temporary.string(), error);
          }
          written += static_cast<std::size_t>(n);
        }
        ::close(fd);
      },
      budget_bytes_, keep);
  impl_->trim(budget_bytes_);
  return path;
}

fs::path FileCache::put_file(std::string_view key, const fs::path& source, Keep keep) {
  std::lock_guard lock(impl_->mutex_);
  fs::path path = impl_->put(
      key,
      [&](const fs::path& temporary) {
        std::error_code ec;
        fs::copy_file(source, temporary, ec);
        if (ec) fail("cannot copy " + source.string(), ec.value());
        fs::permissions(temporary, fs::perms::owner_read | fs::perms::owner_write, ec);
      },
      budget_bytes_, keep);
  impl_->trim(budget_bytes_);
  return path;
}

std::optional<fs::path> FileCache::get(std::string_view key) {
  std::lock_guard lock(impl_->mutex_);
  auto found = impl_->stored(key);
  if (!found) return std::nullopt;
  return std::move(found->path);
}

std::optional<FileCache::Stored> FileCache::stored(std::string_view key) {
  std::lock_guard lock(impl_->mutex_);
  return impl_->stored(key);
}

bool FileCache::rekey(std::string_view from, std::string_view to) {
  std::lock_guard lock(impl_->mutex_);
  return impl_->rekey(from, to);
}

bool FileCache::remove(std::string_view key) {
  std::lock_guard lock(impl_->mutex_);
  return impl_->remove(key);
}

std::uintmax_t FileCache::trim(std::uintmax_t budget_bytes) {
  std::lock_guard lock(impl_->mutex_);
  return impl_->trim(budget_bytes);
}

void FileCache::clear() {
  std::lock_guard lock(impl_->mutex_);
  impl_->clear();
}

std::uintmax_t FileCache::size_bytes() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->size_bytes();
}

std::int64_t FileCache::entries() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->entries();
}

}  // namespace chatkeep

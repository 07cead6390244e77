// The file cache: round trips, least-recently-used eviction within the budget, damaged files
// dropped on read, hostile keys kept inside, leftovers of a crash removed, and a writer killed
// mid-write leaving only whole files.

#include "chatkeep/file_cache.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "chatkeep/error.hpp"
#include "chatkeep/testing/temp_dir.hpp"

namespace chatkeep {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::vector<fs::path> files_in(const fs::path& directory) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(directory))
    if (entry.is_regular_file()) out.push_back(entry.path());
  return out;
}

TEST(FileCache, PutAndGetTheSameBytes) {
  testing::TempDir dir;
  FileCache cache(dir.path() / "files");
  const std::string bytes("\0binary\xff data", 13);
  const fs::path path = cache.put("https://cdn.example/a.png", bytes);
  EXPECT_EQ(read(path), bytes);
  EXPECT_EQ(cache.get("https://cdn.example/a.png"), path);
  EXPECT_EQ(cache.get("https://cdn.example/other.png"), std::nullopt);
  EXPECT_EQ(cache.size_bytes(), 13u);
  EXPECT_EQ(cache.entries(), 1);

  // Again under the same key: replaced.
  EXPECT_EQ(cache.put("https://cdn.example/a.png", "new"), path);
  EXPECT_EQ(read(*cache.get("https://cdn.example/a.png")), "new");
  EXPECT_EQ(cache.size_bytes(), 3u);

  write(dir.path() / "source.bin", "from a file");
  const fs::path copied = cache.put_file("copy", dir.path() / "source.bin");
  EXPECT_EQ(read(copied), "from a file");
  EXPECT_EQ(read(dir.path() / "source.bin"), "from a file");

  EXPECT_TRUE(cache.remove("copy"));
  EXPECT_FALSE(fs::exists(copied));
  EXPECT_FALSE(cache.remove("copy"));
  cache.clear();
  EXPECT_EQ(cache.entries(), 0);
  EXPECT_FALSE(fs::exists(path));
}

TEST(FileCache, TheLeastRecentlyUsedGoFirstWhenOverBudget) {
  testing::TempDir dir;
  FileCache cache(dir.path(), 300);
  const std::string hundred(100, 'x');
  cache.put("a", hundred);
  cache.put("b", hundred);
  cache.put("c", hundred);
  ASSERT_TRUE(cache.get("a"));  // a is now more recent than b
  cache.put("d", hundred);
  EXPECT_TRUE(cache.get("a"));
  EXPECT_FALSE(cache.get("b"));
  EXPECT_TRUE(cache.get("c"));
  EXPECT_TRUE(cache.get("d"));
  EXPECT_EQ(cache.size_bytes(), 300u);

  // A smaller budget on demand: c is now the least recent.
  EXPECT_EQ(cache.trim(150), 200u);
  EXPECT_FALSE(cache.get("c"));
  EXPECT_EQ(cache.entries(), 1);

  // Larger than the whole budget: refused, nothing left behind.
  EXPECT_THROW(cache.put("big", std::string(301, 'y')), ChatError);
  EXPECT_FALSE(cache.get("big"));
  EXPECT_EQ(files_in(dir.path() / "data").size(), 1u);
}

TEST(FileCache, ADamagedOrMissingFileIsDroppedOnRead) {
  testing::TempDir dir;
  FileCache cache(dir.path());
  const fs::path flipped = cache.put("flipped", "abcdef");
  const fs::path cut = cache.put("cut", "abcdef");
  const fs::path gone = cache.put("gone", "abcdef");
  write(flipped, "abcdeF");  // same size, other bytes
  write(cut, "abc");
  fs::remove(gone);
  for (const char* key : {"flipped", "cut", "gone"}) {
    EXPECT_EQ(cache.get(key), std::nullopt) << key;
  }
  EXPECT_EQ(cache.entries(), 0);
  EXPECT_TRUE(files_in(dir.path() / "data").empty());
}

TEST(FileCache, NoKeyReachesOutsideItsDirectory) {
  testing::TempDir dir;
  FileCache cache(dir.path() / "cache");
  const std::vector<std::string> keys = {"../../etc/passwd",
                                         "/etc/passwd",
                                         "..",
                                         ".",
                                         std::string("nul\0byte", 8),
                                         std::string(100000, 'k'),
                                         "a/b/../../../c",
                                         "C:\\x",
                                         "\xe2\x80\xae"};
  for (const auto& key : keys) {
    const fs::path path = cache.put(key, key.substr(0, 10));
    EXPECT_EQ(path.parent_path(), dir.path() / "cache" / "data");
    EXPECT_EQ(cache.get(key), path);
  }
  EXPECT_EQ(cache.entries(), static_cast<std::int64_t>(keys.size()));
  EXPECT_THROW(cache.put("", "x"), ChatError);
  for (const auto& entry : fs::recursive_directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().string().rfind((dir.path() / "cache").string(), 0), 0u) << entry.path();
}

// A process that has exited, reaped: its pid names nobody (until reused, which takes a while).
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

TEST(FileCache, LeftoversOfACrashAreRemovedOnOpen) {
  testing::TempDir dir;
  {
    FileCache cache(dir.path());
    cache.put("kept", "kept bytes");
  }
  const fs::path data = dir.path() / "data";
  write(data / (".tmp-" + std::to_string(dead_pid()) + "-1f"), "half a fil");
  write(data / ".tmp-garbage", "not even a pid");
  write(data / "0000000000000000000000000000000000000000000000000000000000000000",
        "renamed but never indexed");
  // A temporary file of a process still alive is another writer's, mid-write: kept.
  const fs::path writing = data / (".tmp-" + std::to_string(::getpid()) + "-2e");
  write(writing, "being writ");
  FileCache cache(dir.path());
  EXPECT_EQ(files_in(data).size(), 2u);
  EXPECT_TRUE(fs::exists(writing));
  EXPECT_EQ(read(*cache.get("kept")), "kept bytes");
}

// The app and its agent share a user's cache: one opening it (and so sweeping it) while the
// other writes must not take the other's files. A child puts 150 files while the parent opens
// the cache over and over; every put succeeds and every file is whole afterwards.
TEST(FileCache, OpeningItWhileAnotherProcessWritesDisturbsNothing) {
  testing::TempDir dir;
  { FileCache create(dir.path()); }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      FileCache cache(dir.path(), 64ull << 20);
      for (int i = 0; i < 150; ++i)
        cache.put("key" + std::to_string(i),
                  std::string(64 << 10, static_cast<char>('a' + i % 26)));
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0, opened = 0;
  while (::waitpid(child, &status, WNOHANG) == 0) {
    FileCache sweeping(dir.path(), 64ull << 20);
    ++opened;
  }
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << "a put failed in the writer";
  EXPECT_GT(opened, 1);
  FileCache cache(dir.path(), 64ull << 20);
  EXPECT_EQ(cache.entries(), 150);
  for (int i = 0; i < 150; ++i) {
    const auto path = cache.get("key" + std::to_string(i));
    ASSERT_TRUE(path) << i;
    EXPECT_EQ(read(*path), std::string(64 << 10, static_cast<char>('a' + i % 26)));
  }
}

// A child writes files of 1 MiB under ten keys, over and over, each file made of one repeated
// byte; it is killed mid-way. Reopened, every key gives a whole file of one byte or nothing.
TEST(FileCache, AWriterKilledMidWriteLeavesOnlyWholeFiles) {
  testing::TempDir dir;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      FileCache cache(dir.path(), 64ull << 20);
      for (int i = 0;; ++i)
        cache.put("key" + std::to_string(i % 10),
                  std::string(1 << 20, static_cast<char>('a' + i % 26)));
    } catch (...) {
      ::_exit(3);
    }
  }
  // Let it write a while, then kill it wherever it is.
  for (int i = 0;
       i < 400 && (!fs::exists(dir.path() / "data") || files_in(dir.path() / "data").size() < 5);
       ++i)
    ::usleep(10'000);
  ::usleep(30'000);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << status;

  FileCache cache(dir.path(), 64ull << 20);
  int whole = 0;
  for (int k = 0; k < 10; ++k) {
    const auto path = cache.get("key" + std::to_string(k));
    if (!path) continue;
    const std::string bytes = read(*path);
    ASSERT_EQ(bytes.size(), 1u << 20);
    EXPECT_EQ(bytes.find_first_not_of(bytes[0]), std::string::npos);
    ++whole;
  }
  EXPECT_GE(whole, 1);
  for (const auto& file : files_in(dir.path() / "data"))
    EXPECT_NE(file.filename().string().rfind(".tmp-", 0), 0u) << file;
}

}  // namespace
}  // namespace chatkeep

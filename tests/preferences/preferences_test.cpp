// Preferences: typed values kept exactly, across reopening; listeners; per-user and global files
// apart; and a value survives SIGKILL right after set() returns.

#include "chatkeep/preferences.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cfloat>
#include <cmath>

#include "chatkeep/error.hpp"
#include "chatkeep/storage.hpp"
#include "chatkeep/testing/temp_dir.hpp"

namespace chatkeep {
namespace {

TEST(Preferences, EachTypeComesBackExactlyAfterReopening) {
  testing::TempDir dir;
  const auto file = user_storage(dir.path(), "alice").preferences;
  const boost::json::value settings = {{"theme", "dark"}, {"sizes", {1, 2.5, nullptr}}};
  {
    Preferences prefs(file);
    prefs.set("name", std::string("Alice ✓"));
    prefs.set("count", std::int64_t{-9'007'199'254'740'993});
    prefs.set("ratio", 0.1);
    prefs.set("tiny", DBL_TRUE_MIN);
    prefs.set("huge", -DBL_MAX);
    prefs.set("on", true);
    prefs.set("settings", settings);
    prefs.set("empty", std::string());
  }
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  Preferences prefs(file);
  EXPECT_EQ(prefs.get<std::string>("name"), "Alice ✓");
  EXPECT_EQ(prefs.get<std::int64_t>("count"), -9'007'199'254'740'993);
  EXPECT_EQ(prefs.get<double>("ratio"), 0.1);
  EXPECT_EQ(prefs.get<double>("tiny"), DBL_TRUE_MIN);
  EXPECT_EQ(prefs.get<double>("huge"), -DBL_MAX);
  EXPECT_EQ(prefs.get<bool>("on"), true);
  EXPECT_EQ(prefs.get<boost::json::value>("settings"), settings);
  EXPECT_EQ(prefs.get<std::string>("empty"), "");
  EXPECT_EQ(prefs.get<std::string>("missing"), std::nullopt);
  EXPECT_EQ(prefs.all().size(), 8u);

  // A value of another type is an error, not a conversion.
  EXPECT_THROW(prefs.get<std::int64_t>("ratio"), ChatError);
  EXPECT_THROW(prefs.get<std::string>("on"), ChatError);
  // Setting a key again replaces its value and its type.
  prefs.set("count", std::string("many"));
  EXPECT_EQ(prefs.get<std::string>("count"), "many");
}

TEST(Preferences, ListenersHearOfCommittedChanges) {
  testing::TempDir dir;
  Preferences prefs(global_preferences_path(dir.path()));
  std::vector<std::pair<std::string, std::optional<PreferenceValue>>> heard;
  Subscription subscription =
      prefs.on_change([&](const std::string& key, const std::optional<PreferenceValue>& value) {
        // The change is committed before anyone hears of it.
        EXPECT_EQ(prefs.get(key), value);
        heard.emplace_back(key, value);
      });
  prefs.set("a", std::int64_t{1});
  prefs.set("b", true);
  EXPECT_TRUE(prefs.remove("a"));
  EXPECT_FALSE(prefs.remove("a"));  // nothing removed, nothing heard
  prefs.set("c", 2.0);
  prefs.clear();
  ASSERT_EQ(heard.size(), 6u);
  EXPECT_EQ(heard[0], std::pair(std::string("a"), std::optional<PreferenceValue>(std::int64_t{1})));
  EXPECT_EQ(heard[2], std::pair(std::string("a"), std::optional<PreferenceValue>()));
  EXPECT_EQ(heard[4].second, std::nullopt);
  EXPECT_EQ(heard[5].second, std::nullopt);
  EXPECT_TRUE(prefs.all().empty());

  subscription.reset();
  prefs.set("d", std::int64_t{4});
  EXPECT_EQ(heard.size(), 6u);
}

TEST(Preferences, UsersAndTheGlobalOnesAreApart) {
  testing::TempDir dir;
  Preferences alice(user_storage(dir.path(), "alice").preferences);
  Preferences bob(user_storage(dir.path(), "bob").preferences);
  Preferences global(global_preferences_path(dir.path()));
  alice.set("theme", std::string("dark"));
  global.set("theme", std::string("light"));
  EXPECT_EQ(alice.get<std::string>("theme"), "dark");
  EXPECT_EQ(bob.get<std::string>("theme"), std::nullopt);
  EXPECT_EQ(global.get<std::string>("theme"), "light");
  // Two objects on one file see each other's writes.
  Preferences alice_again(user_storage(dir.path(), "alice").preferences);
  alice_again.set("theme", std::string("blue"));
  EXPECT_EQ(alice.get<std::string>("theme"), "blue");
}

// A child process sets a counter again and again and reports each value once set() returned; it
// is killed with SIGKILL at a random moment. The value found afterwards is at least the last one
// reported: no acknowledged write is lost, and none is half there.
TEST(Preferences, AWriteSurvivesSigkillRightAfterItReturns) {
  testing::TempDir dir;
  const auto file = global_preferences_path(dir.path());
  for (int round = 0; round < 5; ++round) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      try {
        Preferences prefs(file);
        for (std::int64_t i = 1;; ++i) {
          prefs.set("counter", i);
          prefs.set("note", std::string(100, static_cast<char>('a' + i % 26)));
          if (::write(pipe_fds[1], &i, sizeof i) != sizeof i) ::_exit(2);
        }
      } catch (...) {
        ::_exit(3);
      }
    }
    ::close(pipe_fds[1]);
    std::int64_t reported = 0, value = 0;
    const int wanted = 20 + round * 37;
    for (int n = 0; n < wanted && ::read(pipe_fds[0], &value, sizeof value) == sizeof value; ++n)
      reported = value;
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    // The child went on writing until the kill: the last report in the pipe is the last write
    // that returned.
    while (::read(pipe_fds[0], &value, sizeof value) == sizeof value)
      reported = value;
    ::close(pipe_fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended by itself: " << status;
    ASSERT_GT(reported, 0);

    Preferences prefs(file);
    const auto counter = prefs.get<std::int64_t>("counter");
    ASSERT_TRUE(counter);
    EXPECT_GE(*counter, reported);
    EXPECT_LE(*counter, reported + 1);
    EXPECT_EQ(prefs.get<std::string>("note")->size(), 100u);
    prefs.remove("counter");
  }
}

}  // namespace
}  // namespace chatkeep

// `chatkeep chat` as people use it: alice and bob, each in a terminal (tmux), against
// `chatkeep serve`. They talk; alice opens a second channel and bob sees its unread count; alice
// cuts her network and acts offline while bob writes; her actions show as pending, and when the
// network is back they reach bob once and bob's message reaches her; a refused action shows as
// failed; a photo attached offline shows its upload's percentage once the network is back.
// Assertions are on what the screens show.

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "chatkeep/testing/temp_dir.hpp"
#include "chatkeep/token.hpp"
#include "cli/program.hpp"
#include "cli/terminal.hpp"
#include "support/http_client.hpp"
#include "support/media.hpp"

namespace chatkeep {
namespace {

using testing::Terminal;

std::size_t count(const std::string& screen, const std::string& text) {
  std::size_t n = 0;
  for (auto at = screen.find(text); at != std::string::npos; at = screen.find(text, at + 1))
    ++n;
  return n;
}

// The number the screen gives the message whose line holds `text` ("│ 3 07:51 bob: hi").
std::string number_of(const std::string& screen, const std::string& text) {
  std::istringstream lines(screen);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(text) == std::string::npos) continue;
    std::smatch m;
    if (std::regex_search(line, m, std::regex(R"(│\s*(\d+) \d\d:\d\d )"))) return m[1];
  }
  ADD_FAILURE() << "no message '" << text << "' on\n" << screen;
  return "0";
}

// `chatkeep chat` for `user` against the server on `port`, with its data in `dir`.
std::string chat_command(std::uint16_t port, const testing::TempDir& dir, const std::string& user) {
  return std::string(CHATKEEP_CLI) + " chat --url http://127.0.0.1:" + std::to_string(port) +
         " --api-key k --secret s --user " + user + " --data-dir " + dir.path().string();
}

// The line of the screen that holds `text`.
std::string line_of(const std::string& screen, const std::string& text) {
  std::istringstream lines(screen);
  for (std::string line; std::getline(lines, line);)
    if (line.find(text) != std::string::npos) return line;
  return "";
}

TEST(Chat, TwoPeopleTalkAndOneOfThemGoesOffline) {
  testing::TempDir dir;
  std::unique_ptr<cli::ChildProcess> server;
  const std::uint16_t port = testing::serve(server, (dir.path() / "server.sqlite").string());
  auto chat = [&](const std::string& user) { return chat_command(port, dir, user); };
  Terminal alice("alice", chat("alice"));
  Terminal bob("bob", chat("bob"));
  for (Terminal* t : {&alice, &bob}) {
    const std::string s = t->wait_for("· online ·");
    ASSERT_NE(s.find("· online ·"), std::string::npos) << s;
  }

  // They talk in a channel alice makes; bob's client opens it as it appears.
  alice.type("/new team bob");
  alice.type("hello bob");
  alice.type("delete me");
  std::string s = bob.wait_for([](const std::string& screen) {
    return screen.find("alice: delete me") != std::string::npos &&
           screen.find("messaging:team · alice, bob") != std::string::npos;
  });
  ASSERT_NE(s.find("alice: hello bob"), std::string::npos) << s;
  ASSERT_NE(s.find("messaging:team · alice, bob"), std::string::npos) << s;
  bob.type("hi alice");
  s = alice.wait_for("bob: hi alice");
  ASSERT_NE(s.find("bob: hi alice"), std::string::npos) << s;

  // A second channel: bob, in the first, sees it with its unread count; opening it reads it.
  alice.type("/new side bob");
  alice.type("psst");
  s = bob.wait_for("side (1)");
  ASSERT_NE(s.find("side (1)"), std::string::npos) << s;
  bob.type("/open side");
  s = bob.wait_for([](const std::string& screen) {
    return screen.find("alice: psst") != std::string::npos &&
           screen.find("side (1)") == std::string::npos;
  });
  ASSERT_NE(s.find("alice: psst"), std::string::npos) << s;
  ASSERT_EQ(s.find("side (1)"), std::string::npos) << s;
  bob.type("/open team");

  // Alice goes offline and acts; her actions wait, marked pending.
  alice.type("/open team");
  s = alice.wait_for([](const std::string& screen) {  // the open's read mark delivered
    return screen.find("│messaging:team") != std::string::npos &&
           screen.find("outbox: 0 pending") != std::string::npos;
  });
  alice.type("/offline");
  s = alice.wait_for("· offline (network cut) ·");
  ASSERT_NE(s.find("· offline (network cut) ·"), std::string::npos) << s;
  const std::string hello = number_of(s, "alice: hello bob");
  const std::string doomed = number_of(s, "alice: delete me");
  alice.type("sent while offline");
  alice.type("/edit " + hello + " hello bob, edited");
  alice.type("/react " + hello + " like");
  alice.type("/delete " + doomed);
  // The status line and the window are drawn from different live state: wait for both.
  s = alice.wait_for([](const std::string& screen) {
    return screen.find("outbox: 4 pending") != std::string::npos &&
           line_of(screen, "(deleted)").find("[pending]") != std::string::npos &&
           line_of(screen, "hello bob, edited").find("[like 1] [pending]") != std::string::npos;
  });
  ASSERT_NE(s.find("outbox: 4 pending"), std::string::npos) << s;
  EXPECT_NE(line_of(s, "sent while offline").find("[pending]"), std::string::npos) << s;
  EXPECT_NE(line_of(s, "hello bob, edited").find("[like 1] [pending]"), std::string::npos) << s;
  EXPECT_NE(line_of(s, "(deleted)").find("[pending]"), std::string::npos) << s;

  // A photo attached offline waits too; once back, its upload is slow enough to watch.
  const auto photo = dir.path() / "photo.png";
  std::ofstream(photo, std::ios::binary) << testing::tiny_png() << std::string(1 << 20, '\0');
  alice.type("/attach " + photo.string() + " the photo");
  s = alice.wait_for([](const std::string& screen) {
    return screen.find("outbox: 6 pending") != std::string::npos &&
           screen.find("[image photo.png queued]") != std::string::npos;
  });
  EXPECT_NE(line_of(s, "the photo").find("[image photo.png queued]"), std::string::npos) << s;
  testing::HttpClient admin(port);
  auto slow = admin.send(boost::beast::http::verb::post, "/_chaos?api_key=k",
                         R"({"upload_bytes_per_second":300000})",
                         {{"Authorization", make_server_token("s")}});
  ASSERT_EQ(slow.status, 200u) << slow.text;

  bob.type("bob writes meanwhile");
  s = bob.wait_for("bob: bob writes meanwhile");
  ASSERT_NE(s.find("bob: bob writes meanwhile"), std::string::npos) << s;
  EXPECT_EQ(bob.screen().find("sent while offline"), std::string::npos);
  EXPECT_EQ(alice.screen().find("bob writes meanwhile"), std::string::npos);

  // The network returns: her outbox empties, bob sees each of her actions once, she sees his.
  alice.type("/online");
  s = alice.wait_for([](const std::string& screen) {
    return std::regex_search(screen, std::regex(R"(\[image photo\.png \d{1,3}%\])"));
  });
  EXPECT_TRUE(std::regex_search(s, std::regex(R"(\[image photo\.png \d{1,3}%\])"))) << s;
  s = alice.wait_for([](const std::string& screen) {
    return screen.find("outbox: 0 pending, 0 failed") != std::string::npos &&
           screen.find("bob: bob writes meanwhile") != std::string::npos;
  });
  ASSERT_NE(s.find("outbox: 0 pending, 0 failed"), std::string::npos) << s;
  ASSERT_NE(s.find("bob: bob writes meanwhile"), std::string::npos) << s;
  EXPECT_EQ(s.find("[pending]"), std::string::npos) << s;
  s = bob.wait_for([](const std::string& screen) {
    return screen.find("alice: sent while offline") != std::string::npos &&
           screen.find("[like 1]") != std::string::npos &&
           screen.find("(deleted)") != std::string::npos;
  });
  EXPECT_EQ(count(s, "alice: sent while offline"), 1u) << s;
  EXPECT_NE(line_of(s, "alice: hello bob, edited").find("[like 1]"), std::string::npos) << s;
  EXPECT_EQ(count(s, "delete me"), 0u) << s;
  s = bob.wait_for("alice: the photo [image photo.png]");
  EXPECT_EQ(count(s, "alice: the photo [image photo.png]"), 1u) << s;

  // Editing bob's message is refused by the server: marked failed, with the reason.
  alice.type("/edit " + number_of(alice.screen(), "bob: hi alice") + " not mine");
  s = alice.wait_for([](const std::string& screen) {
    return screen.find("1 failed") != std::string::npos &&
           line_of(screen, "not mine").find("[failed: ") != std::string::npos;
  });
  ASSERT_NE(s.find("outbox: 0 pending, 1 failed"), std::string::npos) << s;
  EXPECT_NE(line_of(s, "not mine").find("[failed: "), std::string::npos) << s;
  EXPECT_EQ(count(bob.screen(), "not mine"), 0u);

  // Both leave; the terminals are given back.
  alice.type("/quit");
  bob.type("/quit");
  for (Terminal* t : {&alice, &bob}) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (t->running() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(t->running());
  }
}

// Quotes, pins and hiding from the chat screen: what one does, the other sees.
TEST(Chat, QuotePinAndHide) {
  testing::TempDir dir;
  std::unique_ptr<cli::ChildProcess> server;
  const std::uint16_t port = testing::serve(server, (dir.path() / "server.sqlite").string());
  auto chat = [&](const std::string& user) { return chat_command(port, dir, user); };
  Terminal alice("alice", chat("alice"));
  Terminal bob("bob", chat("bob"));
  for (Terminal* t : {&alice, &bob})
    ASSERT_NE(t->wait_for("· online ·").find("· online ·"), std::string::npos);

  alice.type("/new room bob");
  alice.type("the plan");
  std::string s = bob.wait_for("alice: the plan");
  ASSERT_NE(s.find("alice: the plan"), std::string::npos) << s;
  bob.type("/quote " + number_of(s, "alice: the plan") + " agreed");
  s = alice.wait_for("bob: [> alice: the plan] agreed");
  ASSERT_NE(s.find("bob: [> alice: the plan] agreed"), std::string::npos) << s;
  alice.type("/pin " + number_of(s, "alice: the plan"));
  s = bob.wait_for("alice: [pinned] the plan");
  ASSERT_NE(s.find("alice: [pinned] the plan"), std::string::npos) << s;

  // Hidden, the channel leaves alice's list until bob writes in it again.
  alice.type("/new other bob");
  alice.type("/open room");
  alice.type("/hide");
  alice.type("/open other");
  s = alice.wait_for([](const std::string& screen) {
    return screen.find("room") == std::string::npos &&
           screen.find("outbox: 0 pending") != std::string::npos;
  });
  ASSERT_EQ(s.find("room"), std::string::npos) << s;
  bob.type("/open room");
  bob.type("anyone there?");
  s = alice.wait_for("room (1)");
  ASSERT_NE(s.find("room (1)"), std::string::npos) << s;

  alice.type("/quit");
  bob.type("/quit");
}

// A line typed and not sent stays with its channel as a draft, across switching channels and
// on the server; /draft saves one outright; /leave leaves the channel, gone from the list.
TEST(Chat, DraftsStayWithTheirChannelAndLeaveLeaves) {
  testing::TempDir dir;
  std::unique_ptr<cli::ChildProcess> server;
  const std::uint16_t port = testing::serve(server, (dir.path() / "server.sqlite").string());
  Terminal alice("alice", chat_command(port, dir, "alice"));
  ASSERT_NE(alice.wait_for("· online ·").find("· online ·"), std::string::npos);
  alice.type("/new first bob");
  alice.type("/new second bob");
  std::string s = alice.wait_for("second · ");
  ASSERT_NE(s.find("second · "), std::string::npos) << s;
  alice.keys("for the second");
  alice.press("Tab");  // to the other channel: the line stays with this one
  s = alice.wait_for([](const std::string& screen) {
    return screen.find("first · ") != std::string::npos &&
           screen.find("for the second") == std::string::npos;
  });
  ASSERT_EQ(s.find("for the second"), std::string::npos) << s;
  alice.press("Tab");
  s = alice.wait_for("for the second");
  ASSERT_NE(s.find("for the second"), std::string::npos) << s;
  alice.press("C-u");
  alice.type("/draft kept for later");
  s = alice.wait_for("draft saved");
  ASSERT_NE(s.find("draft saved"), std::string::npos) << s;

  alice.type("/leave");
  s = alice.wait_for([](const std::string& screen) {
    return screen.find("second") == std::string::npos &&
           screen.find("outbox: 0 pending") != std::string::npos;
  });
  ASSERT_EQ(s.find("second"), std::string::npos) << s;
  alice.type("/quit");
}

// /search finds on the device at once, offline too, with the terms marked; then on the server.
TEST(Chat, SearchFindsOnTheDeviceAndTheServer) {
  testing::TempDir dir;
  std::unique_ptr<cli::ChildProcess> server;
  const std::uint16_t port = testing::serve(server, (dir.path() / "server.sqlite").string());
  Terminal alice("alice", chat_command(port, dir, "alice"));
  ASSERT_NE(alice.wait_for("· online ·").find("· online ·"), std::string::npos);
  alice.type("/new plans bob");
  alice.type("lunch at the Café");
  std::string s = alice.wait_for("outbox: 0 pending");
  alice.type("/offline");
  alice.type("/search cafe");
  s = alice.wait_for("on the device: 1 found");
  ASSERT_NE(s.find("on the device: 1 found"), std::string::npos) << s;
  EXPECT_NE(s.find("lunch at the [Café]"), std::string::npos) << s;
  alice.type("/online");
  alice.type("/search lunch");
  s = alice.wait_for("on the device and server: 1 found");
  ASSERT_NE(s.find("on the device and server: 1 found"), std::string::npos) << s;
  alice.type("/quit");
}

TEST(Chat, WithoutATerminalItSaysSo) {
  testing::Outcome r = testing::chatkeep(
      "chat --url http://127.0.0.1:9 --api-key k --secret s --user alice --data-dir /tmp < "
      "/dev/null");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.lines, std::vector<std::string>{"chatkeep: chat needs a terminal"});
}

}  // namespace
}  // namespace chatkeep

// `chatkeep sync`: connects, catches up, delivers the outbox, and exits; for cron jobs and
// scripts. Fails when the server cannot be reached in time.

#include <iostream>
#include <thread>

#include "commands.hpp"
#include "connection_flags.hpp"

namespace chatkeep::cli {

void add_sync(CLI::App& app, int& status) {
  auto flags = std::make_shared<ConnectionFlags>();
  CLI::App* sub = app.add_subcommand("sync", "catch up and deliver the outbox, then exit");
  add_connection_flags(*sub, *flags);
  sub->callback([flags, &status] {
    Connected connected = connect(*flags);
    const auto deadline = connected.deadline;
    if (connected.caught_up.wait_until(deadline) != std::future_status::ready) {
      throw ChatError(ErrorCode::network, "could not reach " + flags->url);
    }
    auto waiting = [&] {
      std::size_t n = 0;
      for (const auto& e : connected.client->outbox())
        n += e.state != OutboxState::failed ? 1 : 0;
      return n;
    };
    while (waiting() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto outbox = connected.client->outbox();
    std::size_t failed = 0;
    for (const auto& e : outbox)
      failed += e.state == OutboxState::failed ? 1 : 0;
    std::cout << "caught up: " << connected.client->persistence().channel_cids(1000).size()
              << " channels; outbox: " << outbox.size() - failed << " waiting, " << failed
              << " failed\n";
    connected.client->disconnect_user(false);
    status = outbox.size() == failed ? 0 : 1;
  });
}

}  // namespace chatkeep::cli

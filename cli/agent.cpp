// `chatkeep agent`: keeps a user's database up to date while their app is closed, with no UI:
// the client connected (live events into the store), and the work scheduler running chatkeep's
// background work (sync, outbox, maintenance; background_work.hpp). SIGTERM or SIGINT stops it
// cleanly. It may run beside the app on the same database: they share the outbox lease, so one of
// them at a time delivers, and its work claims, so each run happens once.

#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "chatkeep/background_work.hpp"
#include "chatkeep/work.hpp"
#include "commands.hpp"
#include "connection_flags.hpp"

namespace chatkeep::cli {

void add_agent(CLI::App& app, int& status) {
  struct Flags {
    ConnectionFlags connection;
    int sync_minutes = 15;
    std::int64_t keep_messages = 0;
    int keep_days = 0;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand("agent", "keep a user's data in sync in the background");
  add_connection_flags(*sub, flags->connection);
  sub->add_option("--sync-minutes", flags->sync_minutes, "how often to catch up without a socket")
      ->capture_default_str()
      ->check(CLI::Range(15, 24 * 60));
  sub->add_option("--keep-messages", flags->keep_messages, "messages kept per channel (0: all)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--keep-days", flags->keep_days, "days messages are kept (0: forever)")
      ->check(CLI::NonNegativeNumber);
  sub->callback([flags, &status] {
    // Blocked here, before any thread starts, so that every thread inherits the mask and the
    // signals wait for sigwait below.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);

    Connected connected = connect(flags->connection);
    ChatClient& client = *connected.client;
    BackgroundWorkOptions options{.sync_period = std::chrono::minutes(flags->sync_minutes)};
    if (flags->keep_messages > 0) options.retention.max_messages_per_channel = flags->keep_messages;
    if (flags->keep_days > 0) options.retention.max_age = std::chrono::hours(24 * flags->keep_days);
    {
      WorkScheduler scheduler({.database = client.storage_paths().database});
      BackgroundWork work(scheduler, client, options);
      std::cout << "agent: " << flags->connection.user << " running (pid " << ::getpid() << ")"
                << std::endl;
      int signal = 0;
      sigwait(&stop, &signal);
      std::cout << "agent: stopping (" << (signal == SIGTERM ? "SIGTERM" : "SIGINT") << ")"
                << std::endl;
    }  // the work stops, running work finishing first
    client.disconnect_user(false);
    std::cout << "agent: stopped" << std::endl;
    status = 0;
  });
}

}  // namespace chatkeep::cli

// The live-state workload of BENCHMARKS.md: from a commit to the diffs of a watched channel list
// and of a message window, against a fresh read of the list (what an app without live state does
// on every change), and the memory a watched list adds.

#include <unistd.h>

#include <fstream>
#include <random>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "chatkeep/sqlite_persistence.hpp"
#include "chatkeep/testing/builders.hpp"
#include "chatkeep/testing/temp_dir.hpp"
#include "measure.hpp"
#include "state/commit_feed.hpp"
#include "state/live_state.hpp"
#include "workloads.hpp"

namespace chatkeep::bench {
namespace {

using testing::make_member;
using testing::make_message;

double resident_mib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

std::string cid_of(int channel) {
  return "messaging:c" + std::to_string(channel);
}

}  // namespace

std::vector<Row> live_state(const Settings& s) {
  const int channels = s.quick ? 200 : 1000;
  const int samples = s.quick ? 200 : 2000;
  constexpr int kWindow = 50;
  testing::TempDir dir;
  auto feed = std::make_unique<state::CommitFeed>(
      std::make_unique<SqlitePersistenceClient>(SqlitePersistenceOptions{.directory = dir.path()}));
  state::CommitFeed& commits = *feed;
  ChatPersistenceClient& store = *feed;
  store.connect("alice");
  std::int64_t second = 1'000'000;
  {
    Batch setup;
    for (int ch = 0; ch < channels; ++ch) {
      const std::string cid = cid_of(ch);
      Channel channel = testing::make_channel("c" + std::to_string(ch));
      setup.push_back(UpsertChannels{{channel}});
      setup.push_back(UpsertMembers{cid, {make_member("alice"), make_member("bob")}});
      setup.push_back(UpsertMessages{
          .cid = cid, .messages = {make_message("m" + std::to_string(ch), cid, ++second, "bob")}});
    }
    std::vector<Message> history;
    for (int i = 0; i < kWindow; ++i)
      history.push_back(make_message("w" + std::to_string(i), cid_of(0), ++second, "bob"));
    setup.push_back(UpsertMessages{.cid = cid_of(0), .messages = history});
    store.apply(setup);
  }

  Clock::time_point committed;
  std::vector<double> latencies;  // microseconds, of the current phase
  bool waiting = false;
  state::Host host{
      .store = store,
      .deliver =
          [&](std::function<void()> publish) {
            if (waiting) {
              latencies.push_back(
                  std::chrono::duration<double, std::micro>(Clock::now() - committed).count());
              waiting = false;
            }
            publish();
          },
      .fetch_channels = [](QueryChannelsOptions, Callback<std::vector<ChannelState>>) {},
      .fetch_messages = [](std::string, MessagePagination, Callback<std::vector<Message>>) {},
      .fetch_replies = [](std::string, MessagePagination, Callback<std::vector<Message>>) {}};
  state::LiveState live(host);
  commits.listen([&](const Batch& b, const ApplyResult& r) { live.committed(b, r); },
                 [&] { live.reset(); });
  const ChannelListOptions options{.filter = Filter::in("members", {boost::json::value("alice")}),
                                   .page_size = static_cast<std::size_t>(channels)};
  std::mt19937 random(7);
  // A new message from bob in `cid`, committed, then the refresh the client's thread would run.
  auto arrive = [&](const std::string& cid, int n) {
    store.apply(
        {UpsertMessages{.cid = cid,
                        .messages = {make_message("new" + std::to_string(n), cid, ++second, "bob")},
                        .arrived = true}});
    committed = Clock::now();
    waiting = true;
    live.refresh();
  };

  const double rss_before = resident_mib();
  auto list = live.open_list(options);
  const double list_mib = resident_mib() - rss_before;
  std::size_t list_json = 0;
  for (const auto& item : list->items())
    list_json += boost::json::serialize(to_json(item)).size();
  int n = 0;
  for (int i = 0; i < samples; ++i)
    arrive(cid_of(static_cast<int>(random() % static_cast<unsigned>(channels))), ++n);
  const double list_p99 = quantile(latencies, 0.99), list_p50 = quantile(latencies, 0.5);
  // The baseline: reading the list afresh, as an app re-querying on every change does.
  std::vector<double> fresh;
  for (int i = 0; i < std::max(5, samples / 100); ++i) {
    const auto start = Clock::now();
    auto model = std::make_shared<state::ListModel>(
        host, [] {}, options);
    fresh.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  live.close(list.get());
  list.reset();

  // A window grows with what arrives: one of kWindow is opened for each sample.
  latencies.clear();
  for (int i = 0; i < samples; ++i) {
    auto window = live.open_window(cid_of(0), std::nullopt, kWindow, std::nullopt);
    arrive(cid_of(0), ++n);
    live.close(window.get());
  }
  const double window_p99 = quantile(latencies, 0.99);

  const double fresh_p50 = quantile(fresh, 0.5);
  auto row = [&](std::string name, double value, std::string target, bool met) {
    return Row{.name = std::move(name),
               .unit = "ms",
               .value = value / 1000,
               .baseline = fresh_p50 / 1000,
               .ratio = value / fresh_p50,
               .target = std::move(target),
               .met = met};
  };
  return {row(fmt::format("10 live list of {}: commit to diff p50", channels), list_p50, "reported",
              true),
          row(fmt::format("10 live list of {}: commit to diff p99", channels), list_p99,
              "p99 <= 1 ms", list_p99 <= 1000),
          row(fmt::format("10 live window of {}: commit to diff p99", kWindow), window_p99,
              "p99 <= 1 ms", window_p99 <= 1000),
          Row{.name = fmt::format("10 memory of a live list of {}", channels),
              .unit = "MiB",
              .value = std::max(list_mib, 0.01),
              .baseline = static_cast<double>(list_json) / (1 << 20),
              .ratio = std::max(list_mib, 0.01) / (static_cast<double>(list_json) / (1 << 20)),
              .target = "reported (baseline: its JSON)"}};
}

}  // namespace chatkeep::bench

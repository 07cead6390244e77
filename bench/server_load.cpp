// chatkeep-server under load (not a timed test): many sockets watching shared channels, and
// keep-alive HTTP senders posting messages into them as fast as the server accepts them.
// Reports connections held, messages/s accepted, events/s delivered and the delivery latency
// from a request's write to the event's arrival on each watching socket. Exits non-zero unless
// every socket stayed open, every message was accepted and every event arrived.
//
// The server runs in this process on its own thread, with its SQLite file in a temporary
// directory; the load runs on one more thread. Both sides share this machine's cores.

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/json.hpp>

#include "chatkeep/testing/temp_dir.hpp"
#include "chatkeep/token.hpp"
#include "server.hpp"
#include "support/http_client.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr const char* kKey = "load-key";
constexpr const char* kSecret = "load-secret";

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Options {
  int sockets = 200;
  int channels = 20;
  int senders = 16;
  int messages = 20'000;
  std::string json;
};

std::string user_name(int i) {
  return fmt::format("u{:04}", i);
}
// Users are spread over the channels round-robin; user i's channel is i % channels.
std::string channel_id(int c) {
  return fmt::format("load-{:03}", c);
}

// What both sides of the load count; touched only on the load thread, read after it stops,
// except for the atomics the main thread waits on.
struct Tally {
  std::atomic<int> connected{0};
  std::atomic<int> failed_sockets{0};
  std::atomic<long> accepted{0};
  std::atomic<long> refused{0};
  std::atomic<long> delivered{0};
  std::atomic<int> senders_done{0};
  std::vector<std::int64_t> latencies_ns;
};

// One user's socket: connects, reads the first frame for its connection id, then counts every
// message.new and its latency from the `sent_ns` the sender stamped into the message.
class Receiver : public std::enable_shared_from_this<Receiver> {
 public:
  Receiver(asio::io_context& io, std::uint16_t port, std::string user, Tally& tally)
      : ws_(io), port_(port), user_(std::move(user)), tally_(tally) {}

  void start() {
    beast::get_lowest_layer(ws_).async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
        [self = shared_from_this()](beast::error_code ec) {
          if (ec) return self->fail();
          beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true), ec);
          beast::get_lowest_layer(self->ws_).expires_never();
          const std::string target = std::string("/connect?api_key=") + kKey + "&authorization=" +
                                     chatkeep::make_user_token(kSecret, self->user_) +
                                     "&stream-auth-type=jwt";
          self->ws_.async_handshake("127.0.0.1", target, [self](beast::error_code ec2) {
            if (ec2) return self->fail();
            self->read();
          });
        });
  }

  const std::string& connection_id() const { return connection_id_; }
  bool open() const { return open_; }

 private:
  void fail() {
    if (open_ || connection_id_.empty()) tally_.failed_sockets++;
    open_ = false;
  }

  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {
        fmt::print(stderr, "the socket of {} closed: {}\n", self->user_, ec.message());
        return self->fail();
      }
      self->on_frame(beast::buffers_to_string(self->buffer_.data()));
      self->buffer_.consume(self->buffer_.size());
      self->read();
    });
  }

  void on_frame(const std::string& frame) {
    const std::int64_t arrived = now_ns();
    if (connection_id_.empty()) {
      const auto hello = boost::json::parse(frame);
      connection_id_ = std::string(hello.at("connection_id").as_string());
      open_ = true;
      tally_.connected++;
      return;
    }
    if (frame.find(R"("type":"message.new")") == std::string::npos) return;
    const auto at = frame.find(R"("sent_ns":)");
    if (at == std::string::npos) return;
    std::int64_t sent = 0;
    const char* begin = frame.data() + at + 10;
    std::from_chars(begin, frame.data() + frame.size(), sent);
    tally_.latencies_ns.push_back(arrived - sent);
    tally_.delivered++;
  }

  websocket::stream<beast::tcp_stream> ws_;
  std::uint16_t port_;
  std::string user_;
  Tally& tally_;
  beast::flat_buffer buffer_;
  std::string connection_id_;
  bool open_ = false;
};

// One keep-alive HTTP connection posting messages one after another, each as the next user in
// turn into that user's channel, until `next` reaches `total`.
class Sender : public std::enable_shared_from_this<Sender> {
 public:
  Sender(asio::io_context& io, std::uint16_t port, const Options& options, std::atomic<int>& next,
         Tally& tally)
      : stream_(io), port_(port), options_(options), next_(next), tally_(tally) {}

  void start() {
    stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                          [self = shared_from_this()](beast::error_code ec) {
                            if (ec) {
                              self->tally_.refused++;
                              self->tally_.senders_done++;
                              return;
                            }
                            self->stream_.socket().set_option(tcp::no_delay(true), ec);
                            self->send_next();
                          });
  }

 private:
  void send_next() {
    const int i = next_++;
    if (i >= options_.messages) {
      tally_.senders_done++;
      return;
    }
    const int user = i % options_.sockets;
    const std::string user_id = user_name(user);
    request_ = {http::verb::post,
                fmt::format("/channels/messaging/{}/message?api_key={}",
                            channel_id(user % options_.channels), kKey),
                11};
    request_.set(http::field::host, "127.0.0.1");
    request_.set(http::field::authorization, chatkeep::make_user_token(kSecret, user_id));
    request_.set("stream-auth-type", "jwt");
    request_.set(http::field::content_type, "application/json");
    request_.keep_alive(true);
    request_.body() =
        fmt::format(R"({{"message":{{"id":"load-{}","text":"message {} from {}","sent_ns":{}}}}})",
                    i, i, user_id, now_ns());
    request_.prepare_payload();
    http::async_write(stream_, request_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->give_up();
                        self->response_ = {};
                        http::async_read(self->stream_, self->buffer_, self->response_,
                                         [self](beast::error_code ec2, std::size_t) {
                                           if (ec2) return self->give_up();
                                           if (self->response_.result() == http::status::ok) {
                                             self->tally_.accepted++;
                                           } else {
                                             self->tally_.refused++;
                                           }
                                           self->send_next();
                                         });
                      });
  }

  void give_up() {
    tally_.refused++;
    tally_.senders_done++;
  }

  beast::tcp_stream stream_;
  std::uint16_t port_;
  const Options& options_;
  std::atomic<int>& next_;
  Tally& tally_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  beast::flat_buffer buffer_;
};

// Waits until `done` holds or `limit` passes; returns whether it held.
template <typename Done>
bool wait_for(Done done, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

double percentile(std::vector<std::int64_t>& values, double p) {
  if (values.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return static_cast<double>(values[k]) / 1e6;
}

// Two descriptors a socket (both ends live in this process), and some to spare.
void raise_file_limit(int sockets) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  const auto wanted = static_cast<rlim_t>(2 * sockets + 256);
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int run(const Options& options) {
  raise_file_limit(options.sockets + options.senders);
  chatkeep::testing::TempDir dir;
  chatkeep::server::Server server({.api_key = kKey,
                                   .api_secret = kSecret,
                                   .db = (dir.path() / "server.sqlite").string(),
                                   .chaos = false,
                                   .log = {.level = chatkeep::LogLevel::warn}});
  const std::uint16_t port = server.start();
  const int members = (options.sockets + options.channels - 1) / options.channels;
  fmt::print("server load: {} sockets, {} channels of about {} members, {} senders, {} messages\n",
             options.sockets, options.channels, members, options.senders, options.messages);

  chatkeep::testing::HttpClient admin(port);
  boost::json::object users;
  for (int i = 0; i < options.sockets; ++i)
    users[user_name(i)] = {{"id", user_name(i)}};
  auto r = admin.send(http::verb::post, std::string("/users?api_key=") + kKey,
                      boost::json::serialize(boost::json::object{{"users", users}}),
                      {{"Authorization", chatkeep::make_server_token(kSecret)}});
  if (r.status != 200) {
    fmt::print(stderr, "upserting users failed: {}\n", r.text);
    return 1;
  }

  Tally tally;
  tally.latencies_ns.reserve(static_cast<std::size_t>(options.messages) *
                             static_cast<std::size_t>(members));
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::vector<std::shared_ptr<Receiver>> receivers;
  for (int i = 0; i < options.sockets; ++i) {
    receivers.push_back(std::make_shared<Receiver>(io, port, user_name(i), tally));
    receivers.back()->start();
  }
  std::thread load([&io] { io.run(); });
  const bool all_connected =
      wait_for([&] { return tally.connected + tally.failed_sockets >= options.sockets; },
               std::chrono::seconds(60));
  if (!all_connected || tally.failed_sockets > 0) {
    fmt::print(stderr, "only {} of {} sockets connected\n", tally.connected.load(),
               options.sockets);
    io.stop();
    load.join();
    return 1;
  }

  // Each user watches their channel through their own socket.
  for (int i = 0; i < options.sockets; ++i) {
    const int c = i % options.channels;
    boost::json::array ids;
    for (int m = c; m < options.sockets; m += options.channels)
      ids.emplace_back(user_name(m));
    const boost::json::object body{{"data", {{"members", ids}}}, {"watch", true}};
    auto watched = admin.send(
        http::verb::post,
        fmt::format("/channels/messaging/{}/query?api_key={}&connection_id={}", channel_id(c), kKey,
                    receivers[static_cast<std::size_t>(i)]->connection_id()),
        boost::json::serialize(body),
        {{"Authorization", chatkeep::make_user_token(kSecret, user_name(i))}});
    if (watched.status != 200) {
      fmt::print(stderr, "watching failed: {}\n", watched.text);
      return 1;
    }
  }

  // Every member of a message's channel watches it, the sender too.
  long expected = 0;
  for (int i = 0; i < options.messages; ++i) {
    const int c = (i % options.sockets) % options.channels;
    expected += (options.sockets - c + options.channels - 1) / options.channels;
  }
  std::atomic<int> next{0};
  const auto start = Clock::now();
  asio::post(io, [&] {
    for (int s = 0; s < options.senders; ++s)
      std::make_shared<Sender>(io, port, options, next, tally)->start();
  });
  wait_for([&] { return tally.senders_done >= options.senders; }, std::chrono::minutes(10));
  const double send_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  wait_for([&] { return tally.delivered >= expected; }, std::chrono::seconds(10));
  const double deliver_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  asio::post(io, [&] { io.stop(); });
  load.join();
  int held = 0;
  for (const auto& receiver : receivers)
    held += receiver->open();

  const double accepted_rate = static_cast<double>(tally.accepted) / send_seconds;
  const double delivered_rate = static_cast<double>(tally.delivered) / deliver_seconds;
  const double p50 = percentile(tally.latencies_ns, 0.50);
  const double p99 = percentile(tally.latencies_ns, 0.99);
  fmt::print("connections held      {} / {}\n", held, options.sockets);
  fmt::print("messages accepted     {} of {} in {:.2f} s = {:.0f} msg/s\n", tally.accepted.load(),
             options.messages, send_seconds, accepted_rate);
  fmt::print("events delivered      {} of {} in {:.2f} s = {:.0f} events/s\n",
             tally.delivered.load(), expected, deliver_seconds, delivered_rate);
  fmt::print("delivery latency      p50 {:.2f} ms, p99 {:.2f} ms\n", p50, p99);
  if (!options.json.empty()) {
    const boost::json::object out{{"sockets", options.sockets},
                                  {"channels", options.channels},
                                  {"senders", options.senders},
                                  {"messages", options.messages},
                                  {"connections_held", held},
                                  {"messages_accepted", tally.accepted.load()},
                                  {"messages_per_second", accepted_rate},
                                  {"events_expected", expected},
                                  {"events_delivered", tally.delivered.load()},
                                  {"events_per_second", delivered_rate},
                                  {"latency_p50_ms", p50},
                                  {"latency_p99_ms", p99}};
    std::FILE* file = std::fopen(options.json.c_str(), "w");
    if (file) {
      fmt::print(file, "{}\n", boost::json::serialize(out));
      std::fclose(file);
    }
  }
  const bool complete =
      held == options.sockets && tally.accepted == options.messages && tally.delivered == expected;
  if (!complete) fmt::print(stderr, "server load: INCOMPLETE (see the counts above)\n");
  return complete ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"chatkeep-server under load: sockets watching shared channels, senders posting"};
  app.add_option("--sockets", options.sockets, "WebSockets, one user each")
      ->check(CLI::Range(1, 20000));
  app.add_option("--channels", options.channels, "shared channels the users are spread over")
      ->check(CLI::Range(1, 10000));
  app.add_option("--senders", options.senders, "concurrent keep-alive HTTP senders")
      ->check(CLI::Range(1, 1000));
  app.add_option("--messages", options.messages, "messages to send in all")
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--json", options.json, "also write the figures to this file");
  CLI11_PARSE(app, argc, argv);
  if (options.channels > options.sockets) {
    fmt::print(stderr, "--channels must not exceed --sockets\n");
    return 2;
  }
  return run(options);
}

// Uploads on loopback (not a timed test): chatkeep's streamed upload (net/http_upload, the one the
// outbox uses, reading the file from disk as it goes) against a plain HTTP POST of the same
// multipart bytes held in memory, to the same in-process chatkeep-server, in the same run; and
// the client's peak memory while it uploads a large file, above what it held idle.
//
// Prints MB/s of each and their ratio (target: at least 0.9), and the memory figure (target: at
// most 32 MiB). The server runs in this process too; its memory is steady while it streams to
// disk, so the growth measured is the upload's.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <random>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/json.hpp>

#include "chatkeep/testing/temp_dir.hpp"
#include "chatkeep/token.hpp"
#include "net/http_upload.hpp"
#include "server.hpp"
#include "support/http_client.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr const char* kKey = "bench-key";
constexpr const char* kSecret = "bench-secret";

// This process's resident memory now, in bytes (/proc/self/statm).
std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

void write_file(const std::filesystem::path& path, std::uint64_t size) {
  std::ofstream out(path, std::ios::binary);
  std::mt19937_64 random(42);
  std::vector<std::uint64_t> block(8192);
  for (std::uint64_t written = 0; written < size;) {
    for (auto& word : block)
      word = random();
    const auto n = std::min<std::uint64_t>(size - written, block.size() * 8);
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    written += n;
  }
}

std::string target(const std::string& route) {
  return "/channels/messaging/bench/" + route + "?api_key=" + kKey + "&user_id=alice";
}

// chatkeep's upload of `file`: seconds taken; throws unless the server took it.
double streamed_upload(std::uint16_t port, const std::filesystem::path& file, std::uint64_t size) {
  asio::io_context io;
  std::promise<chatkeep::net::HttpResult> answer;
  const auto start = Clock::now();
  chatkeep::net::upload_file(
      io.get_executor(), chatkeep::net::Endpoint::parse("http://127.0.0.1:" + std::to_string(port)),
      nullptr, std::chrono::seconds(30),
      chatkeep::net::FileUpload{
          .target = target("file"),
          .headers = {{"Authorization", chatkeep::make_user_token(kSecret, "alice")},
                      {"stream-auth-type", "jwt"}},
          .file = file,
          .size = size,
          .filename = "bench.bin",
          .content_type = "application/octet-stream"},
      nullptr, [&](chatkeep::net::HttpResult r) { answer.set_value(std::move(r)); });
  io.run();
  const auto r = answer.get_future().get();
  if (r.error || r.status != 200) {
    throw std::runtime_error(
        fmt::format("upload failed: {} {} {}", r.error.message(), r.status, r.body.substr(0, 200)));
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The same bytes as one in-memory multipart body, written with Beast: seconds taken.
double plain_post(std::uint16_t port, const std::string& body, const std::string& boundary) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  stream.socket().set_option(tcp::no_delay(true));
  http::request<http::string_body> request{http::verb::post, target("file"), 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::authorization, chatkeep::make_user_token(kSecret, "alice"));
  request.set("stream-auth-type", "jwt");
  request.set(http::field::content_type, "multipart/form-data; boundary=" + boundary);
  request.body() = body;
  request.prepare_payload();
  const auto start = Clock::now();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (response.result_int() != 200) {
    throw std::runtime_error("plain POST failed: " + response.body().substr(0, 200));
  }
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"chatkeep uploads on loopback: throughput against a plain POST, and memory"};
  std::uint64_t throughput_mb = 64;
  std::uint64_t memory_mb = 200;
  int rounds = 3;
  app.add_option("--throughput-mb", throughput_mb, "file size for throughput")
      ->capture_default_str();
  app.add_option("--memory-mb", memory_mb, "file size for the memory figure")
      ->capture_default_str();
  app.add_option("--rounds", rounds, "rounds of each; the best counts")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  chatkeep::testing::TempDir dir;
  chatkeep::server::ServerOptions options;
  options.api_key = kKey;
  options.api_secret = kSecret;
  options.db = (dir.path() / "server.sqlite").string();
  options.max_upload_bytes = std::max(throughput_mb, memory_mb) << 20;
  options.log.level = chatkeep::LogLevel::warn;
  chatkeep::server::Server server(options);
  const std::uint16_t port = server.start();
  {
    chatkeep::testing::HttpClient admin(port);
    admin.send(http::verb::post, std::string("/users?api_key=") + kKey,
               R"({"users":{"alice":{"id":"alice"}}})",
               {{"Authorization", chatkeep::make_server_token(kSecret)}});
    auto r = admin.send(http::verb::post, target("query"), R"({"data":{"members":["alice"]}})",
                        {{"Authorization", chatkeep::make_user_token(kSecret, "alice")},
                         {"stream-auth-type", "jwt"}});
    if (r.status != 200) throw std::runtime_error("cannot make the channel: " + r.text);
  }

  // Memory first, before the baseline fills this process with a whole body.
  const auto large = dir.path() / "large.bin";
  write_file(large, memory_mb << 20);
  const std::uint64_t idle = resident_bytes();
  std::atomic<bool> uploading{true};
  std::uint64_t peak = idle;
  std::thread sampler([&] {
    while (uploading) {
      peak = std::max(peak, resident_bytes());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  const double large_seconds = streamed_upload(port, large, memory_mb << 20);
  uploading = false;
  sampler.join();
  std::filesystem::remove(large);

  const auto file = dir.path() / "throughput.bin";
  const std::uint64_t size = throughput_mb << 20;
  write_file(file, size);
  double best_streamed = 1e9;
  for (int i = 0; i < rounds; ++i)
    best_streamed = std::min(best_streamed, streamed_upload(port, file, size));
  const std::string boundary = "bench-boundary-0123456789";
  std::string body = "--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.bin\"\r\n"
                     "Content-Type: application/octet-stream\r\n\r\n";
  {
    std::ifstream in(file, std::ios::binary);
    body.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  body += "\r\n--" + boundary + "--\r\n";
  double best_plain = 1e9;
  for (int i = 0; i < rounds; ++i)
    best_plain = std::min(best_plain, plain_post(port, body, boundary));

  const double mb = static_cast<double>(throughput_mb);
  fmt::print(
      "upload throughput ({} MB, best of {}): chatkeep {:.0f} MB/s, plain POST {:.0f} MB/s, "
      "ratio {:.2f} (target >= 0.9)\n",
      throughput_mb, rounds, mb / best_streamed, mb / best_plain, best_plain / best_streamed);
  fmt::print("memory uploading {} MB ({:.1f} s): {:.1f} MiB above idle (target <= 32)\n", memory_mb,
             large_seconds, static_cast<double>(peak - idle) / (1 << 20));
  server.stop();
  return 0;
}

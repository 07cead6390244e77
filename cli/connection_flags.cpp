#include "connection_flags.hpp"

#include <algorithm>
#include <mutex>

#include "chatkeep/token.hpp"

namespace chatkeep::cli {

void add_connection_flags(CLI::App& command, ConnectionFlags& flags) {
  command.add_option("--url", flags.url, "the server (http or https)")->capture_default_str();
  command.add_option("--api-key", flags.api_key, "the app's API key")->required();
  command.add_option("--user", flags.user, "the user id")->required();
  auto* token = command.add_option("--token", flags.token, "the user's token");
  auto* secret =
      command.add_option("--secret", flags.secret, "the app's secret, to make the user's token");
  token->excludes(secret);
  command.add_option("--data-dir", flags.data_directory, "where the user's database lives")
      ->required();
  command.add_option("--wait", flags.wait_seconds, "seconds to wait for the server, all told")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
}

ClientOptions client_options(const ConnectionFlags& flags) {
  ClientOptions options;
  options.base_url = flags.url;
  options.data_directory = flags.data_directory;
  options.log.level = LogLevel::off;
  const std::chrono::milliseconds wait = std::chrono::seconds(flags.wait_seconds);
  options.connect_timeout = std::min(options.connect_timeout, wait);
  options.request_timeout = std::min(options.request_timeout, wait);
  return options;
}

std::string user_token(const ConnectionFlags& flags) {
  if (!flags.token.empty()) return flags.token;
  if (flags.secret.empty()) throw ChatError(ErrorCode::input, "--token or --secret is required");
  return make_user_token(flags.secret, flags.user);
}

Connected connect(const ConnectionFlags& flags) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(flags.wait_seconds);
  const std::string token = user_token(flags);
  Connected connected{.client = std::make_unique<ChatClient>(flags.api_key, client_options(flags)),
                      .deadline = deadline};
  auto recovered = std::make_shared<std::promise<void>>();
  connected.caught_up = recovered->get_future().share();
  auto once = std::make_shared<std::once_flag>();
  connected.subscription = connected.client->on(
      EventType::connection_recovered,
      [recovered, once](const Event&) { std::call_once(*once, [&] { recovered->set_value(); }); });
  // Shared: the answer may come after this has given up waiting.
  auto done = std::make_shared<std::promise<Result<OwnUser>>>();
  auto answer = done->get_future();
  connected.client->connect_user(User{.id = flags.user}, token,
                                 [done](Result<OwnUser> r) { done->set_value(std::move(r)); });
  if (answer.wait_until(deadline) != std::future_status::ready) {
    throw ChatError(ErrorCode::network,
                    "could not connect to " + flags.url + " within --wait " +
                        std::to_string(flags.wait_seconds) + " s",
                    0, true);
  }
  if (auto r = answer.get(); !r) throw *r.error;
  return connected;
}

}  // namespace chatkeep::cli

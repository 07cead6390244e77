// `chatkeep token`: a user token signed with the app's secret, or a development token.

#include <iostream>

#include "chatkeep/token.hpp"
#include "commands.hpp"

namespace chatkeep::cli {

void add_token(CLI::App& app, int& status) {
  struct Flags {
    std::string user;
    std::string secret;
    bool dev = false;
    std::int64_t expires_in = 0;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand("token", "make a user token from the app's secret");
  sub->add_option("--user", flags->user, "the user id")->required();
  auto* secret = sub->add_option("--secret", flags->secret, "the app's API secret");
  auto* dev = sub->add_flag("--dev", flags->dev,
                            "a development token instead (no secret; for servers that allow them)");
  secret->excludes(dev);
  sub->add_option("--expires-in", flags->expires_in, "seconds until it expires (0: never)")
      ->check(CLI::NonNegativeNumber);
  sub->callback([flags, &status] {
    if (flags->dev) {
      std::cout << make_dev_token(flags->user) << "\n";
    } else if (flags->secret.empty()) {
      throw CLI::ValidationError("token", "--secret or --dev is required");
    } else {
      std::optional<Timestamp> expires;
      if (flags->expires_in > 0) {
        expires = Timestamp::from_unix_micros(Timestamp::now().unix_micros() +
                                              flags->expires_in * 1'000'000);
      }
      std::cout << make_user_token(flags->secret, flags->user, expires) << "\n";
    }
    status = 0;
  });
}

}  // namespace chatkeep::cli

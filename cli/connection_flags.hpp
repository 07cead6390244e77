#pragma once

// The flags every command that talks to a server as a user takes (send, query, sync), and the
// connected client they make, with the deadline --wait sets for all the command does.

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "chatkeep/client.hpp"

namespace chatkeep::cli {

struct ConnectionFlags {
  std::string url = "http://127.0.0.1:3030";
  std::string api_key;
  std::string user;
  std::string token;
  std::string secret;  // makes the token when none is given
  std::filesystem::path data_directory;
  int wait_seconds = 30;  // everything the command does with the server, all told
};

void add_connection_flags(CLI::App& command, ConnectionFlags& flags);

// The client's options for these flags (its logging off), and the user's token (given, or made
// from the secret; an error without either).
ClientOptions client_options(const ConnectionFlags& flags);
std::string user_token(const ConnectionFlags& flags);

// A client connected as the user, and word of its first catch-up. Offline with the user known
// to the store, it answers from the store and keeps connecting; with nothing stored, the error is
// thrown.
struct Connected {
  std::unique_ptr<ChatClient> client;
  std::shared_future<void> caught_up;  // ready at the first connection.recovered
  Subscription subscription;
  // --wait from the start: nothing the command waits for may take it past this.
  std::chrono::steady_clock::time_point deadline;
};
// Fails when connecting has not ended (greeted, refused, or answered from the store) by the
// deadline.
Connected connect(const ConnectionFlags& flags);

}  // namespace chatkeep::cli

// `chatkeep send`: posts one message, with files if any, through the user's client, store and
// outbox. Online it waits until the server has it (its files first); offline the message waits in
// the user's database, and the next run that is online (any command) delivers it.

#include <iostream>
#include <thread>

#include "commands.hpp"
#include "connection_flags.hpp"

namespace chatkeep::cli {

void add_send(CLI::App& app, int& status) {
  struct Flags {
    ConnectionFlags connection;
    std::string cid;
    std::string text;
    std::vector<std::string> files;
  };
  auto flags = std::make_shared<Flags>();
  flags->connection.wait_seconds = 10;
  CLI::App* sub = app.add_subcommand("send", "send a message (queued when offline)");
  add_connection_flags(*sub, flags->connection);
  sub->add_option("--channel", flags->cid, "the channel's cid (type:id)")->required();
  sub->add_option("--text", flags->text, "the message")->required();
  sub->add_option("--file", flags->files, "a file to attach (repeatable)");
  sub->callback([flags, &status] {
    Connected connected = connect(flags->connection);
    const auto colon = flags->cid.find(':');
    if (colon == std::string::npos)
      throw ChatError(ErrorCode::input, "--channel: expected type:id");
    ChatChannel channel =
        connected.client->channel(flags->cid.substr(0, colon), flags->cid.substr(colon + 1));
    std::vector<LocalFile> files;
    for (const auto& path : flags->files)
      files.push_back(LocalFile{.path = path});
    const Message sent = channel.send_message(Message{.text = flags->text}, std::move(files));
    const auto deadline = connected.deadline;
    auto pending = [&] {
      auto m = connected.client->persistence().message(sent.id);
      return m && m->local_state;
    };
    while (pending() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto m = connected.client->persistence().message(sent.id);
    if (m && m->local_state == LocalState::failed) {
      throw ChatError(ErrorCode::input, "not sent: " + m->local_error.value_or("refused"));
    }
    std::cout << (m && m->local_state ? "queued " : "sent ") << sent.id << "\n";
    connected.client->disconnect_user(false);
    status = 0;
  });
}

}  // namespace chatkeep::cli

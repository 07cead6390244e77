// The crash tests' child: plays an OutboxScript through ChatClient's public API from action
// `--from` on, printing "ack N" once action N has returned (it is then committed), until it is
// killed; with --uploads an UploadScript instead (messages with files, sent online). With
// --online it instead waits, connected, until the outbox is empty, and exits 0.
//
// usage: chatkeep_outbox_driver --port P --dir D --seed S --length N --from K [--uploads]
//                               [--online]

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <iostream>
#include <string>
#include <thread>

#include "chatkeep/client.hpp"
#include "chatkeep/token.hpp"
#include "support/outbox_script.hpp"
#include "support/upload_script.hpp"

using namespace chatkeep;

int main(int argc, char** argv) {
  std::uint16_t port = 0;
  std::string dir;
  std::uint32_t seed = 1;
  std::size_t length = 0;
  std::size_t from = 0;
  bool online = false;
  bool uploads = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--port")
      port = static_cast<std::uint16_t>(std::stoi(next()));
    else if (arg == "--dir")
      dir = next();
    else if (arg == "--seed")
      seed = static_cast<std::uint32_t>(std::stoul(next()));
    else if (arg == "--length")
      length = std::stoul(next());
    else if (arg == "--from")
      from = std::stoul(next());
    else if (arg == "--online")
      online = true;
    else if (arg == "--uploads")
      uploads = true;
  }
  const std::vector<std::string> cids = {"messaging:c0", "messaging:c1", "messaging:c2",
                                         "messaging:c3", "messaging:c4"};
  testing::OutboxScript script(seed, uploads ? 0 : length, cids);

  ClientOptions options;
  options.base_url = "http://127.0.0.1:" + std::to_string(port);
  options.data_directory = dir;
  options.connect_timeout = std::chrono::seconds(2);
  options.request_timeout = std::chrono::seconds(uploads ? 5 : 2);
  options.outbox.first_retry_delay = std::chrono::milliseconds(50);
  options.outbox.max_retry_delay = std::chrono::milliseconds(500);
  ChatClient client("test-key", std::move(options));
  std::promise<Result<OwnUser>> connected;
  client.connect_user(User{.id = "alice"}, make_user_token("test-secret", "alice"),
                      [&](Result<OwnUser> r) { connected.set_value(std::move(r)); });
  if (auto r = connected.get_future().get(); !r) {
    std::cerr << "connect failed: " << r.error->what() << "\n";
    return 2;
  }
  if (online) {
    for (int i = 0; i < 1200 && !client.outbox().empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (const auto& e : client.outbox())
      std::cerr << "left: " << to_string(e.kind) << " " << e.error.value_or("") << "\n";
    return client.outbox().empty() ? 0 : 3;
  }
  if (uploads) {
    const testing::UploadScript sends(seed, length, {cids[0], cids[1], cids[2]});
    for (std::size_t i = from; i < sends.messages().size(); ++i) {
      const auto& m = sends.messages()[i];
      std::vector<LocalFile> files;
      for (const auto& f : m.files)
        files.push_back(LocalFile{.bytes = f.bytes, .title = f.name});
      if (!client.persistence().message(m.message_id)) {  // else sent by a run killed before "ack"
        client.channel("messaging", m.cid.substr(10))
            .send_message(Message{.id = m.message_id, .text = m.text}, std::move(files));
      }
      std::printf("ack %zu\n", i);
      std::fflush(stdout);
    }
  }
  for (std::size_t i = uploads ? length : from; i < script.actions().size(); ++i) {
    const auto& a = script.actions()[i];
    ChatChannel channel = client.channel("messaging", a.cid.substr(10));
    try {
      switch (a.op) {
        case testing::ScriptOp::send:
          channel.send_message(Message{.id = a.message_id, .text = a.text});
          break;
        case testing::ScriptOp::edit:
          channel.update_message(Message{.id = a.message_id, .text = a.text});
          break;
        case testing::ScriptOp::remove:
          channel.delete_message(a.message_id);
          break;
        case testing::ScriptOp::react:
          channel.send_reaction(a.message_id, Reaction{.type = a.reaction});
          break;
        case testing::ScriptOp::unreact:
          channel.delete_reaction(a.message_id, a.reaction);
          break;
        case testing::ScriptOp::pin:
          a.on ? channel.pin_message(a.message_id) : channel.unpin_message(a.message_id);
          break;
        case testing::ScriptOp::mood:
          if (a.text.empty()) {
            channel.partial_update_message(a.message_id, {}, {"mood"});
          } else {
            channel.partial_update_message(a.message_id, {{"mood", a.text}});
          }
          break;
        case testing::ScriptOp::hide:
          a.on ? channel.hide() : channel.show();
          break;
        case testing::ScriptOp::mute_channel:
          a.on ? channel.mute() : channel.unmute();
          break;
        case testing::ScriptOp::pin_channel:
          a.on ? channel.pin() : channel.unpin();
          break;
        case testing::ScriptOp::mute_user:
          a.on ? client.mute_user(a.other) : client.unmute_user(a.other);
          break;
        case testing::ScriptOp::block_user:
          a.on ? client.block_user(a.other) : client.unblock_user(a.other);
          break;
        case testing::ScriptOp::draft:
          a.text.empty() ? channel.delete_draft() : channel.save_draft(Message{.text = a.text});
          break;
        case testing::ScriptOp::status:
          client.update_own_user({{"status", a.text}});
          break;
        case testing::ScriptOp::create:
          channel.create({}, {"bob"});
          break;
        case testing::ScriptOp::topic:
          channel.update_partial({{"topic", a.text}});
          break;
        case testing::ScriptOp::add_carol:
          channel.add_members({"carol"});
          break;
        case testing::ScriptOp::truncate:
          channel.truncate();
          break;
        case testing::ScriptOp::destroy:
          channel.delete_channel();
          break;
        case testing::ScriptOp::answer:
          a.on ? channel.accept_invite() : channel.reject_invite();
          break;
        case testing::ScriptOp::leave:
          channel.leave();
          break;
      }
    } catch (const ChatError& e) {
      // Done already by a run killed before it could say so (a cancelled send is gone).
      if (e.code() != ErrorCode::not_found) {
        std::cerr << "action " << i << " failed: " << e.what() << "\n";
        return 4;
      }
    }
    std::printf("ack %zu\n", i);
    std::fflush(stdout);
  }
  std::printf("done\n");
  std::fflush(stdout);
  // Wait to be killed: the parent decides when this run ends.
  for (;;)
    std::this_thread::sleep_for(std::chrono::seconds(1));
}

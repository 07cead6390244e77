// `chatkeep chat`: an interactive chat client in the terminal, for a person. The channel list
// with unread counts beside the open channel's messages, each numbered for the commands that act
// on it and marked while the outbox holds a change to it. What it shows is live state (a
// ChannelList of the user's channels and the open channel's MessageWindow), kept by their diffs
// and redrawn when one arrives; nothing is queried to draw. Every action goes through the
// outbox, so it works offline. Its connections pass through a relay (cli/relay.hpp) that
// /offline cuts and /online restores, to show exactly that.

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

#include "chatkeep/client.hpp"
#include "chatkeep/list_copy.hpp"
#include "commands.hpp"
#include "connection_flags.hpp"
#include "net/endpoint.hpp"
#include "relay.hpp"
#include "screen.hpp"

namespace chatkeep::cli {

namespace {

using namespace std::chrono_literals;

constexpr const char* kHelp =
    "text: send | /attach PATH [TEXT] | /open N|ID | /new ID [MEMBER..] | /edit N TEXT | "
    "/delete N | /react N TYPE | /unreact N TYPE | /quote N TEXT | /pin N | /unpin N | /read | "
    "/mute | /unmute | /hide | /show | /draft [TEXT] | /leave | /search TEXT | /retry | /offline | "
    "/online | "
    "/quit  (a line left unsent is kept as the channel's draft)";

class ChatApp {
 public:
  ~ChatApp() {
    std::lock_guard lock(alive_->mutex);
    alive_->app = nullptr;
  }

  ChatApp(const ConnectionFlags& flags, Relay& relay, ChatClient& client)
      : me_(flags.user), relay_(relay), client_(client) {
    subscription_ = client_.on_any([this](const Event& e) {
      if (e.kind == EventType::connection_changed && e.online) online_ = *e.online;
      if (e.kind == EventType::connection_recovered) online_ = true;
      if (e.kind == EventType::outbox_failed) notify(refusal(e), Tone::failed);
      if (e.kind == EventType::outbox_delivered || e.kind == EventType::outbox_failed) {
        outbox_changed_ = true;
        dirty_ = true;
      }
      if (e.kind == EventType::attachment_upload_progress) note_progress(e);
    });
  }

  // Runs until the user quits. The screen is drawn from the copies of the channel list and the
  // open channel's window, and drawn again only when a diff (or a key, or a notice) changes it.
  void run() {
    Screen screen;
    list_.emplace(client_.channel_list(
        {.filter = Filter::in("members", {boost::json::value(me_)}), .page_size = 30}));
    list_copy_ = std::make_unique<ListCopy<ChannelState>>(*list_, [this] { dirty_ = true; });
    notify(kHelp, Tone::dim);
    while (!quit_) {
      if (dirty_.exchange(false)) screen.draw(build_frame());
      if (auto key = screen.read(100ms)) {
        handle(*key);
        dirty_ = true;
      }
    }
    window_copy_.reset();
    window_.reset();
    list_copy_.reset();
    list_.reset();
  }

 private:
  void handle(const Key& key) {
    switch (key.kind) {
      case Key::character:
        input_ += to_utf8(key.character_value);
        break;
      case Key::backspace:
        while (!input_.empty()) {  // one code point: its continuation bytes, then its lead
          const bool continuation = (static_cast<unsigned char>(input_.back()) & 0xC0) == 0x80;
          input_.pop_back();
          if (!continuation) break;
        }
        break;
      case Key::clear_line:
        input_.clear();
        break;
      case Key::enter:
        submit(std::exchange(input_, {}));
        break;
      case Key::tab:
      case Key::down:
        step_channel(+1);
        break;
      case Key::up:
        step_channel(-1);
        break;
      case Key::quit:
        quit_ = true;
        break;
      case Key::resize:
        break;
    }
  }

  void submit(const std::string& line) {
    if (line.empty()) return;
    outbox_changed_ = true;  // most commands queue an action
    try {
      if (line.front() != '/') {
        channel().send_message(Message{.text = line});
        return;
      }
      std::istringstream in(line.substr(1));
      std::string command;
      in >> command;
      run_command(command, in);
    } catch (const std::exception& e) {
      notify(e.what(), Tone::failed);
    }
  }

  void run_command(const std::string& command, std::istringstream& in) {
    if (command == "open") {
      std::string which;
      in >> which;
      open(channel_named(which));
    } else if (command == "new") {
      std::string id, member;
      in >> id;
      if (id.empty()) throw std::runtime_error("/new ID [MEMBER..]");
      boost::json::array members{boost::json::value(me_)};
      while (in >> member)
        members.emplace_back(member);
      const std::string cid = make_cid("messaging", id);
      std::vector<std::string> ids;
      for (const auto& m : members)
        ids.emplace_back(m.as_string());
      channel(cid).create({}, std::move(ids));  // offline too: the outbox makes it
      open(cid);
    } else if (command == "leave") {
      channel().leave();
      left_.insert(open_);
      close();
    } else if (command == "draft") {
      const std::string text = rest(in);
      if (text.empty()) {
        channel().delete_draft();
        notify("draft deleted", Tone::dim);
      } else {
        channel().save_draft(Message{.text = text});
        notify("draft saved", Tone::dim);
      }
    } else if (command == "edit") {
      Message m = numbered(in);
      m.text = rest(in);
      channel().update_message(std::move(m));
    } else if (command == "delete") {
      channel().delete_message(numbered(in).id);
    } else if (command == "react" || command == "unreact") {
      const std::string id = numbered(in).id;
      std::string type;
      in >> type;
      if (type.empty()) throw std::runtime_error("/" + command + " N TYPE");
      if (command == "react") {
        channel().send_reaction(id, Reaction{.type = type});
      } else {
        channel().delete_reaction(id, type);
      }
    } else if (command == "quote") {
      const std::string id = numbered(in).id;
      channel().send_message(Message{.text = rest(in), .quoted_message_id = id});
    } else if (command == "pin") {
      channel().pin_message(numbered(in).id);
    } else if (command == "unpin") {
      channel().unpin_message(numbered(in).id);
    } else if (command == "mute") {
      channel().mute();
    } else if (command == "unmute") {
      channel().unmute();
    } else if (command == "hide") {
      channel().hide();  // it leaves the list until a new message or /show
    } else if (command == "show") {
      channel().show();
    } else if (command == "search") {
      search(rest(in));
    } else if (command == "attach") {
      std::string path;
      in >> path;
      if (path.empty()) throw std::runtime_error("/attach PATH [TEXT]");
      channel().send_message(Message{.text = rest(in)}, {LocalFile{.path = path}});
    } else if (command == "read") {
      channel().mark_read();
    } else if (command == "retry") {
      for (const OutboxEntry& entry : client_.outbox())
        if (entry.state == OutboxState::failed) client_.retry(entry.id);
    } else if (command == "offline") {
      relay_.cut();
      cut_ = true;
      notify("network cut: actions wait in the outbox", Tone::pending);
    } else if (command == "online") {
      relay_.restore();
      cut_ = false;
      client_.network_available();
      notify("network back", Tone::plain);
    } else if (command == "quit") {
      quit_ = true;
    } else {
      notify(kHelp, Tone::dim);
    }
  }

  // The device's results at once, then the server's merged in, each as the notice line: the
  // answers come on the client's thread, and may come after this app is gone (alive_).
  void search(const std::string& text) {
    if (text.empty()) throw std::runtime_error("/search TEXT");
    outbox_changed_ = false;
    client_.search({.text = text, .limit = 5}, [alive = alive_, text](Answer<SearchResults> a) {
      std::lock_guard lock(alive->mutex);
      if (!alive->app) return;
      if (!a) {
        // The device's answer stays shown, with why the server's did not come.
        if (a.error) {
          alive->app->notify(alive->last_search + " · the server: " + a.error->message(),
                             Tone::dim);
        }
        return;
      }
      std::string line = fmt::format("\"{}\" on the {}: {} found", text,
                                     a.source == Source::cache ? "device" : "device and server",
                                     a.value->hits.size());
      for (const auto& hit : a.value->hits) {
        std::string found = mark_matches(hit, "[", "]");
        std::replace(found.begin(), found.end(), '\n', ' ');
        line += fmt::format(" | {} {}: {}", hit.channel.cid,
                            hit.message.user ? hit.message.user->id : "?", found);
      }
      alive->last_search = line;
      alive->app->notify(std::move(line), Tone::plain);
    });
  }

  // What an outbox.failed event says: the action and the server's reason.
  static std::string refusal(const Event& e) {
    std::string kind = "an action", why;
    if (const auto* entry = e.extra.if_contains("outbox_entry"); entry && entry->is_object()) {
      const auto& o = entry->as_object();
      if (const auto* k = o.if_contains("kind"); k && k->is_string()) kind = k->as_string();
      if (const auto* r = o.if_contains("error"); r && r->is_string()) why = r->as_string();
    }
    return "the server refused " + kind + (why.empty() ? "" : " (" + why + ")") +
           ": /retry to try again";
  }

  // The open channel; throws when none is.
  ChatChannel channel() {
    if (open_.empty()) throw std::runtime_error("no channel open: /open N or /new ID MEMBER");
    return channel(open_);
  }

  ChatChannel channel(const std::string& cid) {
    const auto colon = cid.find(':');
    return client_.channel(cid.substr(0, colon), cid.substr(colon + 1));
  }

  // Opens a channel: its window of messages, read. A line typed and not sent stays with the
  // channel it was typed in, as its draft (on the server too, for the user's other devices); the
  // channel opened brings back its own.
  void open(const std::string& cid) {
    if (cid == open_) return;
    if (!open_.empty() && !input_.empty() && input_.front() != '/') {
      channel().save_draft(Message{.text = input_});
    }
    window_copy_.reset();
    window_.emplace(channel(cid).messages(kWindowSize));
    window_copy_ = std::make_unique<ListCopy<Message>>(*window_, [this] { dirty_ = true; });
    open_ = cid;
    const std::optional<Draft> draft = channel(cid).draft();
    input_ = draft ? draft->message.text.value_or("") : "";
    channel(cid).mark_read();
  }

  // No channel open (one the user left): the list opens its first when it is drawn.
  void close() {
    window_copy_.reset();
    window_.reset();
    open_.clear();
  }

  void step_channel(int by) {
    if (listed_.empty()) return;
    auto at = std::find(listed_.begin(), listed_.end(), open_);
    const long n = static_cast<long>(listed_.size());
    const long i = at == listed_.end() ? 0 : ((at - listed_.begin()) + by + n) % n;
    open(listed_[static_cast<std::size_t>(i)]);
  }

  // A channel by its number in the list, its id or its cid.
  std::string channel_named(const std::string& which) const {
    if (!which.empty() && std::all_of(which.begin(), which.end(), ::isdigit)) {
      const std::size_t n = std::stoul(which);
      if (n >= 1 && n <= listed_.size()) return listed_[n - 1];
    }
    for (const auto& cid : listed_) {
      if (cid == which || cid.substr(cid.find(':') + 1) == which) return cid;
    }
    throw std::runtime_error("no channel '" + which + "'");
  }

  // The message numbered N on screen, as it is now.
  Message numbered(std::istringstream& in) {
    std::size_t n = 0;
    if (!(in >> n) || n < 1 || n > shown_.size())
      throw std::runtime_error("no message with that number");
    for (Message& m : window_copy_->items())
      if (m.id == shown_[n - 1]) return m;
    throw std::runtime_error("that message is gone");
  }

  static std::string rest(std::istringstream& in) {
    std::string text;
    std::getline(in >> std::ws, text);
    return text;
  }

  void notify(std::string text, Tone tone) {
    std::lock_guard lock(mutex_);
    notice_ = {std::move(text), tone};
    dirty_ = true;
  }

  Frame build_frame() {
    Frame frame;
    if (outbox_changed_.exchange(false)) {
      pending_ = failed_ = 0;
      for (const OutboxEntry& entry : client_.outbox())
        ++(entry.state == OutboxState::failed ? failed_ : pending_);
    }
    frame.status.text = fmt::format(" chatkeep chat · {} · {}{} · outbox: {} pending, {} failed",
                                    me_, online_ ? "online" : "offline",
                                    cut_ ? " (network cut)" : "", pending_, failed_);

    const std::vector<ChannelState> channels = list_copy_->items();
    listed_.clear();
    const ChannelState* open_state = nullptr;
    for (const ChannelState& state : channels) {
      const std::string& cid = state.channel.cid;
      if (left_.contains(cid)) continue;  // the list's copy may not have heard yet
      listed_.push_back(cid);
      std::int64_t unread = 0;
      for (const Read& read : state.read.value_or(std::vector<Read>{}))
        if (read.user.id == me_) unread = read.unread_messages.value_or(0);
      if (cid == open_) {
        open_state = &state;
        // A channel on screen is read: what arrives in it while open is marked read too.
        if (unread > 0) channel().mark_read();
      }
      std::string label =
          fmt::format("{} {}", listed_.size(), state.channel.name.value_or(state.channel.id));
      if (unread > 0) label += fmt::format(" ({})", unread);
      frame.channels.push_back({label, cid == open_ ? Tone::selected
                                       : unread > 0 ? Tone::bold
                                                    : Tone::plain});
    }
    if (open_.empty() && !listed_.empty()) open(listed_.front());

    shown_.clear();
    if (!open_.empty()) {
      std::string members;
      if (open_state) {
        for (const Member& m : open_state->members.value_or(std::vector<Member>{}))
          members += (members.empty() ? "" : ", ") + m.id();
      }
      frame.title = open_ + (members.empty() ? "" : " · " + members);
      const auto progress = this->progress();
      for (const Message& m : window_copy_->items()) {
        shown_.push_back(m.id);
        frame.messages.push_back(describe(m, shown_.size(), progress));
      }
    }
    {
      std::lock_guard lock(mutex_);
      frame.notice = notice_;
    }
    frame.input = input_;
    return frame;
  }

  // How far each upload is, by key, in percent (attachment.upload_progress).
  void note_progress(const Event& e) {
    const auto* upload = e.extra.if_contains("upload");
    if (!upload || !upload->is_object()) return;
    const auto& o = upload->as_object();
    const auto* key = o.if_contains("key");
    const auto* sent = o.if_contains("bytes_sent");
    const auto* total = o.if_contains("bytes_total");
    if (!key || !key->is_string() || !sent || !total) return;
    const double whole = std::max(1.0, total->to_number<double>());
    std::lock_guard lock(mutex_);
    progress_[std::string(key->as_string())] =
        static_cast<int>(100.0 * sent->to_number<double>() / whole);
    dirty_ = true;
  }
  std::map<std::string, int> progress() {
    std::lock_guard lock(mutex_);
    return progress_;
  }

  static Line describe(const Message& m, std::size_t number,
                       const std::map<std::string, int>& progress) {
    const std::string at = m.created_at ? m.created_at->to_string().substr(11, 5) : "--:--";
    const std::string who = m.user ? m.user->id : "?";
    Line line{fmt::format("{:>2} {} {}: ", number, at, who)};
    if (m.pinned.value_or(false)) line.text += "[pinned] ";
    if (m.quoted_message) {
      const Message& q = *m.quoted_message;
      line.text += fmt::format("[> {}: {}] ", q.user ? q.user->id : "?", q.text.value_or(""));
    }
    if (m.type == "deleted" || m.deleted_at) {
      line.text += "(deleted)";
      line.tone = Tone::dim;
    } else {
      line.text += m.text.value_or("");
      if (m.message_text_updated_at) line.text += " (edited)";
    }
    if (m.reaction_counts) {
      for (const auto& [type, count] : *m.reaction_counts)
        if (count > 0) line.text += fmt::format(" [{} {}]", type, count);
    }
    for (const auto& a : m.attachments.value_or(std::vector<Attachment>{})) {
      line.text += " [" + a.type.value_or("file") + " " + a.title.value_or("");
      if (a.upload && a.upload->state == UploadState::uploading) {
        auto percent = progress.find(a.upload->key);
        line.text += fmt::format(" {}%", percent == progress.end() ? 0 : percent->second);
      } else if (a.upload && a.upload->state != UploadState::done) {
        line.text += " " + std::string(to_string(a.upload->state));
      }
      line.text += "]";
    }
    if (m.local_state == LocalState::failed) {
      line.text += " [failed: " + m.local_error.value_or("refused") + "]";
      line.tone = Tone::failed;
    } else if (m.local_state) {
      line.text += " [pending]";
      line.tone = Tone::pending;
    }
    return line;
  }

  // How many messages a window holds to start with: more than a screen shows.
  static constexpr std::size_t kWindowSize = 100;

  std::string me_;
  Relay& relay_;
  ChatClient& client_;
  Subscription subscription_;
  std::atomic<bool> dirty_{true};
  std::atomic<bool> online_{false};
  std::atomic<bool> outbox_changed_{true};
  std::size_t pending_ = 0, failed_ = 0;  // the outbox's entries, read when it changed
  bool cut_ = false;
  bool quit_ = false;
  std::optional<ChannelList> list_;
  std::unique_ptr<ListCopy<ChannelState>> list_copy_;
  std::string open_;  // the open channel's cid, and its window
  std::optional<MessageWindow> window_;
  std::unique_ptr<ListCopy<Message>> window_copy_;
  std::vector<std::string> listed_;  // the channel list as last drawn
  std::set<std::string> left_;       // the channels the user left here
  std::vector<std::string> shown_;   // the ids of the messages as last drawn, numbered from 1
  std::string input_;
  std::mutex mutex_;
  Line notice_;  // guarded by mutex_
  // This app, for answers that may outlive it (search): cleared when it goes.
  struct Alive {
    explicit Alive(ChatApp* a) : app(a) {}
    std::mutex mutex;
    ChatApp* app;
    std::string last_search;  // the notice of the last search's answer
  };
  std::shared_ptr<Alive> alive_ = std::make_shared<Alive>(this);
  std::map<std::string, int> progress_;  // guarded by mutex_
};

}  // namespace

void add_chat(CLI::App& app, int& status) {
  auto flags = std::make_shared<ConnectionFlags>();
  CLI::App* sub = app.add_subcommand("chat", "chat in the terminal (offline too)");
  add_connection_flags(*sub, *flags);
  sub->callback([flags, &status] {
    if (!::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO))
      throw ChatError(ErrorCode::input, "chat needs a terminal");
    const net::Endpoint server = net::Endpoint::parse(flags->url);
    Relay relay(server.host, server.port);
    ClientOptions options = client_options(*flags);
    options.connect_to = "127.0.0.1:" + std::to_string(relay.port());
    ChatClient client(flags->api_key, std::move(options));
    ChatApp chat(*flags, relay, client);  // listening before the connection is up

    std::promise<Result<OwnUser>> done;
    client.connect_user(User{.id = flags->user}, user_token(*flags),
                        [&](Result<OwnUser> r) { done.set_value(std::move(r)); });
    if (auto r = done.get_future().get(); !r) throw *r.error;
    chat.run();
    client.disconnect_user(false);
    status = 0;
  });
}

}  // namespace chatkeep::cli

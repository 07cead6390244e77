// The public handles of live state (channel_list.hpp, message_window.hpp): each call goes to the
// network thread, where state::LiveState keeps the models.

#include "chatkeep/channel_list.hpp"
#include "chatkeep/client.hpp"
#include "chatkeep/message_window.hpp"
#include "client/client_core.hpp"

namespace chatkeep {
namespace {

ChatError closed() {
  return ChatError(ErrorCode::invalid_state, "the client has shut down");
}

// Closes the model of a view, if its client still runs.
void close_view(const std::weak_ptr<ClientCore>& client, const void* view) {
  if (!view) return;
  if (auto core = client.lock())
    core->post([core = core.get(), view] { core->live().close(view); });
}

// `done`, on the app's executor.
Callback<std::size_t> to_app(ClientCore& core, Callback<std::size_t> done) {
  return [&core, done = std::move(done)](Result<std::size_t> r) {
    core.deliver([done, r = std::move(r)]() mutable { done(std::move(r)); });
  };
}

}  // namespace

ChannelList::ChannelList(std::weak_ptr<ClientCore> client,
                         std::shared_ptr<state::LiveView<ChannelState>> view)
    : client_(std::move(client)), view_(std::move(view)) {}
ChannelList::~ChannelList() {
  close_view(client_, view_.get());
}
ChannelList::ChannelList(ChannelList&&) noexcept = default;
ChannelList& ChannelList::operator=(ChannelList&& other) noexcept {
  if (this != &other) {
    close_view(client_, view_.get());
    client_ = std::move(other.client_);
    view_ = std::move(other.view_);
  }
  return *this;
}

std::vector<ChannelState> ChannelList::items() const {
  return view_ ? view_->items() : std::vector<ChannelState>{};
}

Subscription ChannelList::on_change(std::function<void(const ListDiff<ChannelState>&)> listener,
                                    std::vector<ChannelState>* items) {
  return view_ ? view_->on_change(std::move(listener), items) : Subscription();
}

void ChannelList::load_more(Callback<std::size_t> done) {
  auto core = client_.lock();
  if (!core || !view_ || !core->post([core = core.get(), view = view_.get(), done]() mutable {
        core->live().load_more(view, to_app(*core, std::move(done)));
      })) {
    done({.error = closed()});
  }
}

MessageWindow::MessageWindow(std::weak_ptr<ClientCore> client,
                             std::shared_ptr<state::LiveView<Message>> view)
    : client_(std::move(client)), view_(std::move(view)) {}
MessageWindow::~MessageWindow() {
  close_view(client_, view_.get());
}
MessageWindow::MessageWindow(MessageWindow&&) noexcept = default;
MessageWindow& MessageWindow::operator=(MessageWindow&& other) noexcept {
  if (this != &other) {
    close_view(client_, view_.get());
    client_ = std::move(other.client_);
    view_ = std::move(other.view_);
  }
  return *this;
}

std::vector<Message> MessageWindow::items() const {
  return view_ ? view_->items() : std::vector<Message>{};
}

Subscription MessageWindow::on_change(std::function<void(const ListDiff<Message>&)> listener,
                                      std::vector<Message>* items) {
  return view_ ? view_->on_change(std::move(listener), items) : Subscription();
}

void MessageWindow::load_older(Callback<std::size_t> done) {
  load(state::Paging::older, std::move(done));
}

void MessageWindow::load_newer(Callback<std::size_t> done) {
  load(state::Paging::newer, std::move(done));
}

void MessageWindow::load(state::Paging direction, Callback<std::size_t> done) {
  auto core = client_.lock();
  if (!core || !view_ ||
      !core->post([core = core.get(), view = view_.get(), direction, done]() mutable {
        core->live().load_messages(view, direction, to_app(*core, std::move(done)));
      })) {
    done({.error = closed()});
  }
}

ChannelList ChatClient::channel_list(ChannelListOptions options) {
  return ChannelList(core_, core_->run([core = core_.get(), &options] {
    core->require_session();
    return core->live().open_list(std::move(options));
  }));
}

UnreadCounts ChatClient::unread_counts() {
  return core_->run([core = core_.get()] {
    core->require_session();
    return core->store().unread_counts();
  });
}

Subscription ChatClient::on_unread_counts(std::function<void(const UnreadCounts&)> listener) {
  return core_->run(
      [core = core_.get(), &listener] { return core->live().watch_unread(std::move(listener)); });
}

void ChatClient::settle() {
  core_->run([core = core_.get()] { core->live().settle(); });
  core_->run([] {});  // the diffs the settle handed to the network thread, when it delivers
}

MessageWindow ChatChannel::messages(std::size_t size) {
  return open_window(std::nullopt, size, std::nullopt);
}

MessageWindow ChatChannel::messages_around(const std::string& message_id, std::size_t size) {
  return open_window(std::nullopt, size, message_id);
}

MessageWindow ChatChannel::thread(const std::string& parent_id, std::size_t size) {
  return open_window(parent_id, size, std::nullopt);
}

MessageWindow ChatChannel::open_window(std::optional<std::string> parent_id, std::size_t size,
                                       std::optional<std::string> around) {
  auto core = client_.lock();
  if (!core) throw closed();
  return MessageWindow(client_, core->run([&, core = core.get()] {
    core->require_session();
    return core->live().open_window(cid_, std::move(parent_id), size, std::move(around));
  }));
}

}  // namespace chatkeep

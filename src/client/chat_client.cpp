// The public facade: each call goes to the network thread, where ClientCore does the work.

#include "chatkeep/client.hpp"

#include "client/client_core.hpp"
#include "outbox/settings.hpp"

namespace chatkeep {

namespace {

ChatError shut_down() {
  return ChatError(ErrorCode::invalid_state, "the client has shut down");
}

template <class T>
void refuse(const Callback<T>& done) {
  done(Result<T>{.error = shut_down()});
}

template <class T>
void refuse(const AnswerCallback<T>& done) {
  done(Answer<T>{.source = Source::server, .error = shut_down()});
}

}  // namespace

ChatClient::ChatClient(std::string api_key, ClientOptions options)
    : core_(std::make_shared<ClientCore>(std::move(api_key), std::move(options))) {}

ChatClient::~ChatClient() {
  core_->shutdown();
}

void ChatClient::connect_user(User user, std::string token, Callback<OwnUser> done) {
  if (!core_->post(
          [core = core_.get(), user = std::move(user), token = std::move(token), done]() mutable {
            core->connect_user(std::move(user), std::move(token), nullptr, std::move(done));
          })) {
    refuse(done);
  }
}

void ChatClient::connect_user(User user, TokenProvider token_provider, Callback<OwnUser> done) {
  if (!core_->post([core = core_.get(), user = std::move(user),
                    provider = std::move(token_provider), done]() mutable {
        core->connect_user(std::move(user), "", std::move(provider), std::move(done));
      })) {
    refuse(done);
  }
}

FlushResult ChatClient::disconnect_user(bool flush) {
  return core_->run([core = core_.get(), flush] { return core->disconnect_user(flush); });
}

std::shared_ptr<Preferences> ChatClient::preferences() {
  return core_->run([core = core_.get()] { return core->preferences(); });
}

std::shared_ptr<FileCache> ChatClient::file_cache() {
  return core_->run([core = core_.get()] { return core->file_cache(); });
}

void ChatClient::cache_file(std::string url, Callback<std::filesystem::path> done) {
  if (!core_->post([core = core_.get(), url = std::move(url), done]() mutable {
        core->cache_file(url, std::move(done));
      })) {
    refuse(done);
  }
}

StorageStats ChatClient::storage_stats() {
  return core_->run([core = core_.get()] { return core->storage_stats(); });
}

UserStorage ChatClient::storage_paths() {
  return core_->run([core = core_.get()] { return core->storage_paths(); });
}

bool ChatClient::online() {
  return core_->run([core = core_.get()] { return core->online(); });
}

void ChatClient::sync_now(Callback<std::size_t> done) {
  if (!core_->post([core = core_.get(), done]() mutable { core->sync_now(std::move(done)); })) {
    refuse(done);
  }
}

void ChatClient::network_available() {
  core_->post([core = core_.get()] { core->network_available(); });
}

void ChatClient::query_channels(QueryChannelsOptions options,
                                AnswerCallback<std::vector<ChannelState>> done) {
  if (!core_->post([core = core_.get(), options = std::move(options), done]() mutable {
        core->query_channels(std::move(options), std::move(done));
      })) {
    refuse(done);
  }
}

void ChatClient::search(SearchQuery query, AnswerCallback<SearchResults> done) {
  if (!core_->post([core = core_.get(), query = std::move(query), done]() mutable {
        core->search(std::move(query), std::move(done));
      })) {
    refuse(done);
  }
}

ChatChannel ChatClient::channel(const std::string& type, const std::string& id) {
  return ChatChannel(core_, type + ":" + id);
}

Subscription ChatClient::on(EventType type, std::function<void(const Event&)> listener) {
  return core_->listeners().add([type, listener = std::move(listener)](const Event& event) {
    if (event.kind == type) listener(event);
  });
}

Subscription ChatClient::on_any(std::function<void(const Event&)> listener) {
  return core_->listeners().add(std::move(listener));
}

ChatPersistenceClient& ChatClient::persistence() {
  return core_->store();
}

std::vector<OutboxEntry> ChatClient::outbox() {
  return core_->run([core = core_.get()] { return core->outbox_entries(); });
}

void ChatClient::retry(std::int64_t entry_id) {
  core_->run([core = core_.get(), entry_id] { core->retry(entry_id); });
}

void ChatClient::discard(std::int64_t entry_id) {
  core_->run([core = core_.get(), entry_id] { core->discard(entry_id); });
}

ChatChannel::ChatChannel(std::weak_ptr<ClientCore> client, std::string cid)
    : client_(std::move(client)), cid_(std::move(cid)) {}

namespace {

// Runs `call` on the client's thread, or refuses `done` if the client is gone.
template <class Done, class Call>
void on_client(const std::weak_ptr<ClientCore>& weak, const Done& done, Call call) {
  auto core = weak.lock();
  if (!core ||
      !core->post([core = core.get(), call = std::move(call)]() mutable { call(*core); })) {
    refuse(done);
  }
}

}  // namespace

void ChatChannel::watch(ChannelQuery query, AnswerCallback<ChannelState> done) {
  on_client(client_, done, [cid = cid_, query = std::move(query), done](ClientCore& c) mutable {
    c.query_channel(cid, std::move(query), true, std::move(done));
  });
}

void ChatChannel::query(ChannelQuery query, AnswerCallback<ChannelState> done) {
  on_client(client_, done, [cid = cid_, query = std::move(query), done](ClientCore& c) mutable {
    c.query_channel(cid, std::move(query), false, std::move(done));
  });
}

void ChatChannel::stop_watching(Callback<bool> done) {
  on_client(client_, done,
            [cid = cid_, done](ClientCore& c) mutable { c.stop_watching(cid, std::move(done)); });
}

void ChatChannel::replies(const std::string& parent_id, MessagePagination page,
                          AnswerCallback<std::vector<Message>> done) {
  on_client(client_, done, [parent_id, page = std::move(page), done](ClientCore& c) mutable {
    c.replies(parent_id, std::move(page), std::move(done));
  });
}

void ChatChannel::members(AnswerCallback<std::vector<Member>> done) {
  on_client(client_, done,
            [cid = cid_, done](ClientCore& c) mutable { c.members(cid, std::move(done)); });
}

void ChatChannel::reads(AnswerCallback<std::vector<Read>> done) {
  on_client(client_, done,
            [cid = cid_, done](ClientCore& c) mutable { c.reads(cid, std::move(done)); });
}

void ChatChannel::message(const std::string& id, AnswerCallback<Message> done) {
  on_client(client_, done, [id, done](ClientCore& c) mutable { c.message(id, std::move(done)); });
}

namespace {

// Runs `call` on the client's thread and waits for it; invalid_state if the client is gone.
template <class Call>
auto on_client_now(const std::weak_ptr<ClientCore>& weak, Call call) {
  auto core = weak.lock();
  if (!core) throw shut_down();
  return core->run([core = core.get(), call = std::move(call)]() mutable { return call(*core); });
}

}  // namespace

// Copies `files` into the user's cache on the caller's thread, then runs `call` with them on
// the client's; the cache lets go of them if `call` throws.
template <class Call>
auto with_staged(const std::weak_ptr<ClientCore>& weak, std::vector<LocalFile> files, Call call) {
  std::vector<outbox::Upload> staged;
  std::shared_ptr<FileCache> cache;
  if (!files.empty()) {
    cache = on_client_now(weak, [](ClientCore& c) { return c.file_cache(); });
    staged = ClientCore::stage_files(*cache, std::move(files));
  }
  try {
    return on_client_now(weak, [&](ClientCore& c) { return call(c, staged); });
  } catch (...) {
    if (cache) ClientCore::unstage_files(*cache, staged);
    throw;
  }
}

Message ChatChannel::send_message(Message message, std::vector<LocalFile> files) {
  return with_staged(client_, std::move(files),
                     [&](ClientCore& c, std::vector<outbox::Upload>& staged) {
                       return c.send_message(cid_, message, std::move(staged));
                     });
}

void ChatChannel::update_message(Message message, std::vector<LocalFile> files) {
  with_staged(client_, std::move(files), [&](ClientCore& c, std::vector<outbox::Upload>& staged) {
    c.update_message(message, std::move(staged));
  });
}

void ChatChannel::upload_file(LocalFile file, Callback<std::string> done) {
  upload(std::move(file), false, std::move(done));
}

void ChatChannel::upload_image(LocalFile file, Callback<std::string> done) {
  upload(std::move(file), true, std::move(done));
}

void ChatChannel::upload(LocalFile file, bool image, Callback<std::string> done) {
  try {
    std::vector<LocalFile> files;
    files.push_back(std::move(file));
    with_staged(client_, std::move(files), [&](ClientCore& c, std::vector<outbox::Upload>& staged) {
      c.upload_alone(cid_, std::move(staged.front()), image, done);
    });
  } catch (const ChatError& e) {
    done({.error = e});
  }
}

void ChatChannel::delete_file(const std::string& url, Callback<bool> done) {
  on_client(client_, done, [cid = cid_, url, done](ClientCore& c) mutable {
    c.delete_file(cid, false, url, std::move(done));
  });
}

void ChatChannel::delete_image(const std::string& url, Callback<bool> done) {
  on_client(client_, done, [cid = cid_, url, done](ClientCore& c) mutable {
    c.delete_file(cid, true, url, std::move(done));
  });
}

void ChatChannel::delete_message(const std::string& id, bool hard) {
  on_client_now(client_, [&](ClientCore& c) { c.delete_message(id, hard); });
}

void ChatChannel::send_reaction(const std::string& message_id, Reaction reaction) {
  on_client_now(client_, [&](ClientCore& c) { c.send_reaction(message_id, reaction); });
}

void ChatChannel::delete_reaction(const std::string& message_id, const std::string& type) {
  on_client_now(client_, [&](ClientCore& c) { c.delete_reaction(message_id, type); });
}

void ChatChannel::partial_update_message(const std::string& id, boost::json::object set,
                                         std::vector<std::string> unset) {
  on_client_now(client_, [&](ClientCore& c) { c.partial_update_message(id, set, unset); });
}

void ChatChannel::pin_message(const std::string& id, std::optional<Timestamp> expires) {
  boost::json::object set{{"pinned", true}, {"pin_expires", nullptr}};
  if (expires) set["pin_expires"] = expires->to_string();
  partial_update_message(id, std::move(set));
}

void ChatChannel::unpin_message(const std::string& id) {
  partial_update_message(id, {{"pinned", false}, {"pin_expires", nullptr}});
}

namespace {

// A setting of the channel `cid`.
OutboxEntry setting(OutboxKind kind, std::string cid, boost::json::object payload) {
  return OutboxEntry{.kind = kind, .cid = std::move(cid), .payload = std::move(payload)};
}

// A setting of the user `user_id`.
OutboxEntry user_setting(OutboxKind kind, const std::string& user_id, const char* flag, bool on) {
  return OutboxEntry{.kind = kind, .payload = {{"user_id", user_id}, {flag, on}}};
}

}  // namespace

void ChatChannel::hide(bool clear_history) {
  on_client_now(client_, [&](ClientCore& c) {
    c.change_setting(setting(OutboxKind::set_channel_hidden, cid_,
                             {{"hidden", true}, {"clear_history", clear_history}}));
  });
}

void ChatChannel::show() {
  on_client_now(client_, [&](ClientCore& c) {
    c.change_setting(setting(OutboxKind::set_channel_hidden, cid_, {{"hidden", false}}));
  });
}

void ChatChannel::mute(std::optional<std::chrono::milliseconds> expiration) {
  if (expiration && (expiration->count() <= 0 || *expiration > outbox::kLongestMute)) {
    throw ChatError(ErrorCode::input, "a mute's expiration is from 1 ms to ten years");
  }
  boost::json::object payload{{"muted", true}};
  if (expiration) payload["expiration"] = expiration->count();
  on_client_now(client_, [&](ClientCore& c) {
    c.change_setting(setting(OutboxKind::set_channel_muted, cid_, payload));
  });
}

void ChatChannel::unmute() {
  on_client_now(client_, [&](ClientCore& c) {
    c.change_setting(setting(OutboxKind::set_channel_muted, cid_, {{"muted", false}}));
  });
}

void ChatChannel::pin() {
  on_client_now(client_, [&](ClientCore& c) {
    c.change_setting(setting(OutboxKind::update_membership, cid_, {{"set", {{"pinned", true}}}}));
  });
}

void ChatChannel::unpin() {
  on_client_now(client_, [&](ClientCore& c) {
    c.change_setting(setting(OutboxKind::update_membership, cid_, {{"set", {{"pinned", false}}}}));
  });
}

void ChatChannel::archive() {
  on_client_now(client_, [&](ClientCore& c) {
    c.change_setting(setting(OutboxKind::update_membership, cid_, {{"set", {{"archived", true}}}}));
  });
}

void ChatChannel::unarchive() {
  on_client_now(client_, [&](ClientCore& c) {
    c.change_setting(
        setting(OutboxKind::update_membership, cid_, {{"set", {{"archived", false}}}}));
  });
}

void ChatClient::mute_user(const std::string& user_id,
                           std::optional<std::chrono::minutes> timeout) {
  if (timeout && (timeout->count() <= 0 || *timeout > outbox::kLongestMute)) {
    throw ChatError(ErrorCode::input, "a mute's timeout is from 1 minute to ten years");
  }
  OutboxEntry action = user_setting(OutboxKind::set_user_muted, user_id, "muted", true);
  if (timeout) action.payload["timeout"] = timeout->count();
  core_->run([core = core_.get(), &action] { core->change_setting(std::move(action)); });
}

void ChatClient::unmute_user(const std::string& user_id) {
  core_->run([core = core_.get(), &user_id] {
    core->change_setting(user_setting(OutboxKind::set_user_muted, user_id, "muted", false));
  });
}

void ChatClient::block_user(const std::string& user_id) {
  core_->run([core = core_.get(), &user_id] {
    core->change_setting(user_setting(OutboxKind::set_user_blocked, user_id, "blocked", true));
  });
}

void ChatClient::unblock_user(const std::string& user_id) {
  core_->run([core = core_.get(), &user_id] {
    core->change_setting(user_setting(OutboxKind::set_user_blocked, user_id, "blocked", false));
  });
}

void ChatClient::update_own_user(boost::json::object set, std::vector<std::string> unset) {
  core_->run([core = core_.get(), &set, &unset] {
    core->update_own_user(std::move(set), std::move(unset));
  });
}

void ChatChannel::save_draft(Message draft) {
  on_client_now(client_, [&](ClientCore& c) { c.save_draft(cid_, std::move(draft)); });
}

void ChatChannel::delete_draft(const std::optional<std::string>& parent_id) {
  boost::json::object payload;
  if (parent_id) payload["parent_id"] = *parent_id;
  on_client_now(client_, [&](ClientCore& c) {
    c.change_setting(setting(OutboxKind::delete_draft, cid_, std::move(payload)));
  });
}

std::optional<Draft> ChatChannel::draft(const std::optional<std::string>& parent_id) {
  return on_client_now(client_, [&](ClientCore& c) { return c.draft(cid_, parent_id); });
}

void ChatChannel::update(boost::json::object data) {
  on_client_now(client_, [&](ClientCore& c) {
    c.change_setting(setting(OutboxKind::update_channel, cid_, {{"data", std::move(data)}}));
  });
}

void ChatChannel::update_partial(boost::json::object set, std::vector<std::string> unset) {
  if (set.empty() && unset.empty()) throw ChatError(ErrorCode::input, "nothing to set or unset");
  on_client_now(client_, [&](ClientCore& c) {
    c.change_setting(setting(
        OutboxKind::partial_update_channel, cid_,
        {{"set", std::move(set)}, {"unset", boost::json::array(unset.begin(), unset.end())}}));
  });
}

void ChatChannel::create(boost::json::object data, std::vector<std::string> members) {
  if (!members.empty()) data["members"] = boost::json::array(members.begin(), members.end());
  on_client_now(client_, [&](ClientCore& c) {
    c.change_channel(setting(OutboxKind::create_channel, cid_, {{"data", std::move(data)}}));
  });
}

void ChatChannel::delete_channel() {
  on_client_now(client_, [&](ClientCore& c) {
    c.change_channel(setting(OutboxKind::delete_channel, cid_, {}));
  });
}

void ChatChannel::truncate() {
  on_client_now(client_, [&](ClientCore& c) {
    c.change_channel(setting(OutboxKind::truncate_channel, cid_, {}));
  });
}

namespace {

OutboxEntry members_change(const std::string& cid, const char* field,
                           const std::vector<std::string>& user_ids) {
  if (user_ids.empty()) throw ChatError(ErrorCode::input, "no user ids");
  return setting(OutboxKind::update_members, cid,
                 {{field, boost::json::array(user_ids.begin(), user_ids.end())}});
}

}  // namespace

void ChatChannel::add_members(std::vector<std::string> user_ids) {
  OutboxEntry action = members_change(cid_, "add_members", user_ids);
  on_client_now(client_, [&](ClientCore& c) { c.change_channel(std::move(action)); });
}

void ChatChannel::remove_members(std::vector<std::string> user_ids) {
  OutboxEntry action = members_change(cid_, "remove_members", user_ids);
  on_client_now(client_, [&](ClientCore& c) { c.change_channel(std::move(action)); });
}

void ChatChannel::leave() {
  on_client_now(client_, [&](ClientCore& c) {
    c.change_channel(members_change(cid_, "remove_members", {c.user_id()}));
  });
}

void ChatChannel::invite(std::vector<std::string> user_ids) {
  OutboxEntry action = members_change(cid_, "invites", user_ids);
  on_client_now(client_, [&](ClientCore& c) { c.change_channel(std::move(action)); });
}

void ChatChannel::accept_invite() {
  on_client_now(client_, [&](ClientCore& c) {
    c.change_channel(setting(OutboxKind::answer_invite, cid_, {{"accept_invite", true}}));
  });
}

void ChatChannel::reject_invite() {
  on_client_now(client_, [&](ClientCore& c) {
    c.change_channel(setting(OutboxKind::answer_invite, cid_, {{"reject_invite", true}}));
  });
}

void ChatChannel::mark_read() {
  on_client_now(client_, [&](ClientCore& c) { c.mark_read(cid_); });
}

void ChatChannel::keystroke(const std::optional<std::string>& parent_id) {
  if (auto core = client_.lock())
    core->post([core = core.get(), cid = cid_, parent_id] { core->keystroke(cid, parent_id); });
}

void ChatChannel::stop_typing(const std::optional<std::string>& parent_id) {
  if (auto core = client_.lock())
    core->post([core = core.get(), cid = cid_, parent_id] { core->stop_typing(cid, parent_id); });
}

}  // namespace chatkeep

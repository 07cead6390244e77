#pragma once

// The internals of ChatClient and ChatChannel. Everything below is owned by the client's network
// thread: public calls post there, and network callbacks run there, so no member needs a lock
// (the listeners excepted, which subscriptions reach from any thread).

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "api/api.hpp"
#include "chatkeep/chat_channel.hpp"
#include "chatkeep/client.hpp"
#include "client/connection.hpp"
#include "client/outbox_delivery.hpp"
#include "client/typing.hpp"
#include "listeners/listener_list.hpp"
#include "net/http_client.hpp"
#include "outbox/rules.hpp"
#include "outbox/uploads.hpp"
#include "state/commit_feed.hpp"
#include "state/live_state.hpp"
#include "sync/writes.hpp"

namespace chatkeep {

// What tells one event from another (type, channel, message, user, reaction type, time): the
// same event from the socket and from /sync has the same identity.
std::string event_identity(const Event& event);

class ClientCore : public std::enable_shared_from_this<ClientCore> {
 public:
  ClientCore(std::string api_key, ClientOptions options);
  ~ClientCore();
  ClientCore(const ClientCore&) = delete;
  ClientCore& operator=(const ClientCore&) = delete;

  // Ends the session and stops the network thread; later posts are refused.
  void shutdown();
  // Queues `f` on the network thread; false (and `f` dropped) once shut down.
  bool post(std::function<void()> f);
  // Runs `f` on the network thread and waits for it; at once when called there (from a
  // listener, say), where waiting would never end.
  template <class F>
  auto run(F f) -> decltype(f()) {
    if (io_.get_executor().running_in_this_thread()) return f();
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    if (!post([&task] { task(); })) {
      throw ChatError(ErrorCode::invalid_state, "the client has shut down");
    }
    return result.get();
  }
  // Hands a callback to the app: on its executor, else later on the network thread.
  void deliver(std::function<void()> f);

  ChatPersistenceClient& store() { return *store_; }
  // ChatError (invalid_state) unless a user is connected.
  void require_session() const;
  state::LiveState& live() { return *live_; }
  ListenerList<const Event&>& listeners() { return listeners_; }

  // The public calls, on the network thread.
  void connect_user(User user, std::string token, TokenProvider provider, Callback<OwnUser> done);
  FlushResult disconnect_user(bool flush);
  void network_available();
  void sync_now(Callback<std::size_t> done);
  void query_channels(QueryChannelsOptions options, AnswerCallback<std::vector<ChannelState>> done);
  void search(SearchQuery query, AnswerCallback<SearchResults> done);  // search.cpp
  void query_channel(const std::string& cid, ChannelQuery query, bool watch,
                     AnswerCallback<ChannelState> done);
  void stop_watching(const std::string& cid, Callback<bool> done);
  void keystroke(const std::string& cid, const std::optional<std::string>& parent_id);
  void stop_typing(const std::string& cid, const std::optional<std::string>& parent_id);
  // What an answer to a query sent at news count `asked_at` must not undo (news_): false when
  // the channel was deleted or left since (store none of it); else a hide or show since is
  // appended to `batch`, after the answer's writes.
  bool still_there(const std::string& cid, std::uint64_t asked_at) const;
  void keep_news(const std::string& cid, std::uint64_t asked_at, Batch& batch) const;
  // The server's side of the calls above alone: the answer, once stored.
  void fetch_channels(QueryChannelsOptions options, Callback<std::vector<ChannelState>> fetched);
  void fetch_channel(const std::string& cid, const ChannelQuery& query, bool watch,
                     Callback<ChannelState> fetched);
  void fetch_replies(const std::string& parent_id, const MessagePagination& page,
                     Callback<std::vector<Message>> fetched);
  void replies(const std::string& parent_id, MessagePagination page,
               AnswerCallback<std::vector<Message>> done);
  void members(const std::string& cid, AnswerCallback<std::vector<Member>> done);
  void reads(const std::string& cid, AnswerCallback<std::vector<Read>> done);
  void message(const std::string& id, AnswerCallback<Message> done);

  // outbox_actions.cpp: the user's writes, each with its local echo in one transaction. They
  // throw ChatError.
  Message send_message(const std::string& cid, Message message,
                       std::vector<outbox::Upload> files = {});
  void update_message(Message message, std::vector<outbox::Upload> files = {});
  void delete_message(const std::string& id, bool hard);
  void send_reaction(const std::string& message_id, Reaction reaction);
  void delete_reaction(const std::string& message_id, const std::string& type);
  void partial_update_message(const std::string& id, boost::json::object set,
                              std::vector<std::string> unset);
  void mark_read(const std::string& cid);
  // A setting (outbox/settings.hpp) of a channel, a draft, the own user or another user, shown
  // at once.
  void change_setting(OutboxEntry action);
  void save_draft(const std::string& cid, Message draft);
  void update_own_user(boost::json::object set, std::vector<std::string> unset);
  // channel_actions.cpp: create_channel, delete_channel, truncate_channel, update_members and
  // answer_invite, with their echoes.
  void change_channel(OutboxEntry action);
  // The connected user's id; ChatError (invalid_state) with none.
  const std::string& user_id() const;
  std::optional<Draft> draft(const std::string& cid, const std::optional<std::string>& parent_id);
  std::vector<OutboxEntry> outbox_entries();
  void retry(std::int64_t id);
  void discard(std::int64_t id);

  // attachments.cpp: files the user sends. stage_files copies them into the cache (pinned) and
  // runs on the caller's thread, so that a large file does not hold up the network thread;
  // ChatError (input) for a file it cannot take, and nothing is left staged then.
  static std::vector<outbox::Upload> stage_files(FileCache& cache, std::vector<LocalFile> files);
  // Files staged but not queued after all (the send failed): the cache lets go of them.
  static void unstage_files(FileCache& cache, const std::vector<outbox::Upload>& files);
  void upload_alone(const std::string& cid, outbox::Upload file, bool image_route,
                    Callback<std::string> done);
  void delete_file(const std::string& cid, bool image, const std::string& url, Callback<bool> done);

  // user_files.cpp: what lives beside the store.
  std::shared_ptr<Preferences> preferences();
  std::shared_ptr<FileCache> file_cache();
  void cache_file(const std::string& url, Callback<std::filesystem::path> done);
  void fetch_file(std::shared_ptr<FileCache> files, const std::string& url, std::uint64_t serial,
                  Callback<std::filesystem::path> done);
  StorageStats storage_stats();
  UserStorage storage_paths();
  bool online() const { return connection_->up(); }

 private:
  struct Session {
    User user;
    std::string token;
    TokenProvider provider;
    Callback<OwnUser> connected;  // until connect_user has answered
    std::shared_ptr<Preferences> preferences;
    std::shared_ptr<FileCache> files;
  };
  struct CatchUp;

  // session.cpp: the user's session, and what the connection reports.
  void open_socket();
  std::string connect_target();
  void on_greeted(Event hello);
  void on_frame(boost::json::value frame);
  void on_refused(ChatError error);
  void on_lost(const std::string& why, bool was_up);
  void schedule_reconnect();
  void refresh_token(std::function<void(std::optional<ChatError>)> then);
  void end_session();
  void emit_connection_changed(bool online);

  // outbox_actions.cpp
  Message stored_message(const std::string& id);
  // The local echo of `action` on the stored message (nothing if it changes nothing there).
  Batch echo_of(const OutboxEntry& action, Message stored);
  // Stamps the action with the time, plans it against the outbox, lets `adjust` shape the echo
  // by the plan, and commits both.
  using Adjust =
      std::function<void(const outbox::Enqueue& plan, const OutboxEntry& action, Batch& echo)>;
  void enqueue(OutboxEntry action, Batch echo, const Adjust& adjust = nullptr);

  // user_files.cpp
  std::filesystem::path data_directory() const;
  void open_user_files(Session& session);
  void flush_user_files();

  // events.cpp: what arrives, into the store and to the listeners.
  void apply_live(Event event);
  void watch_new_channel(const Event& event);
  // Whether the event is about a channel the user left or deleted (news_), and not one that
  // makes it hers again.
  bool departed(const Event& event);
  void write(Batch batch);
  void settle_writes(bool wait);
  void emit(const Event& event);

  // catch_up.cpp: DESIGN.md's catch-up, after every (re)connect.
  void start_catch_up();
  bool still_wanted(const CatchUp& job) const;
  void fetch_sync_chunk(std::shared_ptr<CatchUp> job);
  void apply_sync_events(std::shared_ptr<CatchUp> job);
  void requery_channels(std::shared_ptr<CatchUp> job, std::size_t from);
  void drop_lost_channels(std::shared_ptr<CatchUp> job, std::size_t from);
  std::vector<std::string> channels_to_sync();
  void finish_catch_up(std::shared_ptr<CatchUp> job);
  void rewatch(std::shared_ptr<CatchUp> job, std::size_t from);
  // The server time of the answer being handled, into the job; and up to when the job's
  // answers hold everything (nullopt: no server time to tell).
  void note_answer_time(CatchUp& job) const;
  std::optional<Timestamp> covered_until(const CatchUp& job) const;
  // Queries cids [from, last), either watching them or storing what comes back, and hands on
  // the cids returned; a failure (`what` failed) ends the catch-up (catch_up_failed).
  void query_chunk(std::shared_ptr<CatchUp> job, const std::vector<std::string>& cids,
                   std::size_t from, std::size_t last, bool watch, const char* what,
                   std::function<void(std::vector<std::string> returned)> then);
  // With the socket, drops it (catch-up starts over on the next); without, tells sync_now's caller.
  void catch_up_failed(const std::shared_ptr<CatchUp>& job, const std::string& what,
                       const ChatError& error);
  bool current(std::uint64_t socket) const {
    return socket == connection_->serial() && connection_->up();
  }

  // A call that, on code 40 with a token provider, fetches a new token and tries once more.
  template <class T>
  void authorized(std::function<void(Callback<T>)> attempt, Callback<T> done);
  // The offline-first pattern: the cache's answer (if any) at once, then the server's.
  template <class T>
  void answer_twice(AnswerCallback<T> done, std::function<std::optional<T>()> cached,
                    std::function<void(Callback<T>)> fetch);
  template <class T>
  void answer(const AnswerCallback<T>& done, Answer<T> answer);
  // `fetched`, once `writes` has put the server's answer into the store (unless the session has
  // changed since).
  template <class T>
  Callback<T> storing(Callback<T> fetched, std::function<void(const T&, Batch&)> writes);

  const std::string api_key_;
  ClientOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  // Before store_, which may commit (on its store thread) until it is gone, and tells live_.
  std::unique_ptr<state::LiveState> live_;
  std::unique_ptr<Typing> typing_;
  state::CommitFeed* feed_ = nullptr;  // inside store_, set by its initializer
  std::unique_ptr<ChatPersistenceClient> store_;
  ListenerList<const Event&> listeners_;

  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  net::Endpoint endpoint_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<net::HttpClient> http_;
  // HTTP clients for files, by scheme, host and port (user_files.cpp), and their TLS context;
  // after io_, so that they go before it.
  std::map<std::string, std::unique_ptr<net::HttpClient>> file_http_;
  std::shared_ptr<boost::asio::ssl::context> file_tls_;
  // The file cache's work (user_files.cpp); after io_, whose handlers its work posts.
  boost::asio::thread_pool files_thread_{1};
  std::unique_ptr<api::Api> api_;
  std::unique_ptr<Connection> connection_;  // the socket's life, reporting to session.cpp
  std::unique_ptr<OutboxDelivery> outbox_;  // lent store_, api_ and the session's token
  std::thread thread_;
  std::atomic<bool> stopped_{false};

  std::optional<Session> session_;
  std::uint64_t session_serial_ = 0;  // a new one per connect_user: stale callbacks see the change
  // last_sync_at as stored. Invariant: never beyond a time the server itself gave (its greeting,
  // health checks, an answer's Date), up to which everything is stored; an event's own time
  // proves nothing (a server clock that ran ahead would stop catch-up for good).
  std::optional<Timestamp> checkpoint_;
  std::optional<Timestamp> greeted_at_;  // the server's time when it greeted this socket
  std::optional<Timestamp> server_now_;  // the newest server time on this socket
  // Whom the server has muted for the user, as its socket said last (the greeting,
  // notification.mutes_updated), in order with the messages it counted under those mutes.
  sync::Mutes server_mutes_;

  std::set<std::string> watched_;  // channels to watch again after a reconnect
  // The channels this socket has watched since before its catch-up's /sync (watched again
  // first): it has brought everything of theirs since the checkpoint. The socket brings nothing
  // of other stored channels, so live events move the checkpoint only while every channel /sync
  // covers is among these (checkpoint_follows_live()); otherwise it stays where the catch-up
  // left it, and the next catch-up syncs the others from there.
  std::set<std::string> proven_;
  // checkpoint_follows_live()'s answer, looked for once per server time (server_now_).
  std::optional<Timestamp> follows_checked_at_;
  bool follows_live_ = false;
  bool checkpoint_follows_live();
  // What events said of a channel's place in the user's lists (deleted or left, hidden or
  // shown), and when (a count of such events): an answer to a query sent before, stored after,
  // would undo it, bringing back a channel that is gone or showing one that was hidden.
  struct ChannelNews {
    std::uint64_t at = 0;
    bool departed = false;
    std::optional<bool> hidden;
  };
  std::map<std::string, ChannelNews> news_;
  std::uint64_t news_count_ = 0;
  // Events stored live whose time the checkpoint has not passed, by identity: a catch-up's
  // /sync gives them again, and they are not applied twice (a message.read applied again, after
  // the messages that followed it were counted, would take those counts back). Forgotten once
  // the checkpoint passes them; all of them past kMaxAppliedLive, as before.
  std::map<std::string, Timestamp> applied_live_;
  static constexpr std::size_t kMaxAppliedLive = 20'000;
  void remember_applied_live(const Event& event);
  void forget_applied_live();
  bool catching_up_ = false;  // live events wait in held_ meanwhile
  std::vector<Event> held_;
  std::vector<std::future<ApplyResult>> writes_;  // applied asynchronously, not yet checked
  // Whether the outbox may hold settings, which write() shows on the server's copies: set when
  // one is made or a session starts, cleared when a look finds none.
  bool settings_pending_ = true;
};

template <class T>
void ClientCore::authorized(std::function<void(Callback<T>)> attempt, Callback<T> done) {
  attempt([this, attempt, done = std::move(done), serial = session_serial_](Result<T> r) mutable {
    if (r.error && r.error->code() == ErrorCode::token_expired && session_ &&
        serial == session_serial_ && session_->provider) {
      refresh_token([attempt = std::move(attempt),
                     done = std::move(done)](std::optional<ChatError> error) mutable {
        if (error) return done(Result<T>{.error = std::move(error)});
        attempt(std::move(done));
      });
      return;
    }
    done(std::move(r));
  });
}

template <class T>
Callback<T> ClientCore::storing(Callback<T> fetched, std::function<void(const T&, Batch&)> writes) {
  return [this, serial = session_serial_, fetched = std::move(fetched),
          writes = std::move(writes)](Result<T> r) {
    if (r && serial == session_serial_) {
      Batch batch;
      writes(*r.value, batch);
      if (!batch.empty()) write(std::move(batch));
    }
    fetched(std::move(r));
  };
}

template <class T>
void ClientCore::answer(const AnswerCallback<T>& done, Answer<T> answer) {
  deliver([done, answer = std::move(answer)]() mutable { done(std::move(answer)); });
}

template <class T>
void ClientCore::answer_twice(AnswerCallback<T> done, std::function<std::optional<T>()> cached,
                              std::function<void(Callback<T>)> fetch) {
  if (!session_) {
    return answer(done,
                  Answer<T>{.source = Source::server,
                            .error = ChatError(ErrorCode::invalid_state, "no user is connected")});
  }
  try {
    if (auto value = cached()) answer(done, Answer<T>{.source = Source::cache, .value = value});
  } catch (const ChatError& e) {
    log_->error("reading the cache failed: {}", e.what());
  }
  authorized<T>(std::move(fetch), [this, done](Result<T> r) {
    answer(done,
           Answer<T>{.source = Source::server, .value = std::move(r.value), .error = r.error});
  });
}

}  // namespace chatkeep

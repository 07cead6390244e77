#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chatkeep/background.hpp"
#include "chatkeep/channel_list.hpp"
#include "chatkeep/channel_state.hpp"
#include "chatkeep/chat_channel.hpp"
#include "chatkeep/event.hpp"
#include "chatkeep/file_cache.hpp"
#include "chatkeep/log.hpp"
#include "chatkeep/own_user.hpp"
#include "chatkeep/persistence.hpp"
#include "chatkeep/preferences.hpp"
#include "chatkeep/query.hpp"
#include "chatkeep/result.hpp"
#include "chatkeep/search.hpp"
#include "chatkeep/storage.hpp"
#include "chatkeep/subscription.hpp"
#include "chatkeep/user.hpp"

namespace chatkeep {

// Fetches a token for the user: when connecting, and again whenever the server says the token
// has expired (code 40). It must call `done` exactly once, from any thread, with a token or an
// error (the attempt then fails with that error). Called on the client's network thread; it must
// not block there (start a request and return).
using TokenProvider = std::function<void(Callback<std::string> done)>;

// Runs a callback where the app wants its callbacks to run (a UI loop, say).
using Executor = std::function<void(std::function<void()>)>;

// How the outbox retries (DESIGN.md, "The outbox").
struct OutboxOptions {
  std::chrono::milliseconds first_retry_delay{400};  // doubling after each transient failure
  std::chrono::milliseconds max_retry_delay{30'000};
  std::chrono::seconds max_age{24 * 3600};  // older entries fail rather than arrive late
  // Clients sharing a database (the app and its agent) deliver its outbox one at a time: the one
  // holding the store's "outbox" lease, renewed every third of this, and taken over when its
  // holder's process is gone or the lease runs out.
  std::chrono::milliseconds lease_duration{30'000};
};

// Where store calls run: on the client's network thread (regular), or all on one store thread of
// their own (background), through a BackgroundPersistenceClient around the store. The client is
// the one place that decides it, for SqlitePersistenceClient and an app's own store alike.
enum class ConnectionMode { regular, background };

struct ClientOptions {
  std::string base_url = "https://chat.stream-io-api.com";  // http(s); the socket uses ws(s)
  // "host:port" to open connections to instead of the URL's host (like curl's --connect-to): a
  // local proxy or relay. Requests and certificate checks still name the URL's host.
  std::string connect_to;
  LogOptions log;
  // The store. None: a SqlitePersistenceClient in `data_directory` (its default when empty).
  std::unique_ptr<ChatPersistenceClient> persistence;
  std::filesystem::path data_directory;
  ConnectionMode connection_mode = ConnectionMode::regular;
  GroupCommit group_commit;  // background mode: how queued writes are grouped into transactions
  // Where callbacks and listeners run; none: on the client's network thread, which they must
  // then not block for long.
  Executor executor;
  // A PEM file of certificates to trust besides the system's (a self-hosted server's CA).
  std::string extra_ca_file;
  std::chrono::milliseconds request_timeout{15'000};  // each REST call, connecting included
  // A connection, from its start to the server's greeting (the first frame, a valid one): TCP,
  // TLS, the upgrade and the wait for that frame together. A server that accepts the socket
  // and then stays silent or sends junk counts as unreachable after it.
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds ping_interval{25'000};  // protocol.md: a health check every 25 s
  std::chrono::milliseconds dead_after{35'000};     // and a socket silent for 35 s is dead
  // How far catch-up has got after a reconnect: events applied of those /sync returned.
  std::function<void(std::size_t applied, std::size_t total)> catch_up_progress;
  OutboxOptions outbox;
  // The user's file cache (file_cache(), cache_file()): its size budget.
  std::uintmax_t file_cache_budget = 256ull << 20;
};

struct QueryChannelsOptions {
  Filter filter;
  Sort sort;  // none: the server's default (last_updated)
  std::int64_t limit = 10;
  std::int64_t offset = 0;
  std::int64_t message_limit = 25;
  std::int64_t member_limit = 100;
  bool watch = true;  // receive the channels' events (and re-watch them after a reconnect)
};

// An offline-first Stream Chat client: everything it learns goes into the local store, queries
// answer from the store at once and then from the server, and after being offline it catches up
// (DESIGN.md). One user at a time.
//
// Threads: the client runs its network work, event handling and (in regular mode) store calls on
// a network thread of its own. Methods may be called from any thread. Callbacks and listeners run
// on the options' executor, or on that thread; they are never called from inside the method that
// was given them. The client must not be destroyed from one of its callbacks run on its own
// thread (the destructor waits for that thread).
class ChatClient {
 public:
  ChatClient(std::string api_key, ClientOptions options = {});
  // Disconnects (without flushing the store) and stops the client's thread. Callbacks not yet
  // delivered are dropped.
  ~ChatClient();
  ChatClient(const ChatClient&) = delete;
  ChatClient& operator=(const ChatClient&) = delete;

  // Opens `user`'s store, then the socket. `done` gets the own user once the server greets the
  // socket. When the server cannot be reached and the store knows the user from an earlier
  // connection, `done` gets that cached user instead and the client keeps connecting in the
  // background. Bad credentials fail for good (no retry). Connecting while connected fails.
  void connect_user(User user, std::string token, Callback<OwnUser> done);
  void connect_user(User user, TokenProvider token_provider, Callback<OwnUser> done);
  // Closes the socket and the store; `flush` first deletes everything stored for the user (on
  // logout). Waits until that is done.
  FlushResult disconnect_user(bool flush = false);
  // Catches up the cached channels through /sync now, without the socket: the background sync
  // work's job (background_work.hpp). With the socket up there is nothing to do; `done` gets the
  // number of events applied, or, when /sync refuses (a checkpoint too old, too many events),
  // the number of channels queried again instead.
  void sync_now(Callback<std::size_t> done);
  // Tells the client the network is back (the platform's connectivity signal, as mobile SDKs
  // receive it): a client waiting out its reconnect backoff tries at once. Harmless otherwise.
  void network_available();

  // Answers twice: from the cache at once (source cache; only if the query was saved before),
  // then from the server (source server), whose answer is saved as the cache of this filter and
  // sort. When the server cannot be reached the second answer carries the error.
  void query_channels(QueryChannelsOptions options, AnswerCallback<std::vector<ChannelState>> done);

  // Messages found by their text (search.hpp). Answers twice: from the store at once (source
  // cache), then from the server (source server), whose results are stored, each with its
  // channel, before the store answers again: so the second answer is the two merged, in one
  // order and without duplicates, with the user's messages still in the outbox among them, and
  // what the server found stays searchable offline. Without the server the second answer carries
  // the error. A query search.hpp refuses gets one answer, its ChatError (input).
  void search(SearchQuery query, AnswerCallback<SearchResults> done);

  // The channels of a query as a live list (channel_list.hpp): from the store at once, then
  // refreshed from the server. ChatError (invalid_state) when no user is connected.
  ChannelList channel_list(ChannelListOptions options);
  // The user's unread figures as the store has them (UnreadCounts, persistence.hpp): right
  // offline too, since every new message and the user's own read marks change them as they are
  // stored. The listener gets them now, then whenever they change, on the executor.
  UnreadCounts unread_counts();
  Subscription on_unread_counts(std::function<void(const UnreadCounts&)> listener);
  // Returns once every change committed before the call is in the live lists and windows and
  // their diffs are handed to the executor (with none, delivered): for tests, and for an app
  // that wants its screens current before it goes on.
  void settle();

  // One channel, by type and id; cheap, nothing happens until it is used.
  ChatChannel channel(const std::string& type, const std::string& id);

  // Listeners for events as they arrive, after their writes are in the store (typing and other
  // events that store nothing included), and for the local connection.changed (online true or
  // false) and connection.recovered (after a reconnect, once caught up).
  Subscription on(EventType type, std::function<void(const Event&)> listener);
  Subscription on_any(std::function<void(const Event&)> listener);

  // The store, for reading what is cached.
  ChatPersistenceClient& persistence();

  // Beside the store, for the connected user (invalid_state when none is): small settings and a
  // file cache, both in the data directory (storage.hpp), and both emptied by
  // disconnect_user(true).
  std::shared_ptr<Preferences> preferences();
  std::shared_ptr<FileCache> file_cache();
  // The file at `url` (an attachment's), from the file cache or fetched into it through the
  // client's own HTTP client (https verified as the API's connections are).
  void cache_file(std::string url, Callback<std::filesystem::path> done);
  // Sizes and counts of the connected user's files (storage.hpp), and where they are.
  StorageStats storage_stats();
  UserStorage storage_paths();
  // Whether the socket is up now (connection.changed tells of each change).
  bool online();

  // The user's settings about other users, queued like every action and shown at once in the
  // own user (connection_info(): mutes, blocked_user_ids). A muted or blocked user's messages
  // still arrive, for the app to show as it likes. mute_user's `timeout` ends the mute by itself;
  // one of more than ten years (the server's limit) is ChatError (input).
  void mute_user(const std::string& user_id,
                 std::optional<std::chrono::minutes> timeout = std::nullopt);
  void unmute_user(const std::string& user_id);
  void block_user(const std::string& user_id);
  void unblock_user(const std::string& user_id);
  // Sets and unsets fields of the own user (name, image, custom fields; Stream's PATCH /users),
  // queued and shown at once in connection_info() and in the users table. Fields the server
  // owns (id, role, created_at, updated_at, online, banned...) are ChatError (input).
  void update_own_user(boost::json::object set, std::vector<std::string> unset = {});

  // The actions waiting for the server, oldest first, with their states (queued, sending, or
  // failed with the server's reason). outbox.delivered and outbox.failed events tell of changes.
  std::vector<OutboxEntry> outbox();
  // Queues a failed entry again, as if just made.
  void retry(std::int64_t entry_id);
  // Drops an entry that is not in flight; a discarded send takes its message and everything
  // queued about it along. A discarded edit, deletion or reaction gives the message back as the
  // server has it (fetched now; offline, its local echo stays until the message next changes).
  void discard(std::int64_t entry_id);

 private:
  std::shared_ptr<ClientCore> core_;
};

}  // namespace chatkeep

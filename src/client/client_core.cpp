#include "client/client_core.hpp"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "chatkeep/sqlite_persistence.hpp"
#include "log/logger.hpp"
#include "sync/writes.hpp"

namespace chatkeep {

namespace json = boost::json;

namespace {

// The one place that decides where store calls run. The commit feed sits right around the
// app's store, so that it hears of commits on the thread that makes them.
std::unique_ptr<ChatPersistenceClient> make_store(ClientOptions& options,
                                                  state::CommitFeed*& feed) {
  std::unique_ptr<ChatPersistenceClient> store = std::move(options.persistence);
  if (!store) {
    store = std::make_unique<SqlitePersistenceClient>(
        SqlitePersistenceOptions{.directory = options.data_directory, .log = options.log});
  }
  auto fed = std::make_unique<state::CommitFeed>(std::move(store));
  feed = fed.get();
  if (options.connection_mode == ConnectionMode::regular) return fed;
  return std::make_unique<BackgroundPersistenceClient>(std::move(fed), options.group_commit);
}

ChatError no_session() {
  return ChatError(ErrorCode::invalid_state, "no user is connected");
}

std::string client_name() {
  return "chatkeep-cpp-0.1.0";
}

}  // namespace

ClientCore::ClientCore(std::string api_key, ClientOptions options)
    : api_key_(std::move(api_key)),
      options_(std::move(options)),
      log_(log::make_logger("client", options_.log)),
      store_(make_store(options_, feed_)),
      work_(boost::asio::make_work_guard(io_)),
      endpoint_(net::Endpoint::parse(options_.base_url, options_.connect_to)),
      tls_(endpoint_.tls ? net::make_tls_context(options_.extra_ca_file) : nullptr),
      http_(std::make_unique<net::HttpClient>(io_.get_executor(), endpoint_, tls_,
                                              options_.request_timeout)),
      api_(std::make_unique<api::Api>(*http_, api_key_, client_name())),
      connection_(std::make_unique<Connection>(
          io_, endpoint_, tls_, options_,
          Connection::Handlers{
              .greeted = [this](Event hello) { on_greeted(std::move(hello)); },
              .frame = [this](json::value frame) { on_frame(std::move(frame)); },
              .refused = [this](ChatError error) { on_refused(std::move(error)); },
              .lost = [this](const std::string& why, bool was_up) { on_lost(why, was_up); }},
          log_)),
      outbox_(std::make_unique<OutboxDelivery>(
          io_,
          OutboxDelivery::Lent{.store = *store_,
                               .api = *api_,
                               .authorized =
                                   [this](OutboxDelivery::Call call, Callback<json::object> done) {
                                     authorized<json::object>(std::move(call), std::move(done));
                                   },
                               .emit = [this](const Event& event) { emit(event); },
                               .online = [this] { return connection_->up(); },
                               .files = [this]() -> std::shared_ptr<FileCache> {
                                 return session_ ? session_->files : nullptr;
                               },
                               .on_files_thread =
                                   [this](std::function<void()> work) {
                                     boost::asio::post(files_thread_, std::move(work));
                                   }},
          options_.outbox, log_)),
      thread_([this] { io_.run(); }) {
  live_ = std::make_unique<state::LiveState>(state::Host{
      .store = *store_,
      .deliver = [this](std::function<void()> f) { deliver(std::move(f)); },
      .fetch_channels =
          [this](QueryChannelsOptions query, Callback<std::vector<ChannelState>> done) {
            if (!session_) return done({.error = no_session()});
            authorized<std::vector<ChannelState>>(
                [this, query](Callback<std::vector<ChannelState>> fetched) {
                  fetch_channels(query, std::move(fetched));
                },
                std::move(done));
          },
      .fetch_messages =
          [this](std::string cid, MessagePagination page, Callback<std::vector<Message>> done) {
            if (!session_) return done({.error = no_session()});
            authorized<ChannelState>(
                [this, cid, page](Callback<ChannelState> fetched) {
                  fetch_channel(cid, ChannelQuery{.messages = page}, false, std::move(fetched));
                },
                [done](Result<ChannelState> r) {
                  if (!r) return done({.error = std::move(r.error)});
                  done({.value = r.value->messages.value_or(std::vector<Message>{})});
                });
          },
      .fetch_replies =
          [this](std::string parent_id, MessagePagination page,
                 Callback<std::vector<Message>> done) {
            if (!session_) return done({.error = no_session()});
            authorized<std::vector<Message>>(
                [this, parent_id, page](Callback<std::vector<Message>> fetched) {
                  fetch_replies(parent_id, page, std::move(fetched));
                },
                std::move(done));
          }});
  typing_ = std::make_unique<Typing>(
      io_,
      [this](const std::string& cid, const std::optional<std::string>& parent, EventType type) {
        if (!session_ || !connection_->up()) return;  // typing is never queued
        json::object event{{"type", to_string(type)}};
        if (parent) event["parent_id"] = *parent;
        api_->send_event(cid, std::move(event), [this](Result<json::object> r) {
          if (!r) log_->debug("a typing event was not sent: {}", r.error->message());
        });
      },
      [this](Event expired) { emit(expired); });
  // Commits come from the store thread in background mode: refreshes go to the network thread.
  feed_->listen(
      [this](const Batch& batch, const ApplyResult& result) {
        if (live_->committed(batch, result)) post([this] { live_->refresh(); });
      },
      [this] {
        if (live_->reset()) post([this] { live_->refresh(); });
      });
  // Nothing has been asked of the server yet, so the network thread cannot be reading this.
  api_->on_skipped([log = log_](std::string_view list, const ChatError& why) {
    log->warn("a malformed element of '{}' in an answer, skipped: {}", list, why.message());
  });
}

ClientCore::~ClientCore() {
  shutdown();
}

void ClientCore::shutdown() {
  if (stopped_.exchange(true)) return;
  std::promise<void> ended;
  boost::asio::post(io_, [&] {
    try {
      if (session_) disconnect_user(false);
    } catch (const std::exception& e) {
      log_->error("closing the session failed: {}", e.what());
    }
    connection_->close();
    http_->close();
    file_http_.clear();  // here, while their executor still runs (they close on it)
    outbox_->stop();
    ended.set_value();
  });
  ended.get_future().wait();
  files_thread_.join();  // its last work may still deliver through io_
  work_.reset();
  io_.stop();
  thread_.join();
}

bool ClientCore::post(std::function<void()> f) {
  if (stopped_) return false;
  boost::asio::post(io_, std::move(f));
  return true;
}

void ClientCore::deliver(std::function<void()> f) {
  if (options_.executor) return options_.executor(std::move(f));
  boost::asio::post(io_, std::move(f));
}

void ClientCore::query_channels(QueryChannelsOptions options,
                                AnswerCallback<std::vector<ChannelState>> done) {
  auto shared = std::make_shared<QueryChannelsOptions>(std::move(options));
  answer_twice<std::vector<ChannelState>>(
      std::move(done),
      [this, shared] {
        return store_->query_channels(shared->filter, shared->sort,
                                      static_cast<std::size_t>(shared->offset),
                                      static_cast<std::size_t>(shared->limit),
                                      static_cast<std::size_t>(shared->message_limit));
      },
      [this, shared](Callback<std::vector<ChannelState>> fetched) {
        fetch_channels(*shared, std::move(fetched));
      });
}

void ClientCore::fetch_channels(QueryChannelsOptions options,
                                Callback<std::vector<ChannelState>> fetched) {
  auto shared = std::make_shared<QueryChannelsOptions>(std::move(options));
  QueryChannelsRequest request{.filter_conditions = shared->filter,
                               .state = true,
                               .watch = shared->watch && connection_->connection_id().has_value(),
                               .limit = shared->limit,
                               .offset = shared->offset,
                               .message_limit = shared->message_limit,
                               .member_limit = shared->member_limit};
  if (!shared->sort.empty()) request.sort = shared->sort;
  api_->query_channels(
      request,
      storing<std::vector<ChannelState>>(std::move(fetched), [this, shared, asked_at = news_count_](
                                                                 const std::vector<ChannelState>&
                                                                     states,
                                                                 Batch& batch) {
        std::vector<std::string> cids;
        for (const auto& state : states) {
          if (!still_there(state.channel.cid, asked_at)) continue;
          cids.push_back(state.channel.cid);
          sync::add_channel_state_writes(state, session_->user.id, batch,
                                         MessagePagination{.limit = shared->message_limit});
          keep_news(state.channel.cid, asked_at, batch);
        }
        if (shared->watch) watched_.insert(cids.begin(), cids.end());
        batch.push_back(SaveChannelQuery{shared->filter, shared->sort, cids, shared->offset > 0});
      }));
}

void ClientCore::query_channel(const std::string& cid, ChannelQuery query, bool watch,
                               AnswerCallback<ChannelState> done) {
  if (watch && session_) watched_.insert(cid);
  // The page size is always sent, as Stream's clients do, and the cache answers the same page.
  if (!query.messages.limit) query.messages.limit = 25;
  auto shared = std::make_shared<ChannelQuery>(std::move(query));
  answer_twice<ChannelState>(
      std::move(done), [this, cid, shared] { return store_->channel_state(cid, shared->messages); },
      [this, cid, shared, watch](Callback<ChannelState> fetched) {
        fetch_channel(cid, *shared, watch, std::move(fetched));
      });
}

void ClientCore::fetch_channel(const std::string& cid, const ChannelQuery& query, bool watch,
                               Callback<ChannelState> fetched) {
  json::object body{{"state", true},
                    {"watch", watch && connection_->connection_id().has_value()},
                    {"messages", to_json(query.messages)}};
  if (query.members) body["members"] = to_json(*query.members);
  if (!query.data.empty()) body["data"] = query.data;
  api_->query_channel(cid, std::move(body),
                      storing<ChannelState>(
                          std::move(fetched), [this, page = query.messages, asked_at = news_count_](
                                                  const ChannelState& state, Batch& batch) {
                            if (!still_there(state.channel.cid, asked_at)) return;
                            sync::add_channel_state_writes(state, session_->user.id, batch, page);
                            keep_news(state.channel.cid, asked_at, batch);
                          }));
}

void ClientCore::keystroke(const std::string& cid, const std::optional<std::string>& parent_id) {
  if (!session_ || !connection_->up()) return;
  // The channel's config may turn typing events off, as Stream's clients read it.
  if (auto channel = store_->channel(cid);
      channel && channel->config && !channel->config->typing_events.value_or(true)) {
    return;
  }
  typing_->keystroke(cid, parent_id);
}

void ClientCore::stop_typing(const std::string& cid, const std::optional<std::string>& parent_id) {
  typing_->stop(cid, parent_id);
}

bool ClientCore::still_there(const std::string& cid, std::uint64_t asked_at) const {
  const auto found = news_.find(cid);
  return found == news_.end() || found->second.at <= asked_at || !found->second.departed;
}

void ClientCore::keep_news(const std::string& cid, std::uint64_t asked_at, Batch& batch) const {
  const auto found = news_.find(cid);
  if (found != news_.end() && found->second.at > asked_at && found->second.hidden) {
    batch.push_back(SetChannelHidden{cid, *found->second.hidden});
  }
}

void ClientCore::stop_watching(const std::string& cid, Callback<bool> done) {
  watched_.erase(cid);
  proven_.erase(cid);
  follows_checked_at_.reset();
  if (!session_) {
    return deliver(
        [done] { done({.error = ChatError(ErrorCode::invalid_state, "no user is connected")}); });
  }
  authorized<json::object>(
      [this, cid](Callback<json::object> attempt) { api_->stop_watching(cid, std::move(attempt)); },
      [this, done](Result<json::object> r) {
        deliver([done, r = std::move(r)] {
          done(r ? Result<bool>{.value = true} : Result<bool>{.error = r.error});
        });
      });
}

void ClientCore::replies(const std::string& parent_id, MessagePagination page,
                         AnswerCallback<std::vector<Message>> done) {
  answer_twice<std::vector<Message>>(
      std::move(done),
      [this, parent_id, page]() -> std::optional<std::vector<Message>> {
        if (!store_->message(parent_id)) return std::nullopt;
        return store_->replies(parent_id, page);
      },
      [this, parent_id, page](Callback<std::vector<Message>> fetched) {
        fetch_replies(parent_id, page, std::move(fetched));
      });
}

void ClientCore::fetch_replies(const std::string& parent_id, const MessagePagination& page,
                               Callback<std::vector<Message>> fetched) {
  api_->replies(parent_id, page,
                storing<std::vector<Message>>(
                    std::move(fetched),
                    [this, parent_id, page](const std::vector<Message>& messages, Batch& batch) {
                      // The page keeps the thread's gaps, in the channel the replies (or the
                      // parent) are in.
                      std::optional<std::string> cid;
                      if (!messages.empty()) cid = messages.front().cid;
                      if (!cid) {
                        if (auto parent = store_->message(parent_id)) cid = parent->cid;
                      }
                      if (cid) {
                        RecordPage record{.cid = *cid, .page = page, .parent_id = parent_id};
                        for (const auto& message : messages) {
                          if (message.created_at && message.cid == cid)
                            record.messages.emplace_back(message.id, *message.created_at);
                        }
                        batch.push_back(std::move(record));
                      }
                      sync::add_queried_messages_writes(std::nullopt, messages, session_->user.id,
                                                        batch);
                    }));
}

void ClientCore::members(const std::string& cid, AnswerCallback<std::vector<Member>> done) {
  answer_twice<std::vector<Member>>(
      std::move(done),
      [this, cid]() -> std::optional<std::vector<Member>> {
        if (!store_->channel(cid)) return std::nullopt;
        return store_->members(cid);
      },
      [this, cid](Callback<std::vector<Member>> fetched) {
        api_->members(
            cid, 100,
            storing<std::vector<Member>>(std::move(fetched),
                                         [cid](const std::vector<Member>& members, Batch& batch) {
                                           if (!members.empty())
                                             batch.push_back(UpsertMembers{cid, members});
                                         }));
      });
}

void ClientCore::reads(const std::string& cid, AnswerCallback<std::vector<Read>> done) {
  answer_twice<std::vector<Read>>(
      std::move(done),
      [this, cid]() -> std::optional<std::vector<Read>> {
        if (!store_->channel(cid)) return std::nullopt;
        return store_->reads(cid);
      },
      [this, cid, serial = session_serial_](Callback<std::vector<Read>> fetched) {
        // Reads come with the channel's state; no message is needed with them.
        json::object body{{"state", true}, {"messages", json::object{{"limit", 0}}}};
        api_->query_channel(cid, std::move(body),
                            [this, serial, fetched = std::move(fetched)](Result<ChannelState> r) {
                              if (!r) return fetched({.error = std::move(r.error)});
                              std::vector<Read> reads = r.value->read.value_or(std::vector<Read>{});
                              if (serial == session_serial_) {
                                Batch batch;
                                sync::add_channel_state_writes(std::move(*r.value),
                                                               session_->user.id, batch);
                                write(std::move(batch));
                              }
                              fetched({.value = std::move(reads)});
                            });
      });
}

void ClientCore::message(const std::string& id, AnswerCallback<Message> done) {
  answer_twice<Message>(
      std::move(done), [this, id] { return store_->message(id); },
      [this, id](Callback<Message> fetched) {
        api_->message(
            id, storing<Message>(std::move(fetched), [this](const Message& message, Batch& batch) {
              sync::add_queried_messages_writes(std::nullopt, {message}, session_->user.id, batch);
            }));
      });
}

}  // namespace chatkeep

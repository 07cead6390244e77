// Catch-up after every connect (DESIGN.md, "Catch-up after being offline"): first the watched
// channels are watched again, so that the new socket hears of everything from then on; then
// /sync from the checkpoint for the cached channels brings what happened before, applied in
// created_at order with the checkpoint in the same transaction; on "too old" or "too many", a
// checkpoint reset and a re-query of the channels instead. Then the outbox is woken and
// connection.recovered goes out. Live events wait meanwhile, so that nothing older is applied
// over them. (DESIGN.md re-watches after /sync; events between the two then reached neither, and
// a message older than the re-watch's page kept the change it missed.) Nothing here removes an
// outbox entry.

#include <algorithm>
#include <set>

#include <boost/json.hpp>

#include "chatkeep/json.hpp"
#include "client/client_core.hpp"
#include "sync/writes.hpp"

namespace chatkeep {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxChannels = 1000;    // cached channels caught up, newest first
constexpr std::size_t kSyncChunk = 100;       // cids per /sync (the server allows 255)
constexpr std::size_t kQueryChunk = 30;       // channels per query (the server's limit)
constexpr std::size_t kEventsPerBatch = 100;  // events per transaction with their checkpoint

// Rounds of dropping lost channels in one catch-up before it re-queries instead.
constexpr int kMaxPrunes = 3;

// The channels cids [first, last), hidden ones too (a query leaves out those the user hid unless
// its filter asks about `hidden`, and a channel left out counts as lost).
Filter cids_filter(const std::vector<std::string>& cids, std::size_t first, std::size_t last) {
  json::array list;
  for (auto i = first; i < last; ++i)
    list.emplace_back(cids[i]);
  return Filter::from_json(json::object{{"cid", {{"$in", std::move(list)}}},
                                        {"hidden", {{"$in", json::array{true, false}}}}});
}

// What tells one event from another when the same one comes from /sync and live.
}  // namespace

std::string event_identity(const Event& e) {
  std::string key = e.type;
  for (const std::string* part :
       {e.cid ? &*e.cid : nullptr, e.message ? &e.message->id : nullptr,
        e.user ? &e.user->id : nullptr, e.reaction ? &e.reaction->type : nullptr}) {
    key += '|';
    if (part) key += *part;
  }
  return key + '|' + (e.created_at ? e.created_at->to_string() : "");
}

namespace {

// How far a server's Date may be from what its answer covers: the Date is stamped after the
// answer was read and is cut to the second.
constexpr std::chrono::seconds kDateMargin{2};

}  // namespace

struct ClientCore::CatchUp {
  std::uint64_t socket = 0;
  // Set for a catch-up without the socket (sync_now): only /sync, and the answer goes here.
  Callback<std::size_t> done;
  std::uint64_t session = 0;
  Timestamp since;
  std::vector<std::string> cids;
  std::size_t next = 0;
  std::vector<Event> events;
  std::vector<std::string> watched;
  std::set<std::string> requeried;  // cids the re-query returned
  // With the socket: the checkpoint is beyond the server's time, so it is not trusted and the
  // channels are queried again, as when /sync refuses.
  bool requery = false;
  // How often /sync was refused for a channel the user lost while away, and the lost ones
  // dropped (more may be lost meanwhile; each round drops at least one, or re-queries).
  int prunes = 0;
  std::vector<std::string> kept;  // the channels still the user's, as drop_lost_channels finds
  // Without the socket: the earliest server time (Date) of the answers, and whether one came
  // without; everything up to it, less kDateMargin, is in the answers.
  std::optional<Timestamp> answered;
  bool undated = false;
};

// The stored channels, less those whose creation is still in the outbox: the server has nothing
// of them yet, and they are not lost for that.
std::vector<std::string> ClientCore::channels_to_sync() {
  std::vector<std::string> cids = store_->channel_cids(kMaxChannels);
  std::set<std::string> uncreated;
  for (const auto& e : store_->outbox(0, outbox::kWholeOutbox)) {
    if (e.kind == OutboxKind::create_channel) uncreated.insert(e.cid);
  }
  std::erase_if(cids, [&](const std::string& cid) { return uncreated.contains(cid); });
  return cids;
}

void ClientCore::start_catch_up() {
  auto job = std::make_shared<CatchUp>();
  job->socket = connection_->serial();
  job->since = *checkpoint_;
  job->watched.assign(watched_.begin(), watched_.end());
  if (*checkpoint_ > *greeted_at_) {
    log_->warn("the checkpoint ({}) is beyond the server's time ({}); re-querying the channels",
               checkpoint_->to_string(), greeted_at_->to_string());
    job->requery = true;
  }
  try {
    job->cids = channels_to_sync();
  } catch (const ChatError& e) {
    log_->error("reading the cached channels failed: {}", e.what());
  }
  catching_up_ = true;
  proven_.clear();
  follows_checked_at_.reset();
  rewatch(std::move(job), 0);
}

void ClientCore::rewatch(std::shared_ptr<CatchUp> job, std::size_t from) {
  if (!current(job->socket)) return;
  if (from >= job->watched.size()) {
    if (job->requery) return requery_channels(std::move(job), 0);
    return fetch_sync_chunk(std::move(job));
  }
  const auto last = std::min(from + kQueryChunk, job->watched.size());
  query_chunk(job, job->watched, from, last, true, "watching the channels again",
              [this, job, last](std::vector<std::string> returned) {
                proven_.insert(returned.begin(), returned.end());
                rewatch(job, last);
              });
}

void ClientCore::sync_now(Callback<std::size_t> done) {
  auto fail = [&](ChatError error) { deliver([done, error] { done({.error = error}); }); };
  if (!session_) return fail(ChatError(ErrorCode::invalid_state, "no user is connected"));
  if (connection_->up()) return deliver([done] { done({.value = 0}); });  // live already
  if (!checkpoint_) {
    return fail(ChatError(ErrorCode::invalid_state, "nothing to sync from: never connected"));
  }
  auto job = std::make_shared<CatchUp>();
  job->done = std::move(done);
  job->session = session_serial_;
  job->since = *checkpoint_;
  try {
    job->cids = channels_to_sync();
  } catch (const ChatError& e) {
    return fail(e);
  }
  fetch_sync_chunk(std::move(job));
}

bool ClientCore::still_wanted(const CatchUp& job) const {
  return job.done ? job.session == session_serial_ && session_.has_value() : current(job.socket);
}

void ClientCore::fetch_sync_chunk(std::shared_ptr<CatchUp> job) {
  if (!still_wanted(*job)) return;
  if (job->next >= job->cids.size()) return apply_sync_events(std::move(job));
  const auto first = job->next;
  job->next = std::min(first + kSyncChunk, job->cids.size());
  std::vector<std::string> chunk(job->cids.begin() + static_cast<std::ptrdiff_t>(first),
                                 job->cids.begin() + static_cast<std::ptrdiff_t>(job->next));
  authorized<std::vector<Event>>(
      [this, chunk = std::move(chunk), since = job->since](Callback<std::vector<Event>> done) {
        api_->sync(chunk, since, std::move(done));
      },
      [this, job](Result<std::vector<Event>> r) {
        if (!still_wanted(*job)) return;
        note_answer_time(*job);
        // A Date names a whole second: only a checkpoint past its end is beyond it. Any answer
        // tells the time, a refusal too (one for a checkpoint in the future may be anything).
        if (job->done && job->answered &&
            checkpoint_->unix_seconds() > job->answered->unix_seconds()) {
          log_->warn("the checkpoint ({}) is beyond the server's time ({}); re-querying",
                     checkpoint_->to_string(), job->answered->to_string());
          return requery_channels(job, 0);
        }
        if (!r) {
          const ErrorCode code = r.error->code();
          if ((code == ErrorCode::not_allowed || code == ErrorCode::not_found) &&
              job->prunes < kMaxPrunes) {
            log_->info("/sync refused ({}); dropping the channels lost", r.error->message());
            return drop_lost_channels(job, 0);
          }
          if (code == ErrorCode::input || code == ErrorCode::not_allowed ||
              code == ErrorCode::not_found) {
            // Too old a checkpoint, or too many events: protocol.md's answer is to start over
            // from the channels themselves.
            log_->info("/sync refused ({}); re-querying the channels", r.error->message());
            return requery_channels(job, 0);
          }
          return catch_up_failed(job, "catch-up failed: " + r.error->message(), *r.error);
        }
        std::move(r.value->begin(), r.value->end(), std::back_inserter(job->events));
        fetch_sync_chunk(job);
      });
}

void ClientCore::apply_sync_events(std::shared_ptr<CatchUp> job) {
  auto& events = job->events;
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.created_at < b.created_at; });
  const std::size_t total = events.size();
  auto progress = [this, total](std::size_t applied) {
    if (auto f = options_.catch_up_progress) deliver([f, applied, total] { f(applied, total); });
  };
  progress(0);
  // Everything up to the server's time is in the answers; the events' own times say how far
  // each batch reaches, but no further than that.
  const std::optional<Timestamp> reach = covered_until(*job);
  // The mutes the socket told of meanwhile (held: /sync never gives them) take effect among
  // these events at their own times, as they did on the server: a message /sync gives from
  // after an unmute was counted there.
  std::vector<const Event*> mute_news;
  for (const auto& held : held_)
    if (held.me && held.created_at) mute_news.push_back(&held);
  std::size_t next_news = 0;
  std::set<std::string> synced;
  for (std::size_t first = 0; first < total; first += kEventsPerBatch) {
    const std::size_t last = std::min(first + kEventsPerBatch, total);
    Batch batch;
    std::vector<bool> stored_live(last - first);
    for (auto i = first; i < last; ++i) {
      while (next_news < mute_news.size() && events[i].created_at &&
             *mute_news[next_news]->created_at < *events[i].created_at) {
        server_mutes_ = sync::mutes_of(*mute_news[next_news++]->me);
      }
      const std::string key = event_identity(events[i]);
      synced.insert(key);
      // Stored live already, before the socket dropped: not again. A message.read applied
      // again after the messages that followed it were counted would take their count back.
      stored_live[i - first] = applied_live_.contains(key);
      if (!stored_live[i - first]) {
        sync::add_event_writes(events[i], session_->user.id, batch, server_mutes_);
      }
      if (events[i].created_at && reach) {
        checkpoint_ = std::max(*checkpoint_, std::min(*events[i].created_at, *reach));
      }
    }
    batch.push_back(SetLastSyncAt{*checkpoint_});
    write(std::move(batch));
    for (auto i = first; i < last; ++i)
      if (!stored_live[i - first]) emit(events[i]);
    progress(last);
  }
  if (reach && *reach > *checkpoint_) {
    checkpoint_ = reach;
    write({SetLastSyncAt{*checkpoint_}});
  }
  forget_applied_live();
  if (job->done) return deliver([done = job->done, total] { done({.value = total}); });
  // What arrived live meanwhile, less what /sync already gave.
  catching_up_ = false;
  for (auto& event : std::exchange(held_, {})) {
    if (!synced.contains(event_identity(event))) apply_live(std::move(event));
  }
  finish_catch_up(std::move(job));
}

void ClientCore::requery_channels(std::shared_ptr<CatchUp> job, std::size_t from) {
  if (!still_wanted(*job)) return;
  const auto& cids = job->cids;
  if (from >= cids.size()) {
    // The channels the server no longer gives this user are gone for them.
    std::vector<std::string> gone;
    for (const auto& cid : cids) {
      if (!job->requeried.contains(cid)) gone.push_back(cid);
    }
    Batch batch;
    if (!gone.empty()) batch.push_back(DeleteChannels{std::move(gone)});
    // Everything up to the server's time is in the answers, so the checkpoint moves there,
    // back as well as forward (a checkpoint beyond it was not the server's). Without a Date
    // there is no such time: it stays, and the next sync re-queries again.
    if (auto reach = covered_until(*job)) {
      checkpoint_ = reach;
      batch.push_back(SetLastSyncAt{*checkpoint_});
    }
    if (!batch.empty()) write(std::move(batch));
    if (job->done) {
      return deliver([done = job->done, n = job->requeried.size()] { done({.value = n}); });
    }
    catching_up_ = false;
    for (auto& event : std::exchange(held_, {}))
      apply_live(std::move(event));
    return finish_catch_up(std::move(job));
  }
  const auto last = std::min(from + kQueryChunk, cids.size());
  query_chunk(job, cids, from, last, false, "re-querying the channels",
              [this, job, last](std::vector<std::string> returned) {
                job->requeried.insert(returned.begin(), returned.end());
                requery_channels(job, last);
              });
}

// /sync refuses a chunk with a channel the user lost while away (no longer a member, or
// deleted). Which ones is what a query of the channels leaves out: those leave the store, and
// /sync goes again for the rest, from the same checkpoint. The query's answers are not stored:
// /sync brings what changed, and states as well would count new messages twice.
void ClientCore::drop_lost_channels(std::shared_ptr<CatchUp> job, std::size_t from) {
  if (!still_wanted(*job)) return;
  const auto& cids = job->cids;
  if (from == 0) {
    ++job->prunes;
    job->kept.clear();
  }
  if (from >= cids.size()) {
    std::set<std::string> kept(job->kept.begin(), job->kept.end());
    std::vector<std::string> lost;
    for (const auto& cid : cids) {
      if (!kept.contains(cid)) lost.push_back(cid);
    }
    // None lost, yet refused: the server refuses for another reason; start over from the
    // channels, as for any other refusal.
    if (lost.empty()) return requery_channels(std::move(job), 0);
    log_->info("{} channels lost while away leave the store", lost.size());
    write({DeleteChannels{std::move(lost)}});
    std::erase_if(job->cids, [&](const std::string& cid) { return !kept.contains(cid); });
    job->next = 0;
    job->events.clear();
    return fetch_sync_chunk(std::move(job));
  }
  const auto last = std::min(from + kQueryChunk, cids.size());
  QueryChannelsRequest request{.filter_conditions = cids_filter(cids, from, last),
                               .state = true,
                               .limit = static_cast<std::int64_t>(kQueryChunk),
                               .message_limit = 0,
                               .member_limit = 0};
  authorized<std::vector<ChannelState>>(
      [this, request](Callback<std::vector<ChannelState>> done) {
        api_->query_channels(request, std::move(done));
      },
      [this, job, last](Result<std::vector<ChannelState>> r) {
        if (!still_wanted(*job)) return;
        if (!r) {
          return catch_up_failed(job, "finding the channels lost failed: " + r.error->message(),
                                 *r.error);
        }
        for (const auto& state : *r.value)
          job->kept.push_back(state.channel.cid);
        drop_lost_channels(job, last);
      });
}

void ClientCore::note_answer_time(CatchUp& job) const {
  const std::optional<Timestamp> at = api_->answered_at();
  if (!at) {
    job.undated = true;
  } else if (!job.answered || *at < *job.answered) {
    job.answered = at;
  }
}

std::optional<Timestamp> ClientCore::covered_until(const CatchUp& job) const {
  if (!job.done) return greeted_at_;  // the socket brings everything after its greeting
  if (job.undated || !job.answered) return std::nullopt;
  return Timestamp::from_unix_micros(job.answered->unix_micros() -
                                     std::chrono::microseconds(kDateMargin).count());
}

void ClientCore::finish_catch_up(std::shared_ptr<CatchUp> job) {
  if (!current(job->socket)) return;
  // DESIGN.md: the outbox goes once the channels are watched and caught up, then recovered.
  outbox_->wake();
  live_->reconnected();
  Event recovered{.type = "connection.recovered", .kind = EventType::connection_recovered};
  recovered.created_at = Timestamp::now();
  emit(recovered);
}

void ClientCore::catch_up_failed(const std::shared_ptr<CatchUp>& job, const std::string& what,
                                 const ChatError& error) {
  if (job->done) return deliver([done = job->done, error] { done({.error = error}); });
  connection_->drop(what);
}

void ClientCore::query_chunk(std::shared_ptr<CatchUp> job, const std::vector<std::string>& cids,
                             std::size_t from, std::size_t last, bool watch, const char* what,
                             std::function<void(std::vector<std::string> returned)> then) {
  QueryChannelsRequest request{.filter_conditions = cids_filter(cids, from, last),
                               .state = true,
                               .watch = watch,
                               .limit = static_cast<std::int64_t>(kQueryChunk),
                               .message_limit = watch ? 0 : 25,
                               .member_limit = 100};
  authorized<std::vector<ChannelState>>(
      [this, request](Callback<std::vector<ChannelState>> done) {
        api_->query_channels(request, std::move(done));
      },
      [this, job, watch, what, request,
       then = std::move(then)](Result<std::vector<ChannelState>> r) {
        if (!still_wanted(*job)) return;
        note_answer_time(*job);
        if (!r) {
          return catch_up_failed(job, std::string(what) + " failed: " + r.error->message(),
                                 *r.error);
        }
        Batch batch;
        std::vector<std::string> returned;
        for (auto& state : *r.value) {
          returned.push_back(state.channel.cid);
          // Watching binds the socket only: /sync, which follows, replays events older than
          // these states, and replaying over a newer state miscounts unread messages.
          if (!watch) {
            sync::add_channel_state_writes(std::move(state), session_->user.id, batch,
                                           MessagePagination{.limit = request.message_limit});
          }
        }
        if (!batch.empty()) write(std::move(batch));
        then(std::move(returned));
      });
}

}  // namespace chatkeep

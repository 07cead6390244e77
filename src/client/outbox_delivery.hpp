#pragma once

// The outbox part of a ChatClient: delivers the user's actions the store's outbox holds, on the
// client's network thread. It owns its state (the lease, its timers, the retry policy's random
// source) and sees of the client only what the core lends it (OutboxDelivery::Lent); the core
// says when a user's session starts and ends. How delivery goes is outbox_delivery.cpp's essay;
// how files go, outbox_uploads.cpp's.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include "api/api.hpp"
#include "chatkeep/client.hpp"
#include "chatkeep/file_cache.hpp"
#include "chatkeep/persistence.hpp"
#include "outbox/rules.hpp"
#include "process/holder.hpp"

namespace chatkeep {

// The local event that tells the app an entry was delivered or failed (outbox.delivered,
// outbox.failed), with the entry in extra["outbox_entry"].
Event outbox_event(EventType kind, const OutboxEntry& e, const std::optional<ChatError>& error);

class OutboxDelivery {
 public:
  using Call = std::function<void(Callback<boost::json::object>)>;
  // What the core lends: the store, the API, a way to make a call with the session's token
  // (fetching a new one once when the server says it expired), a way to tell the app (events),
  // and whether the socket is up (entries go only then: DESIGN.md, "The outbox").
  struct Lent {
    ChatPersistenceClient& store;
    api::Api& api;
    std::function<void(Call call, Callback<boost::json::object> done)> authorized;
    std::function<void(const Event&)> emit;
    std::function<bool()> online;
    // The session's file cache, and a way to run work on the thread that reads and writes it
    // (which hashes whole files: never the network thread).
    std::function<std::shared_ptr<FileCache>()> files;
    std::function<void(std::function<void()>)> on_files_thread;
  };

  OutboxDelivery(boost::asio::io_context& io, Lent lent, const OutboxOptions& options,
                 std::shared_ptr<spdlog::logger> log);

  // A session of `user_id` starts: the lease is taken or watched for, and the outbox looked at,
  // every second until stop().
  void start(std::string user_id);
  // The session ends: timers stop, the lease is let go, and answers still on their way are
  // dropped (their entries wait, `sending`, for the next start to queue them again).
  void stop();
  // The socket is back and caught up: backed-off entries go now.
  void wake();
  // Attempts every due entry (one per channel at a time), if this client holds the lease.
  void pump();

 private:
  bool hold_lease();
  void keep_lease();
  void rescue();
  void attempt(const OutboxEntry& entry);
  void call_for(const OutboxEntry& entry, Callback<boost::json::object> done);
  void settle_attempt(const OutboxEntry& entry, Result<boost::json::object> r);
  void finish(const OutboxEntry& entry, std::optional<Message> message,
              std::optional<Reaction> reaction = std::nullopt, Batch writes = {});
  void unusable_answer(const OutboxEntry& entry, const std::string& why);
  void record_failure(const OutboxEntry& entry, outbox::Verdict verdict, const ChatError& error);
  // A refused action that holds nothing the user wrote leaves the outbox, and the server's copy
  // of what it was about replaces what it showed.
  void give_back(const OutboxEntry& entry);
  void give_back_setting(const OutboxEntry& entry);
  void give_back_channel(const OutboxEntry& entry);

  // outbox_uploads.cpp: an upload_attachment entry's attempt.
  void attempt_upload(const OutboxEntry& entry);
  void send_file(const OutboxEntry& entry, const std::filesystem::path& file);
  void report_progress(const OutboxEntry& entry, std::uint64_t sent, std::uint64_t total,
                       bool last);
  void settle_upload(const OutboxEntry& entry, Result<boost::json::object> r);
  void finish_upload(const OutboxEntry& entry, const std::string& url);
  // An upload failed for good: so do its message's send and edits, which cannot go without it.
  void fail_dependents(const OutboxEntry& upload, const ChatError& error);

  Lent lent_;
  const OutboxOptions options_;
  const outbox::RetryPolicy retry_policy_;
  std::shared_ptr<spdlog::logger> log_;
  boost::asio::io_context& io_;
  boost::asio::steady_timer lease_timer_;
  boost::asio::steady_timer retry_timer_;  // wakes delivery when the next backed-off entry is due
  const std::string lease_holder_ = process::new_holder_id();
  bool lease_held_ = false;
  std::chrono::steady_clock::time_point lease_renewed_at_;
  std::mt19937 random_{std::random_device{}()};
  // The session's user; nullopt between sessions. `session_` counts sessions, so that a callback
  // of an ended one (an answer, a timer) sees that it is stale.
  std::optional<std::string> user_id_;
  std::uint64_t session_ = 0;
  // Uploads on their way, by entry id: cancelled when the session ends. And when each last
  // told the app of its progress.
  std::map<std::int64_t, net::CancelUpload> uploads_;
  std::map<std::int64_t, std::chrono::steady_clock::time_point> progress_told_;
};

}  // namespace chatkeep

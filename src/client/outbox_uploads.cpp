// Delivering files (DESIGN.md, "The outbox"): an upload_attachment entry sends one file of a
// message the user is sending. Its bytes wait in the user's file cache, pinned, from the moment
// of sending; the send of its message waits behind it in the channel's order (outbox/rules).
//
// An attempt first asks the store whether these bytes already went to this channel (a content
// hash maps to the URL the server gave): then nothing is uploaded. Else the cached file is checked
// against its hash on the files thread and streamed to the server on a connection of its own,
// progress going to the app as attachment.upload_progress a few times a second. When the server
// answers with a URL, one batch removes the entry, records the URL for the hash, puts the URL into
// the send's payload and into the local echo; then the cached bytes are re-keyed to the URL, so
// fetching it later finds them here. Failures follow the outbox's rules; one that is for good
// fails the message's send too, so that the app sees the message failed and may retry or
// discard it.
//
// What remains possible: an upload whose answer is lost and whose message is then discarded
// leaves a file on the server that no message names (chatkeep-server keeps one copy per channel,
// hash and name; a retry gets the same URL). See README, "Attachments".

#include <fmt/format.h>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "client/outbox_delivery.hpp"
#include "outbox/uploads.hpp"

namespace chatkeep {

namespace json = boost::json;

namespace {

constexpr auto kProgressInterval = std::chrono::milliseconds(250);

}  // namespace

void OutboxDelivery::attempt_upload(const OutboxEntry& entry) {
  outbox::Upload upload;
  try {
    upload = outbox::upload_of(entry);
  } catch (const ChatError& e) {
    return record_failure(entry, outbox::Verdict::failed, e);
  }
  if (auto known = lent_.store.uploaded_url(entry.cid, upload.sha256)) {
    log_->info("outbox entry {}: these bytes were uploaded to {} before", entry.id, entry.cid);
    return finish_upload(entry, *known);
  }
  auto files = lent_.files();
  if (!files) return;  // between sessions: the entry waits, sending, for the next start
  lent_.on_files_thread([this, entry, upload, files, session = session_] {
    std::optional<FileCache::Stored> stored;
    std::optional<ChatError> error;
    try {
      stored = files->stored(upload.key);
      if (!stored || stored->sha256 != upload.sha256) {
        error = ChatError(ErrorCode::not_found,
                          "the file '" + upload.name + "' is no longer in the file cache");
      }
    } catch (const ChatError& e) {
      error = e;
    }
    boost::asio::post(io_, [this, entry, stored, error, session] {
      if (session != session_) return;
      if (error) return record_failure(entry, outbox::Verdict::failed, *error);
      send_file(entry, stored->path);
    });
  });
}

void OutboxDelivery::send_file(const OutboxEntry& entry, const std::filesystem::path& file) {
  const outbox::Upload upload = outbox::upload_of(entry);
  lent_.authorized(
      [this, entry, upload, file](Callback<json::object> done) {
        uploads_[entry.id] = lent_.api.upload_file(
            entry.cid, upload.image,
            net::FileUpload{.file = file,
                            .size = static_cast<std::uint64_t>(upload.size),
                            .filename = upload.name,
                            .content_type = upload.mime_type},
            [this, entry, session = session_](std::uint64_t sent, std::uint64_t total) {
              if (session == session_) report_progress(entry, sent, total, sent == total);
            },
            std::move(done));
      },
      [this, entry, session = session_](Result<json::object> r) {
        if (session != session_) return;
        uploads_.erase(entry.id);
        progress_told_.erase(entry.id);
        settle_upload(entry, std::move(r));
      });
}

void OutboxDelivery::report_progress(const OutboxEntry& entry, std::uint64_t sent,
                                     std::uint64_t total, bool last) {
  const auto now = std::chrono::steady_clock::now();
  auto& told = progress_told_[entry.id];
  if (!last && now - told < kProgressInterval) return;
  told = now;
  Event event{.type = std::string(to_string(EventType::attachment_upload_progress)),
              .kind = EventType::attachment_upload_progress};
  event.created_at = Timestamp::now();
  event.cid = entry.cid;
  const json::value* key = entry.payload.if_contains("key");
  event.extra["upload"] = json::object{{"outbox_entry_id", entry.id},
                                       {"message_id", entry.message_id},
                                       {"key", key ? *key : json::value()},
                                       {"bytes_sent", sent},
                                       {"bytes_total", total}};
  lent_.emit(event);
}

void OutboxDelivery::settle_upload(const OutboxEntry& entry, Result<json::object> r) {
  if (r) {
    if (auto url = outbox::answered_url(*r.value)) return finish_upload(entry, *url);
    return unusable_answer(entry, "no URL of the file in it");
  }
  record_failure(entry, outbox::judge(entry.kind, *r.error), *r.error);
}

void OutboxDelivery::finish_upload(const OutboxEntry& entry, const std::string& url) {
  const outbox::Upload upload = outbox::upload_of(entry);
  Batch batch{RemoveOutboxEntry{entry.id},
              RecordUpload{.cid = entry.cid, .sha256 = upload.sha256, .url = url}};
  try {
    for (const auto& e : lent_.store.outbox(0, outbox::kWholeOutbox)) {
      if ((e.kind != OutboxKind::send_message && e.kind != OutboxKind::update_message) ||
          e.message_id != entry.message_id) {
        continue;
      }
      json::object payload = e.payload;
      json::value* message = payload.if_contains("message");
      if (message && message->is_object() &&
          outbox::fill_url(message->as_object(), upload.key, url, upload.image)) {
        batch.push_back(UpdateOutboxEntry{.id = e.id,
                                          .state = e.state,
                                          .attempts = e.attempts,
                                          .error = e.error,
                                          .next_attempt_at = e.next_attempt_at,
                                          .payload = std::move(payload)});
      }
    }
    if (auto echo = lent_.store.message(entry.message_id); echo && echo->attachments) {
      for (auto& a : *echo->attachments) {
        if (outbox::upload_key(a.extra) != upload.key) continue;
        (upload.image ? a.image_url : a.asset_url) = url;
        if (upload.image) a.thumb_url = url;
      }
      std::optional<std::string> cid = echo->cid;
      batch.push_back(
          UpsertMessages{.cid = std::move(cid), .messages = {std::move(*echo)}, .echo = true});
    }
    lent_.store.apply(batch);
  } catch (const ChatError& e) {
    return unusable_answer(entry, "the store refused it: " + e.message());
  }
  lent_.emit(outbox_event(EventType::outbox_delivered, entry, std::nullopt));
  // The bytes stay here under the URL they now have, evictable like any fetched file.
  if (auto files = lent_.files()) {
    lent_.on_files_thread([files, key = upload.key, url, log = log_] {
      try {
        files->rekey(key, url);
      } catch (const ChatError& e) {
        log->warn("keeping an uploaded file under its URL: {}", e.what());
      }
    });
  }
  pump();
}

void OutboxDelivery::fail_dependents(const OutboxEntry& upload, const ChatError& error) {
  Batch batch;
  std::vector<OutboxEntry> failed;
  const std::string why = "a file could not be sent: " + error.message();
  for (const auto& e : lent_.store.outbox(0, outbox::kWholeOutbox)) {
    if ((e.kind != OutboxKind::send_message && e.kind != OutboxKind::update_message) ||
        e.message_id != upload.message_id || e.state == OutboxState::failed) {
      continue;
    }
    failed.push_back(e);
    batch.push_back(UpdateOutboxEntry{
        .id = e.id, .state = OutboxState::failed, .attempts = e.attempts, .error = why});
  }
  if (batch.empty()) return;
  try {
    lent_.store.apply(batch);
  } catch (const ChatError& e) {
    log_->error("failing what waited for a file that failed: {}", e.what());
    return;
  }
  for (const auto& e : failed)
    lent_.emit(outbox_event(EventType::outbox_failed, e, ChatError(ErrorCode::input, why)));
}

}  // namespace chatkeep

#include "sqlite/checkpointer.hpp"

#include <optional>
#include <system_error>

#include <sqlite3.h>

#include "chatkeep/error.hpp"

namespace chatkeep::sqlite {

Checkpointer::Checkpointer(Database& writer, std::filesystem::path path, Options options)
    : writer_(writer), path_(std::move(path)), options_(options) {
  // Replaces the automatic checkpoint, itself a WAL hook.
  sqlite3_wal_hook(writer_.handle(), &Checkpointer::on_commit, this);
}

Checkpointer::~Checkpointer() {
  sqlite3_wal_autocheckpoint(writer_.handle(), options_.frames);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::int64_t Checkpointer::background_checkpoints() const {
  std::lock_guard lock(mutex_);
  return background_;
}

std::int64_t Checkpointer::inline_checkpoints() const {
  std::lock_guard lock(mutex_);
  return inline_;
}

int Checkpointer::on_commit(void* context, sqlite3* db, const char* name, int frames) {
  auto* self = static_cast<Checkpointer*>(context);
  bool by_itself = frames >= self->options_.inline_frames;
  // The thread is woken when a checkpoint becomes due; one waiting for a pause wakes by itself.
  bool wake = false;
  if (!by_itself) {
    std::lock_guard lock(self->mutex_);
    self->last_commit_ = std::chrono::steady_clock::now();
    if (frames < self->backfilled_) self->backfilled_ = 0;  // the WAL started over
    wake = !self->due_ && frames - self->backfilled_ >= self->options_.frames;
    self->due_ = self->due_ || wake;
  }
  if (wake) {
    // Started at the first checkpoint due: a session that only reads never starts it. Nothing
    // may throw through SQLite: without a thread, the commit checkpoints by itself.
    try {
      if (!self->thread_.joinable()) self->thread_ = std::thread([self] { self->run(); });
      self->wake_.notify_one();
    } catch (const std::system_error&) {
      std::lock_guard lock(self->mutex_);
      self->due_ = false;  // so that the next commit due tries again
      by_itself = true;
    }
  }
  if (by_itself) {
    int copied = 0;
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, &copied);
    std::lock_guard lock(self->mutex_);
    self->backfilled_ = copied;
    ++self->inline_;
  }
  return SQLITE_OK;  // a failed checkpoint is no failure of the commit
}

void Checkpointer::run() {
  std::optional<Database> connection;  // opened at the first checkpoint, kept for the next
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return due_ || stopping_; });
    for (auto until = last_commit_ + options_.quiet;
         !stopping_ && std::chrono::steady_clock::now() < until;
         until = last_commit_ + options_.quiet) {
      wake_.wait_until(lock, until);
    }
    if (stopping_) return;
    due_ = false;
    lock.unlock();
    bool done = false;
    int copied = -1;
    try {
      if (!connection) {
        connection.emplace(path_, Database::Access::read_write);
        // A connection learns that the database is in WAL mode when it first reads it; until
        // then a checkpoint does nothing.
        (void)connection->integer("PRAGMA schema_version");
      }
      done = sqlite3_wal_checkpoint_v2(connection->handle(), "main", SQLITE_CHECKPOINT_PASSIVE,
                                       nullptr, &copied) == SQLITE_OK;
    } catch (const ChatError&) {
      // The file could not be opened (removed meanwhile): commits past inline_frames still
      // checkpoint themselves.
    }
    lock.lock();
    if (done) ++background_;
    if (done && copied >= 0) backfilled_ = copied;
  }
}

}  // namespace chatkeep::sqlite

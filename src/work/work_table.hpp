#pragma once

// The `work` table of the user's database: the scheduler's requests (scheduler.cpp), their state
// and who runs them. Created by the store's migration 5 (store/schema.cpp); the scheduler is the
// only code that reads or writes it. Times in microseconds since the epoch; tags, input, output
// and spec are JSON.

#include <string_view>

namespace chatkeep::work {

inline constexpr std::string_view kWorkTable = R"sql(
CREATE TABLE work (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  worker TEXT NOT NULL,
  unique_name TEXT,
  tags TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT NOT NULL DEFAULT '{}',
  spec TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  run_at INTEGER NOT NULL,
  period_start INTEGER,
  after INTEGER,
  holder TEXT,
  held_until INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX work_by_state ON work (state, run_at);
CREATE INDEX work_by_name ON work (unique_name);
CREATE INDEX work_by_after ON work (after);
)sql";

}  // namespace chatkeep::work

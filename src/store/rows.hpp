#pragma once

// Rows: how the store's model objects sit in SQLite rows, for the writer and the reads alike. A
// row holds an object's JSON (`data`) without what its columns and joins restore (ids, users);
// the columns hold what reads filter or sort on (schema.cpp states the layout rules). Times used
// for ordering are microseconds since the epoch.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/value.hpp>

#include "chatkeep/channel.hpp"
#include "chatkeep/member.hpp"
#include "chatkeep/outbox.hpp"
#include "chatkeep/query.hpp"
#include "chatkeep/timestamp.hpp"
#include "sqlite/database.hpp"

namespace chatkeep::store {

// A stored row's JSON, always an object (else ChatError(storage)). It stays a json::value so that
// decoding it needs no copy (from_json takes a value; handing it an object would copy the whole
// tree into one).
boost::json::value parse_row(std::string_view data, boost::json::storage_ptr storage = {});

// A user as stored: its id first, then what is known of it (nothing when only referenced).
boost::json::object user_object(std::string_view id, std::optional<std::string_view> data,
                                boost::json::storage_ptr storage = {});

// A message row: id, cid, user_id, data. Pages of one channel know their cid (?1) and skip the
// join that would find it. The user is not joined: a screen's messages name a few users many
// times, and each is looked up once (SqliteStore::cached_user) instead of read with every row.
inline constexpr std::string_view kSelectMessages =
    "SELECT m.id, c.cid, m.user_id, m.data FROM messages m "
    "JOIN channels c ON c.key = m.channel WHERE ";
inline constexpr std::string_view kSelectChannelMessages =
    "SELECT m.id, ?1, m.user_id, m.data FROM messages m WHERE ";

// A channel's columns that every arriving message moves (migration 15): last_message_at, hidden
// and truncated_at, at `first` and the two after it in `row`, over what its JSON says. The
// JSON's last_message_at is kept only where it agrees with the column to the microsecond (it
// keeps the server's finer text); the column moves without it.
void read_channel_columns(const sqlite::Query& row, int first, Channel& channel);

// A read as stored: its JSON at `data_column` of `row` and its unread count (a column since
// migration 15) in the column after it.
Read stored_read(const sqlite::Query& row, int data_column, User user);

// A time as a column holds it; none for a time never set.
std::optional<std::int64_t> micros(const std::optional<Timestamp>& t);

// "{type}:{id}" split at the first colon; ChatError(input) when it is not that.
std::pair<std::string, std::string> split_cid(const std::string& cid);

// The channel of a message of an UpsertMessages: its own cid, else the mutation's. ChatError(input)
// when it has neither, the two differ, or the message has no created_at.
const std::string& message_channel(const Message& message, const std::optional<std::string>& cid);

// The message and user ids a reaction belongs to: those given, else the reaction's own.
// ChatError(input) when either is missing, or the reaction's user is another.
std::pair<std::string, std::string> reaction_owner(const Reaction& reaction,
                                                   const std::optional<std::string>& message_id,
                                                   const std::optional<std::string>& user_id);

// The columns an OutboxEntry is read from, in outbox_entry()'s order.
inline constexpr std::string_view kOutboxColumns =
    "id, kind, cid, message_id, payload, state, attempts, error, created_at, next_attempt_at";
// The entry of a row selected with kOutboxColumns; ChatError(storage) for one this library
// cannot read.
OutboxEntry outbox_entry(sqlite::Query& q);

// A saved query's key: its canonical filter and sort.
std::string query_key(const Filter& filter, const Sort& sort);

// The ORDER BY of a cached query: its sort fields that the channels table holds, then the
// position the server gave.
std::string order_by(const Sort& sort);

}  // namespace chatkeep::store

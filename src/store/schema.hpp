#pragma once

#include <string_view>

#include "sqlite/database.hpp"

namespace chatkeep::store {

using sqlite::Database;
using sqlite::Query;
using sqlite::Transaction;

// The SQL that creates the leases table (leases.cpp), for the migrations.
extern const std::string_view kLeasesTable;

// The schema version this code writes (PRAGMA user_version).
int schema_version();

// Throws a ChatError, touching nothing, if the database was written by a newer schema.
void check_version(Database& db);

// Brings a database up to schema_version(), one numbered migration per transaction, keeping its
// data. A database written by a newer schema is refused with a ChatError before anything is
// written to it.
void migrate(Database& db);

}  // namespace chatkeep::store

// Versioned schema migrations: ordered SQL strings; migration i brings the schema to version i + 1.
#pragma once

#include <string_view>
#include <vector>

#include "sqlite_db.hpp"

namespace cardbridge::authority::sqlite {

/// The migrations in order.
const std::vector<std::string_view>& migrations();

/// The schema_version recorded in `db` (0 when the table is absent). Throws StorageError.
int schemaVersion(Database& db);

/// Applies the migrations after the recorded version up to `target`, each in its own transaction.
/// Throws StorageError on failure or when the database is newer than this code.
void migrate(Database& db, int target);

}  // namespace cardbridge::authority::sqlite

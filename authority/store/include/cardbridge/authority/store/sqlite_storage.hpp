// SqliteStorage: the authority's Storage on SQLite 3 (WAL, foreign keys, synchronous=FULL, migrations).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "cardbridge/authority/core/storage.hpp"
#include "cardbridge/common/error.hpp"

namespace cardbridge::authority {

/// SQLite failed; what() names the statement's purpose and SQLite's message (never bound values).
class StorageError : public FatalError {
  public:
    using FatalError::FatalError;
};

/// The SQLite database is busy beyond the busy timeout: the same call may work later.
class StorageBusyError : public RetryableError {
  public:
    using RetryableError::RetryableError;
};

/// Schema version the code writes (schema_version after openSqliteStorage).
int currentSchemaVersion() noexcept;

/// Opens (creating 0600 when absent) the database at `path`, or an in-memory one for ":memory:", and
/// migrates it to currentSchemaVersion(). Throws StorageError when it cannot be opened or migrated, or
/// when its schema is newer than this code.
std::unique_ptr<Storage> openSqliteStorage(const std::filesystem::path& path);

/// Opens `path` and migrates it only up to `version` (tests of migrations). Throws StorageError.
std::unique_ptr<Storage> openSqliteStorageAtVersion(const std::filesystem::path& path, int version);

/// What verify-audit found.
struct AuditVerification {
    bool ok = false;
    std::int64_t rows = 0;    ///< rows read before the first problem (all of them when ok)
    std::int64_t badRow = 0;  ///< the row id where the chain breaks (0 when ok)
    std::string problem;      ///< one sentence naming the row, "" when ok
    std::string headHash;     ///< the last row's hash when ok (write it down elsewhere: an anchor)
};

/// Checks the audit log's hash chain in the database at `path`: a deleted row (a gap in the ids, or rows
/// missing at the end by sqlite_sequence), an edited row (its hash), a replaced row (the next one's
/// prev_hash). Throws StorageError when it cannot be read.
AuditVerification verifyAuditChain(const std::filesystem::path& path);

/// The schema_version of the database at `path` (0 when it has none). Throws StorageError.
int schemaVersionOf(const std::filesystem::path& path);

}  // namespace cardbridge::authority

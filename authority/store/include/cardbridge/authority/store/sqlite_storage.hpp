// SqliteStorage: the authority's Storage on SQLite 3 (WAL, foreign keys, synchronous=FULL, migrations).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

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

/// How backupDatabase copies.
struct BackupOptions {
    bool overwrite = false;   ///< replace an existing target (`backup --force`)
    int pagesPerStep = 1024;  ///< pages per sqlite3_backup_step (4 MiB at SQLite's 4 KiB pages)
    /// The copy starts over when another connection writes the source between two steps; after this many
    /// restarts the rest is copied in one step (in WAL mode one read snapshot, which blocks no writer).
    int restartsBeforeOneStep = 3;
    std::chrono::milliseconds busySleep{100};  ///< wait after a step found the source or target locked
    std::chrono::seconds busyTimeout{60};      ///< locked out this long in a row: StorageBusyError
    /// Called after each step that copied pages, with the pages left and the source's page count (progress;
    /// tests write to the source here). May throw: the run is abandoned and the temporary file removed.
    std::function<void(int remaining, int pageCount)> afterStep;
};

/// Rows of one table.
struct TableRows {
    std::string table;
    std::int64_t rows = 0;
};

/// What backupDatabase wrote and what the checks of the written file found.
struct BackupReport {
    std::filesystem::path file;   ///< the backup, absolute
    std::int64_t bytes = 0;       ///< its size
    int pages = 0;                ///< pages copied in the final pass
    int steps = 0;                ///< sqlite3_backup_step calls
    int restarts = 0;             ///< times the copy started over because the source changed
    std::string sha256;           ///< of the file's bytes, lower-case hex
    std::vector<TableRows> rows;  ///< every table of the copy, by name
    std::string integrity;        ///< PRAGMA quick_check on the copy: "ok" or its first finding
    AuditVerification audit;      ///< verify-audit's chain check on the copy
    int schemaVersion = 0;        ///< of the copy
};

/// Copies the live database at `source` to `target` with SQLite's online backup API while other
/// processes (a running `serve`) read and write it: into a temporary file (mode 0600) in target's folder,
/// converted to a single self-contained file (rollback journal), fsynced, then renamed to `target` — a
/// crash never leaves a partial file under that name — and the folder fsynced. Then checks the file as
/// written (read-only): quick_check, rows per table, the audit chain, size and SHA-256. A failed check is
/// reported, not thrown: the file is still a faithful copy. Throws StorageError when `source` does not exist
/// or is not a database, InputError when `target` exists and !options.overwrite, is a folder, or is the
/// source itself, StorageBusyError when locked out longer than options.busyTimeout, FatalError on file
/// system failures; the temporary file is removed on every failure.
BackupReport backupDatabase(const std::filesystem::path& source, const std::filesystem::path& target,
                            const BackupOptions& options = {});

}  // namespace cardbridge::authority

// Thin RAII wrapper over sqlite3 / sqlite3_stmt. The only place SQLite result codes become exceptions.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cardbridge/authority/store/sqlite_storage.hpp"
#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/clock.hpp"

struct sqlite3;
struct sqlite3_stmt;
struct sqlite3_backup;

namespace cardbridge::authority::sqlite {

/// A UNIQUE / PRIMARY KEY / CHECK / FOREIGN KEY / trigger RAISE refusal.
class ConstraintError : public StorageError {
  public:
    using StorageError::StorageError;
};

struct DbDeleter {
    void operator()(sqlite3* db) const noexcept;
};
struct StmtDeleter {
    void operator()(sqlite3_stmt* stmt) const noexcept;
};
struct BackupDeleter {
    void operator()(sqlite3_backup* backup) const noexcept;
};

/// One prepared statement. Binding is 1-based, columns 0-based (as SQLite).
class Statement {
  public:
    /// Throws StorageError on bad SQL.
    Statement(sqlite3* db, std::string_view sql);

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value ? 1 : 0)); }
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
    Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    Statement& bind(int index, ByteView blob);
    Statement& bind(int index, const Bytes& blob) { return bind(index, ByteView(blob)); }
    Statement& bind(int index, Seconds time);
    Statement& bind(int index, const std::optional<Seconds>& time);
    Statement& bindNull(int index);

    /// Steps once: true when a row is available. Throws ConstraintError, StorageBusyError, StorageError.
    bool step();
    /// Steps to completion (for statements without rows).
    void run();

    [[nodiscard]] bool isNull(int column) const;
    [[nodiscard]] std::int64_t int64(int column) const;
    [[nodiscard]] int int32(int column) const;
    [[nodiscard]] bool boolean(int column) const { return int64(column) != 0; }
    [[nodiscard]] std::string text(int column) const;
    [[nodiscard]] Bytes blob(int column) const;
    [[nodiscard]] Seconds time(int column) const;
    [[nodiscard]] std::optional<Seconds> optTime(int column) const;

  private:
    void check(int rc, const char* what);
    sqlite3* db_;
    std::unique_ptr<sqlite3_stmt, StmtDeleter> stmt_;
};

/// How Database opens its file.
enum class OpenMode {
    Create,            ///< read-write, created (mode 0600) when absent
    Existing,          ///< read-write, StorageError when absent
    ExistingReadOnly,  ///< read-only, StorageError when absent
};

/// One connection.
class Database {
  public:
    /// Opens `path` (":memory:" for a private in-memory database) as `mode` says. Throws StorageError,
    /// naming the file when it does not exist and the mode does not create it.
    explicit Database(const std::filesystem::path& path, OpenMode mode = OpenMode::Create);

    /// Runs one or more statements without bound values. Throws as Statement::step.
    void exec(std::string_view sql);
    /// Prepares `sql`. Throws StorageError.
    [[nodiscard]] Statement prepare(std::string_view sql) { return Statement(db_.get(), sql); }
    /// How long a statement waits for a lock before it fails busy (5 s from the constructor; 0: not at
    /// all).
    void setBusyTimeout(std::chrono::milliseconds timeout) noexcept;
    [[nodiscard]] std::int64_t lastInsertRowid() const noexcept;
    [[nodiscard]] int changes() const noexcept;

  private:
    friend class Backup;
    std::unique_ptr<sqlite3, DbDeleter> db_;
};

/// One run of SQLite's online backup API (sqlite3_backup_*): copies the "main" database of `source` into
/// `destination` page by page while other connections, in this process or another, keep using the source.
/// The destructor finishes (and so releases) an unfinished run.
class Backup {
  public:
    /// What one step did.
    enum class Step {
        More,  ///< pages copied, more to come
        Done,  ///< the destination is a complete copy
        Busy,  ///< the source or destination was locked: nothing copied, sleep and step again
    };

    /// Starts the run. Both connections must outlive it. Throws StorageError.
    Backup(Database& destination, Database& source);
    Backup(const Backup&) = delete;
    Backup& operator=(const Backup&) = delete;
    ~Backup() = default;

    /// Copies up to `pages` pages (-1: all that are left). When the source was written by another
    /// connection since the last step, SQLite starts the copy over. Throws StorageError.
    Step step(int pages);
    /// Pages still to copy and the source's page count, as of the last step.
    [[nodiscard]] int remaining() const noexcept;
    [[nodiscard]] int pageCount() const noexcept;
    /// Ends the run; after Done, the copy is committed. Throws StorageError on a failure of the run.
    void finish();

  private:
    sqlite3* destination_;
    std::unique_ptr<sqlite3_backup, BackupDeleter> backup_;
};

}  // namespace cardbridge::authority::sqlite

#include "sqlite_db.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <limits>
#include <string>

namespace cardbridge::authority::sqlite {

namespace {

// The one translation of SQLite result codes (STYLE.md habit 3).
[[noreturn]] void throwFor(int rc, sqlite3* db, std::string_view what) {
    std::string message = std::string(what) + ": " +
                          (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) + " (" +
                          sqlite3_errstr(rc) + ")";
    switch (rc & 0xFF) {
        case SQLITE_CONSTRAINT:
            throw ConstraintError(message);
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            throw StorageBusyError(message);
        default:
            throw StorageError(message);
    }
}

}  // namespace

void DbDeleter::operator()(sqlite3* db) const noexcept {
    sqlite3_close_v2(db);
}

void StmtDeleter::operator()(sqlite3_stmt* stmt) const noexcept {
    sqlite3_finalize(stmt);
}

void BackupDeleter::operator()(sqlite3_backup* backup) const noexcept {
    sqlite3_backup_finish(backup);
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
    sqlite3_stmt* raw = nullptr;
    if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        throw StorageError("SQL too long");
    }
    const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    stmt_.reset(raw);
    if (rc != SQLITE_OK) throwFor(rc, db, "prepare");
}

void Statement::check(int rc, const char* what) {
    if (rc != SQLITE_OK) throwFor(rc, db_, what);
}

Statement& Statement::bind(int index, std::int64_t value) {
    check(sqlite3_bind_int64(stmt_.get(), index, value), "bind");
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    check(sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
          "bind");
    return *this;
}

Statement& Statement::bind(int index, ByteView blob) {
    // A zero-length blob must still be a BLOB, not NULL: pass a non-null pointer.
    static const std::uint8_t empty = 0;
    check(sqlite3_bind_blob64(stmt_.get(), index, blob.empty() ? &empty : blob.data(), blob.size(),
                              SQLITE_TRANSIENT),
          "bind");
    return *this;
}

Statement& Statement::bind(int index, Seconds time) {
    return bind(index, static_cast<std::int64_t>(time.time_since_epoch().count()));
}

Statement& Statement::bind(int index, const std::optional<Seconds>& time) {
    return time ? bind(index, *time) : bindNull(index);
}

Statement& Statement::bindNull(int index) {
    check(sqlite3_bind_null(stmt_.get(), index), "bind");
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // sqlite3_reset returns the same code; keep the statement reusable.
    sqlite3_reset(stmt_.get());
    throwFor(rc, db_, "step");
}

void Statement::run() {
    while (step()) {
    }
}

bool Statement::isNull(int column) const {
    return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const {
    return sqlite3_column_int64(stmt_.get(), column);
}

int Statement::int32(int column) const {
    return sqlite3_column_int(stmt_.get(), column);
}

std::string Statement::text(int column) const {
    const auto* p = sqlite3_column_text(stmt_.get(), column);
    const int n = sqlite3_column_bytes(stmt_.get(), column);
    if (p == nullptr || n <= 0) return {};
    return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

Bytes Statement::blob(int column) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
    const int n = sqlite3_column_bytes(stmt_.get(), column);
    if (p == nullptr || n <= 0) return {};
    return Bytes(p, p + n);
}

Seconds Statement::time(int column) const {
    return Seconds(std::chrono::seconds(int64(column)));
}

std::optional<Seconds> Statement::optTime(int column) const {
    if (isNull(column)) return std::nullopt;
    return time(column);
}

Database::Database(const std::filesystem::path& path, OpenMode mode) {
    const std::string name = path.string();
    int flags = SQLITE_OPEN_FULLMUTEX;
    if (mode == OpenMode::Create) {
        flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        if (name != ":memory:") {
            // Create the file owner-only before SQLite does (it would honour the umask); SQLite gives the
            // -wal and -shm files the database file's mode.
            const int fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            if (fd < 0) throw StorageError("cannot create database file " + name);
            ::close(fd);
        }
    } else {
        flags |= mode == OpenMode::ExistingReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
        // SQLite's own "unable to open database file" does not say that the file is simply not there.
        if (::access(name.c_str(), F_OK) != 0)
            throw StorageError("database file " + name + " does not exist");
    }
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) throwFor(rc, raw, "open " + name);
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, 5000);
}

void Database::exec(std::string_view sql) {
    const std::string copy(sql);
    char* error = nullptr;
    const int rc = sqlite3_exec(db_.get(), copy.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
        sqlite3_free(error);
        throwFor(rc, db_.get(), "exec");
    }
}

void Database::setBusyTimeout(std::chrono::milliseconds timeout) noexcept {
    sqlite3_busy_timeout(db_.get(), static_cast<int>(timeout.count()));
}

std::int64_t Database::lastInsertRowid() const noexcept {
    return sqlite3_last_insert_rowid(db_.get());
}

int Database::changes() const noexcept {
    return sqlite3_changes(db_.get());
}

Backup::Backup(Database& destination, Database& source) : destination_(destination.db_.get()) {
    backup_.reset(sqlite3_backup_init(destination_, "main", source.db_.get(), "main"));
    // The error of a failed init is left on the destination connection.
    if (!backup_) throwFor(sqlite3_errcode(destination_), destination_, "backup init");
}

Backup::Step Backup::step(int pages) {
    const int rc = sqlite3_backup_step(backup_.get(), pages);
    switch (rc & 0xFF) {
        case SQLITE_OK:
            return Step::More;
        case SQLITE_DONE:
            return Step::Done;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return Step::Busy;
        default:
            throwFor(rc, destination_, "backup step");
    }
}

int Backup::remaining() const noexcept {
    return sqlite3_backup_remaining(backup_.get());
}

int Backup::pageCount() const noexcept {
    return sqlite3_backup_pagecount(backup_.get());
}

void Backup::finish() {
    const int rc = sqlite3_backup_finish(backup_.release());
    if (rc != SQLITE_OK) throwFor(rc, destination_, "backup finish");
}

}  // namespace cardbridge::authority::sqlite

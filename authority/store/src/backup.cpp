// backupDatabase: SQLite's online backup API into a temporary file, fsync, rename, then the checks.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "audit_chain.hpp"
#include "cardbridge/authority/store/sqlite_storage.hpp"
#include "cardbridge/common/digest.hpp"
#include "cardbridge/common/error.hpp"
#include "migrations.hpp"
#include "sqlite_db.hpp"

namespace cardbridge::authority {

namespace {

namespace fs = std::filesystem;
using sqlite::Backup;
using sqlite::Database;
using sqlite::OpenMode;

std::string errnoText() {
    return std::strerror(errno);
}

void fsyncPath(const fs::path& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) throw FatalError("cannot open " + path.string() + " to sync it: " + errnoText());
    const int rc = ::fsync(fd);
    const std::string problem = rc != 0 ? errnoText() : "";
    ::close(fd);
    if (rc != 0) throw FatalError("fsync of " + path.string() + " failed: " + problem);
}

// The temporary file and what SQLite may have put beside it; removed unless released.
class TempCopy {
  public:
    explicit TempCopy(const fs::path& target) {
        std::string pattern = (target.parent_path() / ("." + target.filename().string() + ".partial-XXXXXX"));
        const int fd = ::mkstemp(pattern.data());  // mode 0600
        if (fd < 0) {
            throw FatalError("cannot create a temporary file in " + target.parent_path().string() + ": " +
                             errnoText());
        }
        ::close(fd);
        path_ = pattern;
    }
    TempCopy(const TempCopy&) = delete;
    TempCopy& operator=(const TempCopy&) = delete;
    ~TempCopy() {
        if (path_.empty()) return;
        std::error_code ignored;
        for (const char* suffix : {"", "-journal", "-wal", "-shm"})
            fs::remove(path_.string() + suffix, ignored);
    }

    [[nodiscard]] const fs::path& path() const noexcept { return path_; }
    void release() noexcept { path_.clear(); }

  private:
    fs::path path_;
};

// Copies `source` into `copy` step by step, as BackupOptions says.
void copyPages(Database& copy, Database& source, const BackupOptions& options, BackupReport& report) {
    Backup backup(copy, source);
    std::optional<std::chrono::steady_clock::time_point> lockedSince;
    int copiedBefore = 0;
    for (;;) {
        const int pages = report.restarts >= options.restartsBeforeOneStep ? -1 : options.pagesPerStep;
        const Backup::Step step = backup.step(pages);
        ++report.steps;
        if (step == Backup::Step::Done) break;
        if (step == Backup::Step::Busy) {
            const auto now = std::chrono::steady_clock::now();
            if (!lockedSince) lockedSince = now;
            if (now - *lockedSince > options.busyTimeout) {
                throw StorageBusyError("backup: the database stayed locked for more than " +
                                       std::to_string(options.busyTimeout.count()) + " s");
            }
            std::this_thread::sleep_for(options.busySleep);
            continue;
        }
        lockedSince.reset();
        // No sleep between steps: in WAL mode a step holds only a read snapshot, which blocks no writer.
        // A step that copied no further than the one before started over (the source changed).
        const int copied = backup.pageCount() - backup.remaining();
        if (copied <= copiedBefore) ++report.restarts;
        copiedBefore = copied;
        if (options.afterStep) options.afterStep(backup.remaining(), backup.pageCount());
    }
    report.pages = backup.pageCount();
    backup.finish();
}

// Puts the finished temporary file at `target`: replacing it only when asked, and never a file that
// appeared meanwhile otherwise (RENAME_NOREPLACE, or link where the file system lacks it).
void publish(const fs::path& temp, const fs::path& target, bool overwrite) {
    if (overwrite) {
        if (::rename(temp.c_str(), target.c_str()) != 0)
            throw FatalError("cannot rename the copy to " + target.string() + ": " + errnoText());
        return;
    }
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) return;
    if (errno == EEXIST) throw InputError(target.string() + " exists (give --force to replace it)");
    if (errno != EINVAL && errno != ENOSYS)
        throw FatalError("cannot rename the copy to " + target.string() + ": " + errnoText());
    if (::link(temp.c_str(), target.c_str()) != 0) {
        if (errno == EEXIST) throw InputError(target.string() + " exists (give --force to replace it)");
        throw FatalError("cannot link the copy to " + target.string() + ": " + errnoText());
    }
    ::unlink(temp.c_str());
}

std::string sqlIdentifier(const std::string& identifier) {
    std::string out = "\"";
    for (char c : identifier) {
        out += c;
        if (c == '"') out += '"';
    }
    return out + "\"";
}

// The checks of the written file, on a read-only connection (the bytes hashed afterwards are the ones
// that were checked).
void inspect(const fs::path& file, BackupReport& report) {
    Database db(file, OpenMode::ExistingReadOnly);
    {
        auto check = db.prepare("PRAGMA quick_check(1)");
        report.integrity = check.step() ? check.text(0) : "no answer";
    }
    {
        auto tables = db.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name");
        while (tables.step()) report.rows.push_back({tables.text(0), 0});
    }
    for (auto& table : report.rows) {
        auto count = db.prepare("SELECT count(*) FROM " + sqlIdentifier(table.table));
        if (count.step()) table.rows = count.int64(0);
    }
    report.schemaVersion = sqlite::schemaVersion(db);
    if (report.schemaVersion < 4) {
        // Version 4 gave the audit log its hash chain.
        report.audit.problem = "schema version " + std::to_string(report.schemaVersion) +
                               " has no audit hash chain (version 4 added it)";
    } else {
        report.audit = sqlite::verifyAuditChain(db);
    }
}

}  // namespace

BackupReport backupDatabase(const fs::path& source, const fs::path& targetPath,
                            const BackupOptions& options) {
    BackupReport report;
    // The source first: a missing database must not be reported as something about the target.
    Database live(source, OpenMode::ExistingReadOnly);
    // A locked source makes a step return BUSY at once; copyPages sleeps and retries as the options say
    // (with SQLite's busy handler a step would block for its 5 s instead). A file that is not a database
    // fails the first step ("file is not a database").
    live.setBusyTimeout(std::chrono::milliseconds(0));

    const fs::path target = fs::absolute(targetPath);
    report.file = target;
    std::error_code error;
    const auto status = fs::symlink_status(target, error);
    if (fs::exists(status)) {
        if (fs::equivalent(source, target, error))
            throw InputError(target.string() + " is the live database itself");
        if (fs::is_directory(status))
            throw InputError(target.string() + " is a folder: name the backup file");
        if (!options.overwrite) throw InputError(target.string() + " exists (give --force to replace it)");
    }
    for (const char* suffix : {"-wal", "-shm", "-journal"}) {
        if (fs::exists(source.string() + suffix) && fs::equivalent(source.string() + suffix, target, error))
            throw InputError(target.string() + " is a file of the live database");
    }

    TempCopy temp(target);
    {
        Database copy(temp.path(), OpenMode::Existing);
        copyPages(copy, live, options, report);
        // The copy carries the source's WAL flag; as a backup it is better one self-contained file (serve
        // turns WAL on again when it opens a restored copy).
        copy.exec("PRAGMA journal_mode = DELETE");
    }
    if (::chmod(temp.path().c_str(), 0600) != 0)
        throw FatalError("cannot chmod " + temp.path().string() + ": " + errnoText());
    fsyncPath(temp.path(), O_RDONLY);
    publish(temp.path(), target, options.overwrite);
    temp.release();
    fsyncPath(target.parent_path(), O_RDONLY | O_DIRECTORY);

    inspect(target, report);
    report.bytes = static_cast<std::int64_t>(fs::file_size(target));
    report.sha256 = sha256FileHex(target);
    return report;
}

}  // namespace cardbridge::authority

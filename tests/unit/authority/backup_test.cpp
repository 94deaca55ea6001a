// The online backup (backupDatabase): a copy equal to the source, written through a temporary file, never
// over an existing file unless asked, and consistent when the source is written during the copy.
#include <sqlite3.h>
#include <sys/stat.h>

#include <thread>

#include "authority_fixture.hpp"
#include "cardbridge/common/digest.hpp"

namespace cardbridge::authority::test {
namespace {

using BackupTest = AuthorityFixture;

// One value of a query on `db` (opened read-only), as text.
std::string queryText(const std::filesystem::path& db, const std::string& sql) {
    sqlite3* handle = nullptr;
    sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    std::string out = "(error)";
    if (sqlite3_prepare_v2(handle, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
        const auto* text = sqlite3_column_text(stmt, 0);
        out = text != nullptr ? reinterpret_cast<const char*>(text) : "";
    }
    sqlite3_finalize(stmt);
    sqlite3_close(handle);
    return out;
}

// Rows of `table` in `a` missing from `b` plus rows of `b` missing from `a` (0: same rows).
std::int64_t rowDifferences(const std::filesystem::path& a, const std::filesystem::path& b,
                            const std::string& table) {
    sqlite3* handle = nullptr;
    sqlite3_open_v2(a.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr);
    const std::string attach = "ATTACH DATABASE '" + b.string() + "' AS other";
    EXPECT_EQ(sqlite3_exec(handle, attach.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    const std::string sql = "SELECT (SELECT count(*) FROM (SELECT * FROM main." + table +
                            " EXCEPT SELECT * FROM other." + table +
                            ")) + (SELECT count(*) FROM (SELECT * FROM other." + table +
                            " EXCEPT SELECT * FROM main." + table + "))";
    sqlite3_stmt* stmt = nullptr;
    std::int64_t differences = -1;
    if (sqlite3_prepare_v2(handle, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        differences = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(handle);
    return differences;
}

std::vector<std::string> filesIn(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
}

TEST_F(BackupTest, CopyHasTheSameRowsAndPassesItsChecks) {
    service_->requests().create(applicantRequest());
    const std::string review = submittedReview();
    ASSERT_FALSE(review.empty());
    const auto out = dir_.path() / "backups";
    std::filesystem::create_directory(out);
    const auto target = out / "authority-backup.db";

    const BackupReport report = backupDatabase(config_.databasePath, target);

    EXPECT_EQ(report.file, target);
    EXPECT_EQ(report.integrity, "ok");
    ASSERT_TRUE(report.audit.ok) << report.audit.problem;
    EXPECT_EQ(report.audit.rows, static_cast<std::int64_t>(storage_->listAudit("", 100000).size()));
    EXPECT_EQ(report.schemaVersion, currentSchemaVersion());
    ASSERT_FALSE(report.rows.empty());
    for (const auto& table : report.rows) {
        EXPECT_EQ(rowDifferences(config_.databasePath, target, table.table), 0) << table.table;
        EXPECT_EQ(std::to_string(table.rows),
                  queryText(config_.databasePath, "SELECT count(*) FROM " + table.table))
            << table.table;
    }
    const auto names = [&] {
        std::vector<std::string> n;
        for (const auto& t : report.rows) n.push_back(t.table);
        return n;
    }();
    for (const char* table : {"attachments", "audit", "certificates", "unlock_requests"})
        EXPECT_NE(std::find(names.begin(), names.end(), table), names.end()) << table;

    EXPECT_EQ(report.bytes, static_cast<std::int64_t>(std::filesystem::file_size(target)));
    EXPECT_EQ(report.sha256, sha256FileHex(target));
    struct stat st {};
    ASSERT_EQ(::stat(target.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    // One self-contained file, nothing left beside it.
    EXPECT_EQ(queryText(target, "PRAGMA journal_mode"), "delete");
    EXPECT_EQ(filesIn(out), std::vector<std::string>{"authority-backup.db"});
    // And a restored copy opens as the service's storage, with the same requests and a whole chain.
    auto restored = openSqliteStorage(target);
    EXPECT_TRUE(restored->findRequest(review).has_value());
    restored.reset();
    EXPECT_TRUE(verifyAuditChain(target).ok);
}

TEST_F(BackupTest, RefusesToReplaceAFileUnlessForced) {
    const auto target = dir_.path() / "existing.db";
    cardbridge::test::writeFile(target, "keep me");
    EXPECT_THROW(backupDatabase(config_.databasePath, target), InputError);
    EXPECT_EQ(readAll(target), "keep me");
    const auto names = filesIn(dir_.path());
    EXPECT_EQ(std::count_if(names.begin(), names.end(),
                            [](const std::string& n) { return n.find(".partial-") != std::string::npos; }),
              0);

    BackupOptions force;
    force.overwrite = true;
    const BackupReport report = backupDatabase(config_.databasePath, target, force);
    EXPECT_TRUE(report.audit.ok);
    EXPECT_EQ(queryText(target, "SELECT count(*) FROM certificates"), "1");
}

TEST_F(BackupTest, RefusesTheLiveDatabaseAndAFolderEvenWithForce) {
    BackupOptions force;
    force.overwrite = true;
    const auto before = storage_->listAudit("", 1000).size();
    EXPECT_THROW(backupDatabase(config_.databasePath, config_.databasePath, force), InputError);
    EXPECT_THROW(backupDatabase(config_.databasePath, dir_.path(), force), InputError);
    EXPECT_EQ(storage_->listAudit("", 1000).size(), before);
    EXPECT_TRUE(verifyAuditChain(config_.databasePath).ok);
}

TEST_F(BackupTest, MissingSourceIsAClearErrorAndWritesNothing) {
    const auto out = dir_.path() / "out";
    std::filesystem::create_directory(out);
    const auto missing = dir_.path() / "nowhere" / "authority.db";
    try {
        backupDatabase(missing, out / "b.db");
        ADD_FAILURE() << "no error";
    } catch (const StorageError& e) {
        EXPECT_NE(std::string(e.what()).find(missing.string() + " does not exist"), std::string::npos)
            << e.what();
    }
    EXPECT_TRUE(filesIn(out).empty());
    EXPECT_FALSE(std::filesystem::exists(missing));  // not created by the attempt
}

TEST_F(BackupTest, NotADatabaseIsRefused) {
    const auto bogus = dir_.path() / "bogus.db";
    cardbridge::test::writeFile(bogus, std::string(4096, 'x'));
    EXPECT_THROW(backupDatabase(bogus, dir_.path() / "b.db"), StorageError);
    EXPECT_FALSE(std::filesystem::exists(dir_.path() / "b.db"));
}

TEST_F(BackupTest, MissingTargetFolderLeavesNothing) {
    EXPECT_THROW(backupDatabase(config_.databasePath, dir_.path() / "no-such-folder" / "b.db"), FatalError);
}

// Another connection writes between steps: SQLite starts the copy over; after restartsBeforeOneStep restarts
// the rest goes in one step, and the copy holds every write made before it.
TEST_F(BackupTest, WritesDuringTheCopyRestartItAndEndUpInTheCopy) {
    for (int i = 0; i < 3; ++i) submittedReview();  // attachments: a database of many pages
    BackupOptions options;
    options.pagesPerStep = 1;
    int writes = 0;
    options.afterStep = [&](int remaining, int pageCount) {
        EXPECT_LE(remaining, pageCount);
        if (writes < 10) {
            storage_->appendAudit({0, clock_.now(), "test", "test.write", "", "{}", {}, {}});
            ++writes;
        }
    };
    const auto target = dir_.path() / "during.db";
    const BackupReport report = backupDatabase(config_.databasePath, target, options);
    EXPECT_EQ(report.restarts, options.restartsBeforeOneStep);
    EXPECT_GT(report.pages, 10);
    EXPECT_LT(report.steps, report.pages);  // the one-step fallback did the rest
    ASSERT_TRUE(report.audit.ok) << report.audit.problem;
    // The hook wrote after each of the four stepwise steps; the final one-step pass copied all four.
    EXPECT_EQ(queryText(target, "SELECT count(*) FROM audit WHERE action = 'test.write'"),
              std::to_string(options.restartsBeforeOneStep + 1));
    EXPECT_EQ(report.integrity, "ok");
}

// A database in rollback-journal mode (not the service's WAL) whose writer holds an exclusive lock: the
// copy's steps find it BUSY, sleep and retry; it succeeds once the writer commits, and gives up with
// StorageBusyError when the lock outlasts busyTimeout. `locked` is the writer's open connection.
class LockedSource {
  public:
    explicit LockedSource(const std::filesystem::path& path) : path_(path) {
        sqlite3_open(path.c_str(), &writer_);
        exec("PRAGMA journal_mode = DELETE; CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1);");
        exec("BEGIN EXCLUSIVE; INSERT INTO t VALUES (2);");
    }
    ~LockedSource() { sqlite3_close(writer_); }
    LockedSource(const LockedSource&) = delete;
    LockedSource& operator=(const LockedSource&) = delete;
    void exec(const std::string& sql) {
        ASSERT_EQ(sqlite3_exec(writer_, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    }

  private:
    std::filesystem::path path_;
    sqlite3* writer_ = nullptr;
};

TEST_F(BackupTest, ALockedSourceIsRetriedUntilItIsFree) {
    const auto source = dir_.path() / "rollback.db";
    LockedSource writer(source);
    BackupOptions options;
    options.busySleep = std::chrono::milliseconds(10);
    std::thread commit([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        writer.exec("COMMIT");
    });
    const auto started = std::chrono::steady_clock::now();
    const BackupReport report = backupDatabase(source, dir_.path() / "b.db", options);
    const auto took = std::chrono::steady_clock::now() - started;
    commit.join();
    EXPECT_GE(took, std::chrono::milliseconds(250));
    EXPECT_GT(report.steps, 5);  // busy steps, 10 ms apart, then the copy
    EXPECT_EQ(report.integrity, "ok");
    EXPECT_EQ(queryText(dir_.path() / "b.db", "SELECT group_concat(v) FROM t"), "1,2");  // after the commit
}

TEST_F(BackupTest, ALockThatOutlastsTheTimeoutIsABusyError) {
    const auto source = dir_.path() / "rollback.db";
    const auto out = dir_.path() / "out";
    std::filesystem::create_directory(out);
    LockedSource writer(source);
    BackupOptions options;
    options.busySleep = std::chrono::milliseconds(20);
    options.busyTimeout = std::chrono::seconds(1);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_THROW(backupDatabase(source, out / "b.db", options), StorageBusyError);
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
    EXPECT_TRUE(filesIn(out).empty());
    writer.exec("COMMIT");
}

TEST_F(BackupTest, AFailingStepHookRemovesTheTemporaryFile) {
    const auto out = dir_.path() / "out";
    std::filesystem::create_directory(out);
    BackupOptions options;
    options.pagesPerStep = 1;
    options.afterStep = [](int, int) { throw std::runtime_error("stop"); };
    EXPECT_THROW(backupDatabase(config_.databasePath, out / "b.db", options), std::runtime_error);
    EXPECT_TRUE(filesIn(out).empty());
}

}  // namespace
}  // namespace cardbridge::authority::test

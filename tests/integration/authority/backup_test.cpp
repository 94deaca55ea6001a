// Black box: `cardbridge-authority backup` against the real `serve` while clients create unlock requests,
// upload attachments and a second CLI process enrols certificates; then the restore procedure of
// docs/operations.md (stop, move the database and its -wal/-shm away, copy the backup in, verify-audit,
// start) brings back what the backup held.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <thread>

#include "authority_process.hpp"
#include "cardbridge/common/base64.hpp"
#include "https_client.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

namespace cardbridge::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* APPLICANT_ID = "440304199001011233";
constexpr const char* OTHER_ID = "11010519491231002X";
constexpr const char* ORGANIZATION = "深圳市测试医疗器械有限公司";
constexpr const char* CARD = "CARD-B-1";
constexpr const char* TOKEN = "backup-install-token-0123456789abcdef";

// One integer from a query on `db` (read-only), -1 on failure.
std::int64_t queryInt(const fs::path& db, const std::string& sql) {
    sqlite3* handle = nullptr;
    std::int64_t value = -1;
    if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(handle, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW)
            value = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
    }
    sqlite3_close(handle);
    return value;
}

class AuthorityBackup : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = tempDir_.path();
        // Budgets high enough for a stream of requests from one address for one card.
        authority_.emplace(dir_, CARDBRIDGE_AUTHORITY_EXE, TOKEN,
                           json{{"limits",
                                 {{"createPerCardPerHour", 10000},
                                  {"createMatchesPerCardPerHour", 10000},
                                  {"createPerAddressPerHour", 100000}}}});
        ASSERT_EQ(authority_->enroll(CARD, ORGANIZATION, "张三", APPLICANT_ID, "13812345678"), 0)
            << readTextFile(dir_ / "cli.out");
    }

    // Runs the CLI with its output in `out` (not cli.out: other CLI runs happen at the same time).
    int run(const std::string& args, const fs::path& out, const std::string& stdinText = {}) const {
        const std::string command = "printf '%s' '" + stdinText + "' | " + CARDBRIDGE_AUTHORITY_EXE +
                                    " --config " + (dir_ / "authority.json").string() + " " + args + " > " +
                                    out.string() + " 2>&1";
        const int status = std::system(command.c_str());
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    // One review request with an attachment of `size` bytes (grows the database); its id, "" on failure.
    std::string reviewRequestWithAttachment(std::size_t size) const {
        const auto created = authorityRequest(
            authority_->port(), authority_->tlsRoot().certPem, "POST", "/v1/unlock-requests",
            json{{"certificate", base64Encode(authority_->leaf().der)},
                 {"cardSerial", CARD},
                 {"handler",
                  {{"organization", ORGANIZATION},
                   {"name", "李四"},
                   {"idType", "居民身份证"},
                   {"idNumber", OTHER_ID},
                   {"phone", "13987654321"}}}}
                .dump(),
            {{"Authorization", std::string("Bearer ") + TOKEN}, {"Content-Type", "application/json"}});
        if (created.status != 201) return {};
        const std::string id = json::parse(created.body)["requestId"];
        std::string png = std::string("\x89PNG\r\n\x1a\n", 8);
        for (std::size_t i = png.size(); i < size; ++i) png.push_back(static_cast<char>(i * 131 % 251));
        const auto put = authorityRequest(
            authority_->port(), authority_->tlsRoot().certPem, "PUT",
            "/v1/unlock-requests/" + id + "/attachments/handler_id", png,
            {{"Authorization", std::string("Bearer ") + TOKEN}, {"Content-Type", "image/png"}});
        return put.status == 200 ? id : std::string();
    }

    TempDir tempDir_{"cardbridge-authority-backup"};
    fs::path dir_;
    std::optional<AuthorityProcess> authority_;
};

TEST_F(AuthorityBackup, BackupWhileServingThenRestore) {
    authority_->start();
    const fs::path live = dir_ / "data" / "authority.db";
    // A database of a few MB, so the copy takes many steps.
    std::vector<std::string> before;
    for (int i = 0; i < 6; ++i) {
        before.push_back(reviewRequestWithAttachment(400 * 1024));
        ASSERT_FALSE(before.back().empty());
    }

    // Traffic: API clients and enrolments by a second CLI process, until the backups are done.
    std::atomic<bool> stop{false};
    std::atomic<int> requests{0};
    std::atomic<int> failures{0};
    std::thread api([&] {
        while (!stop) {
            if (reviewRequestWithAttachment(64 * 1024).empty()) ++failures;
            ++requests;
        }
    });
    std::atomic<int> enrolled{0};
    std::thread enrol([&] {
        for (int i = 0; !stop && i < 40; ++i) {
            CertSpec spec;
            spec.commonName = "王五" + std::to_string(i);
            spec.issuer = &authority_->issuingCa();
            spec.notBefore = std::chrono::system_clock::now() - std::chrono::days(1);
            spec.notAfter = std::chrono::system_clock::now() + std::chrono::days(30);
            const fs::path pem = dir_ / ("enrol-" + std::to_string(i) + ".pem");
            writeFile(pem, makeCertificate(spec).certPem);
            if (run("enroll --cert " + pem.string() + " --card CARD-E-" + std::to_string(i) + " --org " +
                        ORGANIZATION + " --name 王五 --id-type 居民身份证",
                    dir_ / "enrol.out", std::string(APPLICANT_ID) + "\n13812345678\n") == 0)
                ++enrolled;
        }
    });
    // Wait until the traffic is under way, then back up three times with small steps (many of them, so
    // the traffic writes between steps).
    for (int i = 0; i < 200 && (requests < 2 || enrolled < 1); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const int requestsAtStart = requests;
    fs::create_directories(dir_ / "backups");
    std::vector<std::string> outputs;
    for (int i = 0; i < 3; ++i) {
        const fs::path out = dir_ / ("backup-" + std::to_string(i) + ".out");
        const int rc = run("backup --step-pages 8 --to " + (dir_ / "backups" / "authority.db").string() +
                               (i > 0 ? " --force" : ""),
                           out);
        outputs.push_back(readTextFile(out));
        EXPECT_EQ(rc, 0) << outputs.back();
    }
    const int requestsAtEnd = requests;
    stop = true;
    api.join();
    enrol.join();
    EXPECT_EQ(failures, 0);
    EXPECT_GT(requestsAtEnd, requestsAtStart) << "no API traffic while the backups ran";
    for (const auto& output : outputs) {
        EXPECT_NE(output.find("integrity: ok"), std::string::npos) << output;
        EXPECT_NE(output.find("audit log intact"), std::string::npos) << output;
    }
    std::cout << "during traffic (" << requestsAtEnd - requestsAtStart << " requests, " << enrolled
              << " enrolments):";
    for (const auto& output : outputs) {
        std::smatch size;
        ASSERT_TRUE(std::regex_search(output, size, std::regex(R"(size: [^\n]*)"))) << output;
        std::cout << "\n  " << size[0];
    }
    std::cout << std::endl;

    // The file: owner-only, with what existed before it began, and audited in the live database.
    const fs::path backup = dir_ / "backups" / "authority.db";
    struct stat st {};
    ASSERT_EQ(::stat(backup.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_GE(queryInt(backup, "SELECT count(*) FROM unlock_requests"),
              static_cast<std::int64_t>(before.size()));
    EXPECT_FALSE(fs::exists(dir_ / "backups" / "authority.db-journal"));
    const std::int64_t backupRequests = queryInt(backup, "SELECT count(*) FROM unlock_requests");
    const std::int64_t backupCerts = queryInt(backup, "SELECT count(*) FROM certificates");
    EXPECT_EQ(queryInt(live, "SELECT count(*) FROM audit WHERE action = 'backup.create'"), 3);
    for (const auto& entry : fs::directory_iterator(dir_ / "backups"))
        EXPECT_EQ(entry.path().filename(), "authority.db") << "left behind: " << entry.path();
    // More happened after the backup than it holds.
    EXPECT_GT(queryInt(live, "SELECT count(*) FROM unlock_requests"), backupRequests);

    // Restore: stop, move the live files away, copy the backup in, verify-audit, start.
    ASSERT_TRUE(authority_->stop());
    const fs::path aside = dir_ / "aside";
    fs::create_directories(aside);
    for (const char* suffix : {"", "-wal", "-shm"}) {
        const fs::path file = live.string() + suffix;
        if (fs::exists(file)) fs::rename(file, aside / file.filename());
    }
    fs::copy_file(backup, live);
    ASSERT_EQ(authority_->cli("verify-audit"), 0) << readTextFile(dir_ / "cli.out");
    authority_->start();
    for (const auto& id : before) {
        const auto status = authorityRequest(authority_->port(), authority_->tlsRoot().certPem, "GET",
                                             "/v1/unlock-requests/" + id, {},
                                             {{"Authorization", std::string("Bearer ") + TOKEN}});
        ASSERT_EQ(status.status, 200u) << status.body;
        const json body = json::parse(status.body);
        ASSERT_EQ(body["attachments"].size(), 1u) << status.body;
        EXPECT_EQ(body["attachments"][0]["size"], 400 * 1024);
    }
    EXPECT_EQ(queryInt(live, "SELECT count(*) FROM unlock_requests"), backupRequests);
    EXPECT_EQ(queryInt(live, "SELECT count(*) FROM certificates"), backupCerts);
    // The restored service takes new work.
    EXPECT_FALSE(reviewRequestWithAttachment(1024).empty());
    EXPECT_TRUE(authority_->stop());
}

TEST_F(AuthorityBackup, RefusesAnExistingFileAndAMissingDatabase) {
    fs::create_directories(dir_ / "backups");
    writeFile(dir_ / "backups" / "keep.db", "not mine");
    // No serve yet, but enroll created the database.
    EXPECT_EQ(run("backup --to " + (dir_ / "backups" / "keep.db").string(), dir_ / "b.out"), 1);
    EXPECT_NE(readTextFile(dir_ / "b.out").find("exists (give --force"), std::string::npos)
        << readTextFile(dir_ / "b.out");
    EXPECT_EQ(readTextFile(dir_ / "backups" / "keep.db"), "not mine");

    fs::rename(dir_ / "data" / "authority.db", dir_ / "moved.db");
    EXPECT_EQ(run("backup --to " + (dir_ / "backups" / "new.db").string(), dir_ / "b.out"), 1);
    EXPECT_NE(readTextFile(dir_ / "b.out").find("does not exist"), std::string::npos)
        << readTextFile(dir_ / "b.out");
    EXPECT_FALSE(fs::exists(dir_ / "backups" / "new.db"));
    EXPECT_FALSE(fs::exists(dir_ / "data" / "authority.db"));  // the backup created nothing
}

}  // namespace
}  // namespace cardbridge::test

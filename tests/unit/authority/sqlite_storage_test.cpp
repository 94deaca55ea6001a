// SQLite store: append-only audit, migrations, restart durability, privacy of the database bytes.
#include "authority_fixture.hpp"

#include <sqlite3.h>

#include "cardbridge/rules/puk.hpp"

namespace cardbridge::authority::test {
namespace {

using StoreTest = AuthorityFixture;

// Runs raw SQL on the file, as an attacker or a careless operator with sqlite3 would; returns the rc.
int rawExec(const std::filesystem::path& db, const std::string& sql) {
    sqlite3* handle = nullptr;
    sqlite3_open(db.c_str(), &handle);
    const int rc = sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(handle);
    return rc;
}

TEST_F(StoreTest, AuditRefusesUpdateAndDelete) {
    service_->requests().create(applicantRequest());
    const auto before = storage_->listAudit("", 1000).size();
    ASSERT_GT(before, 0u);
    EXPECT_NE(rawExec(config_.databasePath, "UPDATE audit SET actor = 'x'"), SQLITE_OK);
    EXPECT_NE(rawExec(config_.databasePath, "DELETE FROM audit"), SQLITE_OK);
    EXPECT_EQ(storage_->listAudit("", 1000).size(), before);
}

TEST_F(StoreTest, OlderDatabaseMigrates) {
    const auto path = dir_.path() / "old.db";
    {
        auto v1 = openSqliteStorageAtVersion(path, 1);
        CertificateRecord r;
        r.der = leaf_.der;
        r.sha256 = "AB";
        r.cardSerial = "C";
        r.enrolledAt = START;
        v1->insertCertificate(r);
    }
    EXPECT_EQ(schemaVersionOf(path), 1);
    auto current = openSqliteStorage(path);
    EXPECT_EQ(schemaVersionOf(path), currentSchemaVersion());
    EXPECT_TRUE(current->findCertificateBySha256("AB"));
    EXPECT_EQ(current->incrementCounter("k", START), 1);  // table from migration 2
    EXPECT_EQ(current->incrementCounter("k", START), 2);
}

// Version 3 moves the PUK epoch from certificate rows to the card, from what the rows and the requests of
// versions 1–2 show (their renewal bug left a renewed row at 0, and could drag the other rows back too).
TEST_F(StoreTest, Version2PukStateMovesToTheCard) {
    const auto path = dir_.path() / "v2.db";
    openSqliteStorageAtVersion(path, 2).reset();
    ASSERT_EQ(schemaVersionOf(path), 2);
    const std::string certs =
        "INSERT INTO certificates (id, der, sha256, card_serial, organization, applicant_name, id_type, "
        "id_hash, id_last4, phone, puk_epoch, pending_rotation, enrolled_at) VALUES "
        "(1, x'30', 'S1', 'C1', 'o', 'n', 't', 'h', '1234', '13812345678', 2, 0, 100),"
        "(2, x'30', 'S2', 'C1', 'o', 'n', 't', 'h', '1234', '13812345678', 0, 0, 200),"   // renewed, at 0
        "(3, x'30', 'S3', 'C2', 'o', 'n', 't', 'h', '1234', '13812345678', 1, 1, 100),"   // pending
        "(4, x'30', 'S4', 'C3', 'o', 'n', 't', 'h', '1234', '13812345678', 0, 0, 100),"   // dragged back
        "(5, x'30', 'S5', 'C4', 'o', 'n', 't', 'h', '1234', '13812345678', 0, 0, 100);";  // never unlocked
    ASSERT_EQ(rawExec(path, certs), SQLITE_OK);
    const std::string requests =
        "INSERT INTO unlock_requests (id, certificate_id, card_serial, handler_organization, handler_name, "
        "handler_id_type, handler_id_hash, handler_id_last4, handler_phone, route, state, created_at, "
        "updated_at, credential_released, released_epoch) VALUES "
        "('r1', 4, 'C3', 'o', 'n', 't', 'h', '1234', '1', 'sms', 'completed', 300, 310, 1, 1),"
        "('r2', 4, 'C3', 'o', 'n', 't', 'h', '1234', '1', 'sms', 'authorised', 400, 410, 1, 2);";
    ASSERT_EQ(rawExec(path, requests), SQLITE_OK);

    auto current = openSqliteStorage(path);
    EXPECT_EQ(schemaVersionOf(path), currentSchemaVersion());
    const auto c1 = current->findCard("C1");
    ASSERT_TRUE(c1);
    EXPECT_EQ(c1->pukEpoch, 2);
    EXPECT_FALSE(c1->pendingRotation);
    const auto c2 = current->findCard("C2");
    ASSERT_TRUE(c2);
    EXPECT_EQ(c2->pukEpoch, 1);
    EXPECT_TRUE(c2->pendingRotation);
    const auto c3 = current->findCard("C3");
    ASSERT_TRUE(c3);
    EXPECT_EQ(c3->pukEpoch, 2);  // r1 completed epoch 1 → 2; r2 released 2 and never completed
    EXPECT_TRUE(c3->pendingRotation);
    EXPECT_EQ(c3->updatedAt, Seconds(std::chrono::seconds(410)));
    const auto c4 = current->findCard("C4");
    ASSERT_TRUE(c4);
    EXPECT_EQ(c4->pukEpoch, 0);
    EXPECT_FALSE(c4->pendingRotation);
    EXPECT_FALSE(current->findCard("C5"));
    // Nothing else lost: every certificate and request is still there; the old columns are gone.
    for (const char* sha : {"S1", "S2", "S3", "S4", "S5"}) EXPECT_TRUE(current->findCertificateBySha256(sha));
    EXPECT_EQ(current->findCertificatesByCard("C1").size(), 2u);
    EXPECT_TRUE(current->findRequest("r1"));
    EXPECT_EQ(current->findRequest("r2")->releasedEpoch, 2);
    current.reset();
    EXPECT_NE(rawExec(path, "SELECT puk_epoch FROM certificates"), SQLITE_OK);
}

TEST_F(StoreTest, CardsAreKeptApartFromCertificates) {
    EXPECT_FALSE(storage_->ensureCard(CARD, START));  // enrolled by the fixture
    EXPECT_TRUE(storage_->ensureCard("C9", START));
    CardRecord card{"C9", 3, true, START};
    storage_->updateCard(card);
    EXPECT_FALSE(storage_->ensureCard("C9", START + 1s));  // a second enrolment changes nothing
    EXPECT_EQ(storage_->findCard("C9")->pukEpoch, 3);
    EXPECT_TRUE(storage_->findCard("C9")->pendingRotation);
    EXPECT_THROW(storage_->updateCard({"NONE", 1, false, START}), StorageError);
}

TEST_F(StoreTest, ForeignKeysAreEnforced) {
    UnlockRequestRecord r;
    r.id = "00";
    r.certificateId = 999;
    r.route = Route::Sms;
    EXPECT_THROW(storage_->insertRequest(r), StorageError);
}

TEST_F(StoreTest, TransactionRollsBack) {
    EXPECT_THROW(storage_->inTransaction([&] {
        storage_->appendAudit({0, START, "t", "x.rollback", "", "{}", {}, {}});
        throw std::runtime_error("boom");
    }),
                 std::runtime_error);
    const auto all = storage_->listAudit("", 1000);
    EXPECT_TRUE(
        std::none_of(all.begin(), all.end(), [](const AuditRecord& a) { return a.action == "x.rollback"; }));
}

TEST_F(StoreTest, RestartKeepsRequestsAndAttachmentsByteIdentical) {
    const auto id = service_->requests().create(otherHandlerRequest()).requestId;
    const auto plain = pdfBytes(10000);
    const auto info = service_->review().putAttachment(id, "application_form", plain);
    service_->review().putAttachment(id, "business_license", jpegBytes());
    service_->review().putAttachment(id, "handler_id", pngBytes());
    service_->review().submit(id);
    close();
    open();
    const auto status = service_->requests().status(id);
    EXPECT_EQ(status.state, "in_review");
    EXPECT_EQ(status.attachments.size(), 3u);
    const auto content = service_->review().attachment(id, "application_form", "r");
    EXPECT_EQ(content.data, plain);
    EXPECT_EQ(content.sha256, info.sha256);
}

TEST_F(StoreTest, DatabaseBytesHoldNoIdNumberPukOrCode) {
    // SMS flow to the end, plus a review request by another handler.
    const auto id = service_->requests().create(applicantRequest()).requestId;
    service_->sms().sendCode(id, "203.0.113.7");
    const auto code = lastCode();
    service_->sms().verifyCode(id, Secret(code));
    const auto credential = service_->custody().credential(id);
    service_->custody().complete(id);
    service_->requests().create(otherHandlerRequest());
    const std::string puk0(credential.currentPuk.view());
    const std::string puk1(credential.nextPuk.view());
    close();
    std::string bytes;
    for (const char* suffix : {"", "-wal", "-shm"}) {
        auto p = config_.databasePath;
        p += suffix;
        if (std::filesystem::exists(p)) bytes += readAll(p);
    }
    ASSERT_GT(bytes.size(), 1000u);
    EXPECT_EQ(bytes.find(APPLICANT_ID), std::string::npos);
    EXPECT_EQ(bytes.find(OTHER_ID), std::string::npos);
    EXPECT_EQ(bytes.find(APPLICANT_ID.substr(0, 14)), std::string::npos);
    EXPECT_EQ(bytes.find(puk0), std::string::npos);
    EXPECT_EQ(bytes.find(puk1), std::string::npos);
    EXPECT_EQ(bytes.find("验证码为 " + code), std::string::npos);
    EXPECT_NE(bytes.find(APPLICANT_ID.substr(14)), std::string::npos);  // the last four are kept on purpose
}

TEST_F(StoreTest, DatabaseFileIsOwnerOnly) {
    struct stat st {};
    ASSERT_EQ(::stat(config_.databasePath.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u);
}

TEST_F(StoreTest, ReviewersAndSessions) {
    const auto id = service_->reviewers().createReviewer(" 审核员甲 ", "$scrypt$hash");
    expectReason([&] { service_->reviewers().createReviewer("审核员甲", "x"); }, reason::REVIEWER_EXISTS);
    const auto found = service_->reviewers().findReviewer("审核员甲");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, id);
    storage_->insertSession({"tok", id, START, START + 3600s, "csrf"});
    EXPECT_TRUE(storage_->findSession("tok"));
    EXPECT_EQ(storage_->deleteExpiredSessions(START + 3600s), 1);
    EXPECT_FALSE(storage_->findSession("tok"));
}

// Issue 10, finding 5: the audit log is a hash chain; verify-audit's check names the first row an
// edit (triggers dropped first, as an attacker with the file would) breaks.
TEST_F(StoreTest, AuditChainFindsAnEditedRow) {
    for (int i = 0; i < 3; ++i) service_->requests().create(applicantRequest());
    const auto rows = storage_->listAudit("", 1000);
    ASSERT_GE(rows.size(), 4u);
    for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(rows[i].prevHash, rows[i - 1].hash);
    const auto intact = verifyAuditChain(config_.databasePath);
    ASSERT_TRUE(intact.ok) << intact.problem;
    EXPECT_EQ(intact.rows, static_cast<std::int64_t>(rows.size()));
    EXPECT_EQ(intact.headHash, rows.back().hash);
    ASSERT_EQ(
        rawExec(config_.databasePath,
                "DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'client:192.0.2.1' WHERE id = 3"),
        SQLITE_OK);
    const auto edited = verifyAuditChain(config_.databasePath);
    EXPECT_FALSE(edited.ok);
    EXPECT_EQ(edited.badRow, 3);
    EXPECT_NE(edited.problem.find("row 3"), std::string::npos) << edited.problem;
}

// An edit that also recomputes the row's own hash still breaks the link to the next row.
TEST_F(StoreTest, AuditChainFindsARewrittenRowByTheNextOne) {
    for (int i = 0; i < 3; ++i) service_->requests().create(applicantRequest());
    ASSERT_EQ(
        rawExec(
            config_.databasePath,
            "DROP TRIGGER audit_no_update; UPDATE audit SET hash = 'forged', details = '{}' WHERE id = 2"),
        SQLITE_OK);
    const auto result = verifyAuditChain(config_.databasePath);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.badRow,
              2);  // its hash no longer matches; with a matching forgery row 3 would not follow
}

TEST_F(StoreTest, AuditChainFindsADeletedRow) {
    for (int i = 0; i < 3; ++i) service_->requests().create(applicantRequest());
    ASSERT_EQ(rawExec(config_.databasePath, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 2"),
              SQLITE_OK);
    const auto middle = verifyAuditChain(config_.databasePath);
    EXPECT_FALSE(middle.ok);
    EXPECT_EQ(middle.badRow, 2);
    EXPECT_NE(middle.problem.find("row 2 is missing"), std::string::npos) << middle.problem;
}

TEST_F(StoreTest, AuditChainFindsRowsDeletedFromTheEnd) {
    for (int i = 0; i < 3; ++i) service_->requests().create(applicantRequest());
    const auto last = storage_->listAudit("", 1000).back().id;
    ASSERT_EQ(rawExec(config_.databasePath,
                      "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = " + std::to_string(last)),
              SQLITE_OK);
    const auto result = verifyAuditChain(config_.databasePath);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.badRow, last);
}

// Upgrade (issue 10): a database written by the previous version (schema 3) opens; its audit rows get
// their hashes in the migration and verify; its requests, sessions and counters are kept.
TEST_F(StoreTest, Version3DatabaseUpgrades) {
    const auto path = dir_.path() / "v3.db";
    openSqliteStorageAtVersion(path, 3).reset();
    ASSERT_EQ(schemaVersionOf(path), 3);
    // Rows as version 3's code wrote them (its columns only).
    ASSERT_EQ(
        rawExec(path,
                "INSERT INTO certificates (der, sha256, card_serial, organization, applicant_name, id_type, "
                "id_hash, id_last4, phone, enrolled_at) VALUES (x'30', 'AB', 'C', 'O', 'N', '居民身份证', "
                "'h', '123X', '13812345678', 1741140000);"
                "INSERT INTO cards (serial, puk_epoch, pending_rotation, updated_at) VALUES ('C', 2, 0, 1);"
                "INSERT INTO unlock_requests (id, certificate_id, card_serial, handler_organization, "
                "handler_name, handler_id_type, handler_id_hash, handler_id_last4, handler_phone, route, "
                "state, created_at, updated_at) VALUES ('0123456789abcdef0123456789abcdef', 1, 'C', 'O', "
                "'N', '居民身份证', 'h', '123X', '13812345678', 'review', 'in_review', 1741140000, "
                "1741140000);"
                "INSERT INTO reviewers (name, password_hash, created_at) VALUES ('wang', 'x', 1);"
                "INSERT INTO sessions (token_hash, reviewer_id, created_at, expires_at, csrf_hash) "
                "VALUES ('t', 1, 1741140000, 1741168800, 'c');"
                "INSERT INTO audit (time, actor, action, request_id, details) VALUES "
                "(1741140000, 'cli', 'registry.enroll', '', '{}'), "
                "(1741140001, 'client:203.0.113.7', 'request.create', "
                "'0123456789abcdef0123456789abcdef', '{\"route\":\"review\"}');"),
        SQLITE_OK);
    auto upgraded = openSqliteStorage(path);
    EXPECT_EQ(schemaVersionOf(path), currentSchemaVersion());
    const auto request = upgraded->findRequest("0123456789abcdef0123456789abcdef");
    ASSERT_TRUE(request);
    EXPECT_EQ(request->installation, "");  // from before the binding
    EXPECT_EQ(upgraded->findCard("C")->pukEpoch, 2);
    const auto session = upgraded->findSession("t");
    ASSERT_TRUE(session);
    EXPECT_EQ(session->lastSeenAt, session->createdAt);
    auto audit = upgraded->listAudit("", 100);
    ASSERT_EQ(audit.size(), 2u);
    EXPECT_EQ(audit[0].prevHash, "");
    EXPECT_EQ(audit[1].prevHash, audit[0].hash);
    upgraded->appendAudit({0, START, "t", "x.after", "", "{}", {}, {}});
    audit = upgraded->listAudit("", 100);
    EXPECT_EQ(audit[2].prevHash, audit[1].hash);
    const auto check = verifyAuditChain(path);
    EXPECT_TRUE(check.ok) << check.problem;
    EXPECT_EQ(check.rows, 3);
    // The update trigger is back after the backfill.
    EXPECT_NE(rawExec(path, "UPDATE audit SET actor = 'x'"), SQLITE_OK);
}

}  // namespace
}  // namespace cardbridge::authority::test

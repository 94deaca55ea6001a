#include "cardbridge/authority/store/sqlite_storage.hpp"

#include <algorithm>
#include <mutex>
#include <string>

#include "audit_chain.hpp"
#include "cardbridge/authority/core/errors.hpp"
#include "migrations.hpp"
#include "sqlite_db.hpp"

namespace cardbridge::authority {

namespace {

using sqlite::ConstraintError;
using sqlite::Database;
using sqlite::Statement;

std::string toString(CodeState state) {
    switch (state) {
        case CodeState::Active:
            return "active";
        case CodeState::Used:
            return "used";
        case CodeState::Dead:
            return "dead";
        case CodeState::Superseded:
            return "superseded";
    }
    return "dead";
}

CodeState codeStateFromString(const std::string& name) {
    if (name == "active") return CodeState::Active;
    if (name == "used") return CodeState::Used;
    if (name == "superseded") return CodeState::Superseded;
    if (name == "dead") return CodeState::Dead;
    throw StorageError("unknown sms code state in database");
}

constexpr std::string_view CERT_COLUMNS =
    "id, der, sha256, card_serial, organization, uscc, applicant_name, id_type, id_hash, id_last4, phone, "
    "enrolled_at";

CertificateRecord readCertificate(const Statement& s) {
    CertificateRecord r;
    r.id = s.int64(0);
    r.der = s.blob(1);
    r.sha256 = s.text(2);
    r.cardSerial = s.text(3);
    r.organization = s.text(4);
    r.uscc = s.text(5);
    r.applicantName = s.text(6);
    r.idType = s.text(7);
    r.idHash = s.text(8);
    r.idLast4 = s.text(9);
    r.phone = s.text(10);
    r.enrolledAt = s.time(11);
    return r;
}

constexpr std::string_view REQUEST_COLUMNS =
    "id, certificate_id, card_serial, handler_organization, handler_name, handler_id_type, handler_id_hash, "
    "handler_id_last4, handler_phone, route, state, created_at, updated_at, submitted_at, due_date, "
    "due_is_estimate, decided_at, decided_by, reject_reason, authorised_until, credential_released, "
    "released_epoch, completed_at, client_address, installation";

UnlockRequestRecord readRequest(const Statement& s) {
    UnlockRequestRecord r;
    r.id = s.text(0);
    r.certificateId = s.int64(1);
    r.cardSerial = s.text(2);
    r.handlerOrganization = s.text(3);
    r.handlerName = s.text(4);
    r.handlerIdType = s.text(5);
    r.handlerIdHash = s.text(6);
    r.handlerIdLast4 = s.text(7);
    r.handlerPhone = s.text(8);
    r.route = routeFromString(s.text(9));
    r.state = requestStateFromString(s.text(10));
    r.createdAt = s.time(11);
    r.updatedAt = s.time(12);
    r.submittedAt = s.optTime(13);
    r.dueDate = s.optTime(14);
    r.dueIsEstimate = s.boolean(15);
    r.decidedAt = s.optTime(16);
    r.decidedBy = s.text(17);
    r.rejectReason = s.text(18);
    r.authorisedUntil = s.optTime(19);
    r.credentialReleased = s.boolean(20);
    r.releasedEpoch = s.int64(21);
    r.completedAt = s.optTime(22);
    r.clientAddress = s.text(23);
    r.installation = s.text(24);
    return r;
}

SmsCodeRecord readCode(const Statement& s) {
    SmsCodeRecord r;
    r.id = s.int64(0);
    r.requestId = s.text(1);
    r.codeHash = s.text(2);
    r.createdAt = s.time(3);
    r.expiresAt = s.time(4);
    r.wrongTries = s.int32(5);
    r.state = codeStateFromString(s.text(6));
    return r;
}

AttachmentRecord readAttachment(const Statement& s, bool withContent) {
    AttachmentRecord r;
    r.requestId = s.text(0);
    r.kind = s.text(1);
    r.contentType = s.text(2);
    r.size = s.int64(3);
    r.sha256 = s.text(4);
    r.nonce = s.blob(5);
    if (withContent) r.ciphertext = s.blob(6);
    r.tag = s.blob(7);
    r.uploadedAt = s.time(8);
    r.purgedAt = s.optTime(9);
    return r;
}

ReviewerRecord readReviewer(const Statement& s) {
    ReviewerRecord r;
    r.id = s.int64(0);
    r.name = s.text(1);
    r.passwordHash = s.text(2);
    r.createdAt = s.time(3);
    r.disabled = s.boolean(4);
    return r;
}

class SqliteStorage final : public Storage {
  public:
    SqliteStorage(const std::filesystem::path& path, int version) : db_(path) {
        // WAL: readers do not block the writer; synchronous=FULL: a committed transaction survives a
        // power cut (every write that matters is durable before the response); secure_delete: purged
        // attachment bytes are overwritten, not left in free pages.
        if (path.string() != ":memory:") db_.exec("PRAGMA journal_mode = WAL");
        db_.exec("PRAGMA synchronous = FULL");
        db_.exec("PRAGMA foreign_keys = ON");
        db_.exec("PRAGMA secure_delete = ON");
        sqlite::migrate(db_, version);
    }

    void inTransaction(const std::function<void()>& body) override {
        std::lock_guard lock(mutex_);
        const bool outer = depth_ == 0;
        db_.exec(outer ? "BEGIN IMMEDIATE" : "SAVEPOINT nested");
        ++depth_;
        try {
            body();
        } catch (...) {
            --depth_;
            try {
                db_.exec(outer ? "ROLLBACK" : "ROLLBACK TO nested; RELEASE nested");
            } catch (...) {  // keep the original exception; SQLite rolled back already when this fails
            }
            throw;
        }
        --depth_;
        db_.exec(outer ? "COMMIT" : "RELEASE nested");
    }

    std::int64_t insertCertificate(const CertificateRecord& r) override {
        std::lock_guard lock(mutex_);
        try {
            db_.prepare(
                   "INSERT INTO certificates (der, sha256, card_serial, organization, uscc, applicant_name, "
                   "id_type, id_hash, id_last4, phone, enrolled_at) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?)")
                .bind(1, r.der)
                .bind(2, r.sha256)
                .bind(3, r.cardSerial)
                .bind(4, r.organization)
                .bind(5, r.uscc)
                .bind(6, r.applicantName)
                .bind(7, r.idType)
                .bind(8, r.idHash)
                .bind(9, r.idLast4)
                .bind(10, r.phone)
                .bind(11, r.enrolledAt)
                .run();
        } catch (const ConstraintError&) {
            fail(reason::CERT_ALREADY_ENROLLED, "certificate " + r.sha256 + " is already enrolled");
        }
        return db_.lastInsertRowid();
    }

    std::optional<CertificateRecord> findCertificateBySha256(const std::string& sha256) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare("SELECT " + std::string(CERT_COLUMNS) + " FROM certificates WHERE sha256 = ?");
        s.bind(1, sha256);
        if (!s.step()) return std::nullopt;
        return readCertificate(s);
    }

    std::optional<CertificateRecord> findCertificateById(std::int64_t id) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare("SELECT " + std::string(CERT_COLUMNS) + " FROM certificates WHERE id = ?");
        s.bind(1, id);
        if (!s.step()) return std::nullopt;
        return readCertificate(s);
    }

    std::vector<CertificateRecord> findCertificatesByCard(const std::string& cardSerial) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare("SELECT " + std::string(CERT_COLUMNS) +
                             " FROM certificates WHERE card_serial = ? ORDER BY enrolled_at DESC, id DESC");
        s.bind(1, cardSerial);
        std::vector<CertificateRecord> out;
        while (s.step()) out.push_back(readCertificate(s));
        return out;
    }

    std::optional<CardRecord> findCard(const std::string& serial) override {
        std::lock_guard lock(mutex_);
        auto s =
            db_.prepare("SELECT serial, puk_epoch, pending_rotation, updated_at FROM cards WHERE serial = ?");
        s.bind(1, serial);
        if (!s.step()) return std::nullopt;
        CardRecord r;
        r.serial = s.text(0);
        r.pukEpoch = s.int64(1);
        r.pendingRotation = s.boolean(2);
        r.updatedAt = s.time(3);
        return r;
    }

    bool ensureCard(const std::string& serial, Seconds at) override {
        std::lock_guard lock(mutex_);
        db_.prepare(
               "INSERT INTO cards (serial, puk_epoch, pending_rotation, updated_at) VALUES (?, 0, 0, ?) "
               "ON CONFLICT (serial) DO NOTHING")
            .bind(1, serial)
            .bind(2, at)
            .run();
        return db_.changes() == 1;
    }

    void updateCard(const CardRecord& r) override {
        std::lock_guard lock(mutex_);
        db_.prepare("UPDATE cards SET puk_epoch = ?, pending_rotation = ?, updated_at = ? WHERE serial = ?")
            .bind(1, r.pukEpoch)
            .bind(2, r.pendingRotation)
            .bind(3, r.updatedAt)
            .bind(4, r.serial)
            .run();
        if (db_.changes() != 1) throw StorageError("update of a card that does not exist");
    }

    void insertRequest(const UnlockRequestRecord& r) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare("INSERT INTO unlock_requests (" + std::string(REQUEST_COLUMNS) +
                             ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        bindRequest(s, r);
        s.run();
    }

    std::optional<UnlockRequestRecord> findRequest(const std::string& id) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare("SELECT " + std::string(REQUEST_COLUMNS) + " FROM unlock_requests WHERE id = ?");
        s.bind(1, id);
        if (!s.step()) return std::nullopt;
        return readRequest(s);
    }

    void updateRequest(const UnlockRequestRecord& r) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare(
            "UPDATE unlock_requests SET state = ?2, updated_at = ?3, submitted_at = ?4, due_date = ?5, "
            "due_is_estimate = ?6, decided_at = ?7, decided_by = ?8, reject_reason = ?9, authorised_until = "
            "?10, "
            "credential_released = ?11, released_epoch = ?12, completed_at = ?13 WHERE id = ?1");
        s.bind(1, r.id)
            .bind(2, toString(r.state))
            .bind(3, r.updatedAt)
            .bind(4, r.submittedAt)
            .bind(5, r.dueDate)
            .bind(6, r.dueIsEstimate)
            .bind(7, r.decidedAt)
            .bind(8, r.decidedBy)
            .bind(9, r.rejectReason)
            .bind(10, r.authorisedUntil)
            .bind(11, r.credentialReleased)
            .bind(12, r.releasedEpoch)
            .bind(13, r.completedAt);
        s.run();
        if (db_.changes() != 1) throw StorageError("update of a request that does not exist");
    }

    std::vector<UnlockRequestRecord> requestsInState(RequestState state) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare("SELECT " + std::string(REQUEST_COLUMNS) +
                             " FROM unlock_requests WHERE state = ? ORDER BY due_date IS NULL, due_date, "
                             "created_at, id");
        s.bind(1, toString(state));
        std::vector<UnlockRequestRecord> out;
        while (s.step()) out.push_back(readRequest(s));
        return out;
    }

    std::vector<UnlockRequestRecord> requestsFinishedBefore(Seconds before) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare("SELECT " + std::string(REQUEST_COLUMNS) +
                             " FROM unlock_requests WHERE state IN ('approved', 'rejected', 'withdrawn', "
                             "'completed') AND coalesce(decided_at, updated_at) < ? ORDER BY created_at, id");
        s.bind(1, before);
        std::vector<UnlockRequestRecord> out;
        while (s.step()) out.push_back(readRequest(s));
        return out;
    }

    std::vector<UnlockRequestRecord> requestsUndecidedBefore(Seconds before) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare("SELECT " + std::string(REQUEST_COLUMNS) +
                             " FROM unlock_requests WHERE state IN ('open', 'in_review', 'authorised') "
                             "AND updated_at < ? ORDER BY created_at, id");
        s.bind(1, before);
        std::vector<UnlockRequestRecord> out;
        while (s.step()) out.push_back(readRequest(s));
        return out;
    }

    std::int64_t insertCode(const SmsCodeRecord& r) override {
        std::lock_guard lock(mutex_);
        db_.prepare(
               "INSERT INTO sms_codes (request_id, code_hash, created_at, expires_at, wrong_tries, state) "
               "VALUES (?,?,?,?,?,?)")
            .bind(1, r.requestId)
            .bind(2, r.codeHash)
            .bind(3, r.createdAt)
            .bind(4, r.expiresAt)
            .bind(5, r.wrongTries)
            .bind(6, toString(r.state))
            .run();
        return db_.lastInsertRowid();
    }

    std::optional<SmsCodeRecord> latestCode(const std::string& requestId) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare(
            "SELECT id, request_id, code_hash, created_at, expires_at, wrong_tries, state FROM sms_codes "
            "WHERE request_id = ? ORDER BY id DESC LIMIT 1");
        s.bind(1, requestId);
        if (!s.step()) return std::nullopt;
        return readCode(s);
    }

    void updateCode(const SmsCodeRecord& r) override {
        std::lock_guard lock(mutex_);
        db_.prepare("UPDATE sms_codes SET wrong_tries = ?, state = ? WHERE id = ?")
            .bind(1, r.wrongTries)
            .bind(2, toString(r.state))
            .bind(3, r.id)
            .run();
    }

    void logSend(const std::string& requestId, const std::string& cardSerial,
                 const std::string& clientAddress, Seconds at) override {
        std::lock_guard lock(mutex_);
        db_.prepare(
               "INSERT INTO sms_send_log (request_id, card_serial, client_address, sent_at) VALUES (?,?,?,?)")
            .bind(1, requestId)
            .bind(2, cardSerial)
            .bind(3, clientAddress)
            .bind(4, at)
            .run();
    }

    std::optional<Seconds> lastSendForCard(const std::string& cardSerial) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare("SELECT max(sent_at) FROM sms_send_log WHERE card_serial = ?");
        s.bind(1, cardSerial);
        if (!s.step() || s.isNull(0)) return std::nullopt;
        return s.time(0);
    }

    int countSendsForCard(const std::string& cardSerial, Seconds since) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare("SELECT count(*) FROM sms_send_log WHERE card_serial = ? AND sent_at >= ?");
        s.bind(1, cardSerial).bind(2, since);
        s.step();
        return s.int32(0);
    }

    int countSendsForAddress(const std::string& clientAddress, Seconds since) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare("SELECT count(*) FROM sms_send_log WHERE client_address = ? AND sent_at >= ?");
        s.bind(1, clientAddress).bind(2, since);
        s.step();
        return s.int32(0);
    }

    void putAttachment(const AttachmentRecord& r) override {
        std::lock_guard lock(mutex_);
        db_.prepare(
               "INSERT OR REPLACE INTO attachments (request_id, kind, content_type, size, sha256, nonce, "
               "ciphertext, tag, uploaded_at, purged_at) VALUES (?,?,?,?,?,?,?,?,?,?)")
            .bind(1, r.requestId)
            .bind(2, r.kind)
            .bind(3, r.contentType)
            .bind(4, r.size)
            .bind(5, r.sha256)
            .bind(6, r.nonce)
            .bind(7, r.ciphertext)
            .bind(8, r.tag)
            .bind(9, r.uploadedAt)
            .bind(10, r.purgedAt)
            .run();
    }

    std::optional<AttachmentRecord> findAttachment(const std::string& requestId,
                                                   const std::string& kind) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare(
            "SELECT request_id, kind, content_type, size, sha256, nonce, ciphertext, tag, uploaded_at, "
            "purged_at "
            "FROM attachments WHERE request_id = ? AND kind = ?");
        s.bind(1, requestId).bind(2, kind);
        if (!s.step()) return std::nullopt;
        return readAttachment(s, true);
    }

    std::vector<AttachmentRecord> listAttachments(const std::string& requestId) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare(
            "SELECT request_id, kind, content_type, size, sha256, nonce, NULL, tag, uploaded_at, purged_at "
            "FROM attachments WHERE request_id = ? ORDER BY kind");
        s.bind(1, requestId);
        std::vector<AttachmentRecord> out;
        while (s.step()) out.push_back(readAttachment(s, false));
        return out;
    }

    int purgeAttachmentContents(const std::string& requestId, Seconds at) override {
        std::lock_guard lock(mutex_);
        db_.prepare(
               "UPDATE attachments SET ciphertext = NULL, purged_at = ? WHERE request_id = ? AND "
               "purged_at IS NULL")
            .bind(1, at)
            .bind(2, requestId)
            .run();
        return db_.changes();
    }

    std::int64_t insertReviewer(const ReviewerRecord& r) override {
        std::lock_guard lock(mutex_);
        try {
            db_.prepare("INSERT INTO reviewers (name, password_hash, created_at, disabled) VALUES (?,?,?,?)")
                .bind(1, r.name)
                .bind(2, r.passwordHash)
                .bind(3, r.createdAt)
                .bind(4, r.disabled)
                .run();
        } catch (const ConstraintError&) {
            fail(reason::REVIEWER_EXISTS, "reviewer already exists");
        }
        return db_.lastInsertRowid();
    }

    std::optional<ReviewerRecord> findReviewerByName(const std::string& name) override {
        std::lock_guard lock(mutex_);
        auto s =
            db_.prepare("SELECT id, name, password_hash, created_at, disabled FROM reviewers WHERE name = ?");
        s.bind(1, name);
        if (!s.step()) return std::nullopt;
        return readReviewer(s);
    }

    std::optional<ReviewerRecord> findReviewerById(std::int64_t id) override {
        std::lock_guard lock(mutex_);
        auto s =
            db_.prepare("SELECT id, name, password_hash, created_at, disabled FROM reviewers WHERE id = ?");
        s.bind(1, id);
        if (!s.step()) return std::nullopt;
        return readReviewer(s);
    }

    void insertSession(const SessionRecord& r) override {
        std::lock_guard lock(mutex_);
        db_.prepare(
               "INSERT INTO sessions (token_hash, reviewer_id, created_at, expires_at, csrf_hash, "
               "last_seen_at) VALUES (?,?,?,?,?,?)")
            .bind(1, r.tokenHash)
            .bind(2, r.reviewerId)
            .bind(3, r.createdAt)
            .bind(4, r.expiresAt)
            .bind(5, r.csrfHash)
            .bind(6, r.lastSeenAt < r.createdAt ? r.createdAt : r.lastSeenAt)
            .run();
    }

    std::optional<SessionRecord> findSession(const std::string& tokenHash) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare(
            "SELECT token_hash, reviewer_id, created_at, expires_at, csrf_hash, last_seen_at FROM sessions "
            "WHERE token_hash = ?");
        s.bind(1, tokenHash);
        if (!s.step()) return std::nullopt;
        SessionRecord r;
        r.tokenHash = s.text(0);
        r.reviewerId = s.int64(1);
        r.createdAt = s.time(2);
        r.expiresAt = s.time(3);
        r.csrfHash = s.text(4);
        r.lastSeenAt = std::max(r.createdAt, s.time(5));  // sessions from before schema 4: 0
        return r;
    }

    void deleteSession(const std::string& tokenHash) override {
        std::lock_guard lock(mutex_);
        db_.prepare("DELETE FROM sessions WHERE token_hash = ?").bind(1, tokenHash).run();
    }

    int deleteExpiredSessions(Seconds now) override {
        std::lock_guard lock(mutex_);
        db_.prepare("DELETE FROM sessions WHERE expires_at <= ?").bind(1, now).run();
        return db_.changes();
    }

    void touchSession(const std::string& tokenHash, Seconds at) override {
        std::lock_guard lock(mutex_);
        db_.prepare("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?")
            .bind(1, at)
            .bind(2, tokenHash)
            .run();
    }

    LoginFailures loginFailures(const std::string& account) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare("SELECT failures, locked_until FROM login_failures WHERE account = ?");
        s.bind(1, account);
        if (!s.step()) return {};
        return {s.int32(0), s.time(1)};
    }

    void setLoginFailures(const std::string& account, const LoginFailures& f, Seconds at) override {
        std::lock_guard lock(mutex_);
        if (f.failures <= 0) {
            db_.prepare("DELETE FROM login_failures WHERE account = ?").bind(1, account).run();
            return;
        }
        db_.prepare(
               "INSERT INTO login_failures (account, failures, locked_until, updated_at) VALUES (?,?,?,?) "
               "ON CONFLICT (account) DO UPDATE SET failures = excluded.failures, "
               "locked_until = excluded.locked_until, updated_at = excluded.updated_at")
            .bind(1, account)
            .bind(2, f.failures)
            .bind(3, f.lockedUntil)
            .bind(4, at)
            .run();
    }

    std::int64_t appendAudit(const AuditRecord& r) override {
        std::lock_guard lock(mutex_);
        // The chain: this entry's id (the next AUTOINCREMENT value, so a deleted last row leaves a gap
        // sqlite_sequence still shows) and the previous entry's hash go into its own hash.
        std::int64_t id = 1;
        std::string prev;
        {
            auto last = db_.prepare("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1");
            if (last.step()) {
                id = last.int64(0) + 1;
                prev = last.text(1);
            }
            auto seq = db_.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit'");
            if (seq.step()) id = std::max(id, seq.int64(0) + 1);
        }
        AuditRecord row = r;
        row.id = id;
        if (row.detailsJson.empty()) row.detailsJson = "{}";
        row.prevHash = prev;
        row.hash = sqlite::auditHash(row);
        db_.prepare(
               "INSERT INTO audit (id, time, actor, action, request_id, details, prev_hash, hash) "
               "VALUES (?,?,?,?,?,?,?,?)")
            .bind(1, row.id)
            .bind(2, row.time)
            .bind(3, row.actor)
            .bind(4, row.action)
            .bind(5, row.requestId)
            .bind(6, row.detailsJson)
            .bind(7, row.prevHash)
            .bind(8, row.hash)
            .run();
        return id;
    }

    std::vector<AuditRecord> listAudit(const std::string& requestId, int limit) override {
        std::lock_guard lock(mutex_);
        auto s = db_.prepare(
            "SELECT id, time, actor, action, request_id, details, prev_hash, hash FROM audit WHERE (?1 = '' "
            "OR request_id = "
            "?1) "
            "ORDER BY id LIMIT ?2");
        s.bind(1, requestId).bind(2, limit);
        std::vector<AuditRecord> out;
        while (s.step()) out.push_back(auditRecordFromRow(s));
        return out;
    }

    int incrementCounter(const std::string& key, Seconds windowStart) override {
        std::lock_guard lock(mutex_);
        db_.prepare("DELETE FROM rate_counters WHERE key = ? AND window_start < ?")
            .bind(1, key)
            .bind(2, windowStart)
            .run();
        db_.prepare(
               "INSERT INTO rate_counters (key, window_start, count) VALUES (?, ?, 1) "
               "ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1")
            .bind(1, key)
            .bind(2, windowStart)
            .run();
        auto s = db_.prepare("SELECT count FROM rate_counters WHERE key = ? AND window_start = ?");
        s.bind(1, key).bind(2, windowStart);
        s.step();
        return s.int32(0);
    }

  private:
    static void bindRequest(Statement& s, const UnlockRequestRecord& r) {
        s.bind(1, r.id)
            .bind(2, r.certificateId)
            .bind(3, r.cardSerial)
            .bind(4, r.handlerOrganization)
            .bind(5, r.handlerName)
            .bind(6, r.handlerIdType)
            .bind(7, r.handlerIdHash)
            .bind(8, r.handlerIdLast4)
            .bind(9, r.handlerPhone)
            .bind(10, toString(r.route))
            .bind(11, toString(r.state))
            .bind(12, r.createdAt)
            .bind(13, r.updatedAt)
            .bind(14, r.submittedAt)
            .bind(15, r.dueDate)
            .bind(16, r.dueIsEstimate)
            .bind(17, r.decidedAt)
            .bind(18, r.decidedBy)
            .bind(19, r.rejectReason)
            .bind(20, r.authorisedUntil)
            .bind(21, r.credentialReleased)
            .bind(22, r.releasedEpoch)
            .bind(23, r.completedAt)
            .bind(24, r.clientAddress)
            .bind(25, r.installation);
    }

    std::recursive_mutex mutex_;
    int depth_ = 0;
    Database db_;
};

}  // namespace

int currentSchemaVersion() noexcept {
    return static_cast<int>(sqlite::migrations().size());
}

std::unique_ptr<Storage> openSqliteStorage(const std::filesystem::path& path) {
    return std::make_unique<SqliteStorage>(path, currentSchemaVersion());
}

std::unique_ptr<Storage> openSqliteStorageAtVersion(const std::filesystem::path& path, int version) {
    return std::make_unique<SqliteStorage>(path, version);
}

AuditVerification verifyAuditChain(const std::filesystem::path& path) {
    sqlite::Database db(path);
    return sqlite::verifyAuditChain(db);
}

int schemaVersionOf(const std::filesystem::path& path) {
    sqlite::Database db(path);
    return sqlite::schemaVersion(db);
}

}  // namespace cardbridge::authority

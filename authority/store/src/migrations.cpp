#include "migrations.hpp"

#include "audit_chain.hpp"

#include <string>

namespace cardbridge::authority::sqlite {

namespace {

// Version 1: registry, requests, SMS codes, send log, attachments, reviewers, sessions, append-only audit.
constexpr std::string_view MIGRATION_1 = R"sql(
CREATE TABLE certificates (
    id               INTEGER PRIMARY KEY,
    der              BLOB    NOT NULL,
    sha256           TEXT    NOT NULL UNIQUE,
    card_serial      TEXT    NOT NULL,
    organization     TEXT    NOT NULL,
    uscc             TEXT    NOT NULL DEFAULT '',
    applicant_name   TEXT    NOT NULL,
    id_type          TEXT    NOT NULL,
    id_hash          TEXT    NOT NULL,
    id_last4         TEXT    NOT NULL,
    phone            TEXT    NOT NULL,
    puk_epoch        INTEGER NOT NULL DEFAULT 0 CHECK (puk_epoch >= 0),
    pending_rotation INTEGER NOT NULL DEFAULT 0 CHECK (pending_rotation IN (0, 1)),
    enrolled_at      INTEGER NOT NULL
);
CREATE INDEX certificates_card ON certificates (card_serial);

CREATE TABLE unlock_requests (
    id                   TEXT    PRIMARY KEY,
    certificate_id       INTEGER NOT NULL REFERENCES certificates (id),
    card_serial          TEXT    NOT NULL,
    handler_organization TEXT    NOT NULL,
    handler_name         TEXT    NOT NULL,
    handler_id_type      TEXT    NOT NULL,
    handler_id_hash      TEXT    NOT NULL,
    handler_id_last4     TEXT    NOT NULL,
    handler_phone        TEXT    NOT NULL,
    route                TEXT    NOT NULL CHECK (route IN ('sms', 'review')),
    state                TEXT    NOT NULL CHECK (state IN ('open', 'authorised', 'in_review', 'approved',
                                                           'rejected', 'withdrawn', 'completed')),
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    submitted_at         INTEGER,
    due_date             INTEGER,
    due_is_estimate      INTEGER NOT NULL DEFAULT 0,
    decided_at           INTEGER,
    decided_by           TEXT    NOT NULL DEFAULT '',
    reject_reason        TEXT    NOT NULL DEFAULT '',
    authorised_until     INTEGER,
    credential_released  INTEGER NOT NULL DEFAULT 0,
    released_epoch       INTEGER NOT NULL DEFAULT -1,
    completed_at         INTEGER,
    client_address       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX unlock_requests_card ON unlock_requests (card_serial, created_at);

CREATE TABLE sms_codes (
    id          INTEGER PRIMARY KEY,
    request_id  TEXT    NOT NULL REFERENCES unlock_requests (id),
    code_hash   TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    wrong_tries INTEGER NOT NULL DEFAULT 0,
    state       TEXT    NOT NULL CHECK (state IN ('active', 'used', 'dead', 'superseded'))
);
CREATE INDEX sms_codes_request ON sms_codes (request_id, id);

CREATE TABLE sms_send_log (
    id             INTEGER PRIMARY KEY,
    request_id     TEXT    NOT NULL,
    card_serial    TEXT    NOT NULL,
    client_address TEXT    NOT NULL,
    sent_at        INTEGER NOT NULL
);
CREATE INDEX sms_send_log_card ON sms_send_log (card_serial, sent_at);
CREATE INDEX sms_send_log_address ON sms_send_log (client_address, sent_at);

CREATE TABLE attachments (
    request_id   TEXT    NOT NULL REFERENCES unlock_requests (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('application_form', 'business_license', 'handler_id')),
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    nonce        BLOB    NOT NULL,
    ciphertext   BLOB,
    tag          BLOB    NOT NULL,
    uploaded_at  INTEGER NOT NULL,
    purged_at    INTEGER,
    PRIMARY KEY (request_id, kind)
);

CREATE TABLE reviewers (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    reviewer_id INTEGER NOT NULL REFERENCES reviewers (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    csrf_hash   TEXT    NOT NULL
);

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    time       INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    request_id TEXT    NOT NULL DEFAULT '',
    details    TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_request ON audit (request_id, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
)sql";

// Version 2: fixed-window rate-limit counters; the reviewers' queue index.
constexpr std::string_view MIGRATION_2 = R"sql(
CREATE TABLE rate_counters (
    key          TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
) WITHOUT ROWID;
CREATE INDEX unlock_requests_queue ON unlock_requests (state, due_date, created_at);
)sql";

// Version 3: the PUK epoch and pending rotation move from certificate rows to the card (DESIGN.md §5).
// Versions 1–2 kept them per certificate and set every row of a card on each change, but a certificate
// enrolled after a rotation started again at 0, and a credential released for it then dragged the card's
// other rows back to 0. So the card's epoch is the highest either of its rows or its completed requests
// (each completes released_epoch + 1) show; it is pending when a row at that epoch is, or when a
// credential released at that epoch was never completed.
constexpr std::string_view MIGRATION_3 = R"sql(
CREATE TABLE cards (
    serial           TEXT    PRIMARY KEY,
    puk_epoch        INTEGER NOT NULL DEFAULT 0 CHECK (puk_epoch >= 0),
    pending_rotation INTEGER NOT NULL DEFAULT 0 CHECK (pending_rotation IN (0, 1)),
    updated_at       INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TEMP TABLE card_epochs AS
SELECT c.card_serial AS serial,
       max(max(c.puk_epoch),
           coalesce((SELECT max(r.released_epoch + 1) FROM unlock_requests r
                     WHERE r.card_serial = c.card_serial AND r.state = 'completed'), 0)) AS epoch,
       max(c.enrolled_at) AS enrolled_at
FROM certificates c GROUP BY c.card_serial;

INSERT INTO cards (serial, puk_epoch, pending_rotation, updated_at)
SELECT e.serial, e.epoch,
       EXISTS (SELECT 1 FROM certificates c
               WHERE c.card_serial = e.serial AND c.puk_epoch = e.epoch AND c.pending_rotation = 1)
       OR EXISTS (SELECT 1 FROM unlock_requests r
                  WHERE r.card_serial = e.serial AND r.credential_released = 1 AND r.state <> 'completed'
                    AND r.released_epoch = e.epoch),
       coalesce((SELECT max(r.updated_at) FROM unlock_requests r WHERE r.card_serial = e.serial),
                e.enrolled_at)
FROM card_epochs e;

DROP TABLE card_epochs;
ALTER TABLE certificates DROP COLUMN puk_epoch;
ALTER TABLE certificates DROP COLUMN pending_rotation;
)sql";

// Version 4 (issue 10): a request is bound to the API token (installation) that opened it; audit entries
// are hash-chained (rows from before get their hashes in SqliteStorage's backfill, the only time the
// update trigger is lifted); sessions get an idle timeout; failed logins are counted per account.
constexpr std::string_view MIGRATION_4 = R"sql(
ALTER TABLE unlock_requests ADD COLUMN installation TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN hash TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
CREATE TABLE login_failures (
    account      TEXT    PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX unlock_requests_state_updated ON unlock_requests (state, updated_at);
)sql";

}  // namespace

const std::vector<std::string_view>& migrations() {
    static const std::vector<std::string_view> all = {MIGRATION_1, MIGRATION_2, MIGRATION_3, MIGRATION_4};
    return all;
}

int schemaVersion(Database& db) {
    auto exists =
        db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
    exists.step();
    if (exists.int64(0) == 0) return 0;
    auto version = db.prepare("SELECT max(version) FROM schema_version");
    if (!version.step() || version.isNull(0)) return 0;
    return version.int32(0);
}

void migrate(Database& db, int target) {
    db.exec(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at INTEGER NOT NULL)");
    const int current = schemaVersion(db);
    const int known = static_cast<int>(migrations().size());
    if (current > known) {
        throw StorageError("database schema version " + std::to_string(current) +
                           " is newer than this program (" + std::to_string(known) + ")");
    }
    for (int version = current + 1; version <= target && version <= known; ++version) {
        db.exec("BEGIN IMMEDIATE");
        try {
            db.exec(migrations()[static_cast<std::size_t>(version - 1)]);
            if (version == 4) backfillAuditChain(db);  // rows from before the chain, same transaction
            db.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?, strftime('%s', 'now'))")
                .bind(1, version)
                .run();
            db.exec("COMMIT");
        } catch (...) {
            db.exec("ROLLBACK");
            throw;
        }
    }
}

}  // namespace cardbridge::authority::sqlite

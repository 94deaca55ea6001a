#include "audit_chain.hpp"

#include <vector>

#include "cardbridge/common/digest.hpp"

namespace cardbridge::authority::sqlite {

namespace {

void field(std::string& out, std::string_view value) {
    out += std::to_string(value.size());
    out += ':';
    out += value;
    out += '\n';
}

constexpr std::string_view SELECT_ROWS =
    "SELECT id, time, actor, action, request_id, details, prev_hash, hash FROM audit ORDER BY id";

constexpr std::string_view UPDATE_TRIGGER =
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
    "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END";

}  // namespace

AuditRecord auditRecordFromRow(const Statement& s) {
    AuditRecord r;
    r.id = s.int64(0);
    r.time = s.time(1);
    r.actor = s.text(2);
    r.action = s.text(3);
    r.requestId = s.text(4);
    r.detailsJson = s.text(5);
    r.prevHash = s.text(6);
    r.hash = s.text(7);
    return r;
}

std::string auditHash(const AuditRecord& r) {
    std::string text = "cardbridge-audit-v1\n";
    field(text, r.prevHash);
    field(text, std::to_string(r.id));
    field(text, std::to_string(r.time.time_since_epoch().count()));
    field(text, r.actor);
    field(text, r.action);
    field(text, r.requestId);
    field(text, r.detailsJson);
    return sha256Hex(text);
}

void backfillAuditChain(Database& db) {
    std::vector<AuditRecord> rows;
    {
        auto s = db.prepare(SELECT_ROWS);
        while (s.step()) rows.push_back(auditRecordFromRow(s));
    }
    if (rows.empty()) return;
    db.exec("DROP TRIGGER IF EXISTS audit_no_update");
    std::string prev;
    for (auto& row : rows) {
        row.prevHash = prev;
        row.hash = auditHash(row);
        db.prepare("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?")
            .bind(1, row.prevHash)
            .bind(2, row.hash)
            .bind(3, row.id)
            .run();
        prev = row.hash;
    }
    db.exec(UPDATE_TRIGGER);
}

AuditVerification verifyAuditChain(Database& db) {
    AuditVerification result;
    auto s = db.prepare(SELECT_ROWS);
    std::int64_t previousId = 0;
    std::string previousHash;
    while (s.step()) {
        const AuditRecord row = auditRecordFromRow(s);
        ++result.rows;
        if (row.id != previousId + 1) {
            result.badRow = previousId + 1;
            result.problem = "audit row " + std::to_string(previousId + 1) +
                             " is missing (deleted; the next row is " + std::to_string(row.id) + ")";
            return result;
        }
        if (auditHash(row) != row.hash) {
            result.badRow = row.id;
            result.problem =
                "audit row " + std::to_string(row.id) + " was edited (its hash does not match its contents)";
            return result;
        }
        if (row.prevHash != previousHash) {
            result.badRow = row.id;
            result.problem = "audit row " + std::to_string(row.id) + " does not follow row " +
                             std::to_string(previousId) + " (a row before it was replaced)";
            return result;
        }
        previousId = row.id;
        previousHash = row.hash;
    }
    auto seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit'");
    if (seq.step() && seq.int64(0) > previousId) {
        result.badRow = previousId + 1;
        result.problem = "audit rows " + std::to_string(previousId + 1) + " to " +
                         std::to_string(seq.int64(0)) + " are missing (deleted from the end)";
        return result;
    }
    result.ok = true;
    result.headHash = previousHash;
    return result;
}

}  // namespace cardbridge::authority::sqlite

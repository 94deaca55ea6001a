// The audit log's hash chain: each entry's hash covers the previous entry's hash and its own fields, so a
// deleted or edited row breaks the chain at that row (verify-audit names it).
#pragma once

#include <string>

#include "cardbridge/authority/core/storage.hpp"
#include "cardbridge/authority/store/sqlite_storage.hpp"
#include "sqlite_db.hpp"

namespace cardbridge::authority::sqlite {

/// SHA-256 (lower-case hex) over a version tag, record.prevHash, id, time, actor, action, request id and
/// details, each length-prefixed. Throws OpenSslError.
std::string auditHash(const AuditRecord& record);

/// The audit columns (id, time, actor, action, request_id, details, prev_hash, hash), in that order, as a
/// record.
AuditRecord auditRecordFromRow(const Statement& row);

/// Gives hashes to entries written before schema 4 (inside migration 4's transaction): the only time the
/// update trigger is lifted; it is created again before the transaction commits. Throws StorageError.
void backfillAuditChain(Database& db);

/// Walks the chain in id order. Throws StorageError when the table cannot be read.
AuditVerification verifyAuditChain(Database& db);

}  // namespace cardbridge::authority::sqlite

// The authority's three secret keys, read from owner-only files.
#pragma once

#include <filesystem>

#include "cardbridge/authority/core/config.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::authority {

/// PUK master key, ID-hash key and attachment key. Each file holds raw bytes or hex text (whitespace
/// trimmed); the key is at least 32 bytes (attachment key: exactly 32).
struct AuthorityKeys {
    Secret master;      ///< derives every card's PUK per epoch
    Secret idKey;       ///< HMAC key for ID numbers and SMS code hashes
    Secret attachment;  ///< AES-256-GCM key for attachments at rest
};

/// Reads one key file. Throws FatalError when it is missing, readable by group or other (mode & 077),
/// not owned by the current user, or shorter than `minBytes` (or not `exactBytes` when non-zero).
Secret loadKeyFile(const std::filesystem::path& path, std::size_t minBytes, std::size_t exactBytes = 0);

/// Loads the three keys named by `config`. Throws FatalError as loadKeyFile.
AuthorityKeys loadAuthorityKeys(const AuthorityConfig& config);

}  // namespace cardbridge::authority

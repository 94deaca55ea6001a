// TLS server settings shared by cardbridged and cardbridge-authority. No Beast here: callers pass the
// native handle of their asio::ssl::context.
#pragma once

#include <openssl/types.h>

#include <filesystem>

namespace cardbridge {

/// Configures `ctx` as one of our TLS servers: TLS 1.2 or later only, no compression, no client-initiated
/// renegotiation, server cipher preference, forward-secret AEAD suites for TLS 1.2 (TLS 1.3's defaults),
/// then loads `certChainPem` (leaf first, then intermediates) and the matching `keyPem`. Throws
/// std::runtime_error naming the file when the chain or key does not load or they do not match.
void configureServerTls(SSL_CTX* ctx, const std::filesystem::path& certChainPem,
                        const std::filesystem::path& keyPem);

}  // namespace cardbridge

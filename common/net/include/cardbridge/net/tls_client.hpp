// TLS client settings shared by the tests' clients and the benchmarks' load generators. No Beast here:
// callers pass the native handles of their asio::ssl::context and stream.
#pragma once

#include <openssl/types.h>

#include <string>
#include <string_view>

namespace cardbridge::net {

/// Configures `ctx` as a client of ours: the server's chain is verified against `rootCaPem` (one or more
/// PEM certificates, the only trust anchors added), TLS 1.2 or later. Call before any stream uses `ctx`:
/// SSL_new copies these settings. Throws std::runtime_error when the PEM holds no certificate.
void configureClientTls(SSL_CTX* ctx, std::string_view rootCaPem);

/// Makes the coming handshake on `ssl` verify the server's certificate for `host`: an IP literal against
/// its iPAddress names (and sent as no SNI, RFC 6066), a DNS name against its DNS names (and sent as
/// SNI). False when OpenSSL refuses `host`.
[[nodiscard]] bool expectServerName(SSL* ssl, const std::string& host) noexcept;

}  // namespace cardbridge::net

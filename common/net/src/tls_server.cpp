// The one place our TLS servers' OpenSSL settings live.
#include "cardbridge/net/tls_server.hpp"

#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

#include "cardbridge/common/openssl.hpp"

namespace cardbridge {

void configureServerTls(SSL_CTX* ctx, const std::filesystem::path& certChainPem,
                        const std::filesystem::path& keyPem) {
    // What asio's default_workarounds | no_sslv2 | no_sslv3 | no_tlsv1 | no_tlsv1_1 | no_compression |
    // single_dh_use stand for, spelled out so that this file needs no Asio.
    SSL_CTX_set_options(ctx, SSL_OP_ALL | SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
                                 SSL_OP_NO_TLSv1_1 | SSL_OP_NO_COMPRESSION | SSL_OP_SINGLE_DH_USE);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // Client-initiated renegotiation is a CPU-exhaustion lever and we never need it.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Decrypted application data (PINs, PUKs, codes in requests) is wiped from OpenSSL's record buffer
    // once handed over, instead of lying there until the next record overwrites it.
    SSL_CTX_set_options(ctx, SSL_OP_CLEANSE_PLAINTEXT);
    // TLS 1.2: forward-secret AEAD suites only (TLS 1.3's defaults are all fine).
    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
    if (SSL_CTX_use_certificate_chain_file(ctx, certChainPem.c_str()) != 1) {
        throw std::runtime_error(
            openSslErrors("cannot load the TLS certificate chain '" + certChainPem.string() + "'"));
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, keyPem.c_str(), SSL_FILETYPE_PEM) != 1) {
        throw std::runtime_error(openSslErrors("cannot load the TLS key '" + keyPem.string() + "'"));
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        openSslErrors("");  // drain the queue
        throw std::runtime_error("the TLS key does not match the certificate");
    }
}

}  // namespace cardbridge

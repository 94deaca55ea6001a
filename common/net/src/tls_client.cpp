// The one place our TLS clients' OpenSSL settings live (see tls_client.hpp).
#include "cardbridge/net/tls_client.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <climits>
#include <stdexcept>

#include "cardbridge/common/openssl.hpp"

namespace cardbridge::net {

void configureClientTls(SSL_CTX* ctx, std::string_view rootCaPem) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (rootCaPem.size() > INT_MAX) throw std::runtime_error("the root PEM is too large");
    BioPtr bio(BIO_new_mem_buf(rootCaPem.data(), static_cast<int>(rootCaPem.size())));
    if (!bio) throw std::runtime_error(openSslErrors("cannot read the root PEM"));
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    int added = 0;
    while (X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
        if (X509_STORE_add_cert(store, cert.get()) != 1) {
            throw std::runtime_error(openSslErrors("cannot add the root certificate"));
        }
        ++added;
    }
    ERR_clear_error();  // the "no start line" that ended the loop
    if (added == 0) throw std::runtime_error("the root PEM holds no certificate");
}

bool expectServerName(SSL* ssl, const std::string& host) noexcept {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1) return true;
    ERR_clear_error();  // not an IP literal: a DNS name
    // SSL_set_tlsext_host_name spelled out: the macro's C cast would trip -Wold-style-cast.
    const bool ok = SSL_set1_host(ssl, host.c_str()) == 1 &&
                    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                             const_cast<char*>(host.c_str())) == 1;
    if (!ok) ERR_clear_error();
    return ok;
}

}  // namespace cardbridge::net

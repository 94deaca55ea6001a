// RAII holders for OpenSSL handles and the one place OpenSSL's error queue becomes an exception.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string_view>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/error.hpp"

namespace cardbridge {

template <auto Fn>
struct OpenSslDeleter {
    template <class T>
    void operator()(T* p) const noexcept {
        Fn(p);
    }
};

using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX_free>>;
using EvpCipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OpenSslDeleter<EVP_CIPHER_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free_all>>;

/// OpenSSL reported a failure; what() carries the context and OpenSSL's queued reasons.
class OpenSslError : public FatalError {
  public:
    using FatalError::FatalError;
};

/// Drains OpenSSL's error queue into one message: "context: reason; reason".
std::string openSslErrors(std::string_view context);

/// Throws OpenSslError with the drained queue.
[[noreturn]] void throwOpenSsl(std::string_view context);

/// Cryptographically secure random bytes (RAND_bytes). Throws OpenSslError.
Bytes randomBytes(std::size_t count);

}  // namespace cardbridge

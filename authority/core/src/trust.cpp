#include "cardbridge/authority/core/trust.hpp"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "cardbridge/common/openssl.hpp"

namespace cardbridge::authority {

namespace {

using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX_free>>;

// GM/T 0009-2012's default SM2 user id. OpenSSL 3.0 verifies SM2 signatures with an empty id unless the
// certificate being verified carries one (X509_set0_distinguishing_id); Chinese CAs sign with this one.
constexpr std::string_view SM2_DEFAULT_ID = "1234567812345678";
constexpr std::string_view SM2_WITH_SM3_OID = "1.2.156.10197.1.501";

void setSm2IdIfNeeded(X509* cert) {
    const int nid = X509_get_signature_nid(cert);
    char oid[64] = {};
    OBJ_obj2txt(oid, sizeof oid, OBJ_nid2obj(nid), 1);
    if (std::string_view(oid) != SM2_WITH_SM3_OID) return;
    ASN1_OCTET_STRING* id = ASN1_OCTET_STRING_new();
    if (id == nullptr) throwOpenSsl("ASN1_OCTET_STRING_new");
    if (ASN1_OCTET_STRING_set(id, reinterpret_cast<const unsigned char*>(SM2_DEFAULT_ID.data()),
                              static_cast<int>(SM2_DEFAULT_ID.size())) != 1) {
        ASN1_OCTET_STRING_free(id);
        throwOpenSsl("ASN1_OCTET_STRING_set");
    }
    X509_set0_distinguishing_id(cert, id);  // takes ownership
}

X509Ptr parseDer(ByteView der) {
    const unsigned char* p = der.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert) ERR_clear_error();
    return cert;
}

std::vector<X509Ptr> parsePems(const std::string& pem) {
    std::vector<X509Ptr> out;
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) throwOpenSsl("BIO_new_mem_buf");
    for (;;) {
        X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!cert) break;
        out.push_back(std::move(cert));
    }
    ERR_clear_error();  // the loop ends on "no start line"
    return out;
}

}  // namespace

struct IssuerTrust::Impl {
    X509StorePtr store{X509_STORE_new()};
    std::size_t count = 0;

    void add(X509Ptr cert) {
        setSm2IdIfNeeded(cert.get());
        if (X509_STORE_add_cert(store.get(), cert.get()) != 1) throwOpenSsl("X509_STORE_add_cert");
        ++count;
    }

    // One verification pass; `at` nullopt skips every time check.
    bool verify(X509* leaf, std::optional<Seconds> at) const {
        X509StoreCtxPtr ctx(X509_STORE_CTX_new());
        if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr) != 1) {
            ERR_clear_error();
            return false;
        }
        X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
        // Configured intermediates are trust anchors as they are (the CA hands us what issues its cards).
        unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;
        if (at) {
            X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at->time_since_epoch().count()));
        } else {
            flags |= X509_V_FLAG_NO_CHECK_TIME;
        }
        X509_VERIFY_PARAM_set_flags(param, flags);
        const bool ok = X509_verify_cert(ctx.get()) == 1;
        ERR_clear_error();
        return ok;
    }
};

IssuerTrust::IssuerTrust(const std::vector<std::filesystem::path>& pemFiles)
    : impl_(std::make_unique<Impl>()) {
    if (!impl_->store) throwOpenSsl("X509_STORE_new");
    for (const auto& file : pemFiles) {
        std::ifstream in(file, std::ios::binary);
        if (!in) throw FatalError("issuing CA file " + file.string() + " cannot be read");
        std::ostringstream text;
        text << in.rdbuf();
        auto certs = parsePems(text.str());
        if (certs.empty()) throw FatalError("issuing CA file " + file.string() + " holds no certificate");
        for (auto& cert : certs) impl_->add(std::move(cert));
    }
}

IssuerTrust IssuerTrust::fromPems(const std::vector<std::string>& pems) {
    IssuerTrust trust;
    trust.impl_ = std::make_unique<Impl>();
    if (!trust.impl_->store) throwOpenSsl("X509_STORE_new");
    for (const auto& pem : pems) {
        auto certs = parsePems(pem);
        if (certs.empty()) throw InputError("not a PEM certificate");
        for (auto& cert : certs) trust.impl_->add(std::move(cert));
    }
    return trust;
}

IssuerTrust::~IssuerTrust() = default;
IssuerTrust::IssuerTrust(IssuerTrust&&) noexcept = default;
IssuerTrust& IssuerTrust::operator=(IssuerTrust&&) noexcept = default;

std::size_t IssuerTrust::size() const noexcept {
    return impl_ ? impl_->count : 0;
}

TrustResult IssuerTrust::check(const Certificate& leaf, Seconds at) const {
    if (!impl_) return TrustResult::Untrusted;
    X509Ptr cert = parseDer(leaf.der());
    if (!cert) return TrustResult::Untrusted;
    try {
        setSm2IdIfNeeded(cert.get());
    } catch (const OpenSslError&) {
        return TrustResult::Untrusted;
    }
    // First the chain alone (signatures, CA constraints), so a forged certificate is "untrusted" whatever
    // its dates; then the leaf's validity; then the whole chain at `at` (an expired CA).
    if (!impl_->verify(cert.get(), std::nullopt)) return TrustResult::Untrusted;
    switch (leaf.statusAt(std::chrono::system_clock::time_point(at))) {
        case CertificateStatus::Expired:
            return TrustResult::Expired;
        case CertificateStatus::NotYetValid:
            return TrustResult::NotYetValid;
        case CertificateStatus::Valid:
            break;
    }
    return impl_->verify(cert.get(), at) ? TrustResult::Trusted : TrustResult::Untrusted;
}

}  // namespace cardbridge::authority

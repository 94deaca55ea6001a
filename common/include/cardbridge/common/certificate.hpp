// X.509 certificate model: a plain value type decoded once with OpenSSL, ready to show or serialise.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cardbridge/common/bytes.hpp"

namespace cardbridge {

/// Largest certificate accepted, DER (PIV certificate objects are a few KB; this bounds hostile input).
inline constexpr std::size_t MAX_CERTIFICATE_DER_SIZE = 64 * 1024;
/// Largest PEM text accepted by Certificate::fromPem.
inline constexpr std::size_t MAX_CERTIFICATE_PEM_SIZE = 96 * 1024;

/// One attribute of a distinguished name, in encoding order.
struct NameAttribute {
    std::string type;   ///< short name ("CN", "O", "OU", "C", "ST", "L", "serialNumber", "emailAddress"…)
                        ///< or the dotted OID when OpenSSL has no name for it
    std::string oid;    ///< dotted OID, e.g. "2.5.4.3"
    std::string value;  ///< UTF-8 whatever the ASN.1 string type; "#<hex DER>" when it cannot be decoded
    int rdn = 0;        ///< index of the RDN (SET) holding it; equal for the parts of a multi-valued RDN
};

/// A distinguished name: RFC 4514 text plus the attributes.
struct DistinguishedName {
    std::string text;  ///< RFC 4514 (most specific RDN first, e.g. "CN=张三,O=…,C=CN"), UTF-8 unescaped
    std::vector<NameAttribute> attributes;  ///< in encoding order (C first, usually)

    /// Value of the first attribute whose type (short name or dotted OID) equals `type`; "" when absent.
    [[nodiscard]] std::string first(std::string_view type) const;
};

/// Where a certificate stands against a moment in time.
enum class CertificateStatus { Valid, Expired, NotYetValid };

/// Stable lower-case name of a status: "valid", "expired", "notYetValid".
std::string_view toString(CertificateStatus status);

/// Subject public key: algorithm, curve and size.
struct PublicKeyInfo {
    std::string algorithm;  ///< "RSA", "EC", "SM2", "Ed25519", "Ed448", "DSA", or OpenSSL's name / dotted OID
    std::string curve;      ///< "P-256", "P-384", "P-521", "SM2", other curve names, "explicit"; "" if not EC
    int bits = 0;           ///< modulus or field size; 0 when unknown
};

/// A parsed X.509 certificate. Copyable value; keeps no OpenSSL handle.
class Certificate {
  public:
    /// Parses exactly one DER certificate (no trailing bytes). Throws InputError on malformed, oversized
    /// or otherwise unusable input; FatalError (OpenSslError) if OpenSSL itself fails.
    static Certificate fromDer(ByteView der);
    /// Parses the first "CERTIFICATE" PEM block of `pem`. Throws InputError as fromDer.
    static Certificate fromPem(std::string_view pem);

    [[nodiscard]] const DistinguishedName& subject() const noexcept { return subject_; }
    [[nodiscard]] const DistinguishedName& issuer() const noexcept { return issuer_; }
    /// X.509 version, 1–3.
    [[nodiscard]] int version() const noexcept { return version_; }
    /// Serial number in upper-case hex, even digit count, no sign octet (as `openssl x509 -serial`);
    /// "-" prefix if negative.
    [[nodiscard]] const std::string& serialNumber() const noexcept { return serialNumber_; }

    /// Start of validity; clamped to time_point::min() when before what system_clock can hold.
    [[nodiscard]] std::chrono::system_clock::time_point notBefore() const noexcept { return notBefore_; }
    /// End of validity; clamped to time_point::max() when beyond system_clock (e.g. 9999-12-31).
    [[nodiscard]] std::chrono::system_clock::time_point notAfter() const noexcept { return notAfter_; }
    /// notBefore as ISO 8601 UTC, "2026-01-31T08:00:00Z" (exact even when the time_point is clamped).
    [[nodiscard]] const std::string& notBeforeIso() const noexcept { return notBeforeIso_; }
    /// notAfter as ISO 8601 UTC.
    [[nodiscard]] const std::string& notAfterIso() const noexcept { return notAfterIso_; }
    /// Valid when notBefore <= now <= notAfter (RFC 5280 §4.1.2.5: both ends inclusive).
    [[nodiscard]] CertificateStatus statusAt(std::chrono::system_clock::time_point now) const noexcept;

    [[nodiscard]] const PublicKeyInfo& publicKey() const noexcept { return publicKey_; }
    /// Signature algorithm: "sha256WithRSAEncryption", "ecdsa-with-SHA256", "SM2-with-SM3", "rsassaPss"…
    /// or the dotted OID when unknown.
    [[nodiscard]] const std::string& signatureAlgorithm() const noexcept { return signatureAlgorithm_; }
    /// Dotted OID of the signature algorithm.
    [[nodiscard]] const std::string& signatureAlgorithmOid() const noexcept { return signatureAlgorithmOid_; }

    /// Key usage bits by RFC 5280 name in bit order ("digitalSignature", "nonRepudiation",
    /// "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly",
    /// "decipherOnly"); empty when the extension is absent (any usage).
    [[nodiscard]] const std::vector<std::string>& keyUsage() const noexcept { return keyUsage_; }
    /// Extended key usages by name ("serverAuth", "clientAuth", "emailProtection"…) or dotted OID;
    /// empty when the extension is absent.
    [[nodiscard]] const std::vector<std::string>& extendedKeyUsage() const noexcept {
        return extendedKeyUsage_;
    }
    /// True when basicConstraints says cA.
    [[nodiscard]] bool isCa() const noexcept { return isCa_; }

    /// SHA-256 of the DER, upper-case hex without separators.
    [[nodiscard]] const std::string& sha256Fingerprint() const noexcept { return sha256Fingerprint_; }
    /// The DER exactly as parsed.
    [[nodiscard]] const Bytes& der() const noexcept { return der_; }
    /// "-----BEGIN CERTIFICATE-----" PEM of der(), 64-column base64, trailing newline.
    [[nodiscard]] std::string toPem() const;

    friend bool operator==(const Certificate& a, const Certificate& b) noexcept { return a.der_ == b.der_; }

  private:
    Certificate() = default;

    DistinguishedName subject_;
    DistinguishedName issuer_;
    int version_ = 0;
    std::string serialNumber_;
    std::chrono::system_clock::time_point notBefore_;
    std::chrono::system_clock::time_point notAfter_;
    std::string notBeforeIso_;
    std::string notAfterIso_;
    PublicKeyInfo publicKey_;
    std::string signatureAlgorithm_;
    std::string signatureAlgorithmOid_;
    std::vector<std::string> keyUsage_;
    std::vector<std::string> extendedKeyUsage_;
    bool isCa_ = false;
    std::string sha256Fingerprint_;
    Bytes der_;
};

}  // namespace cardbridge

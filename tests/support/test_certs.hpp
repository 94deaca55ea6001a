// Test keys and X.509 certificates generated at run time with OpenSSL (RSA, EC P-256/P-384, SM2).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cardbridge/common/bytes.hpp"

namespace cardbridge::test {

/// Key pair to generate. Sm2 is an SM2 key (GM/T 0003) on the SM2 curve; certificates it signs use SM3.
enum class KeyKind { Rsa1024, Rsa2048, EcP256, EcP384, Sm2 };

/// GM/T 0009-2012's default SM2 user id (distinguishing id), used when signing with SM2 keys.
inline constexpr std::string_view SM2_DEFAULT_ID = "1234567812345678";

/// ASN.1 string type used for the subject's text attributes (C is always PrintableString and
/// emailAddress always IA5String, as X.520 / PKCS #9 require). Bmp (UCS-2, so U+FFFF at most) and
/// Universal are converted from UTF-8; the others carry the UTF-8 bytes unchanged, which is what CAs
/// that put Chinese names in a T61String or PrintableString actually do.
enum class NameStringType { Utf8, Bmp, Universal, Printable, T61, Ia5 };

struct TestCert;

/// What to put in a certificate. Defaults: a valid end-entity EC P-256 certificate for 张三.
struct CertSpec {
    std::string commonName = "张三";
    std::string organization = "深圳市测试医疗器械有限公司";
    std::string organizationalUnit;  ///< omitted when empty
    std::string country = "CN";      ///< omitted when empty
    /// More subject attributes after the ones above, by OpenSSL short name or OID: {"ST", "广东省"},
    /// {"L", "深圳市"}, {"serialNumber", "…"}, {"emailAddress", "…"}.
    std::vector<std::pair<std::string, std::string>> extraSubject;
    NameStringType nameStringType = NameStringType::Utf8;

    KeyKind key = KeyKind::EcP256;
    std::string keyPem;  ///< when set, this PKCS #8 private key is used and `key` is ignored

    std::chrono::system_clock::time_point notBefore =
        std::chrono::system_clock::now() - std::chrono::hours(24);
    std::chrono::system_clock::time_point notAfter =
        std::chrono::system_clock::now() + std::chrono::days(365);
    /// When set, an ASN.1 time ("YYMMDDHHMMSSZ" or "YYYYMMDDHHMMSSZ") used instead of notAfter, for
    /// dates beyond what system_clock holds, e.g. "99991231235959Z".
    std::string notAfterAsn1;

    /// Key usage names ("digitalSignature", "nonRepudiation", "keyEncipherment", "keyCertSign"…), marked
    /// critical. nullopt: digitalSignature,nonRepudiation for an end entity, keyCertSign,cRLSign for a
    /// CA. Empty: no key usage extension.
    std::optional<std::vector<std::string>> keyUsage;
    /// Extended key usages by name ("clientAuth", "emailProtection"…) or dotted OID; empty: no extension.
    std::vector<std::string> extendedKeyUsage;
    /// subjectAltName in OpenSSL config syntax, e.g. "DNS:localhost,IP:127.0.0.1"; empty: none.
    std::string subjectAltName;

    std::string serialHex;             ///< serial number in hex; empty: 16 random bytes, positive
    const TestCert* issuer = nullptr;  ///< signer (must be a CA from makeCertificate); null: self-signed
    bool isCa = false;                 ///< basicConstraints critical CA:TRUE
};

/// A generated certificate with its private key.
struct TestCert {
    std::string certPem;  ///< "-----BEGIN CERTIFICATE-----" …
    std::string keyPem;   ///< unencrypted PKCS #8 "-----BEGIN PRIVATE KEY-----" …
    Bytes der;            ///< the certificate's DER
};

/// Generates a fresh key pair of `kind` as unencrypted PKCS #8 PEM. Throws OpenSslError.
std::string makePrivateKeyPem(KeyKind kind);

/// Builds and signs a certificate: SHA-256 for RSA/EC signers; SM3 with GM/T 0009's default SM2 id
/// "1234567812345678" for SM2 signers, as Chinese CAs do. OpenSSL 3.0 verifies SM2 with an empty id
/// unless told otherwise: verifiers must set that id (X509_set0_distinguishing_id, or
/// `openssl verify -vfyopt distid:1234567812345678`). Throws OpenSslError, or std::invalid_argument on a
/// bad spec.
TestCert makeCertificate(const CertSpec& spec);

/// Writes `content` to `path` (created or truncated; mode 0600). Throws std::runtime_error.
void writeFile(const std::filesystem::path& path, std::string_view content);

}  // namespace cardbridge::test

#include "test_certs.hpp"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "cardbridge/common/openssl.hpp"

namespace cardbridge::test {

namespace {

using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OpenSslDeleter<ASN1_INTEGER_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION_free>>;
using X509NameEntryPtr = std::unique_ptr<X509_NAME_ENTRY, OpenSslDeleter<X509_NAME_ENTRY_free>>;

EvpPkeyPtr generateKey(KeyKind kind) {
    EVP_PKEY* key = nullptr;
    switch (kind) {
        case KeyKind::Rsa1024:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024));
            break;
        case KeyKind::Rsa2048:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
            break;
        case KeyKind::EcP256:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
            break;
        case KeyKind::EcP384:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
            break;
        case KeyKind::Sm2:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "SM2");
            break;
    }
    if (!key) throwOpenSsl("generating a test key");
    return EvpPkeyPtr(key);
}

EvpPkeyPtr readPrivateKey(std::string_view pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) throwOpenSsl("BIO_new_mem_buf");
    EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) throwOpenSsl("reading a test private key");
    return key;
}

std::string privateKeyPem(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throwOpenSsl("writing a test private key");
    char* text = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &text);
    return std::string(text, static_cast<std::size_t>(len));
}

std::string certificatePem(X509* cert) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) throwOpenSsl("writing a test certificate");
    char* text = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &text);
    return std::string(text, static_cast<std::size_t>(len));
}

// Decodes trusted (test-authored) UTF-8 into code points.
std::vector<std::uint32_t> codePoints(std::string_view utf8) {
    std::vector<std::uint32_t> out;
    for (std::size_t i = 0; i < utf8.size();) {
        const auto b = static_cast<std::uint8_t>(utf8[i]);
        std::size_t extra = b < 0x80 ? 0 : b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
        std::uint32_t cp = extra == 0 ? b : extra == 1 ? (b & 0x1Fu) : extra == 2 ? (b & 0x0Fu) : (b & 0x07u);
        if (i + extra >= utf8.size())
            throw std::invalid_argument("test certificate: truncated UTF-8 in a name");
        for (std::size_t k = 1; k <= extra; ++k)
            cp = (cp << 6) | (static_cast<std::uint8_t>(utf8[i + k]) & 0x3Fu);
        out.push_back(cp);
        i += extra + 1;
    }
    return out;
}

Bytes toBmp(std::string_view utf8) {
    Bytes out;
    auto put16 = [&out](std::uint32_t unit) {
        out.push_back(static_cast<std::uint8_t>(unit >> 8));
        out.push_back(static_cast<std::uint8_t>(unit & 0xFF));
    };
    for (std::uint32_t cp : codePoints(utf8)) {
        // OpenSSL 3.0 rejects UTF-16 surrogates in a BMPString when it encodes (or decodes) a name.
        if (cp >= 0x10000)
            throw std::invalid_argument("test certificate: BMPString cannot hold U+10000 and up");
        put16(cp);
    }
    return out;
}

Bytes toUniversal(std::string_view utf8) {
    Bytes out;
    for (std::uint32_t cp : codePoints(utf8)) {
        for (int shift = 24; shift >= 0; shift -= 8)
            out.push_back(static_cast<std::uint8_t>((cp >> shift) & 0xFF));
    }
    return out;
}

void addNameEntry(X509_NAME* name, const std::string& field, std::string_view value, NameStringType type) {
    const int nid = OBJ_txt2nid(field.c_str());
    if (nid == NID_undef) throw std::invalid_argument("test certificate: unknown name attribute " + field);
    Bytes bytes;
    int asn1Type = V_ASN1_UTF8STRING;
    if (nid == NID_countryName || nid == NID_serialNumber || nid == NID_dnQualifier) {
        type = NameStringType::Printable;
    } else if (nid == NID_pkcs9_emailAddress) {
        type = NameStringType::Ia5;
    }
    switch (type) {
        case NameStringType::Utf8:
            asn1Type = V_ASN1_UTF8STRING;
            bytes = toBytes(value);
            break;
        case NameStringType::Bmp:
            asn1Type = V_ASN1_BMPSTRING;
            bytes = toBmp(value);
            break;
        case NameStringType::Universal:
            asn1Type = V_ASN1_UNIVERSALSTRING;
            bytes = toUniversal(value);
            break;
        case NameStringType::Printable:
            asn1Type = V_ASN1_PRINTABLESTRING;
            bytes = toBytes(value);
            break;
        case NameStringType::T61:
            asn1Type = V_ASN1_T61STRING;
            bytes = toBytes(value);
            break;
        case NameStringType::Ia5:
            asn1Type = V_ASN1_IA5STRING;
            bytes = toBytes(value);
            break;
    }
    // A plain V_ASN1_* type (not MBSTRING_*) stores the bytes as given, with that tag.
    X509NameEntryPtr entry(
        X509_NAME_ENTRY_create_by_NID(nullptr, nid, asn1Type, bytes.data(), static_cast<int>(bytes.size())));
    if (!entry || X509_NAME_add_entry(name, entry.get(), -1, 0) != 1) throwOpenSsl("adding a name entry");
}

void addExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
    X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) throwOpenSsl("adding extension " + value);
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const std::string& p : parts) {
        if (!out.empty()) out += ',';
        out += p;
    }
    return out;
}

void setSerial(X509* cert, const std::string& hex) {
    BIGNUM* raw = nullptr;
    Bytes random;
    std::string text = hex;
    if (text.empty()) {
        random = randomBytes(16);
        random[0] = static_cast<std::uint8_t>((random[0] & 0x3F) | 0x10);  // positive, 16 octets
        text = toHex(random);
    }
    if (BN_hex2bn(&raw, text.c_str()) == 0)
        throw std::invalid_argument("test certificate: bad serial " + hex);
    BignumPtr bn(raw);
    Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    if (!serial || X509_set_serialNumber(cert, serial.get()) != 1) throwOpenSsl("setting the serial");
}

void sign(X509* cert, EVP_PKEY* signer) {
    const bool sm2 = EVP_PKEY_is_a(signer, "SM2") == 1;
    EvpMdCtxPtr md(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;  // owned by md
    if (!md || EVP_DigestSignInit_ex(md.get(), &pctx, sm2 ? "SM3" : "SHA256", nullptr, nullptr, signer,
                                     nullptr) != 1)
        throwOpenSsl("initialising the certificate signature");
    if (sm2 && EVP_PKEY_CTX_set1_id(pctx, SM2_DEFAULT_ID.data(), SM2_DEFAULT_ID.size()) != 1)
        throwOpenSsl("setting the SM2 id");
    if (X509_sign_ctx(cert, md.get()) <= 0) throwOpenSsl("signing the test certificate");
}

}  // namespace

std::string makePrivateKeyPem(KeyKind kind) {
    return privateKeyPem(generateKey(kind).get());
}

TestCert makeCertificate(const CertSpec& spec) {
    EvpPkeyPtr key = spec.keyPem.empty() ? generateKey(spec.key) : readPrivateKey(spec.keyPem);

    X509Ptr issuerCert;
    EvpPkeyPtr issuerKey;
    if (spec.issuer) {
        const unsigned char* p = spec.issuer->der.data();
        issuerCert.reset(d2i_X509(nullptr, &p, static_cast<long>(spec.issuer->der.size())));
        if (!issuerCert) throwOpenSsl("reading the issuer certificate");
        issuerKey = readPrivateKey(spec.issuer->keyPem);
    }

    X509Ptr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) throwOpenSsl("X509_new");
    setSerial(cert.get(), spec.serialHex);

    X509_NAME* subject = X509_get_subject_name(cert.get());
    if (!spec.country.empty()) addNameEntry(subject, "C", spec.country, spec.nameStringType);
    if (!spec.organization.empty()) addNameEntry(subject, "O", spec.organization, spec.nameStringType);
    if (!spec.organizationalUnit.empty())
        addNameEntry(subject, "OU", spec.organizationalUnit, spec.nameStringType);
    if (!spec.commonName.empty()) addNameEntry(subject, "CN", spec.commonName, spec.nameStringType);
    for (const auto& [field, value] : spec.extraSubject)
        addNameEntry(subject, field, value, spec.nameStringType);
    // The issuer's subject is copied byte for byte, so chains match whatever string types it used.
    if (X509_set_issuer_name(cert.get(), issuerCert ? X509_get_subject_name(issuerCert.get()) : subject) != 1)
        throwOpenSsl("setting the issuer name");

    if (!ASN1_TIME_set(X509_getm_notBefore(cert.get()), std::chrono::system_clock::to_time_t(spec.notBefore)))
        throwOpenSsl("setting notBefore");
    if (spec.notAfterAsn1.empty()) {
        if (!ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                           std::chrono::system_clock::to_time_t(spec.notAfter)))
            throwOpenSsl("setting notAfter");
    } else if (ASN1_TIME_set_string_X509(X509_getm_notAfter(cert.get()), spec.notAfterAsn1.c_str()) != 1) {
        throw std::invalid_argument("test certificate: bad notAfterAsn1 " + spec.notAfterAsn1);
    }

    if (X509_set_pubkey(cert.get(), key.get()) != 1) throwOpenSsl("setting the public key");

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuerCert ? issuerCert.get() : cert.get(), cert.get(), nullptr, nullptr, 0);
    if (spec.isCa) addExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE");
    const std::vector<std::string> keyUsage =
        spec.keyUsage ? *spec.keyUsage
                      : (spec.isCa ? std::vector<std::string>{"keyCertSign", "cRLSign"}
                                   : std::vector<std::string>{"digitalSignature", "nonRepudiation"});
    if (!keyUsage.empty()) addExtension(cert.get(), &ctx, NID_key_usage, "critical," + join(keyUsage));
    if (!spec.extendedKeyUsage.empty())
        addExtension(cert.get(), &ctx, NID_ext_key_usage, join(spec.extendedKeyUsage));
    if (!spec.subjectAltName.empty())
        addExtension(cert.get(), &ctx, NID_subject_alt_name, spec.subjectAltName);
    addExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    addExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");

    sign(cert.get(), issuerKey ? issuerKey.get() : key.get());

    TestCert out;
    out.certPem = certificatePem(cert.get());
    out.keyPem = privateKeyPem(key.get());
    unsigned char* der = nullptr;
    const int len = i2d_X509(cert.get(), &der);
    if (len <= 0) throwOpenSsl("i2d_X509");
    out.der.assign(der, der + len);
    OPENSSL_free(der);
    return out;
}

void writeFile(const std::filesystem::path& path, std::string_view content) {
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        if (!out) throw std::runtime_error("cannot create " + path.string());
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        if (!out) throw std::runtime_error("cannot write " + path.string());
    }
    std::filesystem::permissions(path,
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace);
}

}  // namespace cardbridge::test

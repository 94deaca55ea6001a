#include "cardbridge/common/certificate.hpp"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <memory>

#include "cardbridge/common/digest.hpp"
#include "cardbridge/common/error.hpp"
#include "cardbridge/common/openssl.hpp"

namespace cardbridge {

namespace {

using Asn1TypePtr = std::unique_ptr<ASN1_TYPE, OpenSslDeleter<ASN1_TYPE_free>>;
using ExtendedKeyUsagePtr = std::unique_ptr<EXTENDED_KEY_USAGE, OpenSslDeleter<EXTENDED_KEY_USAGE_free>>;

struct OpenSslFree {
    void operator()(void* p) const noexcept { OPENSSL_free(p); }
};
template <class T>
using OpenSslMallocPtr = std::unique_ptr<T, OpenSslFree>;

constexpr std::uint32_t MAX_CODE_POINT = 0x10FFFF;

bool isSurrogate(std::uint32_t cp) {
    return cp >= 0xD800 && cp <= 0xDFFF;
}

void appendUtf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool isValidUtf8(ByteView s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const std::uint8_t b = s[i];
        std::size_t extra = 0;
        std::uint32_t cp = 0;
        std::uint32_t min = 0;
        if (b < 0x80) {
            ++i;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            extra = 1, cp = b & 0x1Fu, min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            extra = 2, cp = b & 0x0Fu, min = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            extra = 3, cp = b & 0x07u, min = 0x10000;
        } else {
            return false;
        }
        if (s.size() - i <= extra) return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            const std::uint8_t c = s[i + k];
            if ((c & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (c & 0x3Fu);
        }
        if (cp < min || cp > MAX_CODE_POINT || isSurrogate(cp)) return false;
        i += extra + 1;
    }
    return true;
}

// BMPString: UCS-2 big-endian. (OpenSSL 3.0 already refuses surrogates when it decodes the name.)
bool bmpToUtf8(ByteView s, std::string& out) {
    if (s.size() % 2 != 0) return false;
    for (std::size_t i = 0; i < s.size(); i += 2) {
        const std::uint32_t cp = (static_cast<std::uint32_t>(s[i]) << 8) | s[i + 1];
        if (isSurrogate(cp)) return false;
        appendUtf8(out, cp);
    }
    return true;
}

// UniversalString: UCS-4 big-endian.
bool universalToUtf8(ByteView s, std::string& out) {
    if (s.size() % 4 != 0) return false;
    for (std::size_t i = 0; i < s.size(); i += 4) {
        const std::uint32_t cp = (static_cast<std::uint32_t>(s[i]) << 24) |
                                 (static_cast<std::uint32_t>(s[i + 1]) << 16) |
                                 (static_cast<std::uint32_t>(s[i + 2]) << 8) | s[i + 3];
        if (cp > MAX_CODE_POINT || isSurrogate(cp)) return false;
        appendUtf8(out, cp);
    }
    return true;
}

// Hex of the value's DER (tag, length, content): RFC 4514's form for values without a string reading.
std::string hexValue(const ASN1_STRING* value) {
    Asn1TypePtr any(ASN1_TYPE_new());
    if (!any || ASN1_TYPE_set1(any.get(), ASN1_STRING_type(value), value) != 1)
        throwOpenSsl("ASN1_TYPE_set1");
    unsigned char* der = nullptr;
    const int len = i2d_ASN1_TYPE(any.get(), &der);
    if (len < 0) throwOpenSsl("i2d_ASN1_TYPE");
    OpenSslMallocPtr<unsigned char> owned(der);
    // Built by append rather than `"#" + toHex(...)`: GCC 12 at -O3 reports a false -Wrestrict on the
    // inlined operator+(const char*, std::string&&).
    const std::string hex = toHex(ByteView(der, static_cast<std::size_t>(len)));
    std::string out;
    out.reserve(hex.size() + 1);
    out.push_back('#');
    out.append(hex);
    return out;
}

// Any directory string to UTF-8. One-byte types (T61, Printable, IA5…) are read as UTF-8 when they hold
// valid UTF-8: CAs that put Chinese names in a T61String or PrintableString put UTF-8 bytes there, and
// plain ASCII reads the same either way. Otherwise they are Latin-1, as OpenSSL and NSS read T61.
std::string decodeString(const ASN1_STRING* value) {
    const ByteView bytes(ASN1_STRING_get0_data(value), static_cast<std::size_t>(ASN1_STRING_length(value)));
    std::string out;
    switch (ASN1_STRING_type(value)) {
        case V_ASN1_UTF8STRING:
            if (isValidUtf8(bytes)) return std::string(bytes.begin(), bytes.end());
            break;
        case V_ASN1_BMPSTRING:
            if (bmpToUtf8(bytes, out)) return out;
            break;
        case V_ASN1_UNIVERSALSTRING:
            if (universalToUtf8(bytes, out)) return out;
            break;
        case V_ASN1_T61STRING:
        case V_ASN1_PRINTABLESTRING:
        case V_ASN1_IA5STRING:
        case V_ASN1_VISIBLESTRING:
        case V_ASN1_NUMERICSTRING:
        case V_ASN1_VIDEOTEXSTRING:
        case V_ASN1_GRAPHICSTRING:
        case V_ASN1_GENERALSTRING:
            if (isValidUtf8(bytes)) return std::string(bytes.begin(), bytes.end());
            for (std::uint8_t b : bytes) appendUtf8(out, b);
            return out;
        default:
            break;
    }
    return hexValue(value);
}

std::string oidText(const ASN1_OBJECT* obj) {
    std::array<char, 128> buffer{};
    const int len = OBJ_obj2txt(buffer.data(), static_cast<int>(buffer.size()), obj, 1);
    if (len < 0) throwOpenSsl("OBJ_obj2txt");
    if (static_cast<std::size_t>(len) < buffer.size())
        return std::string(buffer.data(), static_cast<std::size_t>(len));
    std::string big(static_cast<std::size_t>(len) + 1, '\0');
    OBJ_obj2txt(big.data(), len + 1, obj, 1);
    big.resize(static_cast<std::size_t>(len));
    return big;
}

// OpenSSL's short name, or the dotted OID for objects it does not know.
std::string objectShortName(const ASN1_OBJECT* obj) {
    const int nid = OBJ_obj2nid(obj);
    if (nid != NID_undef) {
        if (const char* sn = OBJ_nid2sn(nid)) return sn;
    }
    return oidText(obj);
}

// RFC 4514 §2.4 escaping; other control characters become \XX so the text stays one printable line.
void appendEscaped(std::string& out, std::string_view value) {
    static constexpr char HEX[] = "0123456789ABCDEF";
    for (std::size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        const auto u = static_cast<unsigned char>(c);
        const bool edge = (i == 0 && (c == ' ' || c == '#')) || (i + 1 == value.size() && c == ' ');
        if (edge || c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7F) {
            out += '\\';
            out += HEX[u >> 4];
            out += HEX[u & 0x0F];
        } else {
            out += c;
        }
    }
}

DistinguishedName decodeName(const X509_NAME* name) {
    DistinguishedName dn;
    const int count = X509_NAME_entry_count(name);
    for (int i = 0; i < count; ++i) {
        const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
        const ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(entry);
        const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
        if (!obj || !data) throw InputError("certificate: malformed name entry");
        dn.attributes.push_back(NameAttribute{objectShortName(obj), oidText(obj), decodeString(data),
                                              X509_NAME_ENTRY_set(entry)});
    }
    // Most specific RDN first; the parts of one multi-valued RDN joined with '+'.
    for (auto it = dn.attributes.rbegin(); it != dn.attributes.rend();) {
        const int rdn = it->rdn;
        auto first = it;
        while (it != dn.attributes.rend() && it->rdn == rdn) ++it;
        if (!dn.text.empty()) dn.text += ',';
        // Within the RDN keep encoding order: walk the reversed run backwards.
        for (auto part = it; part != first;) {
            --part;
            if (part != std::prev(it)) dn.text += '+';
            dn.text += part->type;
            dn.text += '=';
            appendEscaped(dn.text, part->value);
        }
    }
    return dn;
}

struct DecodedTime {
    std::chrono::system_clock::time_point point;
    std::string iso;
};

DecodedTime decodeTime(const ASN1_TIME* time, const char* which) {
    std::tm t{};
    if (!time || ASN1_TIME_to_tm(time, &t) != 1) {
        ERR_clear_error();
        throw InputError(std::string("certificate: malformed ") + which);
    }
    using namespace std::chrono;
    const sys_days day = year{t.tm_year + 1900} / month{static_cast<unsigned>(t.tm_mon + 1)} /
                         std::chrono::day{static_cast<unsigned>(t.tm_mday)};
    const seconds since = day.time_since_epoch() + hours{t.tm_hour} + minutes{t.tm_min} + seconds{t.tm_sec};
    constexpr seconds maxSince = duration_cast<seconds>(system_clock::duration::max());
    constexpr seconds minSince = duration_cast<seconds>(system_clock::duration::min());
    DecodedTime out;
    if (since >= maxSince) {
        out.point = system_clock::time_point::max();
    } else if (since <= minSince) {
        out.point = system_clock::time_point::min();
    } else {
        out.point = system_clock::time_point{duration_cast<system_clock::duration>(since)};
    }
    char iso[80];  // room for any int fields, which silences -Wformat-truncation
    std::snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02dZ", t.tm_year + 1900, t.tm_mon + 1,
                  t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
    out.iso = iso;
    return out;
}

std::string serialHex(const ASN1_INTEGER* serial) {
    if (!serial) throw InputError("certificate: missing serial number");
    const ByteView content(ASN1_STRING_get0_data(serial),
                           static_cast<std::size_t>(ASN1_STRING_length(serial)));
    std::string hex = toHex(content);
    if (hex.empty()) hex = "00";
    if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER) hex.insert(0, "-");
    return hex;
}

std::string curveName(int nid) {
    switch (nid) {
        case NID_X9_62_prime192v1:
            return "P-192";
        case NID_secp224r1:
            return "P-224";
        case NID_X9_62_prime256v1:
            return "P-256";
        case NID_secp384r1:
            return "P-384";
        case NID_secp521r1:
            return "P-521";
        case NID_sm2:
            return "SM2";
        default:
            return OBJ_nid2sn(nid) ? OBJ_nid2sn(nid) : "";
    }
}

PublicKeyInfo decodePublicKey(X509* cert) {
    PublicKeyInfo info;
    ASN1_OBJECT* algorithm = nullptr;
    X509_ALGOR* params = nullptr;
    if (X509_PUBKEY_get0_param(&algorithm, nullptr, nullptr, &params, X509_get_X509_PUBKEY(cert)) != 1 ||
        !algorithm) {
        ERR_clear_error();
        throw InputError("certificate: malformed subject public key info");
    }
    // May be null for a key OpenSSL cannot load (unknown algorithm, bad encoding): still describable.
    const EVP_PKEY* key = X509_get0_pubkey(cert);
    ERR_clear_error();
    info.bits = key ? EVP_PKEY_get_bits(key) : 0;

    switch (OBJ_obj2nid(algorithm)) {
        case NID_rsaEncryption:
            info.algorithm = "RSA";
            break;
        case NID_rsassaPss:
            info.algorithm = "RSA-PSS";
            break;
        case NID_dsa:
            info.algorithm = "DSA";
            break;
        case NID_ED25519:
            info.algorithm = "Ed25519";
            info.bits = 256;
            break;
        case NID_ED448:
            info.algorithm = "Ed448";
            info.bits = 456;
            break;
        case NID_sm2:  // some CAs put the SM2 OID itself in the algorithm field
            info.algorithm = "SM2";
            info.curve = "SM2";
            info.bits = 256;
            break;
        case NID_X9_62_id_ecPublicKey: {
            int paramType = V_ASN1_UNDEF;
            const void* paramValue = nullptr;
            X509_ALGOR_get0(nullptr, &paramType, &paramValue, params);
            if (paramType == V_ASN1_OBJECT && paramValue) {
                const auto* curve = static_cast<const ASN1_OBJECT*>(paramValue);
                const int curveNid = OBJ_obj2nid(curve);
                info.curve = curveNid == NID_undef ? oidText(curve) : curveName(curveNid);
                if (curveNid == NID_sm2) {
                    // GM/T 0006: SM2 keys are id-ecPublicKey on the SM2 curve; the key is what matters.
                    info.algorithm = "SM2";
                    info.bits = 256;
                    break;
                }
            } else {
                info.curve = "explicit";
            }
            info.algorithm = "EC";
            break;
        }
        default:
            info.algorithm = objectShortName(algorithm);
            break;
    }
    return info;
}

std::vector<std::string> decodeKeyUsage(std::uint32_t bits) {
    struct Named {
        std::uint32_t bit;
        const char* name;
    };
    static constexpr Named NAMES[] = {
        {KU_DIGITAL_SIGNATURE, "digitalSignature"},
        {KU_NON_REPUDIATION, "nonRepudiation"},
        {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
        {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
        {KU_KEY_AGREEMENT, "keyAgreement"},
        {KU_KEY_CERT_SIGN, "keyCertSign"},
        {KU_CRL_SIGN, "cRLSign"},
        {KU_ENCIPHER_ONLY, "encipherOnly"},
        {KU_DECIPHER_ONLY, "decipherOnly"},
    };
    std::vector<std::string> out;
    for (const Named& n : NAMES) {
        if (bits & n.bit) out.emplace_back(n.name);
    }
    return out;
}

std::vector<std::string> decodeExtendedKeyUsage(const X509* cert) {
    int critical = 0;
    ExtendedKeyUsagePtr eku(
        static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, &critical, nullptr)));
    std::vector<std::string> out;
    if (!eku) {
        ERR_clear_error();
        return out;
    }
    const int count = sk_ASN1_OBJECT_num(eku.get());
    for (int i = 0; i < count; ++i) out.push_back(objectShortName(sk_ASN1_OBJECT_value(eku.get(), i)));
    return out;
}

}  // namespace

std::string DistinguishedName::first(std::string_view type) const {
    for (const NameAttribute& a : attributes) {
        if (a.type == type || a.oid == type) return a.value;
    }
    return {};
}

std::string_view toString(CertificateStatus status) {
    switch (status) {
        case CertificateStatus::Valid:
            return "valid";
        case CertificateStatus::Expired:
            return "expired";
        case CertificateStatus::NotYetValid:
            return "notYetValid";
    }
    return "unknown";
}

Certificate Certificate::fromDer(ByteView der) {
    if (der.empty()) throw InputError("certificate: empty");
    if (der.size() > MAX_CERTIFICATE_DER_SIZE) throw InputError("certificate: larger than the allowed size");
    const unsigned char* cursor = der.data();
    X509Ptr x509(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
    if (!x509) throw InputError(openSslErrors("certificate: not a DER X.509 certificate"));
    const auto consumed = static_cast<std::size_t>(cursor - der.data());
    if (consumed != der.size()) throw InputError("certificate: trailing bytes after the certificate");
    X509* x = x509.get();

    // Computes OpenSSL's cached extension data; a certificate whose extensions it rejects (malformed,
    // duplicated) is not one to describe as if it were fine.
    const std::uint32_t flags = X509_get_extension_flags(x);
    if (flags & EXFLAG_INVALID) {
        ERR_clear_error();
        throw InputError("certificate: malformed or duplicated extensions");
    }

    const X509_ALGOR* outerAlgorithm = nullptr;
    X509_get0_signature(nullptr, &outerAlgorithm, x);
    const X509_ALGOR* innerAlgorithm = X509_get0_tbs_sigalg(x);
    if (!outerAlgorithm || !innerAlgorithm || X509_ALGOR_cmp(outerAlgorithm, innerAlgorithm) != 0)
        throw InputError("certificate: signature algorithm differs from the one in the signed part");

    Certificate cert;
    cert.der_.assign(der.begin(), der.end());
    cert.version_ = static_cast<int>(X509_get_version(x)) + 1;
    cert.subject_ = decodeName(X509_get_subject_name(x));
    cert.issuer_ = decodeName(X509_get_issuer_name(x));
    cert.serialNumber_ = serialHex(X509_get0_serialNumber(x));

    DecodedTime notBefore = decodeTime(X509_get0_notBefore(x), "notBefore");
    DecodedTime notAfter = decodeTime(X509_get0_notAfter(x), "notAfter");
    cert.notBefore_ = notBefore.point;
    cert.notBeforeIso_ = std::move(notBefore.iso);
    cert.notAfter_ = notAfter.point;
    cert.notAfterIso_ = std::move(notAfter.iso);

    cert.publicKey_ = decodePublicKey(x);

    const ASN1_OBJECT* sigOid = nullptr;
    X509_ALGOR_get0(&sigOid, nullptr, nullptr, outerAlgorithm);
    cert.signatureAlgorithmOid_ = oidText(sigOid);
    switch (const int nid = OBJ_obj2nid(sigOid)) {
        case NID_undef:
            cert.signatureAlgorithm_ = cert.signatureAlgorithmOid_;
            break;
        case NID_ED25519:
            cert.signatureAlgorithm_ = "Ed25519";
            break;
        case NID_ED448:
            cert.signatureAlgorithm_ = "Ed448";
            break;
        default:  // long names are the RFC names: sha256WithRSAEncryption, ecdsa-with-SHA256, SM2-with-SM3
            cert.signatureAlgorithm_ = OBJ_nid2ln(nid) ? OBJ_nid2ln(nid) : cert.signatureAlgorithmOid_;
            break;
    }

    if (flags & EXFLAG_KUSAGE) cert.keyUsage_ = decodeKeyUsage(X509_get_key_usage(x));
    cert.extendedKeyUsage_ = decodeExtendedKeyUsage(x);
    cert.isCa_ = (flags & EXFLAG_CA) != 0;
    cert.sha256Fingerprint_ = toHex(sha256(cert.der_));
    ERR_clear_error();
    return cert;
}

Certificate Certificate::fromPem(std::string_view pem) {
    if (pem.size() > MAX_CERTIFICATE_PEM_SIZE)
        throw InputError("certificate: PEM larger than the allowed size");
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) throwOpenSsl("BIO_new_mem_buf");
    for (;;) {
        char* rawName = nullptr;
        char* rawHeader = nullptr;
        unsigned char* rawData = nullptr;
        long len = 0;
        if (PEM_read_bio(bio.get(), &rawName, &rawHeader, &rawData, &len) != 1) {
            ERR_clear_error();
            throw InputError("certificate: no CERTIFICATE block in the PEM text");
        }
        OpenSslMallocPtr<char> name(rawName);
        OpenSslMallocPtr<char> header(rawHeader);
        OpenSslMallocPtr<unsigned char> data(rawData);
        const std::string_view label(name.get());
        if (label == "CERTIFICATE" || label == "X509 CERTIFICATE")
            return fromDer(ByteView(data.get(), static_cast<std::size_t>(len)));
    }
}

CertificateStatus Certificate::statusAt(std::chrono::system_clock::time_point now) const noexcept {
    if (now < notBefore_) return CertificateStatus::NotYetValid;
    if (now > notAfter_) return CertificateStatus::Expired;
    return CertificateStatus::Valid;
}

std::string Certificate::toPem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio(bio.get(), "CERTIFICATE", "", der_.data(), static_cast<long>(der_.size())) <= 0)
        throwOpenSsl("PEM_write_bio");
    char* text = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &text);
    return std::string(text, static_cast<std::size_t>(len));
}

}  // namespace cardbridge

// Minting the local root and the loopback leaf, and the OpenSSL plumbing around certificates.
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <memory>
#include <string>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/openssl.hpp"
#include "local_tls_internal.hpp"

namespace cardbridge::localtls::detail {

namespace {

using Clock = std::chrono::system_clock;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OpenSslDeleter<ASN1_INTEGER_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION_free>>;

// The root's permitted subtrees: exactly the three loopback names (IPv4 /32, IPv6 /128). A leaf for any
// other name fails verification in OpenSSL and in NSS, so a stolen leaf key is useless elsewhere and
// the root, even if trusted, cannot vouch for a real site.
constexpr const char* NAME_CONSTRAINTS =
    "critical,permitted;DNS:localhost,permitted;IP:127.0.0.1/255.255.255.255,"
    "permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

void setRandomSerial(X509* cert) {
    Bytes serial = randomBytes(16);
    serial[0] = static_cast<std::uint8_t>((serial[0] & 0x7F) | 0x40);  // positive, full 16 bytes
    BignumPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
    if (!bn) throwOpenSsl("BN_bin2bn");
    if (!BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert))) throwOpenSsl("setting the serial");
}

void setValidity(X509* cert, std::time_t from, std::time_t to) {
    if (!ASN1_TIME_set(X509_getm_notBefore(cert), from) || !ASN1_TIME_set(X509_getm_notAfter(cert), to))
        throwOpenSsl("setting the validity");
}

void setName(X509_NAME* name, std::string_view commonName) {
    const std::string cn(commonName);
    if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>("cardbridge"), -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0))
        throwOpenSsl("building a name");
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext) throwOpenSsl("building extension " + value);
    if (!X509_add_ext(cert, ext.get(), -1)) throwOpenSsl("adding extension " + value);
}

X509Ptr newCertificate(EVP_PKEY* subjectKey) {
    X509Ptr cert(X509_new());
    if (!cert) throwOpenSsl("X509_new");
    if (!X509_set_version(cert.get(), X509_VERSION_3) || !X509_set_pubkey(cert.get(), subjectKey))
        throwOpenSsl("setting up a certificate");
    setRandomSerial(cert.get());
    return cert;
}

void sign(X509* cert, EVP_PKEY* key) {
    if (X509_sign(cert, key, EVP_sha256()) <= 0) throwOpenSsl("X509_sign");
}

std::string memoryBioText(BIO* bio) {
    char* text = nullptr;
    const long len = BIO_get_mem_data(bio, &text);
    return std::string(text, static_cast<std::size_t>(len));
}

}  // namespace

EvpPkeyPtr generateP256Key() {
    EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) throwOpenSsl("generating a P-256 key");
    return key;
}

std::string rootCommonName(Clock::time_point now) {
    std::array<char, 256> host{};
    std::string hostname = gethostname(host.data(), host.size() - 1) == 0 ? host.data() : "";
    // Keep the name printable ASCII and inside X.520's 64-character limit for CN.
    hostname.erase(
        std::remove_if(hostname.begin(), hostname.end(), [](char c) { return c < 0x21 || c > 0x7E; }),
        hostname.end());
    if (hostname.empty()) hostname = "host";
    if (hostname.size() > 30) hostname.resize(30);
    const std::time_t t = Clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 16> date{};
    std::strftime(date.data(), date.size(), "%Y-%m-%d", &tm);
    return std::string(NSS_NICKNAME_PREFIX) + " " + hostname + " " + date.data();
}

CertAndKey mintRoot(std::string_view commonName, Clock::time_point now) {
    CertAndKey root{nullptr, generateP256Key()};
    root.cert = newCertificate(root.key.get());
    X509* cert = root.cert.get();
    setName(X509_get_subject_name(cert), commonName);
    if (!X509_set_issuer_name(cert, X509_get_subject_name(cert))) throwOpenSsl("X509_set_issuer_name");
    setValidity(cert, Clock::to_time_t(now - BACKDATE), Clock::to_time_t(now + ROOT_VALIDITY));
    addExtension(cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    addExtension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    addExtension(cert, cert, NID_subject_key_identifier, "hash");
    addExtension(cert, cert, NID_authority_key_identifier, "keyid:always");
    addExtension(cert, cert, NID_name_constraints, NAME_CONSTRAINTS);
    sign(cert, root.key.get());
    return root;
}

CertAndKey mintLeaf(const CertAndKey& issuer, const std::vector<std::string>& dnsNames,
                    const std::vector<std::string>& ipAddresses, Clock::time_point now) {
    CertAndKey leaf{nullptr, generateP256Key()};
    leaf.cert = newCertificate(leaf.key.get());
    X509* cert = leaf.cert.get();
    const std::string cn = !dnsNames.empty()      ? dnsNames.front()
                           : !ipAddresses.empty() ? ipAddresses.front()
                                                  : "";
    setName(X509_get_subject_name(cert), cn);
    if (!X509_set_issuer_name(cert, X509_get_subject_name(issuer.cert.get())))
        throwOpenSsl("X509_set_issuer_name");
    const std::time_t to =
        std::min(Clock::to_time_t(now + LEAF_VALIDITY), Clock::to_time_t(notAfter(issuer.cert.get())));
    setValidity(cert, Clock::to_time_t(now - BACKDATE), to);
    addExtension(cert, issuer.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    addExtension(cert, issuer.cert.get(), NID_key_usage, "critical,digitalSignature");
    addExtension(cert, issuer.cert.get(), NID_ext_key_usage, "serverAuth");
    std::string san;
    for (const auto& name : dnsNames) san += (san.empty() ? "DNS:" : ",DNS:") + name;
    for (const auto& ip : ipAddresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
    if (!san.empty()) addExtension(cert, issuer.cert.get(), NID_subject_alt_name, san);
    addExtension(cert, issuer.cert.get(), NID_subject_key_identifier, "hash");
    addExtension(cert, issuer.cert.get(), NID_authority_key_identifier, "keyid:always");
    sign(cert, issuer.key.get());
    return leaf;
}

std::vector<X509Ptr> parseCertificates(std::string_view pem) {
    std::vector<X509Ptr> out;
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) throwOpenSsl("BIO_new_mem_buf");
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(cert);
    (void)openSslErrors("");  // the loop always ends on a "no start line" error: drop it
    return out;
}

EvpPkeyPtr parsePrivateKey(std::string_view pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) throwOpenSsl("BIO_new_mem_buf");
    EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) (void)openSslErrors("");
    return key;
}

std::string certificatePem(X509* cert) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) throwOpenSsl("PEM_write_bio_X509");
    return memoryBioText(bio.get());
}

std::string sha256Fingerprint(X509* cert) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int len = 0;
    if (X509_digest(cert, EVP_sha256(), digest.data(), &len) != 1) throwOpenSsl("X509_digest");
    return toHex(ByteView(digest.data(), len));
}

Clock::time_point notAfter(X509* cert) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) throwOpenSsl("ASN1_TIME_to_tm");
    return Clock::from_time_t(timegm(&tm));
}

}  // namespace cardbridge::localtls::detail

// Internals of cardbridge_localtls, visible to its unit tests (they include it from certs/src).
#pragma once

#include <openssl/x509.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cardbridge/common/openssl.hpp"
#include "cardbridge/localtls/local_tls.hpp"

namespace cardbridge::localtls::detail {

/// A certificate with its private key, in memory only.
struct CertAndKey {
    X509Ptr cert;
    EvpPkeyPtr key;
};

/// Fresh ECDSA P-256 key. Throws OpenSslError.
EvpPkeyPtr generateP256Key();

/// Mints a self-signed root: CN `commonName`, O "cardbridge", ECDSA P-256 / SHA-256, basicConstraints
/// critical CA:TRUE pathlen:0, keyUsage critical keyCertSign+cRLSign, nameConstraints critical permitting
/// only the loopback names, SKI/AKI, valid [now - BACKDATE, now + ROOT_VALIDITY]. Throws OpenSslError.
CertAndKey mintRoot(std::string_view commonName, std::chrono::system_clock::time_point now);

/// Mints a leaf signed by `issuer`: CN = first DNS name (or first IP), CA:FALSE, keyUsage
/// digitalSignature, EKU serverAuth, SAN of the given names, random serial, SKI/AKI, valid
/// [now - BACKDATE, min(now + LEAF_VALIDITY, issuer's notAfter)]. Throws OpenSslError.
CertAndKey mintLeaf(const CertAndKey& issuer, const std::vector<std::string>& dnsNames,
                    const std::vector<std::string>& ipAddresses, std::chrono::system_clock::time_point now);

/// "cardbridge local root <hostname> <YYYY-MM-DD>" for `now` (UTC).
std::string rootCommonName(std::chrono::system_clock::time_point now);

/// Verifies `leaf` with `root` as the only trust anchor at `at` (nullopt: validity periods not checked),
/// for TLS server use, strict X.509. Returns X509_V_OK or the X509_V_ERR_* code. Throws OpenSslError if
/// OpenSSL cannot set up.
int verifyLeaf(X509* leaf, X509* root, std::optional<std::chrono::system_clock::time_point> at);

/// Human-readable text of a verification result (X509_verify_cert_error_string).
std::string verifyErrorText(int code);

/// True when the leaf's SAN covers localhost, 127.0.0.1 and ::1.
bool coversLoopbackNames(X509* leaf);

/// All "CERTIFICATE" PEM blocks of `pem`, in order (empty when none parse).
std::vector<X509Ptr> parseCertificates(std::string_view pem);

/// The first private key of `pem`, or null.
EvpPkeyPtr parsePrivateKey(std::string_view pem);

/// The private key in the PEM file at `path` (read through a file BIO, no copy in our buffers), or null.
EvpPkeyPtr readPrivateKeyFile(const std::filesystem::path& path);

/// PEM text of one certificate. Throws OpenSslError.
std::string certificatePem(X509* cert);

/// SHA-256 of the certificate's DER, upper-case hex. Throws OpenSslError.
std::string sha256Fingerprint(X509* cert);

/// notAfter of a certificate as a time_point. Throws OpenSslError.
std::chrono::system_clock::time_point notAfter(X509* cert);

/// Whole file, or nullopt when missing, unreadable or bigger than maxBytes.
std::optional<std::string> readSmallFile(const std::filesystem::path& path,
                                         std::size_t maxBytes = 256 * 1024);

/// A complete new version of a file, written and fsynced under a temp name in the same folder, that
/// replaces the target only on commit() (rename). Not committed: the temp file is removed.
class StagedFile {
  public:
    /// Stages `content` for `target` with permission bits `mode`. Throws FatalError.
    StagedFile(std::filesystem::path target, std::string_view content, unsigned mode);
    /// Stages `key` as unencrypted PKCS #8 PEM, mode 0600, written straight from OpenSSL to the file so
    /// no copy of the PEM stays in our memory. Throws FatalError / OpenSslError.
    StagedFile(std::filesystem::path target, EVP_PKEY* key);
    StagedFile(const StagedFile&) = delete;
    StagedFile& operator=(const StagedFile&) = delete;
    ~StagedFile();
    /// Renames the temp file over the target and fsyncs the folder. Throws FatalError.
    void commit();

  private:
    std::filesystem::path target_;
    std::filesystem::path temp_;
    bool committed_ = false;
};

/// Writes `content` to `path` atomically (StagedFile + commit). Throws FatalError.
void writeFileAtomically(const std::filesystem::path& path, std::string_view content, unsigned mode);

/// Whether `path` is a regular file owned by the effective user with no group/other permission bits.
bool isOwnerOnly(const std::filesystem::path& path);

/// Whether the store made of caFile and caDir (either may be empty = not used) holds exactly `root`.
TrustCheck isTrustedByStore(X509* root, const std::string& caFile, const std::string& caDir);

/// Result of a child process.
struct ProcessResult {
    bool started = false;  ///< false when the program could not be executed (e.g. not installed)
    int exitCode = -1;     ///< exit status, or -1 when killed / not started
    std::string out;       ///< stdout (capped)
    std::string err;       ///< stderr (capped), or why it did not start
};

/// Runs argv[0] (looked up in PATH) with argv, no shell, stdin from /dev/null, collecting stdout and
/// stderr; kills it after `timeout`. Throws FatalError when pipes cannot be made.
ProcessResult runProcess(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// Nicknames listed by `certutil -L -d sql:DIR` output, with their trust flags ("C,," …).
struct NssEntry {
    std::string nickname;
    std::string trust;
};
std::vector<NssEntry> parseCertutilList(std::string_view output);

/// Deletes every certificate whose nickname starts with NSS_NICKNAME_PREFIX from the sql: database in
/// nssDbDir (certutil -L, then -D per entry; several certificates may share a nickname). Returns how
/// many were deleted. Throws FatalError when certutil is missing or cannot list the database.
std::size_t removeOurNssEntries(const std::filesystem::path& nssDbDir);

/// Result of editing Firefox's policies.json.
struct PolicyEdit {
    std::string text;         ///< the new file content (indented JSON, final newline)
    bool changed = false;     ///< the policies differ from the input's
    bool noPolicies = false;  ///< "policies" is empty and nothing else is in the file: delete the file
};

/// Says whether an entry of Certificates.Install (given by its file name) is one of ours to replace.
using OwnCertificate = std::function<bool(std::string_view fileName)>;

/// `existing` (nullopt or blank: a new file) with `certPath` in policies.Certificates.Install, after
/// taking out every string entry whose file name isOurs; every other policy, entry and the keys' order
/// stay. Throws InputError when `existing` is not a JSON object or policies / Certificates / Install
/// have the wrong type (the caller then leaves the file alone).
PolicyEdit addFirefoxCertificate(const std::optional<std::string>& existing, const std::string& certPath,
                                 const OwnCertificate& isOurs);

/// `existing` without the Install entries whose file name isOurs; an Install, Certificates left empty is
/// dropped. Throws InputError as addFirefoxCertificate.
PolicyEdit removeFirefoxCertificates(const std::string& existing, const OwnCertificate& isOurs);

/// Whether policies.Certificates.Install of `existing` lists exactly `certPath`. False for bad JSON.
bool firefoxPolicyInstalls(const std::string& existing, const std::string& certPath);

/// Whether `root` is a cardbridge local root: CA with pathLen 0 and exactly the critical name constraints
/// mintRoot writes (only the loopback names). Only such a root goes into machine-wide stores.
bool isLoopbackOnlyRoot(X509* root);

/// Whether two policy files hold the same JSON value (false when either does not parse).
bool samePolicyJson(const std::string& a, const std::string& b);

}  // namespace cardbridge::localtls::detail

// Local TLS for the daemon: a per-machine root CA (name-constrained to the loopback names, private key
// destroyed after signing) and the loopback leaf it signed, kept in the daemon's state folder, plus the
// checks `cardbridged doctor` reports and the NSS trust step browsers need.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cardbridge::localtls {

/// Root certificate (PEM), the only file that goes into trust stores.
inline constexpr std::string_view ROOT_CERT_FILE = "local-root.pem";
/// Chain the server presents (PEM): the leaf, then the root.
inline constexpr std::string_view LEAF_CHAIN_FILE = "localhost.pem";
/// The leaf's private key (unencrypted PKCS #8 PEM, mode 0600). The root's key is never written.
inline constexpr std::string_view LEAF_KEY_FILE = "localhost.key";

/// Lifetime of a minted root. Longer than the leaf's so the leaf never outlives its issuer.
inline constexpr std::chrono::days ROOT_VALIDITY{730};
/// Lifetime of a minted leaf.
inline constexpr std::chrono::days LEAF_VALIDITY{365};
/// ensureLocalTls mints a new root and leaf once the leaf has less than this left.
inline constexpr std::chrono::days RENEWAL_WINDOW{30};
/// How far back notBefore is set, so a slightly wrong clock elsewhere does not reject a fresh leaf.
inline constexpr std::chrono::hours BACKDATE{1};

/// The names the leaf covers and the root's name constraints permit.
inline constexpr std::string_view LOOPBACK_DNS_NAME = "localhost";
inline constexpr std::string_view LOOPBACK_IPV4 = "127.0.0.1";
inline constexpr std::string_view LOOPBACK_IPV6 = "::1";

/// Every NSS nickname cardbridge gives a local root starts with this; trustInNss removes older ones.
inline constexpr std::string_view NSS_NICKNAME_PREFIX = "cardbridge local root";

/// What ensureLocalTls leaves on disk.
struct LocalTlsFiles {
    std::filesystem::path rootCertPath;   ///< stateDir / ROOT_CERT_FILE
    std::filesystem::path leafChainPath;  ///< stateDir / LEAF_CHAIN_FILE (leaf, then root)
    std::filesystem::path leafKeyPath;    ///< stateDir / LEAF_KEY_FILE
    std::string rootSha256Fingerprint;    ///< SHA-256 of the root's DER, upper-case hex, no separators
    std::chrono::system_clock::time_point leafNotAfter;
    bool minted = false;  ///< true when this call minted a new root and leaf
    std::string reason;   ///< why it minted (English, for the log); empty when it did not
};

/// Makes sure stateDir (created, set to 0700) holds a usable root + leaf + key: mints a new root and
/// leaf when any inspectLocalTls finding is a problem (a file missing or unreadable, chain not verifying,
/// key not matching the leaf or readable by others, expired, or less than RENEWAL_WINDOW left);
/// otherwise leaves them.
/// Throws FatalError (OpenSslError included) when the folder cannot be written or OpenSSL fails.
LocalTlsFiles ensureLocalTls(const std::filesystem::path& stateDir,
                             std::chrono::system_clock::time_point now);

/// Outcome of one check.
enum class FindingStatus { Ok, Problem, Unknown };

/// Stable lower-case name: "ok", "problem", "unknown".
std::string_view toString(FindingStatus status);

/// One line of a doctor report.
struct Finding {
    std::string code;  ///< stable, e.g. "tls.files", "tls.chain", "tls.trust.nss"
    FindingStatus status = FindingStatus::Problem;
    std::string messageZh;  ///< short Chinese text for a support desk
    std::string messageEn;  ///< the same in English
};

/// Stable codes of inspectLocalTls's findings, in report order. A missing or unparseable file stops the
/// report after "tls.files".
inline constexpr std::string_view FINDING_FILES = "tls.files";
inline constexpr std::string_view FINDING_KEY_PERMISSIONS = "tls.key_permissions";
inline constexpr std::string_view FINDING_KEY_MATCH = "tls.key_match";
inline constexpr std::string_view FINDING_CHAIN = "tls.chain";
inline constexpr std::string_view FINDING_ROOT_PROFILE = "tls.root_profile";
inline constexpr std::string_view FINDING_LEAF_NAMES = "tls.leaf_names";
inline constexpr std::string_view FINDING_EXPIRY = "tls.expiry";
inline constexpr std::string_view FINDING_RENEWAL = "tls.renewal";
/// Codes of the trust findings (see inspectLocalTrust).
inline constexpr std::string_view FINDING_TRUST_SYSTEM = "tls.trust.system";
inline constexpr std::string_view FINDING_TRUST_NSS = "tls.trust.nss";

/// Checks the files in stateDir without changing anything: present, key owner-only, key matches leaf,
/// chain verifies with the root as the only trust anchor, root is CA pathLen 0 with name constraints,
/// leaf covers the loopback names, not expired, renewal not due. Never throws for bad files (they become
/// problems); FatalError if OpenSSL fails.
std::vector<Finding> inspectLocalTls(const std::filesystem::path& stateDir,
                                     std::chrono::system_clock::time_point now);

/// Whether a trust store holds a root.
enum class TrustState { Trusted, NotTrusted, Unknown };

/// Answer of a trust check with the reason in words (English, for logs and doctor).
struct TrustCheck {
    TrustState state = TrustState::Unknown;
    std::string detail;
};

/// Whether the system store OpenSSL uses (default file, e.g. /etc/ssl/certs/ca-certificates.crt, and
/// default hashed folder) holds exactly this root. Throws InputError if rootPem holds no certificate.
TrustCheck isTrustedBySystem(std::string_view rootPem);

/// $HOME/.pki/nssdb, the shared NSS database Chromium uses on Linux; empty path if HOME is unset.
std::filesystem::path defaultNssDbDir();

/// Whether the NSS database (sql: format) holds this root with the "C" (trusted CA for TLS servers)
/// flag, by `certutil -L`. Unknown when certutil is missing or fails. Throws InputError on a bad rootPem.
TrustCheck isTrustedByNss(std::string_view rootPem,
                          const std::filesystem::path& nssDbDir = defaultNssDbDir());

/// The nickname trustInNss is normally given: NSS_NICKNAME_PREFIX + " " + the first 16 hex digits of the
/// root's SHA-256 fingerprint.
std::string nssNickname(std::string_view rootSha256Fingerprint);

/// Adds the root at rootPemPath to the NSS database with trust "C,," under `nickname`, creating the
/// folder (0700) and an empty-password database if needed and first deleting every certificate whose
/// nickname starts with NSS_NICKNAME_PREFIX. Runs certutil (argv, no shell). Throws FatalError when
/// certutil is missing or fails, InputError when rootPemPath is not a certificate.
void trustInNss(const std::filesystem::path& rootPemPath, const std::filesystem::path& nssDbDir,
                std::string_view nickname);

/// Doctor's trust lines for the root in stateDir: FINDING_TRUST_SYSTEM and FINDING_TRUST_NSS (Ok =
/// trusted, Problem = not trusted, Unknown = could not tell). Empty when the root file is unreadable.
std::vector<Finding> inspectLocalTrust(const std::filesystem::path& stateDir,
                                       const std::filesystem::path& nssDbDir = defaultNssDbDir());

}  // namespace cardbridge::localtls

// AuthorityConfig: everything cardbridge-authority's domain needs, and its JSON loader.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cardbridge/rules/magic.hpp"

namespace cardbridge::authority {

/// Limits of the unlock flow. Defaults follow DESIGN.md §5 and domain.md. The SMS code rules (6 digits,
/// 5 min life, 60 s cooldown, 5 wrong tries, daily caps per card and address) are cardbridge_rules'
/// constants (rules/sms_code.hpp), shared with the web UI, and deliberately not configurable here.
struct AuthorityLimits {
    /// Unlock requests per card per hour whose handler does not match the applicant (counted only once the
    /// card serial matched the certificate's, so a made-up serial spends nothing of the card's).
    int createPerCardPerHour = 10;
    /// Requests per card per hour whose handler fully matches: a budget of their own, so strangers who
    /// spend the one above never lock the real handler out.
    int createMatchesPerCardPerHour = 5;
    int createPerAddressPerHour = 30;  ///< unlock requests created per client address per hour
    /// Largest attachment accepted; may only lower rules::MAX_ATTACHMENT_BYTES (1024 KB).
    std::size_t attachmentMaxBytes = rules::MAX_ATTACHMENT_BYTES;
    int reviewWorkingDays = 3;         ///< review due this many working days after submission
    int approvalValidDays = 30;        ///< an approval can be used this long
    int smsAuthorisationMinutes = 30;  ///< a verified SMS code authorises a credential this long
};

/// Reviewers' sessions and logins (filled from the serve config's "review" section).
struct ReviewerSessionPolicy {
    std::chrono::minutes sessionLifetime{480};  ///< absolute session life from login (review.sessionMinutes)
    int loginAttemptsPerWindow = 10;            ///< per client address (review.loginAttemptsPerWindow)
    std::chrono::minutes loginWindow{15};
    std::chrono::minutes idleTimeout{30};       ///< a session unused this long ends (review.idleMinutes)
    int accountFailuresBeforeLock = 5;          ///< consecutive failed logins of one name before it locks
    std::chrono::seconds accountLockBase{60};   ///< first lock; doubles with each further failure
    std::chrono::seconds accountLockMax{3600};  ///< longest lock
};

/// Where SMS codes go: an outbox file (JSON lines) or an HTTP(S) webhook.
struct SmsGatewayConfig {
    std::string kind = "outbox";       ///< "outbox" | "webhook"
    std::filesystem::path outboxPath;  ///< outbox: file to append to; empty = <dataDir>/sms-outbox.jsonl
    std::string webhookUrl;  ///< webhook: https:// URL receiving POST JSON (http:// only to loopback)
    std::vector<std::filesystem::path> webhookCaFiles;  ///< webhook https: the CAs trusted (pinned) instead
                                                        ///< of the system store
    int webhookTimeoutSeconds = 10;                     ///< connect + request deadline
};

/// Configuration of the authority's domain service (the HTTP listener's keys live in the app's config).
struct AuthorityConfig {
    std::filesystem::path dataDir;                      ///< holds authority.db and the outbox by default
    std::filesystem::path databasePath;                 ///< empty = <dataDir>/authority.db
    std::vector<std::filesystem::path> issuingCaFiles;  ///< PEM files of the CAs whose certificates we unlock
    std::filesystem::path masterKeyFile;                ///< PUK master key (owner-only, ≥ 32 bytes)
    std::filesystem::path idKeyFile;          ///< HMAC key for ID numbers (owner-only, ≥ 32 bytes)
    std::filesystem::path attachmentKeyFile;  ///< AES-256-GCM key for attachments (owner-only, 32 bytes)
    SmsGatewayConfig sms;
    AuthorityLimits limits;
    ReviewerSessionPolicy reviewerSessions;
    int attachmentRetentionDays = 180;  ///< purge attachment contents this long after the decision; expire
                                        ///< requests left undecided this long after their last change
    int purgeIntervalMinutes = 60;      ///< serve runs the purge at start and then this often
    int uniformTimingMillis = 250;      ///< the create call's HTTP answer leaves no sooner (0 = no padding)
    /// Text given with CERT_EXPIRED: where to go for the offline procedure.
    std::string offlineRouteText = "证书已过期，请携带相关材料到证书服务网点办理线下解锁。";
    /// Holiday calendar data file for working days; empty = the rules library's built-in data.
    std::filesystem::path holidayCalendarFile;
};

/// A loaded configuration and what the loader had to say about it.
struct LoadedAuthorityConfig {
    AuthorityConfig config;
    std::vector<std::string> warnings;  ///< e.g. "unknown key 'smsx'" (reported, not fatal)
};

/// Reads the authority's keys from a parsed config object; keys listed in `otherKeys` (the HTTP layer's,
/// e.g. "listen", "tls") are neither read nor reported. Throws InputError as parseAuthorityConfig.
LoadedAuthorityConfig parseAuthorityConfigJson(const nlohmann::json& json,
                                               const std::filesystem::path& baseDir,
                                               const std::vector<std::string>& otherKeys = {});

/// Parses the JSON text of a config file. Relative paths are resolved against `baseDir`. Throws InputError
/// on malformed JSON, wrong types, missing required keys (dataDir, issuingCaFiles, masterKeyFile,
/// idKeyFile, attachmentKeyFile) or out-of-range values; unknown keys become warnings.
LoadedAuthorityConfig parseAuthorityConfig(const std::string& jsonText, const std::filesystem::path& baseDir);

/// Reads `path` and parses it (relative paths resolved against its folder). Throws InputError as above,
/// FatalError when the file cannot be read.
LoadedAuthorityConfig loadAuthorityConfig(const std::filesystem::path& path);

}  // namespace cardbridge::authority

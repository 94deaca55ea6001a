// `cardbridged trust install | status | remove`: the local root in the user's NSS database (what
// Chromium-based browsers read on Linux), in the system store (update-ca-certificates) and in Firefox's
// enterprise policy, put in, checked and taken out again. The per-user half can run as another user (a
// forked child that drops root's privileges), the machine-wide half stays root's.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cardbridge::localtls {

/// Folder of the system store's anchor files (Debian: update-ca-certificates reads *.crt there).
inline constexpr std::string_view DEFAULT_SYSTEM_STORE_DIR = "/usr/local/share/ca-certificates";
/// The system-wide policy file Debian's firefox-esr (application name "Firefox") reads first.
inline constexpr std::string_view DEFAULT_FIREFOX_POLICY = "/etc/firefox/policies/policies.json";
/// Every file cardbridge puts into the system store or beside the Firefox policy starts with this.
inline constexpr std::string_view TRUST_FILE_PREFIX = "cardbridge-local-root";

/// The three things `trust` can do.
enum class TrustAction { Install, Status, Remove };

/// The stores, in report order.
enum class TrustStore { Nss, System, Firefox };

/// "nss", "system", "firefox".
std::string_view toString(TrustStore store);
/// The store named by toString(), or nullopt.
std::optional<TrustStore> parseTrustStore(std::string_view name);

/// How one store came out.
enum class StoreOutcome {
    Trusted,     ///< trusts the current root (status; install: now does)
    NotTrusted,  ///< present, does not trust the current root (status)
    Removed,     ///< remove: nothing of ours is left in it
    Missing,     ///< not on this machine: certutil absent, no Firefox, no system store folder
    NeedsRoot,   ///< a machine-wide store and we are not root: left alone
    Failed,      ///< an error; the message says what
};

/// "trusted", "not_trusted", "removed", "missing", "needs_root", "failed".
std::string_view toString(StoreOutcome outcome);

/// One line of the report.
struct StoreReport {
    TrustStore store = TrustStore::Nss;
    StoreOutcome outcome = StoreOutcome::Failed;
    std::string location;   ///< the database folder, anchor file or policy file
    std::string messageZh;  ///< Chinese, for the user
    std::string messageEn;  ///< the same in English
};

/// Where the stores are and what to do.
struct TrustOptions {
    /// NSS database folder; empty: $HOME/.pki/nssdb of the (possibly switched-to) user.
    std::filesystem::path nssDb;
    /// Folder of the anchor file; a folder given explicitly is used even when not root.
    std::filesystem::path systemStoreDir{DEFAULT_SYSTEM_STORE_DIR};
    bool systemStoreGiven = false;
    /// Run (argv, no shell) after the anchor changed; "--fresh" is appended on remove. Empty: none.
    std::vector<std::string> systemUpdate{"update-ca-certificates"};
    /// Firefox policies.json; one given explicitly is used even without Firefox or root.
    std::filesystem::path firefoxPolicy{DEFAULT_FIREFOX_POLICY};
    bool firefoxPolicyGiven = false;
    /// Policy files Firefox reads when firefoxPolicy does not exist. A new firefoxPolicy starts as a copy
    /// of the first one that exists (it shadows them), and remove deletes it again when only that copy is
    /// left. Defaults to the firefox-esr / firefox install folders when firefoxPolicy is the default.
    std::optional<std::vector<std::filesystem::path>> firefoxDistributionPolicies;
    /// Only these stores; empty: all three.
    std::vector<TrustStore> only;
    /// Names the machine-wide files (cardbridge-local-root-<owner>.crt / .pem), so several users' roots
    /// can coexist; empty: the effective user's name.
    std::string owner;
    /// remove: take every user's cardbridge files out of the machine-wide stores, not only owner's.
    bool allUsers = false;
};

/// Everything one `trust` command did.
struct TrustResult {
    TrustAction action = TrustAction::Status;
    std::filesystem::path rootPath;  ///< the local root file; empty when there is none (status, remove)
    std::string rootSha256;          ///< its SHA-256 (upper-case hex); empty when none
    std::vector<StoreReport> stores;
    /// Set when the command could not start (unknown user, not root for --for-user, no root minted).
    std::string errorZh;
    std::string errorEn;
    int exitCode = 0;  ///< see trustExitCode
};

/// A local account `--for-user` acts for.
struct UserAccount {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::filesystem::path home;
};

/// The account called `name` (getpwnam), or nullopt.
std::optional<UserAccount> lookUpUser(const std::string& name);

/// As root: the account that ran `sudo` (SUDO_USER) or `pkexec` (PKEXEC_UID), unless that is root;
/// nullopt otherwise. `sudo cardbridged trust install` then acts for the user, not for root.
std::optional<UserAccount> invokingUser();

/// DEFAULT_SYSTEM_STORE_DIR / systemAnchorName(the effective user): where `trust install` puts this
/// user's root in the system store.
std::filesystem::path defaultSystemAnchor();

/// anchor file name in the system store: "cardbridge-local-root-<owner>.crt" (owner sanitised).
std::string systemAnchorName(std::string_view owner);
/// the world-readable copy of the root beside the Firefox policy: "cardbridge-local-root-<owner>.pem".
std::string firefoxCertName(std::string_view owner);

/// Runs one `trust` action. The per-user half (state folder from `stateDir()`, minting on install, the NSS
/// database) runs in this process, or, with `forUser`, in a forked child that has dropped to that user
/// (setgid, initgroups, setuid; HOME, USER, LOGNAME set and XDG_*_HOME unset before `stateDir()` is
/// called) so what it creates belongs to the user. The system store and the Firefox policy are then done
/// here. Never throws: every problem is in the result. Must be called before the process starts threads.
TrustResult runTrust(TrustAction action, const TrustOptions& options,
                     const std::function<std::filesystem::path()>& stateDir,
                     const std::optional<UserAccount>& forUser, std::chrono::system_clock::time_point now);

/// Exit status for a result: 0 when every store that is present did what was asked (install: trusts
/// the root; status: trusts the current root; remove: holds nothing of ours) and no store named in
/// `only` was missing or needed root; 1 otherwise; 2 when the command could not start.
int trustExitCode(const TrustResult& result, const TrustOptions& options);

/// The report as text, Chinese then English per store.
std::string trustReportText(const TrustResult& result);
/// The report as JSON: {"action","ok","exitCode","root":{"path","sha256"},"stores":[{"store","state",
/// "location","zh","en"}],"error"?:{"zh","en"}}.
std::string trustReportJson(const TrustResult& result);

}  // namespace cardbridge::localtls

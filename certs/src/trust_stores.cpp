// `cardbridged trust install | status | remove`: the local root in the user's NSS database, the system
// store and Firefox's enterprise policy. See trust_stores.hpp.
#include "cardbridge/localtls/trust_stores.hpp"

#include <fcntl.h>
#include <grp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "cardbridge/common/error.hpp"
#include "cardbridge/localtls/local_tls.hpp"
#include "local_tls_internal.hpp"

namespace cardbridge::localtls {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace detail {

// True when `root` is a cardbridge local root: CA, pathLen 0, and name constraints byte for byte those
// mintRoot writes (critical, permitting only the loopback names). The root file lives in the user's
// state folder, so with --for-user it is the user's choice: root must not put just any CA into stores
// every user of the machine trusts.
bool isLoopbackOnlyRoot(X509* root) {
    const uint32_t flags = X509_get_extension_flags(root);
    if ((flags & EXFLAG_CA) == 0 || X509_get_pathlen(root) != 0) return false;
    const int index = X509_get_ext_by_NID(root, NID_name_constraints, -1);
    if (index < 0 || X509_get_ext_by_NID(root, NID_name_constraints, index) >= 0) return false;
    X509_EXTENSION* theirs = X509_get_ext(root, index);
    if (X509_EXTENSION_get_critical(theirs) != 1) return false;
    static const std::string reference = [] {
        const auto minted = mintRoot("reference", std::chrono::system_clock::now());
        const int i = X509_get_ext_by_NID(minted.cert.get(), NID_name_constraints, -1);
        const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(minted.cert.get(), i));
        return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                           static_cast<std::size_t>(ASN1_STRING_length(data)));
    }();
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(theirs);
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                       static_cast<std::size_t>(ASN1_STRING_length(data))) == reference;
}

}  // namespace detail

namespace {

constexpr std::string_view CERTUTIL = "certutil";
// The install folders of Debian's firefox-esr and of Mozilla's / other distributions' builds: Firefox
// reads <install>/distribution/policies.json when /etc/firefox/policies/policies.json does not exist.
constexpr std::array<std::string_view, 4> FIREFOX_INSTALL_DIRS{"/usr/lib/firefox-esr", "/usr/lib/firefox",
                                                               "/usr/lib64/firefox", "/opt/firefox"};
constexpr std::array<std::string_view, 3> FIREFOX_PROGRAMS{"/usr/bin/firefox-esr", "/usr/bin/firefox",
                                                           "/snap/bin/firefox"};
// What `cardbridged certs trust --system` wrote before anchors were named per user.
constexpr std::string_view LEGACY_SYSTEM_ANCHOR = "cardbridge-local-root.crt";
constexpr std::size_t MAX_POLICY_BYTES = 1024 * 1024;

std::string sanitizeOwner(std::string_view owner) {
    std::string out;
    for (const char c : owner) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                           c == '-' || c == '_' || c == '.';
        out.push_back(plain ? c : '_');
    }
    return out.empty() ? std::string("_") : out;
}

std::string effectiveUserName() {
    if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr)
        return pw->pw_name;
    return "uid" + std::to_string(::geteuid());
}

bool isRoot() {
    return ::geteuid() == 0;
}

bool selected(const TrustOptions& options, TrustStore store) {
    return options.only.empty() ||
           std::find(options.only.begin(), options.only.end(), store) != options.only.end();
}

bool inPath(std::string_view program) {
    if (program.find('/') != std::string_view::npos) return ::access(std::string(program).c_str(), X_OK) == 0;
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty()) continue;
        if (::access((fs::path(dir) / program).c_str(), X_OK) == 0) return true;
    }
    return false;
}

std::string trimmed(std::string text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    std::size_t start = 0;
    while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
    return text.substr(start);
}

bool sameCertificate(const std::optional<std::string>& filePem, const std::string& rootPem) {
    if (!filePem || rootPem.empty()) return false;
    const auto a = detail::parseCertificates(*filePem);
    const auto b = detail::parseCertificates(rootPem);
    return !a.empty() && !b.empty() && X509_cmp(a.front().get(), b.front().get()) == 0;
}

// Creates `dir` and its missing parents world-readable (0755), whatever the umask: Firefox and
// update-ca-certificates read them as other users.
void createPublicFolders(const fs::path& dir) {
    std::vector<fs::path> missing;
    std::error_code ec;
    for (fs::path p = dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
        missing.push_back(p);
        if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST)
            throw FatalError("cannot create " + it->string() + ": " + std::strerror(errno));
        (void)::chmod(it->c_str(), 0755);
    }
}

StoreReport report(TrustStore store, StoreOutcome outcome, const fs::path& where, std::string zh,
                   std::string en) {
    return {store, outcome, where.string(), std::move(zh), std::move(en)};
}

// ---- NSS (the user's half) ---------------------------------------------------------------------------

StoreReport nssStep(TrustAction action, const fs::path& db, const fs::path& rootPath,
                    const std::string& rootPem, const std::string& sha256) {
    constexpr auto S = TrustStore::Nss;
    if (db.empty())
        return report(S, StoreOutcome::Failed, db,
                      "找不到用户主目录（HOME 未设置），无法定位浏览器 NSS 数据库",
                      "HOME is not set, so there is no NSS database (use --nssdb)");
    if (!inPath(CERTUTIL))
        return report(S, StoreOutcome::Missing, db,
                      "未找到 certutil（请安装 libnss3-tools 软件包），浏览器 NSS 数据库未处理",
                      "certutil not found (install the libnss3-tools package); NSS database skipped");
    try {
        switch (action) {
            case TrustAction::Install: {
                trustInNss(rootPath, db, nssNickname(sha256));
                return report(
                    S, StoreOutcome::Trusted, db,
                    "浏览器 NSS 数据库（Chromium、Chrome 等读取）已信任本机根证书：" + db.string(),
                    "NSS database (read by Chromium, Chrome and other Chromium-based browsers) trusts "
                    "the local root: " +
                        db.string());
            }
            case TrustAction::Status: {
                if (rootPem.empty())
                    return report(S, StoreOutcome::NotTrusted, db, "还没有本机根证书（请运行 trust install）",
                                  "there is no local root yet (run trust install)");
                const TrustCheck check = isTrustedByNss(rootPem, db);
                if (check.state == TrustState::Trusted)
                    return report(S, StoreOutcome::Trusted, db,
                                  "浏览器 NSS 数据库已信任本机根证书：" + db.string(),
                                  "NSS database trusts the local root: " + check.detail);
                if (check.state == TrustState::NotTrusted)
                    return report(S, StoreOutcome::NotTrusted, db,
                                  "浏览器 NSS 数据库未信任本机根证书：" + db.string(),
                                  "NSS database does not trust the local root: " + check.detail);
                return report(S, StoreOutcome::Failed, db, "无法检查浏览器 NSS 数据库：" + db.string(),
                              "cannot check the NSS database: " + check.detail);
            }
            case TrustAction::Remove: {
                std::error_code ec;
                if (!fs::exists(db / "cert9.db", ec))
                    return report(S, StoreOutcome::Removed, db,
                                  "浏览器 NSS 数据库不存在，无需移除：" + db.string(),
                                  "no NSS database at " + db.string() + ", nothing to remove");
                const std::size_t n = detail::removeOurNssEntries(db);
                return report(S, StoreOutcome::Removed, db,
                              "已从浏览器 NSS 数据库移除 " + std::to_string(n) + " 个 cardbridge 根证书：" +
                                  db.string(),
                              "removed " + std::to_string(n) + " cardbridge root(s) from the NSS database " +
                                  db.string());
            }
        }
    } catch (const std::exception& e) {
        return report(S, StoreOutcome::Failed, db, "浏览器 NSS 数据库操作失败：" + std::string(e.what()),
                      std::string("NSS database: ") + e.what());
    }
    return report(S, StoreOutcome::Failed, db, "未知操作", "unknown action");
}

// ---- the per-user half ----------------------------------------------------------------------------------

struct UserHalf {
    fs::path rootPath;
    std::string rootPem;
    std::string sha256;
    std::optional<StoreReport> nss;
    std::string errorZh;
    std::string errorEn;
};

UserHalf runUserHalf(TrustAction action, const TrustOptions& options,
                     const std::function<fs::path()>& stateDirOf, std::chrono::system_clock::time_point now) {
    UserHalf half;
    try {
        const fs::path stateDir = stateDirOf();
        if (action == TrustAction::Install) {
            const LocalTlsFiles files = ensureLocalTls(stateDir, now);
            half.rootPath = files.rootCertPath;
            half.sha256 = files.rootSha256Fingerprint;
        } else {
            half.rootPath = stateDir / ROOT_CERT_FILE;
        }
        const auto pem = detail::readSmallFile(half.rootPath);
        const auto certs = pem ? detail::parseCertificates(*pem) : std::vector<X509Ptr>{};
        if (!certs.empty()) {
            half.rootPem = detail::certificatePem(certs.front().get());
            half.sha256 = detail::sha256Fingerprint(certs.front().get());
        } else if (action == TrustAction::Install) {
            throw FatalError("cannot read the local root " + half.rootPath.string());
        } else {
            half.rootPath.clear();
        }
    } catch (const std::exception& e) {
        half.errorZh = "无法准备本机根证书：" + std::string(e.what());
        half.errorEn = std::string("cannot prepare the local root: ") + e.what();
        return half;
    }
    if (selected(options, TrustStore::Nss)) {
        const fs::path db = options.nssDb.empty() ? defaultNssDbDir() : options.nssDb;
        half.nss = nssStep(action, db, half.rootPath, half.rootPem, half.sha256);
    }
    return half;
}

Json toJson(const StoreReport& r) {
    return {{"store", toString(r.store)},
            {"state", toString(r.outcome)},
            {"location", r.location},
            {"zh", r.messageZh},
            {"en", r.messageEn}};
}

std::optional<StoreReport> storeReportFromJson(const Json& j) {
    if (!j.is_object()) return std::nullopt;
    StoreReport r;
    const auto store = parseTrustStore(j.value("store", ""));
    if (!store) return std::nullopt;
    r.store = *store;
    const std::string state = j.value("state", "");
    for (const auto o : {StoreOutcome::Trusted, StoreOutcome::NotTrusted, StoreOutcome::Removed,
                         StoreOutcome::Missing, StoreOutcome::NeedsRoot, StoreOutcome::Failed})
        if (toString(o) == state) r.outcome = o;
    r.location = j.value("location", "");
    r.messageZh = j.value("zh", "");
    r.messageEn = j.value("en", "");
    return r;
}

std::string serialize(const UserHalf& half) {
    Json j{{"rootPath", half.rootPath.string()},
           {"rootPem", half.rootPem},
           {"sha256", half.sha256},
           {"errorZh", half.errorZh},
           {"errorEn", half.errorEn}};
    if (half.nss) j["nss"] = toJson(*half.nss);
    return j.dump();
}

std::optional<UserHalf> deserialize(const std::string& text) {
    const Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    UserHalf half;
    half.rootPath = j.value("rootPath", "");
    half.rootPem = j.value("rootPem", "");
    half.sha256 = j.value("sha256", "");
    half.errorZh = j.value("errorZh", "");
    half.errorEn = j.value("errorEn", "");
    if (j.contains("nss")) half.nss = storeReportFromJson(j["nss"]);
    return half;
}

void writeAll(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

// The user's half in a child that has become `user`: files it creates (state folder, NSS database)
// belong to the user, and nothing it runs (certutil) runs as root.
UserHalf runUserHalfAs(const UserAccount& user, TrustAction action, const TrustOptions& options,
                       const std::function<fs::path()>& stateDirOf,
                       std::chrono::system_clock::time_point now) {
    UserHalf failed;
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
        failed.errorZh = "无法创建管道";
        failed.errorEn = std::string("pipe2: ") + std::strerror(errno);
        return failed;
    }
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        failed.errorZh = "无法创建子进程";
        failed.errorEn = std::string("fork: ") + std::strerror(errno);
        return failed;
    }
    if (pid == 0) {
        ::close(fds[0]);
        UserHalf half;
        // Group first (needs root), then the supplementary groups, then the user; and prove root is gone.
        if (::setgid(user.gid) != 0 || ::initgroups(user.name.c_str(), user.gid) != 0 ||
            ::setuid(user.uid) != 0 || (user.uid != 0 && ::setuid(0) == 0)) {
            half.errorZh = "无法切换到用户 " + user.name;
            half.errorEn = "cannot switch to user " + user.name + ": " + std::strerror(errno);
        } else {
            ::setenv("HOME", user.home.c_str(), 1);
            ::setenv("USER", user.name.c_str(), 1);
            ::setenv("LOGNAME", user.name.c_str(), 1);
            // root's XDG folders (sudo keeps some) must not become the user's.
            for (const char* name :
                 {"XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"})
                ::unsetenv(name);
            if (::chdir(user.home.c_str()) != 0) (void)::chdir("/");
            half = runUserHalf(action, options, stateDirOf, now);
        }
        writeAll(fds[1], serialize(half));
        ::close(fds[1]);
        std::fflush(nullptr);
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string out;
    std::array<char, 4096> buffer{};
    for (;;) {
        const ssize_t n = ::read(fds[0], buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (out.size() < 4 * 1024 * 1024) out.append(buffer.data(), static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    auto half = deserialize(out);
    if (!half || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        failed.errorZh = "以用户 " + user.name + " 身份运行的子进程失败";
        failed.errorEn = "the child running as " + user.name + " failed";
        return failed;
    }
    return *half;
}

// ---- the system store ---------------------------------------------------------------------------------

// Runs the update command; appends "--fresh" on remove. Returns an error text or "".
std::string runSystemUpdate(const TrustOptions& options, bool fresh) {
    if (options.systemUpdate.empty()) return {};
    std::vector<std::string> argv = options.systemUpdate;
    if (fresh) argv.emplace_back("--fresh");
    const auto result = detail::runProcess(argv, std::chrono::minutes(2));
    if (!result.started) return argv.front() + " not found";
    if (result.exitCode != 0)
        return argv.front() + " failed (exit " + std::to_string(result.exitCode) +
               "): " + trimmed(result.err);
    return {};
}

bool isDefaultSystemStore(const TrustOptions& options) {
    return options.systemStoreDir == fs::path(DEFAULT_SYSTEM_STORE_DIR);
}

StoreReport systemStep(TrustAction action, const TrustOptions& options, const std::string& owner,
                       const std::string& rootPem) {
    constexpr auto S = TrustStore::System;
    const fs::path dir = options.systemStoreDir;
    const fs::path anchor = dir / systemAnchorName(owner);
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        return report(S, StoreOutcome::Missing, dir,
                      "系统证书库目录不存在（ca-certificates 未安装？）：" + dir.string(),
                      "no system store folder " + dir.string() + " (is ca-certificates installed?)");
    if (action == TrustAction::Status) {
        if (rootPem.empty())
            return report(S, StoreOutcome::NotTrusted, anchor, "还没有本机根证书（请运行 trust install）",
                          "there is no local root yet (run trust install)");
        if (!sameCertificate(detail::readSmallFile(anchor), rootPem))
            return report(S, StoreOutcome::NotTrusted, anchor,
                          "系统证书库未信任本机根证书：" + anchor.string() + " 不存在或是旧证书",
                          "system store does not trust the local root: " + anchor.string() +
                              " is missing or holds another root");
        if (isDefaultSystemStore(options)) {
            const TrustCheck check = isTrustedBySystem(rootPem);
            if (check.state != TrustState::Trusted)
                return report(S, StoreOutcome::NotTrusted, anchor,
                              "锚点文件已在，但系统证书包尚未更新（请运行 update-ca-certificates）",
                              "the anchor file is there but the system bundle does not hold it yet (run "
                              "update-ca-certificates): " +
                                  check.detail);
        }
        return report(S, StoreOutcome::Trusted, anchor, "系统证书库已信任本机根证书：" + anchor.string(),
                      "system store trusts the local root: " + anchor.string());
    }
    if (!isRoot() && !options.systemStoreGiven)
        return report(S, StoreOutcome::NeedsRoot, dir, "需要管理员权限：系统证书库未改动（请用 sudo 运行）",
                      "needs root: the system store was left alone (run with sudo)");
    try {
        if (action == TrustAction::Install) {
            const bool same = sameCertificate(detail::readSmallFile(anchor), rootPem);
            if (!same) detail::writeFileAtomically(anchor, rootPem, 0644);
            (void)::chmod(anchor.c_str(), 0644);  // an older copy may have been written owner-only
            const bool legacy = fs::remove(dir / LEGACY_SYSTEM_ANCHOR, ec);
            const bool stale =
                isDefaultSystemStore(options) && isTrustedBySystem(rootPem).state != TrustState::Trusted;
            if (!same || legacy || stale) {
                if (const std::string problem = runSystemUpdate(options, false); !problem.empty())
                    return report(S, StoreOutcome::Failed, anchor, "系统证书库更新失败：" + problem,
                                  "updating the system store failed: " + problem);
            }
            if (isDefaultSystemStore(options) && !options.systemUpdate.empty() &&
                isTrustedBySystem(rootPem).state != TrustState::Trusted)
                return report(S, StoreOutcome::Failed, anchor,
                              "已写入锚点文件，但系统证书包中仍没有本机根证书",
                              "the anchor file was written but the system bundle still lacks the root");
            return report(S, StoreOutcome::Trusted, anchor, "系统证书库已信任本机根证书：" + anchor.string(),
                          "system store trusts the local root: " + anchor.string());
        }
        // Remove: our anchor (every user's with allUsers) and the legacy one.
        std::size_t removed = 0;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            const std::string name = entry.path().filename().string();
            const bool ours =
                name == systemAnchorName(owner) || name == LEGACY_SYSTEM_ANCHOR ||
                (options.allUsers && name.rfind(TRUST_FILE_PREFIX, 0) == 0 && name.ends_with(".crt"));
            if (ours && fs::remove(entry.path(), ec)) ++removed;
        }
        if (removed > 0) {
            if (const std::string problem = runSystemUpdate(options, true); !problem.empty())
                return report(S, StoreOutcome::Failed, dir, "系统证书库更新失败：" + problem,
                              "updating the system store failed: " + problem);
        }
        return report(
            S, StoreOutcome::Removed, dir,
            "已从系统证书库移除 " + std::to_string(removed) + " 个 cardbridge 锚点文件：" + dir.string(),
            "removed " + std::to_string(removed) + " cardbridge anchor file(s) from " + dir.string());
    } catch (const std::exception& e) {
        return report(S, StoreOutcome::Failed, dir, "系统证书库操作失败：" + std::string(e.what()),
                      std::string("system store: ") + e.what());
    }
}

// ---- Firefox's enterprise policy -------------------------------------------------------------------------

bool isDefaultFirefoxPolicy(const TrustOptions& options) {
    return options.firefoxPolicy == fs::path(DEFAULT_FIREFOX_POLICY);
}

bool firefoxInstalled() {
    std::error_code ec;
    for (const auto dir : FIREFOX_INSTALL_DIRS)
        if (fs::is_directory(dir, ec)) return true;
    for (const auto program : FIREFOX_PROGRAMS)
        if (fs::exists(program, ec)) return true;
    return false;
}

std::vector<fs::path> distributionPolicies(const TrustOptions& options) {
    if (options.firefoxDistributionPolicies) return *options.firefoxDistributionPolicies;
    std::vector<fs::path> out;
    if (!isDefaultFirefoxPolicy(options)) return out;
    for (const auto dir : FIREFOX_INSTALL_DIRS)
        out.push_back(fs::path(dir) / "distribution" / "policies.json");
    return out;
}

// The policy file Firefox would read if ours were not there (its content), or nullopt.
std::optional<std::string> shadowedPolicy(const TrustOptions& options) {
    for (const auto& path : distributionPolicies(options)) {
        if (auto text = detail::readSmallFile(path, MAX_POLICY_BYTES)) return text;
    }
    return std::nullopt;
}

StoreReport firefoxStep(TrustAction action, const TrustOptions& options, const std::string& owner,
                        const std::string& rootPem) {
    constexpr auto S = TrustStore::Firefox;
    const fs::path policy = options.firefoxPolicy;
    const fs::path cert = policy.parent_path() / firefoxCertName(owner);
    const auto isOurs = [&](std::string_view name) {
        if (name == firefoxCertName(owner)) return true;
        return options.allUsers && action == TrustAction::Remove &&
               name.substr(0, TRUST_FILE_PREFIX.size()) == TRUST_FILE_PREFIX;
    };
    std::error_code ec;
    const bool policyExists = fs::exists(policy, ec);
    if (!options.firefoxPolicyGiven && !firefoxInstalled() && !policyExists)
        return report(S, StoreOutcome::Missing, policy, "未发现 Firefox，不涉及 Firefox 企业策略",
                      "no Firefox found, so there is no Firefox policy to use");
    const auto existing = detail::readSmallFile(policy, MAX_POLICY_BYTES);
    if (policyExists && !existing)
        return report(S, StoreOutcome::Failed, policy, "无法读取 Firefox 策略文件：" + policy.string(),
                      "cannot read the Firefox policy " + policy.string());
    if (action == TrustAction::Status) {
        if (rootPem.empty())
            return report(S, StoreOutcome::NotTrusted, policy, "还没有本机根证书（请运行 trust install）",
                          "there is no local root yet (run trust install)");
        if (!existing || !detail::firefoxPolicyInstalls(*existing, cert.string()))
            return report(
                S, StoreOutcome::NotTrusted, policy, "Firefox 企业策略未包含本机根证书：" + policy.string(),
                "the Firefox enterprise policy does not install the local root: " + policy.string());
        if (!sameCertificate(detail::readSmallFile(cert), rootPem))
            return report(
                S, StoreOutcome::NotTrusted, policy,
                "Firefox 策略指向的证书文件不存在或是旧证书：" + cert.string(),
                "the certificate the Firefox policy names is missing or an older root: " + cert.string());
        return report(S, StoreOutcome::Trusted, policy,
                      "Firefox 企业策略已安装本机根证书（Firefox 启动时读取）：" + policy.string(),
                      "the Firefox enterprise policy installs the local root (read when Firefox starts): " +
                          policy.string());
    }
    if (!isRoot() && !options.firefoxPolicyGiven)
        return report(S, StoreOutcome::NeedsRoot, policy,
                      "需要管理员权限：Firefox 企业策略未改动（请用 sudo 运行）",
                      "needs root: the Firefox enterprise policy was left alone (run with sudo)");
    try {
        if (action == TrustAction::Install) {
            // A new system-wide file hides the install folder's policies.json from Firefox: start from it.
            const std::optional<std::string> base = existing ? existing : shadowedPolicy(options);
            const detail::PolicyEdit edit = detail::addFirefoxCertificate(base, cert.string(), isOurs);
            createPublicFolders(policy.parent_path());
            if (!sameCertificate(detail::readSmallFile(cert), rootPem))
                detail::writeFileAtomically(cert, rootPem, 0644);
            (void)::chmod(cert.c_str(), 0644);  // Firefox reads it as the user
            if (edit.changed || !existing) detail::writeFileAtomically(policy, edit.text, 0644);
            return report(S, StoreOutcome::Trusted, policy,
                          "Firefox 企业策略已加入本机根证书：" + policy.string() +
                              "（Firefox 下次启动时生效，不会关闭正在运行的浏览器）",
                          "the Firefox enterprise policy installs the local root: " + policy.string() +
                              " (takes effect when Firefox next starts; a running Firefox is left alone)");
        }
        // Remove.
        std::size_t removed = 0;
        if (existing) {
            const detail::PolicyEdit edit = detail::removeFirefoxCertificates(*existing, isOurs);
            const auto shadowed = shadowedPolicy(options);
            // Empty of policies, or only the copy of the install folder's file we started from: delete.
            if (edit.noPolicies ||
                (edit.changed && shadowed && detail::samePolicyJson(edit.text, *shadowed))) {
                if (fs::remove(policy, ec)) ++removed;
            } else if (edit.changed) {
                detail::writeFileAtomically(policy, edit.text, 0644);
                ++removed;
            }
        }
        for (const auto& entry : fs::directory_iterator(policy.parent_path(), ec)) {
            const std::string name = entry.path().filename().string();
            if (name.ends_with(".pem") && isOurs(name) && fs::remove(entry.path(), ec)) ++removed;
        }
        return report(S, StoreOutcome::Removed, policy,
                      "Firefox 企业策略中已没有 cardbridge 根证书（改动 " + std::to_string(removed) +
                          " 处）：" + policy.string(),
                      "the Firefox enterprise policy holds no cardbridge root (" + std::to_string(removed) +
                          " change(s)): " + policy.string());
    } catch (const InputError& e) {
        return report(S, StoreOutcome::Failed, policy,
                      "Firefox 策略文件格式不对，未改动：" + std::string(e.what()),
                      std::string("the Firefox policy file was left alone: ") + e.what());
    } catch (const std::exception& e) {
        return report(S, StoreOutcome::Failed, policy, "Firefox 企业策略操作失败：" + std::string(e.what()),
                      std::string("Firefox enterprise policy: ") + e.what());
    }
}

const char* mark(StoreOutcome outcome) {
    switch (outcome) {
        case StoreOutcome::Trusted:
            return "[ 已信任 trusted ]";
        case StoreOutcome::NotTrusted:
            return "[ 未信任 NOT trusted ]";
        case StoreOutcome::Removed:
            return "[ 已移除 removed ]";
        case StoreOutcome::Missing:
            return "[ 不存在 missing ]";
        case StoreOutcome::NeedsRoot:
            return "[ 需管理员 needs root ]";
        case StoreOutcome::Failed:
            return "[ 失败 FAILED ]";
    }
    return "[ ? ]";
}

std::string_view actionName(TrustAction action) {
    switch (action) {
        case TrustAction::Install:
            return "install";
        case TrustAction::Status:
            return "status";
        case TrustAction::Remove:
            return "remove";
    }
    return "?";
}

}  // namespace

std::string_view toString(TrustStore store) {
    switch (store) {
        case TrustStore::Nss:
            return "nss";
        case TrustStore::System:
            return "system";
        case TrustStore::Firefox:
            return "firefox";
    }
    return "?";
}

std::optional<TrustStore> parseTrustStore(std::string_view name) {
    for (const auto store : {TrustStore::Nss, TrustStore::System, TrustStore::Firefox})
        if (toString(store) == name) return store;
    return std::nullopt;
}

std::string_view toString(StoreOutcome outcome) {
    switch (outcome) {
        case StoreOutcome::Trusted:
            return "trusted";
        case StoreOutcome::NotTrusted:
            return "not_trusted";
        case StoreOutcome::Removed:
            return "removed";
        case StoreOutcome::Missing:
            return "missing";
        case StoreOutcome::NeedsRoot:
            return "needs_root";
        case StoreOutcome::Failed:
            return "failed";
    }
    return "?";
}

std::optional<UserAccount> lookUpUser(const std::string& name) {
    if (name.empty()) return std::nullopt;
    const passwd* pw = ::getpwnam(name.c_str());
    if (pw == nullptr) return std::nullopt;
    return UserAccount{pw->pw_name, pw->pw_uid, pw->pw_gid, pw->pw_dir ? pw->pw_dir : ""};
}

std::optional<UserAccount> invokingUser() {
    if (!isRoot()) return std::nullopt;
    std::optional<UserAccount> user;
    if (const char* sudoUser = std::getenv("SUDO_USER"); sudoUser != nullptr && *sudoUser != '\0') {
        user = lookUpUser(sudoUser);
    } else if (const char* pkexecUid = std::getenv("PKEXEC_UID");
               pkexecUid != nullptr && *pkexecUid != '\0') {
        char* end = nullptr;
        const unsigned long uid = std::strtoul(pkexecUid, &end, 10);
        if (end != nullptr && *end == '\0') {
            if (const passwd* pw = ::getpwuid(static_cast<uid_t>(uid)); pw != nullptr)
                user = lookUpUser(pw->pw_name);
        }
    }
    if (user && user->uid == 0) return std::nullopt;
    return user;
}

fs::path defaultSystemAnchor() {
    return fs::path(DEFAULT_SYSTEM_STORE_DIR) / systemAnchorName(effectiveUserName());
}

std::string systemAnchorName(std::string_view owner) {
    return std::string(TRUST_FILE_PREFIX) + "-" + sanitizeOwner(owner) + ".crt";
}

std::string firefoxCertName(std::string_view owner) {
    return std::string(TRUST_FILE_PREFIX) + "-" + sanitizeOwner(owner) + ".pem";
}

TrustResult runTrust(TrustAction action, const TrustOptions& options,
                     const std::function<fs::path()>& stateDir, const std::optional<UserAccount>& forUser,
                     std::chrono::system_clock::time_point now) {
    TrustResult result;
    result.action = action;
    try {
        if (forUser && !isRoot()) {
            result.errorZh = "--for-user 需要管理员权限（请用 sudo 运行）";
            result.errorEn = "--for-user needs root (run with sudo)";
        } else {
            const UserHalf half = forUser ? runUserHalfAs(*forUser, action, options, stateDir, now)
                                          : runUserHalf(action, options, stateDir, now);
            if (!half.errorEn.empty()) {
                result.errorZh = half.errorZh;
                result.errorEn = half.errorEn;
            } else {
                result.rootPath = half.rootPath;
                result.rootSha256 = half.sha256;
                if (half.nss) result.stores.push_back(*half.nss);
                // The machine-wide stores get the root re-encoded from its parsed form, and only a
                // loopback-only cardbridge root.
                std::string rootPem;
                bool refused = false;
                if (!half.rootPem.empty()) {
                    const auto certs = detail::parseCertificates(half.rootPem);
                    refused = certs.empty() || !detail::isLoopbackOnlyRoot(certs.front().get());
                    if (!refused) rootPem = detail::certificatePem(certs.front().get());
                }
                const std::string owner = !options.owner.empty() ? options.owner
                                          : forUser              ? forUser->name
                                                                 : effectiveUserName();
                for (const auto store : {TrustStore::System, TrustStore::Firefox}) {
                    if (!selected(options, store)) continue;
                    if (refused && action == TrustAction::Install) {
                        result.stores.push_back(report(
                            store, StoreOutcome::Failed, result.rootPath,
                            "本机根证书不是仅限 localhost、127.0.0.1、::1 的 cardbridge "
                            "根证书，拒绝放入全机证书库",
                            "the local root is not a loopback-only cardbridge root; it is not put into a "
                            "machine-wide store"));
                        continue;
                    }
                    result.stores.push_back(
                        store == TrustStore::System
                            ? systemStep(action, options, owner, refused ? half.rootPem : rootPem)
                            : firefoxStep(action, options, owner, refused ? half.rootPem : rootPem));
                }
            }
        }
    } catch (const std::exception& e) {
        result.errorZh = "意外错误：" + std::string(e.what());
        result.errorEn = std::string("unexpected error: ") + e.what();
    }
    result.exitCode = trustExitCode(result, options);
    return result;
}

int trustExitCode(const TrustResult& result, const TrustOptions& options) {
    if (!result.errorEn.empty()) return 2;
    const StoreOutcome wanted =
        result.action == TrustAction::Remove ? StoreOutcome::Removed : StoreOutcome::Trusted;
    for (const auto& store : result.stores) {
        if (store.outcome == wanted) continue;
        const bool skipped =
            store.outcome == StoreOutcome::Missing || store.outcome == StoreOutcome::NeedsRoot;
        const bool named =
            std::find(options.only.begin(), options.only.end(), store.store) != options.only.end();
        if (skipped && !named) continue;
        return 1;
    }
    return 0;
}

std::string trustReportText(const TrustResult& result) {
    std::string out;
    if (!result.errorEn.empty()) {
        out += "[ 失败 FAILED ] " + result.errorZh + "\n                " + result.errorEn + "\n";
        return out;
    }
    if (!result.rootPath.empty())
        out +=
            "本机根证书 local root: " + result.rootPath.string() + " (SHA-256 " + result.rootSha256 + ")\n";
    for (const auto& store : result.stores) {
        out += std::string(mark(store.outcome)) + " " + store.messageZh + "\n    " + store.messageEn + "\n";
    }
    if (result.exitCode == 0)
        out += result.action == TrustAction::Status
                   ? "各证书库均信任本机根证书。 Every store present trusts the local root.\n"
                   : "完成。 Done.\n";
    else
        out += result.action == TrustAction::Status
                   ? "有的证书库未信任本机根证书，请运行 cardbridged trust install。 Some stores do not "
                     "trust the local root: run cardbridged trust install.\n"
                   : "有的证书库没有完成，见上。 Some stores did not succeed: see above.\n";
    return out;
}

std::string trustReportJson(const TrustResult& result) {
    Json j{{"action", actionName(result.action)},
           {"ok", result.exitCode == 0},
           {"exitCode", result.exitCode},
           {"root", {{"path", result.rootPath.string()}, {"sha256", result.rootSha256}}},
           {"stores", Json::array()}};
    for (const auto& store : result.stores) j["stores"].push_back(toJson(store));
    if (!result.errorEn.empty()) j["error"] = {{"zh", result.errorZh}, {"en", result.errorEn}};
    return j.dump(2) + "\n";
}

}  // namespace cardbridge::localtls

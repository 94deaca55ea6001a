// `cardbridged trust install | status | remove`, black-box through the real binary, against a scratch
// NSS database (the real certutil), a scratch system store folder with a fake update command that
// records its runs, and a scratch Firefox policies.json that already holds another policy.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "cardbridge/localtls/local_tls.hpp"
#include "cardbridge/localtls/trust_stores.hpp"
#include "local_tls_internal.hpp"
#include "temp_dir.hpp"

namespace cardbridge::localtls {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string slurp(const fs::path& path) {
    return detail::readSmallFile(path, 4 * 1024 * 1024).value_or("");
}

void spit(const fs::path& path, const std::string& text) {
    std::ofstream(path) << text;
}

bool haveCertutil() {
    return detail::runProcess({"certutil", "-H"}).started;
}

class TrustCli : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!haveCertutil()) GTEST_SKIP() << "certutil (libnss3-tools) is not installed";
        // Run under sudo, the binary would act for SUDO_USER; these tests name every store themselves.
        ::unsetenv("SUDO_USER");
        stateDir_ = dir_.path() / "state";
        nssDb_ = dir_.path() / "nssdb";
        systemStore_ = dir_.path() / "ca-certificates";
        fs::create_directories(systemStore_);
        policyDir_ = dir_.path() / "firefox" / "policies";
        fs::create_directories(policyDir_);
        policy_ = policyDir_ / "policies.json";
        spit(policy_, R"({"policies": {"DisableTelemetry": true}})");
        updateLog_ = dir_.path() / "update.log";
        update_ = dir_.path() / "fake-update-ca-certificates";
        spit(update_, "#!/bin/sh\necho \"ran $*\" >> '" + updateLog_.string() + "'\n");
        fs::permissions(update_, fs::perms::owner_all);
    }

    std::vector<std::string> storeArgs() const {
        return {"--state-dir",      stateDir_.string(),    "--nssdb",         nssDb_.string(),
                "--system-store",   systemStore_.string(), "--system-update", update_.string(),
                "--firefox-policy", policy_.string()};
    }

    // Runs `cardbridged trust <action> <store args> <extra> --json`; returns the exit code and the JSON.
    std::pair<int, json> trust(const std::string& action, std::vector<std::string> extra = {},
                               std::vector<std::string> prefix = {}) {
        std::vector<std::string> argv = std::move(prefix);
        argv.insert(argv.end(), {CARDBRIDGED_EXE, "trust", action});
        const auto args = storeArgs();
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.emplace_back("--json");
        const auto result = detail::runProcess(argv, std::chrono::seconds(60));
        EXPECT_TRUE(result.started) << result.err;
        json report = json::parse(result.out, nullptr, false);
        EXPECT_FALSE(report.is_discarded()) << result.out << result.err;
        return {result.exitCode, report};
    }

    static std::map<std::string, std::string> states(const json& report) {
        std::map<std::string, std::string> out;
        for (const auto& store : report["stores"]) out[store["store"]] = store["state"];
        return out;
    }

    std::vector<std::string> nssNicknames() const {
        const auto list = detail::runProcess({"certutil", "-L", "-d", "sql:" + nssDb_.string()});
        std::vector<std::string> names;
        for (const auto& entry : detail::parseCertutilList(list.out)) names.push_back(entry.nickname);
        return names;
    }

    // Everything of the three stores as it is on disk, to compare two states.
    std::map<std::string, std::string> snapshot() const {
        std::map<std::string, std::string> files;
        for (const auto& folder : {systemStore_, policyDir_})
            for (const auto& entry : fs::directory_iterator(folder))
                files[entry.path().string()] = slurp(entry.path());
        std::string nicknames;
        for (const auto& name : nssNicknames()) nicknames += name + "\n";
        files["nss"] = nicknames;
        return files;
    }

    int updateRuns() const {
        const std::string log = slurp(updateLog_);
        return static_cast<int>(std::count(log.begin(), log.end(), '\n'));
    }

    std::string ownerName() const { return std::string(::getpwuid(::geteuid())->pw_name); }

    test::TempDir dir_{"cardbridge-trust"};
    fs::path stateDir_, nssDb_, systemStore_, policyDir_, policy_, updateLog_, update_;
};

TEST_F(TrustCli, InstallTwiceIsOneStateStatusTrustsRemoveLeavesOnlyOthers) {
    auto [code, report] = trust("install");
    ASSERT_EQ(code, 0) << report.dump(2);
    EXPECT_EQ(states(report), (std::map<std::string, std::string>{
                                  {"nss", "trusted"}, {"system", "trusted"}, {"firefox", "trusted"}}));
    const std::string rootPem = slurp(stateDir_ / ROOT_CERT_FILE);
    ASSERT_FALSE(rootPem.empty());
    const fs::path anchor = systemStore_ / systemAnchorName(ownerName());
    EXPECT_EQ(slurp(anchor), rootPem);
    EXPECT_EQ(fs::status(anchor).permissions() & fs::perms::others_read, fs::perms::others_read);
    const fs::path firefoxCopy = policyDir_ / firefoxCertName(ownerName());
    EXPECT_EQ(slurp(firefoxCopy), rootPem);
    // Firefox reads the copy and the policy as the user; the anchor is read by everyone too.
    EXPECT_EQ(fs::status(firefoxCopy).permissions() & fs::perms::others_read, fs::perms::others_read);
    EXPECT_EQ(fs::status(policy_).permissions() & fs::perms::others_read, fs::perms::others_read);
    const json policy = json::parse(slurp(policy_));
    EXPECT_EQ(policy["policies"]["DisableTelemetry"], true);
    EXPECT_EQ(policy["policies"]["Certificates"]["Install"], json::array({firefoxCopy.string()}));
    EXPECT_EQ(updateRuns(), 1);
    const auto first = snapshot();

    auto [again, againReport] = trust("install");
    EXPECT_EQ(again, 0) << againReport.dump(2);
    EXPECT_EQ(snapshot(), first);
    EXPECT_EQ(updateRuns(), 1) << "nothing changed, so the store was not rebuilt";

    auto [status, statusReport] = trust("status");
    EXPECT_EQ(status, 0) << statusReport.dump(2);
    EXPECT_EQ(states(statusReport), (std::map<std::string, std::string>{
                                        {"nss", "trusted"}, {"system", "trusted"}, {"firefox", "trusted"}}));

    auto [removed, removeReport] = trust("remove");
    EXPECT_EQ(removed, 0) << removeReport.dump(2);
    EXPECT_FALSE(fs::exists(anchor));
    EXPECT_FALSE(fs::exists(firefoxCopy));
    EXPECT_EQ(json::parse(slurp(policy_)), json::parse(R"({"policies": {"DisableTelemetry": true}})"));
    for (const auto& name : nssNicknames())
        EXPECT_EQ(name.rfind(NSS_NICKNAME_PREFIX, 0), std::string::npos) << name;
    EXPECT_NE(slurp(updateLog_).find("ran --fresh"), std::string::npos) << slurp(updateLog_);

    auto [after, afterReport] = trust("status");
    EXPECT_EQ(after, 1);
    EXPECT_EQ(states(afterReport),
              (std::map<std::string, std::string>{
                  {"nss", "not_trusted"}, {"system", "not_trusted"}, {"firefox", "not_trusted"}}));
    const auto removedState = snapshot();
    auto [twice, twiceReport] = trust("remove");
    EXPECT_EQ(twice, 0) << twiceReport.dump(2);
    EXPECT_EQ(snapshot(), removedState);
}

TEST_F(TrustCli, OtherCertificatesAndOtherUsersEntriesStay) {
    // Another CA in the NSS database, another user's anchor, an administrator's own certificate policy.
    const auto other = ensureLocalTls(dir_.path() / "other", std::chrono::system_clock::now());
    fs::create_directories(nssDb_);
    ASSERT_EQ(
        detail::runProcess({"certutil", "-N", "-d", "sql:" + nssDb_.string(), "--empty-password"}).exitCode,
        0);
    ASSERT_EQ(detail::runProcess({"certutil", "-A", "-d", "sql:" + nssDb_.string(), "-n", "Corp Root", "-t",
                                  "C,,", "-i", other.rootCertPath.string()})
                  .exitCode,
              0);
    const fs::path bobAnchor = systemStore_ / systemAnchorName("bob");
    spit(bobAnchor, slurp(other.rootCertPath));
    spit(policy_,
         R"({"policies":{"Certificates":{"Install":["/opt/corp/root.pem"]},"DisableTelemetry":true}})");

    ASSERT_EQ(trust("install").first, 0);
    ASSERT_EQ(trust("remove").first, 0);
    EXPECT_EQ(nssNicknames(), std::vector<std::string>{"Corp Root"});
    EXPECT_TRUE(fs::exists(bobAnchor));
    EXPECT_EQ(
        json::parse(slurp(policy_)),
        json::parse(
            R"({"policies":{"Certificates":{"Install":["/opt/corp/root.pem"]},"DisableTelemetry":true}})"));

    // --all-users takes every user's machine-wide files out, still nothing else.
    ASSERT_EQ(trust("remove", {"--all-users"}).first, 0);
    EXPECT_FALSE(fs::exists(bobAnchor));
    EXPECT_EQ(nssNicknames(), std::vector<std::string>{"Corp Root"});
}

TEST_F(TrustCli, ARenewedRootReplacesTheOldOneEverywhere) {
    ASSERT_EQ(trust("install").first, 0);
    const std::string oldRoot = slurp(stateDir_ / ROOT_CERT_FILE);
    // A new root, as after a renewal (the files go, the next install mints).
    fs::remove_all(stateDir_);
    auto [code, report] = trust("install");
    ASSERT_EQ(code, 0) << report.dump(2);
    const std::string newRoot = slurp(stateDir_ / ROOT_CERT_FILE);
    ASSERT_NE(newRoot, oldRoot);
    EXPECT_EQ(slurp(systemStore_ / systemAnchorName(ownerName())), newRoot);
    EXPECT_EQ(slurp(policyDir_ / firefoxCertName(ownerName())), newRoot);
    const auto names = nssNicknames();
    ASSERT_EQ(names.size(), 1u);
    EXPECT_EQ(names.front(), nssNickname(report["root"]["sha256"].get<std::string>()));
    EXPECT_EQ(updateRuns(), 2);
    EXPECT_EQ(trust("status").first, 0);
}

TEST_F(TrustCli, APolicyFileWeCreatedGoesAgainOnRemove) {
    fs::remove(policy_);
    ASSERT_EQ(trust("install").first, 0);
    ASSERT_TRUE(fs::exists(policy_));
    ASSERT_EQ(trust("remove").first, 0);
    EXPECT_FALSE(fs::exists(policy_));
}

TEST_F(TrustCli, ABrokenPolicyFileIsLeftAloneAndTheOtherStoresAreDone) {
    spit(policy_, "{ \"policies\": ");
    auto [code, report] = trust("install");
    EXPECT_EQ(code, 1);
    EXPECT_EQ(states(report), (std::map<std::string, std::string>{
                                  {"nss", "trusted"}, {"system", "trusted"}, {"firefox", "failed"}}));
    EXPECT_EQ(slurp(policy_), "{ \"policies\": ");
}

TEST_F(TrustCli, MissingStoresAreSkippedUnlessAskedForByName) {
    fs::remove_all(systemStore_);
    // No certutil on PATH: the NSS database is a missing store too.
    const fs::path emptyBin = dir_.path() / "bin";
    fs::create_directories(emptyBin);
    const std::vector<std::string> noCertutil{"/usr/bin/env", "PATH=" + emptyBin.string()};
    auto [code, report] = trust("install", {}, noCertutil);
    EXPECT_EQ(code, 0) << report.dump(2);
    EXPECT_EQ(states(report), (std::map<std::string, std::string>{
                                  {"nss", "missing"}, {"system", "missing"}, {"firefox", "trusted"}}));
    for (const auto& store : report["stores"]) EXPECT_FALSE(store["zh"].get<std::string>().empty());
    EXPECT_EQ(trust("install", {"--only", "system"}).first, 1);
    EXPECT_EQ(trust("install", {"--only", "nss"}, noCertutil).first, 1);
    // status: a missing store does not count against "every present store trusts the root".
    EXPECT_EQ(trust("status", {}, noCertutil).first, 0);
}

TEST_F(TrustCli, StatusWithoutARootSaysSoAndMintsNothing) {
    auto [code, report] = trust("status");
    EXPECT_EQ(code, 1);
    EXPECT_EQ(report["root"]["path"], "");
    EXPECT_FALSE(fs::exists(stateDir_ / ROOT_CERT_FILE));
}

TEST_F(TrustCli, TheOldCertsTrustStillTrustsTheNssDatabaseAndSaysItsNewName) {
    const auto result = detail::runProcess(
        {CARDBRIDGED_EXE, "certs", "trust", "--state-dir", stateDir_.string(), "--nssdb", nssDb_.string()});
    EXPECT_EQ(result.exitCode, 0) << result.out << result.err;
    EXPECT_NE(result.err.find("trust install"), std::string::npos);
    const auto names = nssNicknames();
    ASSERT_EQ(names.size(), 1u);
    EXPECT_EQ(names.front().rfind(NSS_NICKNAME_PREFIX, 0), 0u);
}

TEST_F(TrustCli, TextOutputHasChineseAndEnglishLines) {
    const auto args = storeArgs();
    std::vector<std::string> argv{CARDBRIDGED_EXE, "trust", "install"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto result = detail::runProcess(argv, std::chrono::seconds(60));
    EXPECT_EQ(result.exitCode, 0) << result.out << result.err;
    EXPECT_NE(result.out.find("已信任"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("NSS database"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("Firefox"), std::string::npos) << result.out;
}

// --for-user as root: the per-user half runs as the user (files theirs), the machine-wide half as root.
TEST_F(TrustCli, ForUserActsAsThatUserAndLeavesTheirFilesTheirs) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (::access("/usr/sbin/useradd", X_OK) != 0) GTEST_SKIP() << "useradd is not available";
    std::random_device random;
    const std::string name = "cbtrust" + std::to_string(random() % 100000);
    const fs::path home = dir_.path() / "home" / name;
    fs::create_directories(home.parent_path());
    fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    fs::permissions(home.parent_path(),
                    fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    ASSERT_EQ(
        detail::runProcess({"/usr/sbin/useradd", "-m", "-d", home.string(), "-s", "/bin/sh", name}).exitCode,
        0);
    struct UserGone {
        std::string name;
        ~UserGone() { (void)detail::runProcess({"/usr/sbin/userdel", "-r", "-f", name}); }
    } gone{name};
    const auto user = lookUpUser(name);
    ASSERT_TRUE(user.has_value());

    const std::vector<std::string> machine{"--for-user",
                                           name,
                                           "--system-store",
                                           systemStore_.string(),
                                           "--system-update",
                                           update_.string(),
                                           "--firefox-policy",
                                           policy_.string(),
                                           "--json"};
    auto run = [&](const std::string& action) {
        std::vector<std::string> argv{CARDBRIDGED_EXE, "trust", action};
        argv.insert(argv.end(), machine.begin(), machine.end());
        const auto result = detail::runProcess(argv, std::chrono::seconds(60));
        return std::make_pair(result.exitCode, json::parse(result.out, nullptr, false));
    };
    auto [code, report] = run("install");
    ASSERT_EQ(code, 0) << report.dump(2);
    const fs::path userRoot = home / ".local" / "state" / "cardbridge" / ROOT_CERT_FILE;
    EXPECT_EQ(report["root"]["path"], userRoot.string());
    const auto owner = [](const fs::path& p) {
        struct stat st {};
        return ::stat(p.c_str(), &st) == 0 ? static_cast<long>(st.st_uid) : -1L;
    };
    EXPECT_EQ(owner(userRoot), static_cast<long>(user->uid));
    EXPECT_EQ(owner(home / ".pki" / "nssdb" / "cert9.db"), static_cast<long>(user->uid));
    const fs::path anchor = systemStore_ / systemAnchorName(name);
    EXPECT_EQ(owner(anchor), 0L);
    EXPECT_EQ(slurp(anchor), slurp(userRoot));
    EXPECT_TRUE(fs::exists(policyDir_ / firefoxCertName(name)));

    auto [status, statusReport] = run("status");
    EXPECT_EQ(status, 0) << statusReport.dump(2);
    // `sudo cardbridged trust …` without --for-user acts for the user who ran sudo, not for root.
    const auto viaSudo = detail::runProcess({"/usr/bin/env", "SUDO_USER=" + name, CARDBRIDGED_EXE, "trust",
                                             "status", "--system-store", systemStore_.string(),
                                             "--firefox-policy", policy_.string(), "--json"});
    EXPECT_EQ(viaSudo.exitCode, 0) << viaSudo.out << viaSudo.err;
    EXPECT_EQ(json::parse(viaSudo.out, nullptr, false)["root"]["path"], userRoot.string()) << viaSudo.out;
    EXPECT_NE(viaSudo.err.find(name), std::string::npos) << viaSudo.err;
    auto [removed, removeReport] = run("remove");
    EXPECT_EQ(removed, 0) << removeReport.dump(2);
    EXPECT_FALSE(fs::exists(anchor));
    EXPECT_FALSE(fs::exists(policyDir_ / firefoxCertName(name)));

    const auto unknown =
        detail::runProcess({CARDBRIDGED_EXE, "trust", "status", "--for-user", name + "-nobody"});
    EXPECT_EQ(unknown.exitCode, 2);

    // The same user without sudo: the NSS database is done, the system store is left for root.
    if (::access("/usr/bin/setpriv", X_OK) != 0) return;
    const std::vector<std::string> asUser{"/usr/bin/setpriv",
                                          "--reuid=" + std::to_string(user->uid),
                                          "--regid=" + std::to_string(user->gid),
                                          "--init-groups",
                                          "/usr/bin/env",
                                          "-i",
                                          "HOME=" + home.string(),
                                          "PATH=/usr/local/bin:/usr/bin:/bin",
                                          CARDBRIDGED_EXE,
                                          "trust",
                                          "install",
                                          "--json"};
    const auto plain = detail::runProcess(asUser);
    EXPECT_EQ(plain.exitCode, 0) << plain.out << plain.err;
    const json plainReport = json::parse(plain.out, nullptr, false);
    EXPECT_EQ(states(plainReport)["nss"], "trusted") << plain.out;
    EXPECT_EQ(states(plainReport)["system"], "needs_root") << plain.out;
    EXPECT_FALSE(fs::exists(systemStore_ / systemAnchorName(name)));
    std::vector<std::string> onlySystem = asUser;
    onlySystem.insert(onlySystem.end(), {"--only", "system"});
    EXPECT_EQ(detail::runProcess(onlySystem).exitCode, 1);
    std::vector<std::string> forOther = asUser;
    forOther.insert(forOther.end(), {"--for-user", "root"});
    EXPECT_EQ(detail::runProcess(forOther).exitCode, 2) << "--for-user needs root";
}

// A new /etc policy file hides the install folder's policies.json from Firefox: it starts as a copy of
// it, and remove deletes it again when only that copy is left.
TEST(TrustFirefoxPolicy, ANewPolicyFileStartsFromTheInstallFoldersOneAndGoesAgainOnRemove) {
    test::TempDir dir("cardbridge-trust-ff");
    const fs::path distribution = dir.path() / "usr-lib-firefox-esr" / "distribution" / "policies.json";
    fs::create_directories(distribution.parent_path());
    const std::string shipped = R"({"policies": {"DisableAppUpdate": true}})";
    spit(distribution, shipped);
    TrustOptions options;
    options.firefoxPolicy = dir.path() / "etc" / "firefox" / "policies" / "policies.json";
    options.firefoxPolicyGiven = true;
    options.firefoxDistributionPolicies = std::vector<fs::path>{distribution};
    options.only = {TrustStore::Firefox};
    const auto stateDir = [&] { return dir.path() / "state"; };

    const auto installed =
        runTrust(TrustAction::Install, options, stateDir, std::nullopt, std::chrono::system_clock::now());
    ASSERT_EQ(installed.exitCode, 0) << trustReportText(installed);
    const json policy = json::parse(slurp(options.firefoxPolicy));
    EXPECT_EQ(policy["policies"]["DisableAppUpdate"], true);
    EXPECT_EQ(policy["policies"]["Certificates"]["Install"].size(), 1u);
    // Firefox reads the folders as another user.
    EXPECT_EQ(fs::status(options.firefoxPolicy.parent_path()).permissions() & fs::perms::others_exec,
              fs::perms::others_exec);

    const auto removed =
        runTrust(TrustAction::Remove, options, stateDir, std::nullopt, std::chrono::system_clock::now());
    EXPECT_EQ(removed.exitCode, 0) << trustReportText(removed);
    EXPECT_FALSE(fs::exists(options.firefoxPolicy));
    EXPECT_EQ(slurp(distribution), shipped);
}

}  // namespace
}  // namespace cardbridge::localtls

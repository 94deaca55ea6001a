// cardbridged: the local card bridge. Thin wiring: config → logging → local TLS → card service →
// dispatcher → server; SIGINT/SIGTERM (or the Windows SCM) take the one stop path; the service manager hears
// ready / watchdog / stopping through a Supervisor.
#ifndef _WIN32
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#endif

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>

#include "cardbridge/common/executable_path.hpp"
#include "cardbridge/common/process_hardening.hpp"
#include "cardbridge/daemon/core/card_service.hpp"
#include "cardbridge/daemon/core/config.hpp"
#include "cardbridge/daemon/core/dispatcher.hpp"
#include "cardbridge/daemon/core/health.hpp"
#include "cardbridge/daemon/core/logging.hpp"
#include "cardbridge/daemon/core/methods.hpp"
#include "cardbridge/daemon/net/server.hpp"
#include "cardbridge/daemon/unlock/attachment.hpp"
#include "cardbridge/daemon/unlock/unlock_service.hpp"
#include "cardbridge/localtls/local_tls.hpp"
#include "cardbridge/localtls/renewal.hpp"
#include "cardbridge/localtls/trust_stores.hpp"
#include "doctor.hpp"
#include "instance_lock.hpp"
#include "supervisor.hpp"
#include "watchdog.hpp"
#ifdef _WIN32
#include "windows_service.hpp"
#else
#include "systemd_supervisor.hpp"
#endif

using namespace cardbridge;
using namespace cardbridge::daemon;

namespace {

/// CARDBRIDGE_FAULT_AT=<journal step>:kill|pause — fault injection for the crash-safety tests: right after
/// writing that journal step the daemon SIGKILLs itself, or creates <stateDir>/unlock/fault-paused and waits
/// (at most 60 s) until it is removed. Only the daemon's own user can set its environment, and that user can
/// kill it anyway: this opens nothing.
std::function<void(unlock::JournalStep)> faultHook(const std::filesystem::path& stateDir) {
    const char* spec = std::getenv("CARDBRIDGE_FAULT_AT");
    if (spec == nullptr || *spec == '\0') return {};
    const std::string text(spec);
    const auto colon = text.find(':');
    const auto step = unlock::parseJournalStep(text.substr(0, colon));
    const std::string action = colon == std::string::npos ? "kill" : text.substr(colon + 1);
    if (!step || (action != "kill" && action != "pause")) {
        spdlog::warn(
            "CARDBRIDGE_FAULT_AT '{}' ignored (want <credential|reset|rotate|complete>:<kill|pause>)", text);
        return {};
    }
    spdlog::warn("fault injection armed: {} after journal step {}", action, unlock::toString(*step));
    const std::filesystem::path flag = stateDir / "unlock" / "fault-paused";
    return [wanted = *step, kill = action == "kill", flag](unlock::JournalStep written) {
        if (written != wanted) return;
        if (kill) {
            spdlog::default_logger()->flush();
            ::raise(SIGKILL);
        }
        { std::ofstream(flag) << "paused\n"; }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::filesystem::exists(flag) && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    };
}

/// The authority client from the config; null (with a log line) when it is not configured or broken.
std::unique_ptr<unlock::AuthorityClient> authorityClient(const DaemonConfig& config) {
    if (config.authority.url.empty()) {
        spdlog::info("unlock: authority.url is not configured; unlock.* answer AUTHORITY_NOT_CONFIGURED");
        return nullptr;
    }
    try {
        return unlock::makeHttpsAuthorityClient(unlock::clientOptionsFromConfig(config.authority));
    } catch (const std::exception& e) {
        spdlog::error("unlock: the authority client cannot be set up: {}", e.what());
        return nullptr;
    }
}

struct CommandLine {
    std::filesystem::path configFile;
    std::vector<std::uint16_t> ports;
    std::filesystem::path stateDir;
    std::filesystem::path webRoot;
    std::string logLevel;
    std::filesystem::path nssDb;
    bool system = false;
    bool json = false;
};

// Config file, then command-line overrides. Problems are returned for logging / doctor.
ConfigLoad loadWithOverrides(const CommandLine& cli) {
    DefaultPaths defaults = defaultPaths();
    ConfigLoad load = loadConfig(cli.configFile.empty() ? defaults.configFile : cli.configFile, defaults);
    DaemonConfig& c = load.config;
    if (!cli.ports.empty()) c.ports = cli.ports;
    if (!cli.stateDir.empty()) {
        bool defaultLog = c.logFile == c.stateDir / "cardbridged.log";
        c.stateDir = std::filesystem::absolute(cli.stateDir);
        if (defaultLog) c.logFile = c.stateDir / "cardbridged.log";
    }
    if (!cli.webRoot.empty()) c.webRoot = std::filesystem::absolute(cli.webRoot);
    // Installed: <prefix>/bin/cardbridged beside <prefix>/share/cardbridge/webui; the build tree mirrors it.
    if (c.webRoot.empty()) c.webRoot = dataPathBeside(executablePath(), "cardbridge/webui");
    if (!cli.logLevel.empty()) c.logLevel = cli.logLevel;
    return load;
}

/// Hands runDaemon's stop function to what triggers a stop: SIGINT/SIGTERM here, the Service Control
/// Manager on Windows. The function is thread-safe and idempotent, and does nothing once runDaemon returned.
using ArmStop = std::function<void(std::function<void()> stop)>;

/// The one stop path. A stop requested before the server exists stops it as soon as it does.
class StopLatch {
  public:
    explicit StopLatch(Supervisor& supervisor) : supervisor_(supervisor) {}
    void request(std::string_view why = "stop requested") {
        std::lock_guard lock(mutex_);
        if (requested_ || finished_) return;
        requested_ = true;
        spdlog::info("{}", why);
        supervisor_.stopping();
        if (server_ != nullptr) server_->stop();
    }
    /// The server is about to run. False when a stop came first: then it is stopped already.
    bool attach(Server& server) {
        std::lock_guard lock(mutex_);
        server_ = &server;
        if (requested_) server.stop();
        return !requested_;
    }
    /// run() returned: report stopping (if nobody asked for it), then close().
    void finish() {
        request("the server ended without a stop request");
        close();
    }
    /// From now on a stop request does nothing (runDaemon is returning). Idempotent.
    void close() {
        std::lock_guard lock(mutex_);
        server_ = nullptr;
        finished_ = true;
    }

  private:
    std::mutex mutex_;
    Supervisor& supervisor_;
    Server* server_ = nullptr;
    bool requested_ = false;
    bool finished_ = false;
};

int runDaemon(const CommandLine& cli, Supervisor& supervisor, const ArmStop& armStop) {
    auto stopLatch = std::make_shared<StopLatch>(supervisor);
    armStop([stopLatch] { stopLatch->request(); });
    // Whatever way runDaemon returns, a later stop request must not reach the server or the supervisor.
    struct CloseOnReturn {
        StopLatch& latch;
        ~CloseOnReturn() { latch.close(); }
    } closeOnReturn{*stopLatch};

    ConfigLoad load = loadWithOverrides(cli);
    const DaemonConfig& config = load.config;
    // One daemon per state folder: the unit and the XDG autostart entry may both start one.
    std::unique_ptr<InstanceLock> instance;
    try {
        std::filesystem::create_directories(config.stateDir);
        instance = std::make_unique<InstanceLock>(config.stateDir / INSTANCE_LOCK_FILE);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cardbridged: %s\n", e.what());
        return 1;
    }
    if (!instance->held()) {
        const std::string pid =
            instance->holder() > 0 ? " (pid " + std::to_string(instance->holder()) + ")" : "";
        std::fprintf(stderr, "cardbridged 已在运行%s，本次启动退出。 already running%s for %s; exiting.\n",
                     pid.c_str(), pid.c_str(), config.stateDir.c_str());
        supervisor.status("already running" + pid);
        supervisor.ready(0);
        return 0;
    }
    auto logger = setupLogging(config);
    spdlog::info("cardbridged {} starting; state in {}", CARDBRIDGE_VERSION, config.stateDir.string());
    for (const auto& p : load.problems) spdlog::warn("config: {} (default used)", p);

    localtls::LocalTlsFiles tls;
    try {
        tls = localtls::ensureLocalTls(config.stateDir, std::chrono::system_clock::now());
    } catch (const std::exception& e) {
        spdlog::critical("cannot prepare the local TLS certificate: {}", e.what());
        return 1;
    }
    if (tls.minted) spdlog::info("minted a new local root {} ({})", tls.rootSha256Fingerprint, tls.reason);
    localtls::ServerIdentity identity;
    try {
        identity.load(tls.leafChainPath, tls.leafKeyPath);
    } catch (const std::exception& e) {
        spdlog::critical("cannot load the local TLS certificate: {}", e.what());
        return 1;
    }
    // The TLS and trust findings read files, parse the system store and run certutil: far too slow for a
    // network thread. They run on a thread of their own at start, every 10 minutes and after a renewal;
    // /health answers from memory.
    CachedProbe tlsChecks([&config] { return toJson(tlsFindings(config)); }, std::chrono::minutes(10),
                          nlohmann::json::array({{{"code", "tls"},
                                                  {"status", "unknown"},
                                                  {"zh", "正在检查本地证书"},
                                                  {"en", "the local TLS checks are still running"}}}));
    tlsChecks.start();
    // The daily renewal check: a leaf entering the renewal window is renewed while the daemon runs.
    localtls::RenewalTimer renewal(
        config.stateDir, localtls::TrustTargets{}, identity, [] { return std::chrono::system_clock::now(); },
        localtls::RENEWAL_CHECK_INTERVAL, [&tlsChecks](const localtls::Renewal&) { tlsChecks.refresh(); });

    CardService cards;
    Dispatcher dispatcher(config.limits.maxJsonDepth);
    std::atomic<std::uint16_t> port{0};
    unlock::UnlockOptions unlockOptions;
    unlockOptions.stateDir = config.stateDir;
    unlockOptions.port = [&port] { return port.load(); };
    unlockOptions.pollInterval = std::chrono::seconds(config.authority.pollSeconds);
    unlockOptions.offlineUrl = config.authority.offlineUrl;
    unlockOptions.afterJournalWrite = faultHook(config.stateDir);
    std::unique_ptr<unlock::UnlockService> unlocking;
    try {
        unlocking =
            std::make_unique<unlock::UnlockService>(cards, authorityClient(config), std::move(unlockOptions));
    } catch (const std::exception& e) {
        spdlog::critical("cannot prepare the unlock state folder: {}", e.what());
        return 1;
    }
    registerMethods(dispatcher, cards, SystemInfo{CARDBRIDGE_VERSION, [&port] { return port.load(); }},
                    unlocking->methods());

    ServerOptions options;
    options.config = config;
    options.certChainPem = tls.leafChainPath;
    options.keyPem = tls.leafKeyPath;
    options.webRoot = config.webRoot;
    options.upload = [&unlocking](UploadRequest request, std::function<void(UploadResponse)> done) {
        unlocking->upload(std::move(request.flowId), std::move(request.kind), std::move(request.body),
                          [done = std::move(done)](unlock::UploadAnswer answer) {
                              done(UploadResponse{answer.status, std::move(answer.json)});
                          });
    };
    options.maxUploadBytes = unlock::MAX_ATTACHMENT_BYTES;
    options.tlsSetup = [&identity](SSL_CTX* ctx) { identity.install(ctx); };
    // Set once between start() and run(), before any request is served; read-only afterwards.
    std::unique_ptr<const OriginPolicy> ownOrigins;
    options.health = [&cards, &tlsChecks, &ownOrigins](std::string_view origin, std::string_view referer) {
        const bool own = ownOrigins && isOwnOriginRequest(origin, referer, *ownOrigins);
        return healthFor(cards, tlsChecks.value(), own);
    };
    Server server(std::move(options), dispatcher);
    try {
        port = server.start();
        ownOrigins = std::make_unique<const OriginPolicy>(config.platformOrigins, port.load());
    } catch (const std::exception& e) {
        spdlog::critical("cannot listen: {}", e.what());
        return 1;
    }
    unlock::CardEventTap cardEvents(server.notifications(), *unlocking);
    unlocking->setSink(&server.notifications());
    unlocking->start();
    cards.setSink(&cardEvents);
    cards.start();

    const bool serving = stopLatch->attach(server);
    std::printf("cardbridged listening on https://127.0.0.1:%u/ (wss://127.0.0.1:%u/)\n", port.load(),
                port.load());
    std::fflush(stdout);
    if (serving) supervisor.ready(port.load());
    renewal.start();
    {
        Watchdog watchdog([&server](std::function<void()> task) { server.post(std::move(task)); },
                          supervisor);
        server.run(2);
    }
    stopLatch->finish();
    renewal.stop();
    tlsChecks.stop();

    unlocking->stop();
    cards.setSink(nullptr);
    cards.stop();
    unlocking->setSink(nullptr);
    spdlog::info("cardbridged stopped");
    spdlog::shutdown();
    return 0;
}

#ifndef _WIN32
/// SIGINT and SIGTERM → the daemon's stop function, from a thread of its own. Construct it before any
/// other thread starts: the signals are then blocked in every thread, so only its sigwait sees them.
class SignalStop {
  public:
    SignalStop() {
        sigemptyset(&signals_);
        sigaddset(&signals_, SIGINT);
        sigaddset(&signals_, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    }
    ~SignalStop() {
        if (!waiter_.joinable()) return;
        leaving_ = true;
        pthread_kill(waiter_.native_handle(), SIGTERM);  // wakes sigwait; `leaving_` says it was us
        waiter_.join();
    }
    SignalStop(const SignalStop&) = delete;
    SignalStop& operator=(const SignalStop&) = delete;

    void arm(std::function<void()> stop) {
        waiter_ = std::thread([this, stop = std::move(stop)] {
            int signal = 0;
            sigwait(&signals_, &signal);
            if (!leaving_) stop();
        });
    }

  private:
    sigset_t signals_{};
    std::atomic<bool> leaving_{false};
    std::thread waiter_;
};
#endif

int certsInit(const CommandLine& cli) {
    ConfigLoad load = loadWithOverrides(cli);
    try {
        auto tls = localtls::ensureLocalTls(load.config.stateDir, std::chrono::system_clock::now());
        std::printf("%s local TLS files in %s\nroot %s (SHA-256 %s)\nleaf %s, valid until %s\n",
                    tls.minted ? "minted" : "kept", load.config.stateDir.c_str(), tls.rootCertPath.c_str(),
                    tls.rootSha256Fingerprint.c_str(), tls.leafChainPath.c_str(),
                    std::to_string(std::chrono::duration_cast<std::chrono::hours>(
                                       tls.leafNotAfter - std::chrono::system_clock::now())
                                       .count() /
                                   24)
                        .append(" days from now")
                        .c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "certs init failed: %s\n", e.what());
        return 1;
    }
}

/// Options of `trust install | status | remove` (and of the `certs trust` alias).
struct TrustCli {
    std::string forUser;
    std::filesystem::path nssDb;
    std::filesystem::path systemStore;
    std::string systemUpdate;  // "CMD [ARGS]" (split on spaces, no shell) or "none"
    std::filesystem::path firefoxPolicy;
    std::vector<std::string> only;
    bool json = false;
    bool allUsers = false;
};

int trustCommand(localtls::TrustAction action, CommandLine cli, const TrustCli& t);

// trustCommand never lets an exception reach the user: what runTrust does not report is exit status 2.
int trustCommandSafely(localtls::TrustAction action, const CommandLine& cli, const TrustCli& t) {
    try {
        return trustCommand(action, cli, t);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[ 失败 FAILED ] 无法执行 trust 命令\n    trust failed: %s\n", e.what());
        return 2;
    }
}

int trustCommand(localtls::TrustAction action, CommandLine cli, const TrustCli& t) {
    namespace fs = std::filesystem;
    localtls::TrustOptions options;
    // Absolute now: the --for-user child works from the user's home folder.
    if (!cli.stateDir.empty()) cli.stateDir = fs::absolute(cli.stateDir);
    if (!cli.configFile.empty()) cli.configFile = fs::absolute(cli.configFile);
    if (!t.nssDb.empty()) options.nssDb = fs::absolute(t.nssDb);
    if (!t.systemStore.empty()) {
        options.systemStoreDir = fs::absolute(t.systemStore);
        options.systemStoreGiven = true;
    }
    if (!t.systemUpdate.empty()) {
        options.systemUpdate.clear();
        std::istringstream words(t.systemUpdate);
        for (std::string word; words >> word;) options.systemUpdate.push_back(word);
        if (options.systemUpdate == std::vector<std::string>{"none"}) options.systemUpdate.clear();
    }
    if (!t.firefoxPolicy.empty()) {
        options.firefoxPolicy = fs::absolute(t.firefoxPolicy);
        options.firefoxPolicyGiven = true;
    }
    for (const auto& name : t.only)
        if (auto store = localtls::parseTrustStore(name)) options.only.push_back(*store);
    options.allUsers = t.allUsers;
    std::optional<localtls::UserAccount> user;
    if (t.forUser.empty()) {
        user = localtls::invokingUser();
        if (user)
            std::fprintf(stderr,
                         "以运行 sudo/pkexec 的用户 %s 的身份处理（即 --for-user %s）。 Acting for %s, who "
                         "ran sudo/pkexec.\n",
                         user->name.c_str(), user->name.c_str(), user->name.c_str());
    } else {
        user = localtls::lookUpUser(t.forUser);
        if (!user) {
            localtls::TrustResult unknown;
            unknown.action = action;
            unknown.errorZh = "没有名为 " + t.forUser + " 的用户";
            unknown.errorEn = "no user called " + t.forUser;
            unknown.exitCode = localtls::trustExitCode(unknown, options);
            std::fputs(
                (t.json ? localtls::trustReportJson(unknown) : localtls::trustReportText(unknown)).c_str(),
                stdout);
            return unknown.exitCode;
        }
    }
    const auto result = localtls::runTrust(
        action, options, [&cli] { return loadWithOverrides(cli).config.stateDir; }, user,
        std::chrono::system_clock::now());
    std::fputs((t.json ? localtls::trustReportJson(result) : localtls::trustReportText(result)).c_str(),
               stdout);
    return result.exitCode;
}

// `certs trust` is the old name of `trust install --only nss` (`--system`: `--only system`).
int certsTrust(const CommandLine& cli, TrustCli t) {
    std::fprintf(
        stderr,
        "注意：`certs trust` 已更名为 `trust install`。 Note: `certs trust` is now `trust install`.\n");
    t.only = {cli.system ? "system" : "nss"};
    t.nssDb = cli.nssDb;
    return trustCommandSafely(localtls::TrustAction::Install, cli, t);
}

int doctor(const CommandLine& cli) {
    ConfigLoad load = loadWithOverrides(cli);
    auto findings = runDoctor(load.config, load.problems);
    bool bad = false;
    for (const auto& f : findings) bad = bad || f.status == "problem";
    if (cli.json) {
        std::cout << nlohmann::json{{"ok", !bad}, {"findings", toJson(findings)}}.dump(2) << "\n";
    } else {
        for (const auto& f : findings) {
            const char* mark = f.status == "ok"        ? "[ 正常 OK ]"
                               : f.status == "problem" ? "[ 问题 !! ]"
                               : f.status == "info"    ? "[ 提示 ii ]"
                                                       : "[ 未知 ?? ]";
            std::cout << mark << " " << f.zh << "\n            " << f.en << "\n";
        }
        std::cout << (bad ? "发现问题，请按上面的提示处理。 Problems found: see above.\n"
                          : "一切正常。 Everything looks fine.\n");
    }
    return bad ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    // Before anything can hold a PIN, a PUK, a code or a key: no core dumps, no same-user ptrace.
    try {
        disableCoreDumps();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cardbridged: %s\n", e.what());
        return 1;
    }
#ifndef _WIN32
    // Everything the daemon creates (logs, rotated logs, TLS files, journal) is owner-only.
    ::umask(077);
#endif
    CLI::App app{"cardbridged — unlock and manage your certificate key from the browser"};
    app.set_version_flag("--version", CARDBRIDGE_VERSION);
    CommandLine cli;
    auto addCommon = [&cli](CLI::App* a) {
        a->add_option("--config", cli.configFile,
                      "config file (default $XDG_CONFIG_HOME/cardbridge/cardbridged.json)");
        a->add_option("--state-dir", cli.stateDir, "state folder (default $XDG_STATE_HOME/cardbridge)");
    };
    addCommon(&app);
    app.add_option("--port", cli.ports, "port(s) to try in order (default 23443 23444 23445)");
    app.add_option("--web-root", cli.webRoot,
                   "folder of the bundled web UI (default <bindir>/../share/cardbridge/webui)");
    app.add_option("--log-level", cli.logLevel, "trace|debug|info|warn|error");
    auto* certs = app.add_subcommand("certs", "local TLS root and leaf");
    certs->require_subcommand(1);
    auto* init = certs->add_subcommand("init", "mint the local root and leaf now (or keep valid ones)");
    addCommon(init);
    auto* trust =
        certs->add_subcommand("trust", "old name of `trust install --only nss` (--system: --only system)");
    addCommon(trust);
    trust->add_option("--nssdb", cli.nssDb, "NSS database folder (default $HOME/.pki/nssdb)");
    trust->add_flag("--system", cli.system,
                    "trust it in the system store instead (root; update-ca-certificates)");
    TrustCli trustCli;
    auto* trustCmd = app.add_subcommand(
        "trust", "the local root in the NSS database (Chromium), the system store and Firefox's policy");
    trustCmd->require_subcommand(1);
    trustCmd->footer(
        "exit status: 0 done (status: every present store trusts the root), 1 a store failed or "
        "does not trust it, 2 could not start (see docs/config.md)");
    auto addTrustOptions = [&](CLI::App* a) {
        addCommon(a);
        a->add_option("--for-user", trustCli.forUser,
                      "as root: act for this user (their state folder and NSS database)");
        a->add_option("--nssdb", trustCli.nssDb,
                      "NSS database folder (default $HOME/.pki/nssdb of the user)");
        a->add_option("--system-store", trustCli.systemStore,
                      "folder of the system anchor file (default /usr/local/share/ca-certificates)");
        a->add_option(
            "--system-update", trustCli.systemUpdate,
            "command run after the anchor changed (default update-ca-certificates; --fresh is added "
            "on remove) or none");
        a->add_option("--firefox-policy", trustCli.firefoxPolicy,
                      "Firefox policies.json (default /etc/firefox/policies/policies.json)");
        a->add_option("--only", trustCli.only, "only this store (repeatable)")
            ->check(CLI::IsMember({"nss", "system", "firefox"}));
        a->add_flag("--json", trustCli.json, "machine-readable output");
    };
    auto* trustInstall =
        trustCmd->add_subcommand("install", "mint the root if needed and trust it in every store");
    addTrustOptions(trustInstall);
    auto* trustStatus = trustCmd->add_subcommand("status", "does each store trust the current root?");
    addTrustOptions(trustStatus);
    auto* trustRemove =
        trustCmd->add_subcommand("remove", "take everything `trust install` put in out again");
    addTrustOptions(trustRemove);
    trustRemove->add_flag(
        "--all-users", trustCli.allUsers,
        "also remove other users' cardbridge roots from the system store and Firefox policy");
    auto* doc =
        app.add_subcommand("doctor", "check PC/SC, readers, cards, port, TLS and trust; explain problems");
    addCommon(doc);
    doc->add_option("--port", cli.ports, "port(s) to check");
    doc->add_flag("--json", cli.json, "machine-readable output");
#ifdef _WIN32
    auto* service = app.add_subcommand("service", "Windows service mode (docs/windows.md)");
    service->require_subcommand(1);
    auto* serviceRun = service->add_subcommand("run", "run under the Service Control Manager (install.ps1)");
    addCommon(serviceRun);
#endif
    CLI11_PARSE(app, argc, argv);

    if (init->parsed()) return certsInit(cli);
    if (trust->parsed()) return certsTrust(cli, trustCli);
    if (trustInstall->parsed()) return trustCommandSafely(localtls::TrustAction::Install, cli, trustCli);
    if (trustStatus->parsed()) return trustCommandSafely(localtls::TrustAction::Status, cli, trustCli);
    if (trustRemove->parsed()) return trustCommandSafely(localtls::TrustAction::Remove, cli, trustCli);
    if (doc->parsed()) return doctor(cli);
#ifdef _WIN32
    if (serviceRun->parsed()) {
        return runWindowsService([&cli](Supervisor& supervisor, const ServiceStopArm& armStop) {
            return runDaemon(cli, supervisor, armStop);
        });
    }
    // Started by hand: no manager to tell, and no stop request but the end of the process (TODO(#11):
    // SetConsoleCtrlHandler → the stop function, as SIGINT does on Linux).
    NoSupervisor none;
    return runDaemon(cli, none, [](std::function<void()>) {});
#else
    SignalStop signals;
    SystemdSupervisor systemd;
    return runDaemon(cli, systemd, [&signals](std::function<void()> stop) { signals.arm(std::move(stop)); });
#endif
}

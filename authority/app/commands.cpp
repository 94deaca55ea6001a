// Wiring for each subcommand. serve: config → logging → storage, keys, trust, SMS → UnlockService →
// routers → HTTPS server; SIGINT/SIGTERM stop it.
#include "commands.hpp"

#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "cardbridge/authority/core/errors.hpp"
#include "cardbridge/authority/core/password.hpp"
#include "cardbridge/authority/core/registry.hpp"
#include "cardbridge/authority/core/unlock_service.hpp"
#include "cardbridge/authority/http/api_router.hpp"
#include "cardbridge/authority/http/front.hpp"
#include "cardbridge/authority/http/review_site.hpp"
#include "cardbridge/authority/http/serve_config.hpp"
#include "cardbridge/authority/http/server.hpp"
#include "cardbridge/authority/store/sqlite_storage.hpp"
#include "cardbridge/common/clock.hpp"
#include "cardbridge/common/logging.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::authority::app {

namespace {

/// The service and everything it references, in construction order.
struct Runtime {
    explicit Runtime(const AuthorityConfig& c)
        : config(c),
          storage(openSqliteStorage(config.databasePath)),
          trust(config.issuingCaFiles),
          keys(loadAuthorityKeys(config)),
          sms(makeSmsGateway(config.sms, config.dataDir)),
          service(config, *storage, trust, keys, *sms, clock, random),
          registry(*storage, trust, keys, clock) {}

    AuthorityConfig config;
    std::unique_ptr<Storage> storage;
    IssuerTrust trust;
    AuthorityKeys keys;
    std::unique_ptr<SmsGateway> sms;
    SystemClock clock;
    SystemRandom random;
    UnlockService service;
    Registry registry;
};

http::ServeConfig loadConfig(const std::filesystem::path& file) {
    http::ServeConfig config = http::loadServeConfig(file);
    std::filesystem::create_directories(config.authority.dataDir);
    return config;
}

// Commands other than serve log to stderr only (their output is the terminal's).
void quietLogging(const http::ServeConfig& config) {
    LogOptions options = config.log;
    options.file.clear();
    options.level = "warn";
    setupLogging(options);
}

// The retention purge inside serve: at start, then every interval, on a thread of its own (storage work
// never runs on the network threads); stop() ends it between runs.
class PurgeTimer {
  public:
    PurgeTimer(Runtime& runtime, std::chrono::minutes interval)
        : runtime_(runtime), interval_(interval), thread_([this] { loop(); }) {}
    ~PurgeTimer() { stop(); }
    PurgeTimer(const PurgeTimer&) = delete;
    PurgeTimer& operator=(const PurgeTimer&) = delete;

    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

  private:
    void loop() {
        std::unique_lock lock(mutex_);
        do {
            lock.unlock();
            try {
                const int days = runtime_.config.attachmentRetentionDays;
                const int purged = runtime_.service.review().purgeAttachments(days);
                spdlog::info("purge: {} attachment(s) deleted (retention {} days)", purged, days);
            } catch (const std::exception& e) {
                spdlog::error("purge failed: {}", e.what());
            }
            lock.lock();
        } while (!wake_.wait_for(lock, interval_, [this] { return stopping_; }));
    }

    Runtime& runtime_;
    std::chrono::minutes interval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;  // last: started once the members above exist
};

// One line of the applicant input (CR stripped).
std::string applicantLine(std::istream& in, const char* what) {
    std::string line;
    if (!std::getline(in, line))
        throw InputError(std::string("enroll: the ") + what + " is missing from the input");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

template <class Body>
int guarded(const char* what, Body body) {
    try {
        return body();
    } catch (const AuthorityError& e) {
        std::cerr << what << ": " << e.reason() << ": " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << what << ": " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

int serve(const std::filesystem::path& configFile, bool dev) {
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
    return guarded("serve", [&] {
        const http::ServeConfig config = loadConfig(configFile);
        setupLogging(config.log);
        spdlog::info("cardbridge-authority {} starting; data in {}", CARDBRIDGE_VERSION,
                     config.authority.dataDir.string());
        for (const auto& warning : config.warnings) spdlog::warn("config: {}", warning);
        http::checkServePolicy(config, dev);
        if (dev && config.api.bearerTokens.empty()) {
            spdlog::warn("--dev without api.tokenFile: the /v1 API accepts any client");
        }
        if (dev && config.authority.sms.kind == "outbox") {
            spdlog::warn("--dev: SMS codes and phone numbers go to the outbox file {} in clear",
                         config.authority.sms.outboxPath.string());
        }
        Runtime runtime(config.authority);
        PurgeTimer purger(runtime, std::chrono::minutes(config.authority.purgeIntervalMinutes));
        http::ApiRouter api(runtime.service, config.api);
        http::ReviewSite review(runtime.service, config.review);
        http::AuthorityFront front(api, review);
        http::HttpsServer server(config.server, front);
        const std::uint16_t port = server.start();
        spdlog::info("listening on https://{}:{}/ (API /v1/, reviewers /review/)", config.server.address,
                     port);
        std::cout << "cardbridge-authority listening on https://" << config.server.address << ":" << port
                  << "/" << std::endl;
        std::thread waiter([&server, stopSignals] {
            int signal = 0;
            sigwait(&stopSignals, &signal);
            spdlog::info("signal {}: stopping", signal);
            server.stop();
        });
        server.run(config.networkThreads);
        purger.stop();
        // run() also returns when the server stopped for another reason: release the waiter.
        pthread_kill(waiter.native_handle(), SIGTERM);
        waiter.join();
        spdlog::info("stopped");
        spdlog::default_logger()->flush();
        return 0;
    });
}

int enroll(const std::filesystem::path& configFile, const EnrollArgs& args) {
    return guarded("enroll", [&] {
        const http::ServeConfig config = loadConfig(configFile);
        quietLogging(config);
        Runtime runtime(config.authority);
        std::ifstream in(args.certificate, std::ios::binary);
        if (!in) throw InputError("cannot read " + args.certificate.string());
        std::stringstream bytes;
        bytes << in.rdbuf();
        // The ID number and phone come from stdin or a file, never argv (visible to all in /proc).
        std::ifstream file;
        if (!args.applicantFile.empty()) {
            file.open(args.applicantFile);
            if (!file) throw InputError("cannot read " + args.applicantFile.string());
        } else if (::isatty(STDIN_FILENO) == 1) {
            std::cerr << "证件号码 (ID number), then the phone, one a line:" << std::endl;
        }
        std::istream& applicant = args.applicantFile.empty() ? std::cin : file;
        std::string idNumber = applicantLine(applicant, "ID number (first line)");
        const std::string phone = applicantLine(applicant, "phone (second line)");
        Enrollment enrollment;
        enrollment.certificate = bytes.str();
        enrollment.cardSerial = args.card;
        enrollment.organization = args.organization;
        enrollment.uscc = args.uscc;
        enrollment.applicant = {args.name, args.idType, idNumber, phone};
        wipe(idNumber);
        const auto id = runtime.registry.enroll(enrollment, "cli");
        wipe(enrollment.applicant.idNumber);
        std::cout << "enrolled certificate #" << id << " on card " << args.card << "\n";
        return 0;
    });
}

int importCsv(const std::filesystem::path& configFile, const std::filesystem::path& csvFile) {
    return guarded("import-csv", [&] {
        const http::ServeConfig config = loadConfig(configFile);
        quietLogging(config);
        Runtime runtime(config.authority);
        std::ifstream in(csvFile, std::ios::binary);
        if (!in) throw InputError("cannot read " + csvFile.string());
        std::stringstream text;
        text << in.rdbuf();
        const ImportReport report =
            runtime.registry.importCsv(text.str(), std::filesystem::absolute(csvFile).parent_path(), "cli");
        std::cout << "enrolled " << report.enrolled << ", failed " << report.errors.size() << "\n";
        for (const auto& error : report.errors) std::cerr << error << "\n";
        return report.errors.empty() ? 0 : 1;
    });
}

int printPuk(const std::filesystem::path& configFile, const std::string& cardSerial) {
    return guarded("puk", [&] {
        const http::ServeConfig config = loadConfig(configFile);
        quietLogging(config);
        Runtime runtime(config.authority);
        const CardPuk puk = runtime.service.custody().puk(cardSerial, "cli");
        std::cout << puk.currentPuk.view() << "\n";
        if (puk.pendingRotation) {
            std::cerr
                << "note: an unlock is pending for this card; if the PUK above is refused, the card may "
                   "already hold the next one (epoch "
                << puk.nextEpoch << "): " << puk.nextPuk.view() << "\n";
        }
        return 0;
    });
}

int addReviewer(const std::filesystem::path& configFile, const std::string& name) {
    return guarded("reviewer add", [&] {
        const http::ServeConfig config = loadConfig(configFile);
        quietLogging(config);
        Runtime runtime(config.authority);
        // The password comes from stdin (never argv, which other users can read in /proc).
        const bool tty = ::isatty(STDIN_FILENO) == 1;
        termios saved{};
        if (tty) {
            std::cerr << "password for " << name << ": " << std::flush;
            tcgetattr(STDIN_FILENO, &saved);
            termios quiet = saved;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
        }
        std::string password;
        std::getline(std::cin, password);
        if (tty) {
            tcsetattr(STDIN_FILENO, TCSANOW, &saved);
            std::cerr << "\n";
        }
        if (!password.empty() && password.back() == '\r') password.pop_back();
        if (password.size() < 10) {
            wipe(password);
            throw InputError("the password must have at least 10 characters");
        }
        const std::string hash = hashPassword(password);
        wipe(password);
        runtime.service.reviewers().createReviewer(name, hash);
        std::cout << "reviewer " << name << " created\n";
        return 0;
    });
}

int purge(const std::filesystem::path& configFile) {
    return guarded("purge", [&] {
        const http::ServeConfig config = loadConfig(configFile);
        quietLogging(config);
        Runtime runtime(config.authority);
        const int purged =
            runtime.service.review().purgeAttachments(config.authority.attachmentRetentionDays);
        std::cout << "purged " << purged << " attachment(s) older than "
                  << config.authority.attachmentRetentionDays << " days after the decision\n";
        return 0;
    });
}

int verifyAudit(const std::filesystem::path& configFile) {
    return guarded("verify-audit", [&] {
        const http::ServeConfig config = loadConfig(configFile);
        quietLogging(config);
        // Opening migrates an older database first (its rows get their hashes then).
        openSqliteStorage(config.authority.databasePath).reset();
        const AuditVerification result = verifyAuditChain(config.authority.databasePath);
        if (!result.ok) {
            std::cerr << "verify-audit: " << result.problem << "\n";
            std::cout << "BROKEN at audit row " << result.badRow << " (" << result.rows << " rows checked)\n";
            return 1;
        }
        std::cout << "audit log intact: " << result.rows << " rows, head " << result.headHash << "\n";
        return 0;
    });
}

namespace {

// Who ran a command, for the audit: the real uid's account, and the sudo caller when there is one
// (SUDO_USER is the caller's word, kept as such).
nlohmann::json operatorDetails() {
    nlohmann::json who;
    const uid_t uid = ::getuid();
    who["uid"] = uid;
    if (const passwd* account = ::getpwuid(uid); account != nullptr) who["user"] = account->pw_name;
    if (const char* sudo = std::getenv("SUDO_USER"); sudo != nullptr && *sudo != '\0') who["sudoUser"] = sudo;
    return who;
}

}  // namespace

int backup(const std::filesystem::path& configFile, const std::filesystem::path& target, bool force,
           int stepPages) {
    return guarded("backup", [&] {
        // Not loadConfig: a backup creates nothing in the data folder.
        const http::ServeConfig config = http::loadServeConfig(configFile);
        quietLogging(config);
        const std::filesystem::path& database = config.authority.databasePath;
        BackupOptions options;
        options.overwrite = force;
        options.pagesPerStep = stepPages;
        const BackupReport report = backupDatabase(database, target, options);
        std::cout << "backup written: " << report.file.string() << "\n"
                  << "size: " << report.bytes << " bytes (" << report.pages << " pages, " << report.steps
                  << " steps, " << report.restarts << " restarts)\n"
                  << "sha256: " << report.sha256 << "\n"
                  << "schema version: " << report.schemaVersion << "\n"
                  << "rows:";
        for (const auto& table : report.rows) std::cout << " " << table.table << "=" << table.rows;
        std::cout << "\nintegrity: " << report.integrity << "\n";
        if (report.audit.ok) {
            std::cout << "audit log intact: " << report.audit.rows << " rows, head " << report.audit.headHash
                      << "\n";
        } else {
            std::cout << "audit check FAILED: " << report.audit.problem << "\n";
        }

        // The backup itself goes into the live audit log (the copy predates it). Only on a database at
        // this program's schema: opening storage migrates, which a backup must never do to a database
        // that an older serve is still using.
        if (schemaVersionOf(database) == currentSchemaVersion()) {
            nlohmann::json details = {{"file", report.file.string()},
                                      {"bytes", report.bytes},
                                      {"sha256", report.sha256},
                                      {"auditRows", report.audit.rows},
                                      {"auditHead", report.audit.headHash},
                                      {"checksPassed", report.integrity == "ok" && report.audit.ok}};
            details.update(operatorDetails());
            const auto storage = openSqliteStorage(database);
            const SystemClock clock;
            storage->inTransaction([&] {
                storage->appendAudit({0,
                                      clock.now(),
                                      "cli",
                                      "backup.create",
                                      "",
                                      details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                                      {},
                                      {}});
            });
        } else {
            std::cerr << "backup: not audited: the database's schema differs from this program's ("
                      << currentSchemaVersion() << ")\n";
        }
        return report.integrity == "ok" && report.audit.ok ? 0 : 1;
    });
}

}  // namespace cardbridge::authority::app

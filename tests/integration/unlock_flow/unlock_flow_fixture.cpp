// The unlock-flow fixture (unlock_flow_fixture.hpp).
#include "unlock_flow_fixture.hpp"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cctype>
#include <fstream>
#include <iostream>
#include <regex>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "cardbridge/authority/store/sqlite_storage.hpp"
#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/digest.hpp"
#include "free_port.hpp"

namespace cardbridge::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The ASCII text of a hex field of the card's state file (PIN/PUK bytes; FF padding dropped).
std::string asciiOfHex(const std::string& hex) {
    std::string out;
    for (const auto b : fromHex(hex)) {
        if (b != 0xFF) out.push_back(static_cast<char>(b));
    }
    return out;
}

std::string firstMatch(const std::string& text, const std::regex& pattern) {
    std::smatch match;
    return std::regex_search(text, match, pattern) ? std::string(match[1]) : std::string();
}

// Form-urlencodes `value` (UTF-8 bytes as %XX).
std::string formEncode(const std::string& value) {
    static const char* digits = "0123456789ABCDEF";
    std::string out;
    for (const char c : value) {
        const auto b = static_cast<unsigned char>(c);
        if (std::isalnum(b) != 0 || c == '-' || c == '_' || c == '.') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(digits[b >> 4]);
            out.push_back(digits[b & 0x0F]);
        }
    }
    return out;
}

}  // namespace

json resultOf(const json& response) {
    if (!response.contains("result")) throw std::runtime_error("expected a result, got " + response.dump());
    return response["result"];
}

std::string reasonOf(const json& response) {
    if (!response.contains("error")) return {};
    return response["error"].value("data", json::object()).value("reason", std::string("(no reason)"));
}

json errorData(const json& response) {
    if (!response.contains("error") || !response["error"].is_object()) return json::object();
    return response["error"].value("data", json::object());
}

std::string sha256Upper(const std::string& data) {
    return toHex(sha256(toBytes(data)));
}

std::string samplePdf() {
    std::string pdf = "%PDF-1.7\n";
    for (int i = 0; i < 3000; ++i) pdf.push_back(static_cast<char>('A' + i % 26));
    return pdf;
}

std::string samplePng() {
    std::string png = "\x89PNG\r\n\x1a\n";
    for (int i = 0; i < 2000; ++i) png.push_back(static_cast<char>(i % 251));
    return png;
}

std::string sampleJpeg() {
    std::string jpeg = "\xFF\xD8\xFF\xE0";
    for (int i = 0; i < 2000; ++i) jpeg.push_back(static_cast<char>(i % 241));
    return jpeg;
}

std::string pinNumber(int i) {
    return "2580" + std::to_string(10 + i % 90);
}

// ---------------------------------------------------------------------------------------------- set-up

void UnlockFlowTest::SetUp() {
    work_ = std::make_unique<TempDir>("cardbridge-unlock-flow");
    env_ = std::make_unique<PcscEnv>();
    ::setenv("HOME", work().c_str(), 1);
    ::setenv("XDG_CONFIG_HOME", (work() / "config").c_str(), 1);
    ::unsetenv("CARDBRIDGE_FAULT_AT");
    stateDir_ = work() / "state";
    cardFile_ = work() / "card.json";

    authorityPort_ = freePort();
    json authorityConfig = {
        {"listen", {{"port", authorityPort_}}},
        // Many requests per card in one test (fault loops); the defaults would refuse them.
        {"limits",
         {{"createPerCardPerHour", 1000},
          {"createMatchesPerCardPerHour", 1000},
          {"createPerAddressPerHour", 10000}}},
        {"review", {{"loginAttemptsPerWindow", 1000}}}};
    authority_ = std::make_unique<AuthorityProcess>(work() / "authority", CARDBRIDGE_AUTHORITY_EXE, TOKEN,
                                                    authorityConfig);
    ASSERT_EQ(enrollCertificate(authority_->leaf().certPem, serial_, "leaf-enrolled.pem"), 0)
        << slurp(authority_->dir() / "cli.out");
    ASSERT_EQ(authority_->cli(std::string("reviewer add ") + REVIEWER, std::string(REVIEWER_PASSWORD) + "\n"),
              0)
        << slurp(authority_->dir() / "cli.out");
    const AuthorityPuk puk = authorityPuk();
    ASSERT_EQ(puk.current.size(), 8u) << slurp(authority_->dir() / "cli.out");
    ASSERT_FALSE(puk.pendingRotation);
    initialPuk_ = puk.current;
    provisionBlockedCard(authority_->leaf(), serial_, initialPuk_);

    writeFile(work() / "daemon-token", std::string(TOKEN) + "\n");
    port_ = freePort();
    writeDaemonConfig();
    startAuthority();
    startDaemon();
    connectAndWaitForCard();
}

void UnlockFlowTest::TearDown() {
    if (HasFailure() && work_) {
        // What the daemon and the authority said, for ctest --output-on-failure.
        const std::string daemonLog =
            slurp(work() / ("cardbridged-" + std::to_string(daemonStarts_) + ".out"));
        std::cerr << "--- last cardbridged output (tail) ---\n"
                  << daemonLog.substr(daemonLog.size() > 12000 ? daemonLog.size() - 12000 : 0) << "\n";
        if (authority_) {
            const std::string authorityLog = slurp(authority_->dir() / "data" / "authority.log");
            std::cerr << "--- authority log (tail) ---\n"
                      << authorityLog.substr(authorityLog.size() > 6000 ? authorityLog.size() - 6000 : 0)
                      << "\n";
        }
    }
    client_.reset();
    if (daemon_) daemon_->stop();
    daemon_.reset();
    card_.reset();
    if (authority_) authority_->stop();
    authority_.reset();
    env_.reset();
    work_.reset();
    ::unsetenv("CARDBRIDGE_FAULT_AT");
}

int UnlockFlowTest::enrollCertificate(const std::string& certPem, std::uint32_t serial,
                                      const std::string& fileName) {
    const fs::path file = authority_->dir() / fileName;
    writeFile(file, certPem);
    return authority_->cli("enroll --cert " + file.string() + " --card " + std::to_string(serial) +
                               " --org " + ORGANIZATION + " --name " + APPLICANT_NAME +
                               " --id-type 居民身份证",
                           std::string(APPLICANT_ID) + "\n" + APPLICANT_PHONE + "\n");
}

void UnlockFlowTest::provisionBlockedCard(const TestCert& cert, std::uint32_t serial,
                                          const std::string& puk) {
    card_.reset();
    provisionCard(cardFile_, {{"9a", cert.certPem, cert.keyPem}},
                  {"--serial", std::to_string(serial), "--puk", puk});
    vcardCli({"lock-pin", "--state", cardFile_.string()});
    card_ = std::make_unique<VirtualCard>(*env_, cardFile_);
    card_->waitPresent();
}

void UnlockFlowTest::writeDaemonConfig(const json& extra) {
    json config = {{"authority",
                    {{"url", "https://127.0.0.1:" + std::to_string(authorityPort_)},
                     {"caFile", (authority_->dir() / "tls-root.pem").string()},
                     {"tokenFile", (work() / "daemon-token").string()},
                     {"connectTimeoutSeconds", 2},
                     {"requestTimeoutSeconds", 5},
                     {"retries", 1},
                     {"pollSeconds", 1}}},
                   {"logLevel", "debug"}};
    writeFile(authority_->dir() / "tls-root.pem", authority_->tlsRoot().certPem);
    config.merge_patch(extra);
    fs::create_directories(work() / "config" / "cardbridge");
    writeFile(work() / "config" / "cardbridge" / "cardbridged.json", config.dump(2));
}

void UnlockFlowTest::startDaemon(const std::string& faultAt) {
    const fs::path log = work() / ("cardbridged-" + std::to_string(++daemonStarts_) + ".out");
    if (faultAt.empty()) {
        ::unsetenv("CARDBRIDGE_FAULT_AT");
    } else {
        ::setenv("CARDBRIDGE_FAULT_AT", faultAt.c_str(), 1);
    }
    daemon_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{CARDBRIDGED_EXE, "--state-dir", stateDir_.string(), "--port",
                                 std::to_string(port_)},
        log);
    ::unsetenv("CARDBRIDGE_FAULT_AT");
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (slurp(log).find("cardbridged listening on") == std::string::npos) {
        if (!daemon_->running()) throw std::runtime_error("cardbridged exited at start: " + slurp(log));
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("cardbridged did not listen within 15 s: " + slurp(log));
        }
        std::this_thread::sleep_for(20ms);
    }
}

void UnlockFlowTest::killDaemon() {
    client_.reset();
    if (!daemon_) return;
    ::kill(daemon_->pid(), SIGKILL);
    daemon_->stop(100ms);  // reaps it
    daemon_.reset();
}

bool UnlockFlowTest::waitDaemonExit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (daemon_ && daemon_->running()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

std::unique_ptr<WssClient> UnlockFlowTest::connect(const std::optional<std::string>& origin) {
    WssClientOptions options;
    options.port = port_;
    options.rootCaPem = slurp(stateDir_ / "local-root.pem");
    options.origin = origin ? *origin : "https://127.0.0.1:" + std::to_string(port_);
    options.timeout = 30s;  // slow unlock steps take up to the authority's timeouts × attempts
    return std::make_unique<WssClient>(options);
}

void UnlockFlowTest::connectAndWaitForCard() {
    client_ = connect();
    waitForCard(*client_);
}

json UnlockFlowTest::waitForCard(WssClient& client) {
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    for (;;) {
        json cards = client.call("cards.list");
        if (cards.contains("result")) {
            for (const auto& c : cards["result"]) {
                if (c.value("reader", std::string()) == reader()) return c;
            }
        }
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("the daemon did not list the card: " + cards.dump());
        }
        std::this_thread::sleep_for(50ms);
    }
}

// ---------------------------------------------------------------------------------------------- witnesses

std::string UnlockFlowTest::reader() const {
    return env_->readerName(0);
}

CardSecrets UnlockFlowTest::cardSecrets() const {
    json state = json::parse(slurp(cardFile_));
    CardSecrets s;
    s.pin = asciiOfHex(state.at("pin").get<std::string>());
    s.puk = asciiOfHex(state.at("puk").get<std::string>());
    s.pinTriesLeft = state.at("pinTriesLeft").get<int>();
    s.pinRetries = state.at("pinRetries").get<int>();
    s.pukTriesLeft = state.at("pukTriesLeft").get<int>();
    s.pukRetries = state.at("pukRetries").get<int>();
    return s;
}

void UnlockFlowTest::lockPin() {
    vcardCli({"lock-pin", "--state", cardFile_.string()});
    // The running card adopts the rewritten file; wait until it shows.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (cardSecrets().pinTriesLeft != 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
    }
}

AuthorityPuk UnlockFlowTest::authorityPuk() const {
    if (authority_->cli("puk --card " + std::to_string(serial_)) != 0) {
        throw std::runtime_error("puk --card failed: " + slurp(authority_->dir() / "cli.out"));
    }
    const std::string out = slurp(authority_->dir() / "cli.out");
    AuthorityPuk puk;
    puk.current = firstMatch(out, std::regex(R"((?:^|\n)(\d{8})\n)"));
    puk.pendingRotation = out.find("note:") != std::string::npos;
    if (puk.pendingRotation) puk.next = firstMatch(out, std::regex(R"(\): (\d{8}))"));
    return puk;
}

bool UnlockFlowTest::pinVerifies(const std::string& pin) const {
    const CommandResult r = runCommand({"yubico-piv-tool", "-r", reader(), "-a", "verify-pin", "-P", pin});
    if (r.exitCode != 0) std::cerr << "yubico-piv-tool verify-pin: " << r.output << "\n";
    return r.exitCode == 0;
}

std::vector<AuditEntry> UnlockFlowTest::auditEntries() const {
    // A second connection to the authority's database (WAL allows it while the server runs).
    auto storage = authority::openSqliteStorage(authority_->dir() / "data" / "authority.db");
    std::vector<AuditEntry> out;
    for (const auto& record : storage->listAudit("", 100000)) {
        out.push_back({record.action, record.requestId,
                       json::parse(record.detailsJson.empty() ? "{}" : record.detailsJson)});
    }
    return out;
}

void UnlockFlowTest::stopAuthority() {
    authority_->stop();
}

void UnlockFlowTest::startAuthority() {
    // The port was just released by the stopped server; binding it again may take a moment.
    for (int attempt = 0;; ++attempt) {
        try {
            authority_->start();
            break;
        } catch (const std::exception&) {
            if (attempt >= 20) throw;
            std::this_thread::sleep_for(100ms);
        }
    }
    if (authority_->port() != authorityPort_) throw std::runtime_error("the authority moved to another port");
}

// ---------------------------------------------------------------------------------------------- the flow

json UnlockFlowTest::applicantHandler() {
    return {{"organization", ORGANIZATION},
            {"name", APPLICANT_NAME},
            {"idType", "居民身份证"},
            {"idNumber", APPLICANT_ID},
            {"phone", APPLICANT_PHONE}};
}

json UnlockFlowTest::otherHandler() {
    return {{"organization", ORGANIZATION},
            {"name", OTHER_NAME},
            {"idType", "居民身份证"},
            {"idNumber", OTHER_ID},
            {"phone", OTHER_PHONE}};
}

json UnlockFlowTest::call(WssClient& client, const std::string& method, const json& params) {
    json response = client.call(method, params);
    if (!response.contains("result")) {
        throw std::runtime_error(method + " " + params.dump() + " failed: " + response.dump());
    }
    return response["result"];
}

json UnlockFlowTest::begin(WssClient& client) {
    return call(client, "unlock.begin", {{"reader", reader()}});
}

json UnlockFlowTest::beginAndIdentify(WssClient& client, const json& handler) {
    json flow = begin(client);
    if (flow.value("step", std::string()) != "identify") {
        throw std::runtime_error("unlock.begin did not answer step identify: " + flow.dump());
    }
    return call(client, "unlock.identify", {{"flowId", flow["flowId"]}, {"handler", handler}});
}

HttpsReply UnlockFlowTest::putAttachment(const std::string& flowId, const std::string& kind,
                                         const std::string& bytes, const std::string& contentType,
                                         const std::optional<std::string>& origin, bool expectContinue) {
    HttpsCall put;
    put.method = "PUT";
    put.target = "/unlock/" + flowId + "/attachments/" + kind;
    put.headers = {{"Origin", origin ? *origin : "https://127.0.0.1:" + std::to_string(port_)},
                   {"Content-Type", contentType}};
    put.body = bytes;
    put.expectContinue = expectContinue;
    put.timeout = 30s;
    return httpsExchange(port_, slurp(stateDir_ / "local-root.pem"), put);
}

void UnlockFlowTest::uploadAll(const std::string& flowId) {
    const std::vector<std::tuple<std::string, std::string, std::string>> files = {
        {"application_form", samplePdf(), "application/pdf"},
        {"business_license", sampleJpeg(), "image/jpeg"},
        {"handler_id", samplePng(), "image/png"}};
    for (const auto& [kind, bytes, type] : files) {
        const HttpsReply reply = putAttachment(flowId, kind, bytes, type);
        if (reply.status != 200) {
            throw std::runtime_error("upload of " + kind + " answered " + std::to_string(reply.status) +
                                     ": " + reply.body);
        }
    }
}

json UnlockFlowTest::toInReview(WssClient& client) {
    json flow = beginAndIdentify(client, otherHandler());
    if (flow.value("step", std::string()) != "attachments") {
        throw std::runtime_error("identify with another handler did not go to review: " + flow.dump());
    }
    const std::string flowId = flow["flowId"];
    uploadAll(flowId);
    json submitted = call(client, "unlock.submit", {{"flowId", flowId}});
    if (submitted.value("step", std::string()) != "in_review") {
        throw std::runtime_error("submit did not give in_review: " + submitted.dump());
    }
    return submitted;
}

json UnlockFlowTest::toApproved(WssClient& client) {
    json submitted = toInReview(client);
    approve(submitted["requestId"]);
    json status = call(client, "unlock.status", {{"flowId", submitted["flowId"]}});
    if (status.value("step", std::string()) != "approved") {
        throw std::runtime_error("unlock.status after approval: " + status.dump());
    }
    return status;
}

namespace {

// Logs a reviewer in on the authority's /review/ pages; returns the session cookie "__Host-cb_review=…".
std::string reviewerLogin(std::uint16_t port, const std::string& rootPem) {
    HttpsCall get;
    get.target = "/review/login";
    const HttpsReply page = httpsExchange(port, rootPem, get);
    const std::string loginCookie = page.header("Set-Cookie");
    const std::size_t eq = loginCookie.find('=');
    if (page.status != 200 || eq == std::string::npos) {
        throw std::runtime_error("review login page: " + std::to_string(page.status));
    }
    const std::string csrf = loginCookie.substr(eq + 1, 64);
    HttpsCall post;
    post.method = "POST";
    post.target = "/review/login";
    post.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                    {"Cookie", "__Host-cb_login_csrf=" + csrf}};
    post.body = std::string("username=") + REVIEWER + "&password=" + REVIEWER_PASSWORD + "&csrf=" + csrf;
    const HttpsReply login = httpsExchange(port, rootPem, post);
    for (const auto& [name, value] : login.headers) {
        if (name == "Set-Cookie" && value.rfind("__Host-cb_review=", 0) == 0 &&
            value.find("__Host-cb_review=;") != 0) {
            return value.substr(0, value.find(';'));
        }
    }
    throw std::runtime_error("reviewer login answered " + std::to_string(login.status) + ": " + login.body);
}

// Posts the reviewer's decision form for `requestId` with the page's CSRF token.
void decide(std::uint16_t port, const std::string& rootPem, const std::string& cookie,
            const std::string& requestId, const std::string& action, const std::string& extraForm) {
    HttpsCall get;
    get.target = "/review/requests/" + requestId;
    get.headers = {{"Cookie", cookie}};
    const HttpsReply page = httpsExchange(port, rootPem, get);
    const std::size_t at = page.body.find("name=\"csrf\" value=\"");
    if (page.status != 200 || at == std::string::npos) {
        throw std::runtime_error("review page of " + requestId + ": " + std::to_string(page.status));
    }
    HttpsCall post;
    post.method = "POST";
    post.target = "/review/requests/" + requestId + "/" + action;
    post.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", cookie}};
    post.body = "csrf=" + page.body.substr(at + 19, 64) + extraForm;
    const HttpsReply decided = httpsExchange(port, rootPem, post);
    if (decided.status != 303) {
        throw std::runtime_error(action + " of " + requestId + " answered " + std::to_string(decided.status) +
                                 ": " + decided.body);
    }
}

}  // namespace

void UnlockFlowTest::approve(const std::string& requestId) {
    const std::string root = authority_->tlsRoot().certPem;
    if (reviewerCookie_.empty()) reviewerCookie_ = reviewerLogin(authorityPort_, root);
    decide(authorityPort_, root, reviewerCookie_, requestId, "approve", "");
}

void UnlockFlowTest::reject(const std::string& requestId, const std::string& reason) {
    const std::string root = authority_->tlsRoot().certPem;
    if (reviewerCookie_.empty()) reviewerCookie_ = reviewerLogin(authorityPort_, root);
    decide(authorityPort_, root, reviewerCookie_, requestId, "reject", "&reason=" + formEncode(reason));
}

json UnlockFlowTest::waitStatusChanged(WssClient& client, const std::string& step,
                                       std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw std::runtime_error("no unlock.statusChanged with step " + step);
        json params = client.waitNotification("unlock.statusChanged", left);
        if (params.value("step", std::string()) == step) return params;
    }
}

void UnlockFlowTest::drainNotifications(WssClient& client, const std::string& method) {
    try {
        for (;;) client.waitNotification(method, 0ms);
    } catch (const WssError&) {
        // none left
    }
}

// ---------------------------------------------------------------------------------------------- checks

void UnlockFlowTest::expectUnlocked(const std::string& newPin, const std::string& context) {
    SCOPED_TRACE(context);
    const CardSecrets card = cardSecrets();
    EXPECT_EQ(card.pin, newPin) << "the card holds another PIN";
    EXPECT_EQ(card.pinTriesLeft, card.pinRetries);
    EXPECT_EQ(card.pukTriesLeft, card.pukRetries) << "a PUK try was spent and not restored";
    const AuthorityPuk puk = authorityPuk();
    EXPECT_FALSE(puk.pendingRotation) << "the authority still has a rotation pending";
    EXPECT_EQ(card.puk, puk.current) << "card and authority disagree on the PUK epoch";
    EXPECT_TRUE(pinVerifies(newPin)) << "yubico-piv-tool does not accept the new PIN";
}

bool UnlockFlowTest::waitAuthorityInSync(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (authorityPuk().pendingRotation) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(250ms);
    }
    return true;
}

void UnlockFlowTest::expectNotInDaemonFiles(const std::vector<std::string>& secrets) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(work())) {
        if (entry.path().filename().string().rfind("cardbridged-", 0) == 0) files.push_back(entry.path());
    }
    if (fs::exists(stateDir_)) {
        for (const auto& entry : fs::recursive_directory_iterator(stateDir_)) {
            const std::string ext = entry.path().extension().string();
            if (entry.is_regular_file() && (ext == ".log" || ext == ".json" || ext == ".jsonl")) {
                files.push_back(entry.path());
            }
        }
    }
    ASSERT_FALSE(files.empty());
    for (const auto& file : files) {
        const std::string text = slurp(file);
        for (const auto& secret : secrets) {
            EXPECT_EQ(text.find(secret), std::string::npos) << "\"" << secret << "\" in " << file;
        }
    }
}

fs::path UnlockFlowTest::pauseFile() const {
    return stateDir_ / "unlock" / "fault-paused";
}

bool UnlockFlowTest::waitPaused(std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!fs::exists(pauseFile())) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

}  // namespace cardbridge::test

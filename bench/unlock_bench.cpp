// Benchmark of the unlock flow's last step, `unlock.resetWithCode`, through the real cardbridged (black box,
// over WSS with the `secrets` origin) on a private pcscd with one virtual card, against the real
// cardbridge-authority; peers measured in the same run:
//
//   authority  the same three round-trips (verify, credential, complete) made directly with a plain
//              synchronous HTTPS client for a fresh authorised request of a second enrolled card: one new
//              connection per call (as the daemon's client does), and one keep-alive connection
//   card       the same card commands made directly through the card layer: PivCard::exclusive with SELECT +
//              RESET RETRY COUNTER + CHANGE REFERENCE DATA (the protocol's minimum, 3 APDUs; the PUK is
//              changed to itself so the authority's custody stays right), and apart from it the PIN state
//              read the daemon adds after the transaction (SELECT + VERIFY without data)
//
// Per iteration: lock the PIN (three wrong VERIFYs through the card layer), unlock.begin → unlock.identify
// (the enrolled applicant: SMS route) → unlock.sendCode → the code from the authority's SMS outbox → time
// unlock.resetWithCode (client-observed) with the card's APDU counter around it, and read the daemon's own
// breakdown from its log ("unlock: flow … reset took T ms: authority A ms in N calls, card C ms, daemon D
// ms").
//
//   unlock_bench [--iterations 20] [--latencies 0,20] [--warmup 1] [--quickack 0]
//                (as root: starts a private pcscd; files go under $TMPDIR)
//
// --quickack 1 is an experiment: the whole run in a private network namespace whose loopback routes carry
// `quickack 1`, so no receiver delays an ACK (the authority does not set TCP_NODELAY: a small response
// queued behind its unacknowledged TLS session tickets waits for the client's delayed ACK, ~40 ms).
//
// The authority's SMS limits (60 s resend cooldown per card, 10 codes a day per card, 30 per client
// address) are constants of cardbridge_rules, not config: before each code request the bench empties the
// authority's `sms_send_log` table (with the sqlite3 CLI), the only thing those limits read. The create
// limits are raised in the authority's config. Prints markdown tables with the raw figures.
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "authority_process.hpp"
#include "cardbridge/card/pcsc.hpp"
#include "cardbridge/card/piv_card.hpp"
#include "cardbridge/common/base64.hpp"
#include "cardbridge/common/secret.hpp"
#include "cardbridge/net/beast.hpp"
#include "cardbridge/net/tls_client.hpp"
#include "free_port.hpp"
#include "pcsc_env.hpp"
#include "stats.hpp"
#include "test_certs.hpp"
#include "wss_client.hpp"

using namespace cardbridge;
using namespace cardbridge::test;
using namespace std::chrono_literals;
using cardbridge::bench::percentile;
namespace fs = std::filesystem;
namespace asio = cardbridge::net::asio;
namespace http = cardbridge::net::http;
namespace beast = cardbridge::net::beast;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

constexpr const char* TOKEN = "unlock-bench-install-token-0123456789abcdef";
constexpr const char* CARD_SERIAL = "20261127";  ///< the virtual card's (and the daemon's flows')
constexpr const char* PEER_SERIAL = "20261128";  ///< enrolled only: the authority peer's requests
constexpr const char* ORGANIZATION = "深圳市测试医疗器械有限公司";
constexpr const char* NAME = "张三";
constexpr const char* ID_TYPE = "居民身份证";
constexpr const char* ID_NUMBER = "440304199001011233";
constexpr const char* PHONE = "13812345678";
const char* const NEW_PINS[] = {"135792", "246813"};  ///< alternated; neither all-same nor a sequence
constexpr const char* WRONG_PIN = "000000";

struct Options {
    int iterations = 20;
    int warmup = 1;
    std::vector<int> latencies{0, 20};
    bool quickAck = false;  ///< run in a private network namespace whose loopback routes never delay ACKs
};

/// Moves this process (and so every child it starts) into a new network namespace with loopback up and the
/// route metric `quickack 1` on its local routes: no TCP receiver there delays an ACK. An experiment that
/// takes delayed ACKs (and what they do to a sender's Nagle algorithm) out of the figures. Call before any
/// thread starts. Throws std::runtime_error.
void privateLoopbackWithQuickAck() {
    if (::unshare(CLONE_NEWNET) != 0) throw std::runtime_error("unshare(CLONE_NEWNET) failed (root needed)");
    const std::vector<std::vector<std::string>> commands{
        {"ip", "link", "set", "lo", "up"},
        {"ip", "route", "replace", "local", "127.0.0.1", "dev", "lo", "table", "local", "proto", "kernel",
         "scope", "host", "src", "127.0.0.1", "quickack", "1"},
        {"ip", "route", "replace", "local", "127.0.0.0/8", "dev", "lo", "table", "local", "proto", "kernel",
         "scope", "host", "src", "127.0.0.1", "quickack", "1"}};
    for (const auto& command : commands) {
        const CommandResult r = runCommand(command, std::chrono::seconds(10));
        if (r.exitCode != 0) throw std::runtime_error(command[0] + " " + command[1] + ": " + r.output);
    }
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

double msSince(Clock::time_point from) {
    return std::chrono::duration<double, std::milli>(Clock::now() - from).count();
}

// --- the authority peer: a plain synchronous HTTPS client ------------------------------------------------

/// One TLS connection to the authority (TCP_NODELAY, verified for 127.0.0.1), synchronous Beast calls.
class PlainHttps {
  public:
    PlainHttps(asio::ssl::context& tls, std::uint16_t port) : stream_(ioc_, tls) {
        auto& socket = stream_.next_layer();
        socket.open(asio::ip::tcp::v4());
        timeval timeout{10, 0};
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
        socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        socket.set_option(asio::ip::tcp::no_delay(true));
        if (!net::expectServerName(stream_.native_handle(), "127.0.0.1"))
            throw std::runtime_error("expectServerName");
        stream_.handshake(asio::ssl::stream_base::client);
        host_ = "127.0.0.1:" + std::to_string(port);
    }
    ~PlainHttps() {
        beast::error_code ignored;
        stream_.next_layer().close(ignored);  // as the daemon's client: no TLS close_notify
    }
    PlainHttps(const PlainHttps&) = delete;
    PlainHttps& operator=(const PlainHttps&) = delete;

    /// POSTs `body` (JSON, may be empty) to `target`; returns the body of a 2xx answer, else throws.
    std::string post(const std::string& target, const std::string& body, bool keepAlive) {
        http::request<http::string_body> request{http::verb::post, target, 11};
        request.set(http::field::host, host_);
        request.set(http::field::authorization, std::string("Bearer ") + TOKEN);
        request.set(http::field::accept, "application/json");
        if (!body.empty()) request.set(http::field::content_type, "application/json");
        request.body() = body;
        request.keep_alive(keepAlive);
        request.prepare_payload();
        http::write(stream_, request);
        http::response<http::string_body> response;
        http::read(stream_, buffer_, response);
        if (response.result_int() < 200 || response.result_int() >= 300)
            throw std::runtime_error("POST " + target + ": " + std::to_string(response.result_int()) + " " +
                                     response.body());
        return std::move(response.body());
    }

  private:
    asio::io_context ioc_;
    asio::ssl::stream<asio::ip::tcp::socket> stream_;
    beast::flat_buffer buffer_;
    std::string host_;
};

// --- the setup ---------------------------------------------------------------------------------------------

class Fixture {
  public:
    Fixture() : env_(std::make_unique<PcscEnv>()) {
        ::setenv("HOME", env_->dir().c_str(), 1);
        ::setenv("XDG_CONFIG_HOME", (env_->dir() / "config").c_str(), 1);
        stateDir_ = env_->dir() / "state";

        // The authority: create limits raised (every iteration creates two requests from 127.0.0.1), no
        // create padding (AuthorityProcess's default), info logging (nothing per request).
        const json extra = {{"limits",
                             {{"createPerCardPerHour", 10000},
                              {"createMatchesPerCardPerHour", 10000},
                              {"createPerAddressPerHour", 100000}}},
                            {"log", {{"level", "info"}}}};
        authority_ = std::make_unique<AuthorityProcess>(env_->dir() / "authority", CARDBRIDGE_AUTHORITY_EXE,
                                                        TOKEN, extra);
        if (authority_->enroll(CARD_SERIAL, ORGANIZATION, NAME, ID_NUMBER, PHONE) != 0)
            throw std::runtime_error("enroll: " + slurp(authority_->dir() / "cli.out"));
        CertSpec peerSpec;
        peerSpec.commonName = NAME;
        peerSpec.issuer = &authority_->issuingCa();
        peerLeaf_ = makeCertificate(peerSpec);
        writeFile(authority_->dir() / "peer-leaf.pem", peerLeaf_.certPem);
        if (authority_->cli("enroll --cert " + (authority_->dir() / "peer-leaf.pem").string() + " --card " +
                                PEER_SERIAL + " --org " + ORGANIZATION + " --name " + NAME + " --id-type " +
                                ID_TYPE,
                            std::string(ID_NUMBER) + "\n" + PHONE + "\n") != 0)
            throw std::runtime_error("enroll (peer): " + slurp(authority_->dir() / "cli.out"));
        const std::string puk = currentPuk();
        authority_->start();

        // The card: the enrolled certificate and key in 9A, the authority's PUK, serial = the enrolled card.
        provisionCard(env_->dir() / "card.json",
                      {{"9a", authority_->leaf().certPem, authority_->leaf().keyPem}},
                      {"--serial", CARD_SERIAL, "--puk", puk});
        card_ = std::make_unique<VirtualCard>(*env_, env_->dir() / "card.json");
        card_->waitPresent();

        // The daemon's config: the authority, its TLS root as the only anchor, the token (0600).
        writeFile(env_->dir() / "authority-root.pem", authority_->tlsRoot().certPem);
        writeFile(env_->dir() / "authority.token", std::string(TOKEN) + "\n");
        fs::permissions(env_->dir() / "authority.token", fs::perms::owner_read | fs::perms::owner_write,
                        fs::perm_options::replace);
        fs::create_directories(env_->dir() / "config" / "cardbridge");
        const json config = {{"authority",
                              {{"url", "https://127.0.0.1:" + std::to_string(authority_->port())},
                               {"caFile", (env_->dir() / "authority-root.pem").string()},
                               {"tokenFile", (env_->dir() / "authority.token").string()}}}};
        writeFile(env_->dir() / "config" / "cardbridge" / "cardbridged.json", config.dump());

        tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
        net::configureClientTls(tls_->native_handle(), authority_->tlsRoot().certPem);
    }

    ~Fixture() {
        daemon_.reset();
        card_.reset();
        authority_.reset();
        env_.reset();
    }
    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;

    VirtualCard& card() { return *card_; }
    AuthorityProcess& authority() { return *authority_; }
    const fs::path& stateDir() const { return stateDir_; }
    const fs::path& dir() const { return env_->dir(); }
    asio::ssl::context& tls() { return *tls_; }
    const TestCert& peerLeaf() const { return peerLeaf_; }

    /// Starts cardbridged and waits for its "listening" line; returns its port.
    std::uint16_t startDaemon() {
        const std::uint16_t port = freePort();
        const fs::path out = env_->dir() / "cardbridged.out";
        daemon_ = std::make_unique<ChildProcess>(
            std::vector<std::string>{CARDBRIDGED_EXE, "--state-dir", stateDir_.string(), "--port",
                                     std::to_string(port)},
            out);
        const auto deadline = Clock::now() + 15s;
        while (slurp(out).find("cardbridged listening on") == std::string::npos) {
            if (!daemon_->running() || Clock::now() > deadline)
                throw std::runtime_error("cardbridged did not start:\n" + slurp(out));
            std::this_thread::sleep_for(20ms);
        }
        return port;
    }

    /// The card's current PUK, from the authority's CLI (`puk --card`).
    std::string currentPuk(const std::string& serial = CARD_SERIAL) const {
        if (authority_->cli("puk --card " + serial) != 0)
            throw std::runtime_error("puk: " + slurp(authority_->dir() / "cli.out"));
        std::smatch match;
        const std::string out = slurp(authority_->dir() / "cli.out");
        static const std::regex eightDigits(R"((?:^|\n)(\d{8})\n)");
        if (!std::regex_search(out, match, eightDigits)) throw std::runtime_error("puk: no PUK in " + out);
        return match[1];
    }

    /// Empties the authority's SMS send log (what its cooldown and daily caps count), so the next code is
    /// allowed. Throws when the sqlite3 CLI fails.
    void clearSmsLog() const {
        const std::string db = (authority_->dir() / "data" / "authority.db").string();
        for (int attempt = 0;; ++attempt) {
            const CommandResult r =
                runCommand({"sqlite3", "-cmd", ".timeout 5000", db, "DELETE FROM sms_send_log;"}, 30s);
            if (r.exitCode == 0) return;
            if (attempt == 3)
                throw std::runtime_error("sqlite3 (is the sqlite3 CLI installed?): " + r.output);
        }
    }

  private:
    std::unique_ptr<PcscEnv> env_;
    std::unique_ptr<AuthorityProcess> authority_;
    std::unique_ptr<VirtualCard> card_;
    std::unique_ptr<ChildProcess> daemon_;
    std::unique_ptr<asio::ssl::context> tls_;
    TestCert peerLeaf_;
    fs::path stateDir_;
};

// --- card helpers ------------------------------------------------------------------------------------------

/// VERIFY with a wrong PIN until the card says blocked.
void lockPin(card::PivCard& piv) {
    piv.exclusive([](card::PivApplication& app) {
        const Secret wrong(WRONG_PIN);
        for (int i = 0; i < 10; ++i) {
            if (app.verifyPin(wrong).status == card::PinStatus::PinBlocked) return;
        }
        throw std::runtime_error("the PIN did not block");
    });
}

struct CardPeer {
    double minimumMs = 0;  ///< SELECT + RESET RETRY COUNTER + CHANGE REFERENCE DATA, one transaction
    std::uint64_t minimumApdus = 0;
    double pinReadMs = 0;  ///< SELECT + VERIFY without data, one transaction
    std::uint64_t pinReadApdus = 0;
};

/// The card commands of a reset made directly: PIN unblocked to `newPin`, the PUK changed to itself.
CardPeer directCard(card::PivCard& piv, VirtualCard& card, const std::string& puk, const char* newPin) {
    CardPeer out;
    const Secret pukSecret(puk), pin(newPin);
    card.resetApduCount();
    auto start = Clock::now();
    piv.exclusive([&](card::PivApplication& app) {
        if (!app.unblockPin(pukSecret, pin).ok())
            throw std::runtime_error("direct RESET RETRY COUNTER failed");
        if (!app.changePuk(pukSecret, pukSecret).ok())
            throw std::runtime_error("direct CHANGE REFERENCE DATA failed");
    });
    out.minimumMs = msSince(start);
    out.minimumApdus = card.apduCount();
    card.resetApduCount();
    start = Clock::now();
    const card::PinRetries state = piv.pinRetries();
    out.pinReadMs = msSince(start);
    out.pinReadApdus = card.apduCount();
    if (state.state != card::PinRetries::State::NotVerified)
        throw std::runtime_error("direct reset: the PIN is not usable afterwards");
    return out;
}

// --- the disk: the daemon's journal writes
// ------------------------------------------------------------------

/// Writes `content` to `path` as the daemon's unlock store does (temp file, write, fsync, rename, fsync of
/// the folder). Throws on failure.
void writeDurably(const fs::path& path, const std::string& content) {
    const fs::path temp = path.string() + ".tmp";
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + temp.string());
    const bool written =
        ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
        ::fsync(fd) == 0;
    ::close(fd);
    if (!written || ::rename(temp.c_str(), path.c_str()) != 0)
        throw std::runtime_error("cannot write " + path.string());
    const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

/// Four journal-sized durable writes in `folder` (a reset writes its journal four times: credential, reset,
/// rotate, complete; three of them inside the card transaction); returns the time of each.
std::vector<double> journalWrites(const fs::path& folder) {
    fs::create_directories(folder);
    const std::string record = json{{"cardId", std::string(32, 'A')},
                                    {"cardSerial", CARD_SERIAL},
                                    {"requestId", std::string(32, 'b')},
                                    {"epoch", 1},
                                    {"nextEpoch", 2},
                                    {"step", "rotate"},
                                    {"updatedAt", "2026-11-27T12:00:00Z"}}
                                   .dump() +
                               "\n";
    std::vector<double> out;
    for (int i = 0; i < 4; ++i) {
        const auto start = Clock::now();
        writeDurably(folder / "journal-probe.json", record);
        out.push_back(msSince(start));
    }
    fs::remove(folder / "journal-probe.json");
    return out;
}

// --- the authority peer ------------------------------------------------------------------------------------

struct AuthorityPeer {
    double verifyMs = 0, credentialMs = 0, completeMs = 0;
    [[nodiscard]] double total() const { return verifyMs + credentialMs + completeMs; }
};

json createBody(const TestCert& leaf) {
    return {{"certificate", base64Encode(leaf.der)},
            {"cardSerial", PEER_SERIAL},
            {"handler",
             {{"organization", ORGANIZATION},
              {"name", NAME},
              {"idType", ID_TYPE},
              {"idNumber", ID_NUMBER},
              {"phone", PHONE}}}};
}

/// A fresh SMS request of the peer card with its code sent (untimed); returns {requestId, code}.
std::pair<std::string, std::string> authorisablePeerRequest(Fixture& fx) {
    PlainHttps client(fx.tls(), fx.authority().port());
    const json created =
        json::parse(client.post("/v1/unlock-requests", createBody(fx.peerLeaf()).dump(), true));
    if (created.value("route", "") != "sms") throw std::runtime_error("peer request: route is not sms");
    const std::string id = created["requestId"];
    fx.clearSmsLog();
    client.post("/v1/unlock-requests/" + id + "/code", "", true);
    const std::string code = fx.authority().lastCode();
    if (code.empty()) throw std::runtime_error("peer request: no code in the outbox");
    return {id, code};
}

/// verify → credential → complete for a fresh request, each on its own new connection (connect + TLS
/// handshake + request + response, as the daemon's client does), or all three on one keep-alive
/// connection whose opening is charged to `verify`.
AuthorityPeer directAuthority(Fixture& fx, bool keepAlive) {
    const auto [id, code] = authorisablePeerRequest(fx);
    const std::string base = "/v1/unlock-requests/" + id;
    AuthorityPeer out;
    const std::string verifyBody = json{{"code", code}}.dump();
    if (keepAlive) {
        auto start = Clock::now();
        PlainHttps client(fx.tls(), fx.authority().port());
        client.post(base + "/verify", verifyBody, true);
        out.verifyMs = msSince(start);
        start = Clock::now();
        client.post(base + "/credential", "", true);
        out.credentialMs = msSince(start);
        start = Clock::now();
        const json done = json::parse(client.post(base + "/complete", "", true));
        out.completeMs = msSince(start);
        if (done.value("state", "") != "completed") throw std::runtime_error("peer: not completed");
        return out;
    }
    const auto once = [&](const std::string& target, const std::string& body) {
        const auto start = Clock::now();
        std::string answer;
        {
            PlainHttps client(fx.tls(), fx.authority().port());
            answer = client.post(target, body, false);
        }
        return std::make_pair(msSince(start), answer);
    };
    out.verifyMs = once(base + "/verify", verifyBody).first;
    out.credentialMs = once(base + "/credential", "").first;
    const auto [ms, answer] = once(base + "/complete", "");
    out.completeMs = ms;
    if (json::parse(answer).value("state", "") != "completed")
        throw std::runtime_error("peer: not completed");
    return out;
}

// --- the daemon
// ---------------------------------------------------------------------------------------------

struct DaemonReset {
    double clientMs = 0;  ///< unlock.resetWithCode sent → its response received, over WSS
    double totalMs = 0, authorityMs = 0, cardMs = 0, daemonMs = 0;  ///< the daemon's log line
    unsigned authorityCalls = 0;
    std::uint64_t apdus = 0;
};

json resultOf(const json& reply, const char* method) {
    if (!reply.contains("result")) throw std::runtime_error(std::string(method) + ": " + reply.dump());
    return reply["result"];
}

/// The daemon's timing line for the flow starting `flowPrefix`; waits (5 s) for it to reach the log.
std::optional<DaemonReset> timingLine(const fs::path& log, const fs::path& out,
                                      const std::string& flowPrefix) {
    const std::regex line("unlock: flow " + flowPrefix +
                          "\\S* reset took ([0-9.]+) ms: authority ([0-9.]+) ms in ([0-9]+) calls, card "
                          "([0-9.]+) ms, daemon (-?[0-9.]+) ms");
    const auto deadline = Clock::now() + 5s;
    do {
        for (const fs::path& file : {log, out}) {
            std::smatch match;
            const std::string text = slurp(file);
            if (std::regex_search(text, match, line)) {
                DaemonReset r;
                r.totalMs = std::stod(match[1]);
                r.authorityMs = std::stod(match[2]);
                r.authorityCalls = static_cast<unsigned>(std::stoul(match[3]));
                r.cardMs = std::stod(match[4]);
                r.daemonMs = std::stod(match[5]);
                return r;
            }
        }
        std::this_thread::sleep_for(20ms);
    } while (Clock::now() < deadline);
    return std::nullopt;
}

/// One flow up to the code (untimed), then unlock.resetWithCode timed.
DaemonReset daemonReset(Fixture& fx, WssClient& client, const std::string& reader, const char* newPin) {
    const json flow = resultOf(client.call("unlock.begin", {{"reader", reader}}), "unlock.begin");
    const std::string flowId = flow.at("flowId");
    if (flow.value("step", "") != "identify") throw std::runtime_error("unlock.begin: " + flow.dump());
    const json identified = resultOf(client.call("unlock.identify", {{"flowId", flowId},
                                                                     {"handler",
                                                                      {{"organization", ORGANIZATION},
                                                                       {"name", NAME},
                                                                       {"idType", ID_TYPE},
                                                                       {"idNumber", ID_NUMBER},
                                                                       {"phone", PHONE}}}}),
                                     "unlock.identify");
    if (identified.value("step", "") != "sms")
        throw std::runtime_error("unlock.identify: " + identified.dump());
    fx.clearSmsLog();
    resultOf(client.call("unlock.sendCode", {{"flowId", flowId}}), "unlock.sendCode");
    const std::string code = fx.authority().lastCode();
    if (code.empty()) throw std::runtime_error("no code in the outbox");

    fx.card().resetApduCount();
    const auto start = Clock::now();
    const json reply =
        client.call("unlock.resetWithCode", {{"flowId", flowId}, {"code", code}, {"newPin", newPin}});
    const double clientMs = msSince(start);
    const std::uint64_t apdus = fx.card().apduCount();
    const json done = resultOf(reply, "unlock.resetWithCode");
    if (done.value("step", "") != "done") throw std::runtime_error("unlock.resetWithCode: " + done.dump());

    auto timing =
        timingLine(fx.stateDir() / "cardbridged.log", fx.dir() / "cardbridged.out", flowId.substr(0, 8));
    if (!timing)
        throw std::runtime_error("no timing line in the daemon's log for flow " + flowId.substr(0, 8));
    timing->clientMs = clientMs;
    timing->apdus = apdus;
    return *timing;
}

// --- one latency
// -----------------------------------------------------------------------------------------------

struct Row {
    DaemonReset daemon;
    CardPeer card;
    std::vector<double> journalMs;  ///< four durable journal-sized writes next to the daemon's state folder
    AuthorityPeer authorityFresh, authorityKeepAlive;
};

std::vector<Row> runLatency(Fixture& fx, WssClient& client, card::PivCard& piv, int latencyMs,
                            const Options& opt) {
    fx.card().setLatency(latencyMs);
    const std::string reader = fx.card().readerName();
    std::vector<Row> rows;
    for (int i = 0; i < opt.warmup + opt.iterations; ++i) {
        Row row;
        const char* pin = NEW_PINS[i % 2];
        lockPin(piv);
        row.card = directCard(piv, fx.card(), fx.currentPuk(), pin);
        lockPin(piv);
        row.daemon = daemonReset(fx, client, reader, pin);
        row.authorityFresh = directAuthority(fx, false);
        row.authorityKeepAlive = directAuthority(fx, true);
        row.journalMs = journalWrites(fx.dir() / "journal-probe");
        if (i >= opt.warmup) rows.push_back(row);
        std::fprintf(
            stderr,
            "latency %d ms, iteration %d: client %.2f ms, daemon says %.2f (a %.2f, c %.2f, d %.2f)\n",
            latencyMs, i + 1 - opt.warmup, row.daemon.clientMs, row.daemon.totalMs, row.daemon.authorityMs,
            row.daemon.cardMs, row.daemon.daemonMs);
    }
    return rows;
}

// --- output
// -------------------------------------------------------------------------------------------------------

template <typename Get>
std::vector<double> column(const std::vector<Row>& rows, Get get) {
    std::vector<double> out;
    for (const Row& r : rows) out.push_back(static_cast<double>(get(r)));
    return out;
}

std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

std::string rangeOf(const std::vector<double>& v) {
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    if (*lo == *hi) return std::to_string(static_cast<long long>(*lo));
    return std::to_string(static_cast<long long>(*lo)) + "–" + std::to_string(static_cast<long long>(*hi));
}

void printRaw(const char* name, const std::vector<double>& v) {
    std::printf("- %s:", name);
    for (double x : v) std::printf(" %.2f", x);
    std::printf("\n");
}

void report(const std::map<int, std::vector<Row>>& byLatency, const Options& opt) {
    using Getter = std::function<double(const Row&)>;
    const auto peerAuth = [](const Row& r) { return r.authorityFresh.total(); };
    const auto peerCard = [](const Row& r) { return r.card.minimumMs; };
    const auto journal = [](const Row& r, std::size_t n) {
        double sum = 0;
        for (std::size_t i = 0; i < n && i < r.journalMs.size(); ++i) sum += r.journalMs[i];
        return sum;
    };
    const std::vector<std::pair<std::string, Getter>> lines{
        {"**client-observed `unlock.resetWithCode`** (WSS request → response)",
         [](const Row& r) { return r.daemon.clientMs; }},
        {"daemon's log: reset took", [](const Row& r) { return r.daemon.totalMs; }},
        {"daemon's log: authority (3 calls)", [](const Row& r) { return r.daemon.authorityMs; }},
        {"daemon's log: card", [](const Row& r) { return r.daemon.cardMs; }},
        {"daemon's log: daemon", [](const Row& r) { return r.daemon.daemonMs; }},
        {"peer: authority verify + credential + complete, new connection each", peerAuth},
        {"peer: the same on one keep-alive connection (its opening included)",
         [](const Row& r) { return r.authorityKeepAlive.total(); }},
        {"peer: card SELECT + RESET RETRY COUNTER + CHANGE REFERENCE DATA", peerCard},
        {"peer: card PIN state read (SELECT + VERIFY)", [](const Row& r) { return r.card.pinReadMs; }},
        {"peer: 4 journal-sized durable writes (write, fsync, rename, fsync folder)",
         [=](const Row& r) { return journal(r, 4); }},
        {"**daemon-added, self-reported** (log: total − authority − card)",
         [](const Row& r) { return r.daemon.daemonMs; }},
        {"**daemon-added, independent** (client-observed − peer authority − peer card)",
         [=](const Row& r) { return r.daemon.clientMs - peerAuth(r) - peerCard(r); }},
        {"… of which outside the reset (client-observed − log total: WSS, JSON-RPC, pool hop)",
         [](const Row& r) { return r.daemon.clientMs - r.daemon.totalMs; }},
        {"… of which authority calls via the daemon − peer authority",
         [=](const Row& r) { return r.daemon.authorityMs - peerAuth(r); }},
        {"… of which card span in the daemon − peer card",
         [=](const Row& r) { return r.daemon.cardMs - peerCard(r); }},
        {"… … PIN state read after the transaction (peer figure)",
         [](const Row& r) { return r.card.pinReadMs; }},
        {"… … 3 journal writes inside the transaction (peer figure)",
         [=](const Row& r) { return journal(r, 3); }},
        {"… … rest (worker hand-off, vcard state-file noise)",
         [=](const Row& r) { return r.daemon.cardMs - peerCard(r) - r.card.pinReadMs - journal(r, 3); }},
        {"… of which the daemon's own share (log; includes 1 journal write)",
         [](const Row& r) { return r.daemon.daemonMs; }},
        {"daemon-added, independent, without the PIN state re-read (peer figure)",
         [=](const Row& r) { return r.daemon.clientMs - peerAuth(r) - peerCard(r) - r.card.pinReadMs; }},
        {"daemon-added, independent, without the journal's 4 writes",
         [=](const Row& r) { return r.daemon.clientMs - peerAuth(r) - peerCard(r) - journal(r, 4); }},
    };

    std::printf(
        "\n### unlock.resetWithCode: client-observed total and where it goes (ms; %d iterations per "
        "latency after %d warm-up)\n\n| measure |",
        opt.iterations, opt.warmup);
    for (const auto& [latency, rows] : byLatency) std::printf(" %d ms/APDU p50 | p90 |", latency);
    std::printf("\n|---|");
    for (std::size_t i = 0; i < byLatency.size(); ++i) std::printf("---:|---:|");
    std::printf("\n");
    for (const auto& [name, get] : lines) {
        std::printf("| %s |", name.c_str());
        for (const auto& [latency, rows] : byLatency) {
            const auto v = column(rows, get);
            std::printf(" %s | %s |", fmt(percentile(v, 50)).c_str(), fmt(percentile(v, 90)).c_str());
        }
        std::printf("\n");
    }
    std::printf("| **ratio: client-observed ÷ (peer authority + peer card)** |");
    for (const auto& [latency, rows] : byLatency) {
        const auto v =
            column(rows, [=](const Row& r) { return r.daemon.clientMs / (peerAuth(r) + peerCard(r)); });
        std::printf(" %.2f× | %.2f× |", percentile(v, 50), percentile(v, 90));
    }
    std::printf("\n\n| APDUs | protocol minimum |");
    for (const auto& [latency, rows] : byLatency) std::printf(" %d ms/APDU |", latency);
    std::printf("\n|---|---:|");
    for (std::size_t i = 0; i < byLatency.size(); ++i) std::printf("---:|");
    std::printf("\n| daemon: during unlock.resetWithCode | 3 |");
    for (const auto& [latency, rows] : byLatency)
        std::printf(" %s |", rangeOf(column(rows, [](const Row& r) { return r.daemon.apdus; })).c_str());
    std::printf("\n| peer: the reset transaction | 3 |");
    for (const auto& [latency, rows] : byLatency)
        std::printf(" %s |", rangeOf(column(rows, [](const Row& r) { return r.card.minimumApdus; })).c_str());
    std::printf("\n| peer: PIN state read | — |");
    for (const auto& [latency, rows] : byLatency)
        std::printf(" %s |", rangeOf(column(rows, [](const Row& r) { return r.card.pinReadApdus; })).c_str());
    std::printf("\n| daemon: authority calls (log) | 3 |");
    for (const auto& [latency, rows] : byLatency)
        std::printf(" %s |",
                    rangeOf(column(rows, [](const Row& r) { return r.daemon.authorityCalls; })).c_str());
    std::printf(
        "\n\ngoal: the daemon adds ≤ 5 ms beyond authority and card time\n\nRaw figures (ms, in run "
        "order):\n");
    for (const auto& [latency, rows] : byLatency) {
        std::printf("\n%d ms per APDU:\n", latency);
        printRaw("client-observed", column(rows, [](const Row& r) { return r.daemon.clientMs; }));
        printRaw("log total", column(rows, [](const Row& r) { return r.daemon.totalMs; }));
        printRaw("log authority", column(rows, [](const Row& r) { return r.daemon.authorityMs; }));
        printRaw("log card", column(rows, [](const Row& r) { return r.daemon.cardMs; }));
        printRaw("log daemon", column(rows, [](const Row& r) { return r.daemon.daemonMs; }));
        printRaw("peer authority (new connections)", column(rows, peerAuth));
        printRaw("peer authority verify/credential/complete", [&] {
            std::vector<double> v;
            for (const Row& r : rows) {
                v.push_back(r.authorityFresh.verifyMs);
                v.push_back(r.authorityFresh.credentialMs);
                v.push_back(r.authorityFresh.completeMs);
            }
            return v;
        }());
        printRaw("peer authority (keep-alive)",
                 column(rows, [](const Row& r) { return r.authorityKeepAlive.total(); }));
        printRaw("peer card (3 APDUs)", column(rows, peerCard));
        printRaw("peer PIN read (2 APDUs)", column(rows, [](const Row& r) { return r.card.pinReadMs; }));
        printRaw("peer journal writes (4 per iteration)", [&] {
            std::vector<double> v;
            for (const Row& r : rows) v.insert(v.end(), r.journalMs.begin(), r.journalMs.end());
            return v;
        }());
    }
}

std::vector<int> parseList(const std::string& text) {
    std::vector<int> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        if (!item.empty()) out.push_back(std::clamp(std::atoi(item.c_str()), 0, 200));
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const char* usage =
        "usage: unlock_bench [--iterations 20] [--latencies 0,20] [--warmup 1] [--quickack 0|1]\n";
    Options opt;
    if (argc % 2 != 1) {
        std::cerr << usage;
        return 2;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string arg = argv[i], value = argv[i + 1];
        if (arg == "--iterations") {
            opt.iterations = std::clamp(std::atoi(value.c_str()), 1, 1000);
        } else if (arg == "--warmup") {
            opt.warmup = std::clamp(std::atoi(value.c_str()), 0, 100);
        } else if (arg == "--latencies") {
            opt.latencies = parseList(value);
        } else if (arg == "--quickack") {
            opt.quickAck = value == "1";
        } else {
            std::cerr << usage;
            return 2;
        }
    }
    if (opt.latencies.empty()) {
        std::cerr << usage;
        return 2;
    }
    try {
        if (opt.quickAck) privateLoopbackWithQuickAck();
        Fixture fx;
        const std::uint16_t port = fx.startDaemon();
        WssClientOptions o;
        o.port = port;
        o.rootCaPem = slurp(fx.stateDir() / "local-root.pem");
        o.origin = "https://127.0.0.1:" + std::to_string(port);  // the daemon's own origin: `secrets`
        o.timeout = 30s;
        WssClient client(o);
        for (auto deadline = Clock::now() + 15s;;) {
            const json r = client.call("cards.list");
            if (r.contains("result") && !r["result"].empty()) break;
            if (Clock::now() > deadline) throw std::runtime_error("the daemon never listed the card");
            std::this_thread::sleep_for(50ms);
        }
        card::PcscConnector connector;
        card::PivCard piv(connector, fx.card().readerName());
        (void)piv.pinRetries();  // connect once, as the daemon's worker is connected

        std::printf("cardbridged %s, cardbridge-authority %s; card serial %s; files under %s; %s\n",
                    CARDBRIDGED_EXE, CARDBRIDGE_AUTHORITY_EXE, CARD_SERIAL, fx.dir().c_str(),
                    opt.quickAck ? "private network namespace, loopback routes with quickack 1"
                                 : "host network namespace (delayed ACKs as usual)");
        std::map<int, std::vector<Row>> byLatency;
        for (int latency : opt.latencies) byLatency[latency] = runLatency(fx, client, piv, latency, opt);
        report(byLatency, opt);
    } catch (const std::exception& e) {
        std::cerr << "unlock_bench: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

// Benchmarks of the real cardbridged process (black box, as tests/integration/daemon starts it) on a
// private pcscd with one virtual card, against a bare Boost.Beast WSS server (bare_wss_echo) measured
// in the same run with the same load generator:
//
//   wss          cards.list throughput and latency, closed loop, 1/10/100 connections
//   idle         RSS and per-thread wake-ups over --idle-seconds with one client connected
//   connections  memory of --connections idle WSS connections
//   insertion    pcscd "present" → card.inserted notification, minus a cold card read
//   all          all of the above
//
//   daemon_bench SUBCOMMAND [--warmup-ms 1000] [--seconds 5] [--loads 1,10,100] [--idle-seconds 60]
//                [--connections 1000] [--insertions 20] [--apdu-latency-ms 0]
//                (as root: starts a private pcscd)
//
// Each prints markdown tables with the raw figures and the ratio against the bare server.
#include <sys/resource.h>
#include <unistd.h>
#include <winscard.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cardbridge/card/pcsc.hpp"
#include "cardbridge/card/piv_card.hpp"
#include "free_port.hpp"
#include "pcsc_env.hpp"
#include "stats.hpp"
#include "test_certs.hpp"
#include "wss_client.hpp"
#include "wss_load.hpp"

using namespace cardbridge;
using namespace cardbridge::test;
using namespace std::chrono_literals;
using cardbridge::bench::mean;
using cardbridge::bench::percentile;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const std::string CARDS_LIST = R"({"jsonrpc":"2.0","id":1,"method":"cards.list","params":{}})";

struct Options {
    std::chrono::milliseconds warmup{1000};
    std::chrono::milliseconds measure{5000};
    std::vector<unsigned> loads{1, 10, 100};
    int idleSeconds = 60;
    unsigned connections = 1000;
    int insertions = 20;
    int apduLatencyMs = 0;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

double mb(long kb) {
    return static_cast<double>(kb) / 1024.0;
}

double msBetween(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

// Soft RLIMIT_NOFILE up to the hard limit; children (the daemon, the bare server) inherit it.
rlim_t raiseFdLimit() {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 65536);
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

// --- /proc ---------------------------------------------------------------------------------------

std::string firstLine(const fs::path& p) {
    std::ifstream in(p);
    std::string line;
    std::getline(in, line);
    return line;
}

// "Key:   value kB" → value, from a /proc status file; -1 when absent.
long statusField(const fs::path& status, const std::string& key) {
    std::ifstream in(status);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(key + ":", 0) == 0) return std::atol(line.c_str() + key.size() + 1);
    }
    return -1;
}

long rssKb(pid_t pid) {
    return statusField("/proc/" + std::to_string(pid) + "/status", "VmRSS");
}

long rssAnonKb(pid_t pid) {
    return statusField("/proc/" + std::to_string(pid) + "/status", "RssAnon");
}

struct ThreadSample {
    std::string comm;
    long voluntary = 0;
    long involuntary = 0;
    std::string wchan;
    std::string syscall;
};

std::string syscallName(const std::string& line) {
    const std::string number = line.substr(0, line.find(' '));
    static const std::map<std::string, std::string> names{{"0", "read"},         {"7", "poll"},
                                                          {"23", "select"},      {"35", "nanosleep"},
                                                          {"45", "recvfrom"},    {"128", "rt_sigtimedwait"},
                                                          {"202", "futex"},      {"230", "clock_nanosleep"},
                                                          {"232", "epoll_wait"}, {"270", "pselect6"},
                                                          {"271", "ppoll"},      {"281", "epoll_pwait"}};
    auto it = names.find(number);
    return it != names.end() ? it->second : "syscall " + number;
}

std::map<int, ThreadSample> sampleThreads(pid_t pid) {
    std::map<int, ThreadSample> threads;
    const fs::path tasks = "/proc/" + std::to_string(pid) + "/task";
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(tasks, ec)) {
        ThreadSample s;
        s.comm = firstLine(entry.path() / "comm");
        s.voluntary = statusField(entry.path() / "status", "voluntary_ctxt_switches");
        s.involuntary = statusField(entry.path() / "status", "nonvoluntary_ctxt_switches");
        s.wchan = firstLine(entry.path() / "wchan");
        s.syscall = syscallName(firstLine(entry.path() / "syscall"));
        threads[std::atoi(entry.path().filename().c_str())] = s;
    }
    return threads;
}

// --- processes -----------------------------------------------------------------------------------

// Starts argv with its output in `log` and waits (≤ 15 s) until the log holds `ready`.
std::unique_ptr<ChildProcess> startAndWait(const std::vector<std::string>& argv, const fs::path& log,
                                           const std::string& ready) {
    std::error_code ignored;
    fs::remove(log, ignored);
    auto child = std::make_unique<ChildProcess>(argv, log);
    const auto deadline = Clock::now() + 15s;
    while (slurp(log).find(ready) == std::string::npos) {
        if (!child->running() || Clock::now() > deadline)
            throw std::runtime_error(argv[0] + " did not start:\n" + slurp(log));
        std::this_thread::sleep_for(20ms);
    }
    return child;
}

// The private pcscd, one virtual card, and the daemon's config and state folders.
class Fixture {
  public:
    Fixture() : env_(std::make_unique<PcscEnv>()) {
        ::setenv("HOME", env_->dir().c_str(), 1);
        ::setenv("XDG_CONFIG_HOME", (env_->dir() / "config").c_str(), 1);
        stateDir_ = env_->dir() / "state";
        // The defaults limit a connection to 50 requests/s and an origin to 16 connections on purpose
        // (a page has no business sending more); a benchmark has, so the config file raises them.
        fs::create_directories(env_->dir() / "config" / "cardbridge");
        std::ofstream(env_->dir() / "config" / "cardbridge" / "cardbridged.json")
            << R"({"limits": {"maxRequestsPerSecond": 10000, "maxConnectionsPerOrigin": 1024,)"
            << R"( "maxPendingRequests": 8}})";
        // A typical signing key: an authentication and a signature certificate, both RSA-2048.
        auto make = [](const char* cn) {
            CertSpec spec;
            spec.commonName = cn;
            spec.key = KeyKind::Rsa2048;
            return makeCertificate(spec);
        };
        TestCert auth = make("张三 PIV认证"), sign = make("张三 签名");
        provisionCard(env_->dir() / "card.json",
                      {{"9a", auth.certPem, auth.keyPem}, {"9c", sign.certPem, sign.keyPem}});
        card_ = std::make_unique<VirtualCard>(*env_, env_->dir() / "card.json");
        card_->waitPresent();
    }

    ~Fixture() {
        card_.reset();
        env_.reset();
    }

    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;

    VirtualCard& card() { return *card_; }
    const fs::path& dir() const { return env_->dir(); }
    const fs::path& stateDir() const { return stateDir_; }

    // Starts cardbridged; returns the process and sets `port`.
    std::unique_ptr<ChildProcess> startDaemon(std::uint16_t& port) {
        port = freePort();
        return startAndWait(
            {CARDBRIDGED_EXE, "--state-dir", stateDir_.string(), "--port", std::to_string(port)},
            env_->dir() / "cardbridged.out", "cardbridged listening on");
    }

    // Starts the bare server on the daemon's certificate files, answering with `reply`.
    std::unique_ptr<ChildProcess> startBare(const std::string& reply, std::uint16_t& port,
                                            bool releaseBuffers = false) {
        const fs::path replyFile = env_->dir() / "bare-reply.json";
        writeFile(replyFile, reply);
        port = freePort();
        return startAndWait(
            {BARE_WSS_ECHO_EXE, "--cert", (stateDir_ / "localhost.pem").string(), "--key",
             (stateDir_ / "localhost.key").string(), "--reply-file", replyFile.string(), "--port",
             std::to_string(port), "--threads", "2", "--release-buffers", releaseBuffers ? "1" : "0"},
            env_->dir() / "bare_wss_echo.out", "bare_wss_echo listening on");
    }

    bench::WssTarget target(std::uint16_t port) const {
        return {port, slurp(stateDir_ / "local-root.pem"), "https://127.0.0.1:" + std::to_string(port)};
    }

  private:
    std::unique_ptr<PcscEnv> env_;
    std::unique_ptr<VirtualCard> card_;
    fs::path stateDir_;
};

// cards.list until the daemon has read the card (it reads right after insertion); returns the reply.
std::string waitForCard(bench::WssConnections& one) {
    const auto deadline = Clock::now() + 15s;
    for (;;) {
        std::string reply = one.callAll(CARDS_LIST);
        if (reply.find("\"result\":[{") != std::string::npos) return reply;
        if (Clock::now() > deadline) throw std::runtime_error("the daemon never listed the card: " + reply);
        std::this_thread::sleep_for(50ms);
    }
}

// Both servers running, with the cards.list reply the bare server echoes.
struct Servers {
    std::unique_ptr<ChildProcess> daemon, bare;
    std::uint16_t daemonPort = 0, barePort = 0;
    std::string reply;
};

Servers startBoth(Fixture& fx) {
    Servers s;
    s.daemon = fx.startDaemon(s.daemonPort);
    {
        bench::WssConnections one(fx.target(s.daemonPort), 1);
        s.reply = waitForCard(one);
        one.close();
    }
    s.bare = fx.startBare(s.reply, s.barePort);
    return s;
}

// --- wss -----------------------------------------------------------------------------------------

void runWss(Fixture& fx, const Options& opt) {
    Servers s = startBoth(fx);
    struct Row {
        unsigned connections;
        bench::LoadResult daemon, bare;
    };
    std::vector<Row> rows;
    for (unsigned n : opt.loads) {
        Row row{n, {}, {}};
        for (bool isDaemon : {true, false}) {
            bench::WssConnections conns(fx.target(isDaemon ? s.daemonPort : s.barePort), n);
            (isDaemon ? row.daemon : row.bare) = conns.closedLoop(CARDS_LIST, opt.warmup, opt.measure);
            conns.close();
            std::this_thread::sleep_for(300ms);  // let the server settle before the next run
        }
        rows.push_back(std::move(row));
    }
    std::printf(
        "\n### cards.list over WSS, closed loop (%zu-byte reply; warm-up %lld ms, measured %lld ms)\n\n",
        s.reply.size(), static_cast<long long>(opt.warmup.count()),
        static_cast<long long>(opt.measure.count()));
    std::printf(
        "| connections | server | req/s | p50 ms | p99 ms | mean ms | errors | req/s vs bare | p99 vs bare "
        "|\n");
    std::printf("|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const Row& r : rows) {
        const double bareRate = static_cast<double>(r.bare.requests) / r.bare.seconds;
        const double bareP99 = percentile(r.bare.latencyUs, 99) / 1000;
        for (const auto* res : {&r.daemon, &r.bare}) {
            const double rate = static_cast<double>(res->requests) / res->seconds;
            const double p99 = percentile(res->latencyUs, 99) / 1000;
            std::printf("| %u | %s | %.0f | %.3f | %.3f | %.3f | %llu | %.2f× | %.2f× |\n", r.connections,
                        res == &r.daemon ? "cardbridged" : "bare Beast WSS", rate,
                        percentile(res->latencyUs, 50) / 1000, p99, mean(res->latencyUs) / 1000,
                        static_cast<unsigned long long>(res->errors), rate / bareRate, p99 / bareP99);
        }
    }
    std::printf("\nraw: ");
    for (const Row& r : rows)
        std::printf("n=%u daemon %llu replies (%zu B) / bare %llu replies (%zu B) in %.1f s; ", r.connections,
                    static_cast<unsigned long long>(r.daemon.requests), r.daemon.replyBytes,
                    static_cast<unsigned long long>(r.bare.requests), r.bare.replyBytes, r.daemon.seconds);
    std::printf("\n");
    for (const Row& r : rows)
        if (!r.daemon.firstError.empty())
            std::printf("first error reply (n=%u): %s\n", r.connections, r.daemon.firstError.c_str());
    std::printf("goals: ≥ 0.70× the bare server's req/s, p99 ≤ 1 ms\n");
}

// --- idle ----------------------------------------------------------------------------------------

void printThreads(const char* server, const std::map<int, ThreadSample>& before,
                  const std::map<int, ThreadSample>& after) {
    for (const auto& [tid, b] : before) {
        auto it = after.find(tid);
        if (it == after.end()) continue;
        const ThreadSample& a = it->second;
        std::printf("| %s | %d | %s | %s / %s | %ld | %ld | %ld |\n", server, tid, a.comm.c_str(),
                    a.syscall.c_str(), a.wchan.c_str(), a.voluntary - b.voluntary,
                    a.involuntary - b.involuntary,
                    (a.voluntary - b.voluntary) + (a.involuntary - b.involuntary));
    }
}

long wakeups(const std::map<int, ThreadSample>& before, const std::map<int, ThreadSample>& after) {
    long total = 0;
    for (const auto& [tid, b] : before) {
        auto it = after.find(tid);
        if (it != after.end())
            total += (it->second.voluntary - b.voluntary) + (it->second.involuntary - b.involuntary);
    }
    return total;
}

void runIdle(Fixture& fx, const Options& opt) {
    Servers s = startBoth(fx);
    bench::WssConnections daemonClient(fx.target(s.daemonPort), 1);
    daemonClient.callAll(CARDS_LIST);
    bench::WssConnections bareClient(fx.target(s.barePort), 1);
    bareClient.callAll(CARDS_LIST);
    std::this_thread::sleep_for(2s);  // let the last replies and log writes settle
    const pid_t daemonPid = s.daemon->pid(), barePid = s.bare->pid();
    auto daemonBefore = sampleThreads(daemonPid), bareBefore = sampleThreads(barePid);
    std::this_thread::sleep_for(std::chrono::seconds(opt.idleSeconds));
    auto daemonAfter = sampleThreads(daemonPid), bareAfter = sampleThreads(barePid);
    const long daemonRss = rssKb(daemonPid), bareRss = rssKb(barePid);
    const long daemonAnon = rssAnonKb(daemonPid), bareAnon = rssAnonKb(barePid);
    const long daemonWakes = wakeups(daemonBefore, daemonAfter), bareWakes = wakeups(bareBefore, bareAfter);
    const double minutes = opt.idleSeconds / 60.0;

    std::printf("\n### Idle for %d s: one card inserted, one client connected (after one cards.list)\n\n",
                opt.idleSeconds);
    std::printf(
        "| server | threads | RSS MB | of which anonymous MB | wake-ups | wake-ups/min | RSS vs bare | "
        "wake-ups vs bare |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    char wakeRatio[32] = "— (bare: 0)";
    if (bareWakes > 0)
        std::snprintf(wakeRatio, sizeof wakeRatio, "%.1f×",
                      static_cast<double>(daemonWakes) / static_cast<double>(bareWakes));
    std::printf("| cardbridged | %zu | %.1f | %.1f | %ld | %.1f | %.2f× | %s |\n", daemonAfter.size(),
                mb(daemonRss), mb(daemonAnon), daemonWakes, static_cast<double>(daemonWakes) / minutes,
                static_cast<double>(daemonRss) / static_cast<double>(bareRss), wakeRatio);
    std::printf("| bare Beast WSS | %zu | %.1f | %.1f | %ld | %.1f | 1.00× | — |\n", bareAfter.size(),
                mb(bareRss), mb(bareAnon), bareWakes, static_cast<double>(bareWakes) / minutes);
    std::printf("\nPer thread (context switches over the %d s; tid order = creation order):\n\n",
                opt.idleSeconds);
    std::printf(
        "| server | tid | comm | blocked in (syscall / wchan) | voluntary | involuntary | wake-ups |\n");
    std::printf("|---|---:|---|---|---:|---:|---:|\n");
    printThreads("cardbridged", daemonBefore, daemonAfter);
    printThreads("bare Beast WSS", bareBefore, bareAfter);
    std::printf("\ngoals: RSS ≤ 10 MB; at most one wake-up a minute from our code\n");
}

// --- connections ---------------------------------------------------------------------------------

struct ConnMemory {
    long before = 0, open = 0, used = 0;
};

ConnMemory measureConnections(Fixture& fx, pid_t pid, std::uint16_t port, unsigned count) {
    ConnMemory m;
    std::this_thread::sleep_for(1s);
    m.before = rssKb(pid);
    bench::WssConnections conns(fx.target(port), count, 16);
    std::this_thread::sleep_for(2s);
    m.open = rssKb(pid);
    conns.callAll(CARDS_LIST, 60s);
    std::this_thread::sleep_for(1s);
    m.used = rssKb(pid);
    conns.close();
    return m;
}

void runConnections(Fixture& fx, const Options& opt) {
    const rlim_t fds = raiseFdLimit();
    if (fds < opt.connections + 64) throw std::runtime_error("RLIMIT_NOFILE is only " + std::to_string(fds));
    Servers s = startBoth(fx);
    ConnMemory daemon = measureConnections(fx, s.daemon->pid(), s.daemonPort, opt.connections);
    ConnMemory bare = measureConnections(fx, s.bare->pid(), s.barePort, opt.connections);
    std::uint16_t releasingPort = 0;
    auto releasing = fx.startBare(s.reply, releasingPort, true);
    ConnMemory release = measureConnections(fx, releasing->pid(), releasingPort, opt.connections);
    const double n = opt.connections;
    auto perConn = [n](long from, long to) { return static_cast<double>(to - from) / n; };

    std::printf("\n### Memory of %u idle WSS connections (RSS, same origin)\n\n", opt.connections);
    std::printf(
        "| server | RSS before MB | RSS, %u open MB | KB per connection | RSS after one cards.list on each "
        "MB "
        "| KB per connection | KB/conn vs bare (open) | (after a request) |\n",
        opt.connections);
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const auto* m : {&daemon, &bare, &release}) {
        std::printf("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f× | %.2f× |\n",
                    m == &daemon ? "cardbridged"
                    : m == &bare ? "bare Beast WSS"
                                 : "bare Beast WSS + SSL_MODE_RELEASE_BUFFERS (experiment)",
                    mb(m->before), mb(m->open), perConn(m->before, m->open), mb(m->used),
                    perConn(m->before, m->used),
                    perConn(m->before, m->open) / perConn(bare.before, bare.open),
                    perConn(m->before, m->used) / perConn(bare.before, bare.used));
    }
    std::printf("\nraw VmRSS kB: daemon %ld → %ld → %ld; bare %ld → %ld → %ld; RLIMIT_NOFILE %llu\n",
                daemon.before, daemon.open, daemon.used, bare.before, bare.open, bare.used,
                static_cast<unsigned long long>(fds));
    std::printf("goal: ≤ 64 KB per idle connection\n");
}

// --- insertion -----------------------------------------------------------------------------------

// Waits in SCardGetStatusChange on one reader (as the harness does) and timestamps every
// absent → present change pcscd reports.
class PresenceWatcher {
  public:
    explicit PresenceWatcher(std::string reader) : reader_(std::move(reader)) {
        if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx_) != SCARD_S_SUCCESS)
            throw std::runtime_error("no PC/SC context");
        thread_ = std::thread([this] { run(); });
    }

    ~PresenceWatcher() {
        stop_ = true;
        SCardCancel(ctx_);
        thread_.join();
        SCardReleaseContext(ctx_);
    }

    PresenceWatcher(const PresenceWatcher&) = delete;
    PresenceWatcher& operator=(const PresenceWatcher&) = delete;

    /// Forgets the last "present" time (call before inserting).
    void reset() {
        std::lock_guard lock(mutex_);
        present_.reset();
    }

    /// The time of the next "present" report after reset(); nullopt after `timeout`.
    std::optional<Clock::time_point> waitPresent(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, timeout, [this] { return present_.has_value(); });
        return present_;
    }

  private:
    void run() {
        SCARD_READERSTATE state{};
        state.szReader = reader_.c_str();
        state.dwCurrentState = SCARD_STATE_UNAWARE;
        bool wasPresent = true;
        for (int i = 0; i < 1'000'000 && !stop_; ++i) {
            const LONG rc = SCardGetStatusChange(ctx_, 500, &state, 1);
            const auto now = Clock::now();
            if (rc == SCARD_S_SUCCESS) {
                const bool present = (state.dwEventState & SCARD_STATE_PRESENT) != 0;
                state.dwCurrentState = state.dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
                if (present && !wasPresent) {
                    std::lock_guard lock(mutex_);
                    present_ = now;
                    cv_.notify_all();
                }
                wasPresent = present;
            } else if (rc != SCARD_E_TIMEOUT) {
                std::this_thread::sleep_for(50ms);
            }
        }
    }

    std::string reader_;
    SCARDCONTEXT ctx_ = 0;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable cv_;
    std::optional<Clock::time_point> present_;
    std::thread thread_;
};

// Next text frame holding `needle`, and when it arrived; throws after `timeout`.
Clock::time_point waitFrame(WssClient& client, const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        auto text =
            client.nextText(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
        const auto now = Clock::now();
        if (text && text->find(needle) != std::string::npos) return now;
    }
    throw std::runtime_error("no frame with " + needle);
}

void printStats(const char* what, const std::vector<double>& v) {
    std::printf("| %s | %zu | %.2f | %.2f | %.2f | %.2f | %.2f |\n", what, v.size(), percentile(v, 50),
                percentile(v, 99), mean(v), v.empty() ? 0 : *std::min_element(v.begin(), v.end()),
                v.empty() ? 0 : *std::max_element(v.begin(), v.end()));
}

void runInsertion(Fixture& fx, const Options& opt) {
    VirtualCard& card = fx.card();
    const std::string reader = card.readerName();
    card.setLatency(opt.apduLatencyMs);

    // 1. Card I/O alone: what the daemon does after an insertion (readInfo on a fresh PivCard over a
    //    connector whose context is already established), here in-process, with no daemon running.
    std::vector<double> readMs;
    {
        card::PcscConnector connector;
        (void)connector.listReaders();  // establish the context first, as the daemon's worker has
        for (int i = 0; i < opt.insertions; ++i) {
            card.remove();
            card.waitAbsent();
            card.insert();
            card.waitPresent();
            const auto start = Clock::now();
            card::PivCard piv(connector, reader);
            const card::CardInfo info = piv.readInfo();
            readMs.push_back(msBetween(start, Clock::now()));
            if (info.certificates.size() != 2) throw std::runtime_error("expected 2 certificates");
        }
    }

    // 2. pcscd's "present" (seen by our own SCardGetStatusChange) → card.inserted over WSS.
    std::uint16_t port = 0;
    auto daemon = fx.startDaemon(port);
    WssClientOptions o;
    o.port = port;
    o.rootCaPem = slurp(fx.stateDir() / "local-root.pem");
    o.origin = "https://127.0.0.1:" + std::to_string(port);
    WssClient client(o);
    for (auto deadline = Clock::now() + 15s;;) {
        auto r = client.call("cards.list");
        if (r.contains("result") && !r["result"].empty()) break;
        if (Clock::now() > deadline) throw std::runtime_error("the daemon never listed the card");
        std::this_thread::sleep_for(50ms);
    }
    PresenceWatcher watcher(reader);
    std::vector<double> notifyMs;
    for (int i = 0; i < opt.insertions; ++i) {
        card.remove();
        waitFrame(client, "\"card.removed\"", 10s);
        card.waitAbsent();
        watcher.reset();
        card.insert();
        const auto notified = waitFrame(client, "\"card.inserted\"", 10s);
        const auto present = watcher.waitPresent(5s);
        if (!present) throw std::runtime_error("pcscd never reported the card present");
        notifyMs.push_back(msBetween(*present, notified));
    }
    daemon->stop();

    std::printf("\n### Insertion → card.inserted (%d insertions, one card, 2 certificates)\n\n",
                opt.insertions);
    std::printf("| measure | n | p50 ms | p99 ms | mean ms | min ms | max ms |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
    printStats("pcscd reports present → card.inserted received", notifyMs);
    printStats("card I/O: cold readInfo() in-process (no daemon)", readMs);
    std::printf("| difference (beyond card I/O) | | %.2f | %.2f | %.2f | | |\n",
                percentile(notifyMs, 50) - percentile(readMs, 50),
                percentile(notifyMs, 99) - percentile(readMs, 99), mean(notifyMs) - mean(readMs));
    std::printf("\nraw present→notified ms:");
    for (double v : notifyMs) std::printf(" %.2f", v);
    std::printf("\nraw cold read ms:");
    for (double v : readMs) std::printf(" %.2f", v);
    std::printf("\ngoal: ≤ 20 ms beyond card I/O\n");
}

std::vector<unsigned> parseList(const std::string& text) {
    std::vector<unsigned> out;
    std::stringstream ss(text);
    for (std::string item; std::getline(ss, item, ',');)
        out.push_back(static_cast<unsigned>(std::max(1, std::atoi(item.c_str()))));
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string usage =
        "usage: daemon_bench wss|idle|connections|insertion|all [--warmup-ms N] [--seconds N] [--loads "
        "1,10,100]\n"
        "                    [--idle-seconds 60] [--connections 1000] [--insertions 20] [--apdu-latency-ms "
        "0]\n";
    if (argc < 2) {
        std::cerr << usage;
        return 2;
    }
    const std::string command = argv[1];
    Options opt;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string arg = argv[i], value = argv[i + 1];
        if (arg == "--warmup-ms") {
            opt.warmup = std::chrono::milliseconds(std::max(0, std::atoi(value.c_str())));
        } else if (arg == "--seconds") {
            opt.measure = std::chrono::seconds(std::clamp(std::atoi(value.c_str()), 1, 600));
        } else if (arg == "--loads") {
            opt.loads = parseList(value);
        } else if (arg == "--idle-seconds") {
            opt.idleSeconds = std::clamp(std::atoi(value.c_str()), 1, 3600);
        } else if (arg == "--connections") {
            opt.connections = static_cast<unsigned>(std::clamp(std::atoi(value.c_str()), 1, 1024));
        } else if (arg == "--apdu-latency-ms") {
            opt.apduLatencyMs = std::clamp(std::atoi(value.c_str()), 0, 200);
        } else if (arg == "--insertions") {
            opt.insertions = std::clamp(std::atoi(value.c_str()), 1, 1000);
        } else {
            std::cerr << usage;
            return 2;
        }
    }
    if (argc % 2 != 0) {
        std::cerr << usage;
        return 2;
    }
    if (command != "wss" && command != "connections" && command != "insertion" && command != "idle" &&
        command != "all") {
        std::cerr << usage;
        return 2;
    }
    try {
        raiseFdLimit();
        Fixture fx;
        std::printf("cardbridged %s vs bare_wss_echo %s\n", CARDBRIDGED_EXE, BARE_WSS_ECHO_EXE);
        if (command == "wss" || command == "all") runWss(fx, opt);
        if (command == "connections" || command == "all") runConnections(fx, opt);
        if (command == "insertion" || command == "all") runInsertion(fx, opt);
        if (command == "idle" || command == "all") runIdle(fx, opt);
    } catch (const std::exception& e) {
        std::cerr << "daemon_bench: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

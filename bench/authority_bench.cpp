// Benchmark of the real cardbridge-authority process (black box, set up as tests/integration/authority
// does: minted TLS chain, issuing CA, key files, token file, temp SQLite data folder, the SMS outbox)
// against a bare Boost.Beast HTTPS server (bare_https) measured in the same run with the same load
// generator:
//
//   status   GET /v1/unlock-requests/{id} on an existing request: requests/s and latency, closed loop
//            per keep-alive connection, --loads concurrent connections, --warmup-ms then --seconds
//   flows    full SMS flows create → code → (code from the outbox file) → verify → credential →
//            complete, each with its own enrolled certificate and card and its own client address
//            (127.1.x.y: the per-address SMS cap of 30 a day is a rules constant), --flows per entry of
//            --flow-clients concurrent clients; no peer exists for this
//
//   authority_bench [--warmup-ms 1000] [--seconds 5] [--loads 1,16,64] [--flows 100]
//                   [--flow-clients 1,8] [--uniform-timing-ms 0] [--keep 1]
//
// The authority's config raises limits.createPerCardPerHour / createMatchesPerCardPerHour /
// createPerAddressPerHour and sets
// uniformTimingMillis to --uniform-timing-ms (default 0; the authority's own default is 250 ms of padding
// on create) (see docs/benchmarks.md). --loads 0 skips the status runs. Prints markdown tables.
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cardbridge/common/base64.hpp"
#include "cardbridge/net/connect.hpp"
#include "cardbridge/net/tls_client.hpp"
#include "stats.hpp"
#include "test_certs.hpp"

using namespace cardbridge;
using namespace cardbridge::net;
using namespace cardbridge::test;
using namespace std::chrono_literals;
using cardbridge::bench::mean;
using cardbridge::bench::percentile;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

constexpr const char* APPLICANT_ID = "440304199001011233";
constexpr const char* APPLICANT_PHONE = "13812345678";
constexpr const char* ORGANIZATION = "深圳市测试医疗器械有限公司";
constexpr const char* TOKEN = "bench-install-token-0123456789abcdef";

struct Options {
    std::chrono::milliseconds warmup{1000};
    std::chrono::milliseconds measure{5000};
    std::vector<unsigned> loads{1, 16, 64};
    unsigned flows = 100;
    std::vector<unsigned> flowClients{1, 8};
    std::string keep;
    int uniformTimingMs = 0;  ///< the authority's uniformTimingMillis (its default is 250)
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<unsigned> parseList(const std::string& text) {
    std::vector<unsigned> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        if (!item.empty()) out.push_back(static_cast<unsigned>(std::stoul(item)));
    }
    return out;
}

// --- processes -----------------------------------------------------------------------------------

// A child process with stdout/stderr in files; SIGTERM (then SIGKILL after 5 s) on stop.
class Child {
  public:
    Child(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err) {
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ == 0) {
            if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr))
                ::_exit(126);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        if (pid_ < 0) throw std::runtime_error("fork failed");
    }
    ~Child() { stop(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    [[nodiscard]] bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
    [[nodiscard]] pid_t pid() const { return pid_; }

    // Returns the exit status (-1 when killed or already gone).
    int stop() {
        if (pid_ <= 0) return -1;
        ::kill(pid_, SIGTERM);
        int status = 0;
        for (int i = 0; i < 500; ++i) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            }
            std::this_thread::sleep_for(10ms);
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return -1;
    }

  private:
    pid_t pid_ = -1;
};

// Waits (≤ 15 s) until `out` holds `pattern`'s first group: the port.
std::uint16_t waitForPort(const Child& child, const fs::path& out, const fs::path& err,
                          const std::regex& pattern) {
    const auto deadline = Clock::now() + 15s;
    while (Clock::now() < deadline) {
        std::smatch match;
        const std::string text = slurp(out);
        if (std::regex_search(text, match, pattern)) return static_cast<std::uint16_t>(std::stoi(match[1]));
        if (!child.running()) break;
        std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error("server did not start:\n" + slurp(out) + slurp(err));
}

/// CPU seconds (user + system) of a process so far.
double cpuSeconds(pid_t pid) {
    const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream in(stat.substr(close + 2));
    std::string field;
    unsigned long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) utime = std::stoul(field);
        if (i == 15) stime = std::stoul(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// --- a synchronous HTTPS client (setup and flows), bounded by socket timeouts ---------------------

struct Reply {
    unsigned status = 0;
    std::string body;
};

class SyncHttps {
  public:
    SyncHttps(ssl::context& tls, std::uint16_t port, const std::string& localAddress) : stream_(ioc_, tls) {
        auto& socket = stream_.next_layer();
        socket.open(tcp::v4());
        if (!localAddress.empty()) socket.bind(tcp::endpoint(asio::ip::make_address(localAddress), 0));
        timeval timeout{10, 0};
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
        socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        socket.set_option(tcp::no_delay(true));
        if (!expectServerName(stream_.native_handle(), "127.0.0.1"))
            throw std::runtime_error("expectServerName");
        stream_.handshake(ssl::stream_base::client);
        host_ = "127.0.0.1:" + std::to_string(port);
    }

    Reply call(http::verb method, const std::string& target, const std::string& body = {}) {
        http::request<http::string_body> request{method, target, 11};
        request.set(http::field::host, host_);
        request.set(http::field::authorization, std::string("Bearer ") + TOKEN);
        if (!body.empty()) request.set(http::field::content_type, "application/json");
        request.body() = body;
        request.prepare_payload();
        request.keep_alive(true);
        http::write(stream_, request);
        http::response<http::string_body> response;
        http::read(stream_, buffer_, response);
        return {response.result_int(), std::move(response.body())};
    }

  private:
    asio::io_context ioc_;
    ssl::stream<tcp::socket> stream_;
    beast::flat_buffer buffer_;
    std::string host_;
};

// --- the asynchronous load generator (status) ------------------------------------------------------

struct LoadResult {
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;  ///< replies other than 200
    double seconds = 0;
    std::vector<double> latencyUs;
    std::size_t replyBytes = 0;
    std::string firstError;
    double serverCpu = 0;  ///< CPU seconds of the server during the measured window
};

struct Connection {
    Connection(asio::io_context& ioc, ssl::context& tls) : stream(ioc, tls) {}
    TlsStream stream;
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    Clock::time_point sent;
};

// N keep-alive HTTPS connections on one io_context driven by the calling thread; each closed loop.
LoadResult statusLoad(ssl::context& tls, std::uint16_t port, const std::string& target, unsigned count,
                      std::chrono::milliseconds warmup, std::chrono::milliseconds measure, pid_t server) {
    asio::io_context ioc{1};
    std::vector<std::unique_ptr<Connection>> connections;
    std::string failure;
    std::size_t opened = 0;
    for (unsigned i = 0; i < count; ++i) {
        connections.push_back(std::make_unique<Connection>(ioc, tls));
        Connection& c = *connections.back();
        asyncConnectTls(c.stream, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), "127.0.0.1", 20s,
                        [&](error_code ec, std::string_view step) {
                            ++opened;
                            if (ec) failure = std::string(step) + ": " + ec.message();
                        });
    }
    if (!runUntil(
            ioc, [&] { return opened == count; }, Clock::now() + 60s) ||
        !failure.empty())
        throw std::runtime_error("opening connections: " + (failure.empty() ? "timeout" : failure));

    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    request.set(http::field::authorization, std::string("Bearer ") + TOKEN);
    request.keep_alive(true);

    LoadResult result;
    result.latencyUs.reserve(1 << 20);
    const auto warmEnd = Clock::now() + warmup;
    const auto stopAt = warmEnd + measure;
    std::size_t active = connections.size();
    double cpuAtWarmEnd = -1;

    std::function<void(Connection&)> step = [&](Connection& c) {
        c.sent = Clock::now();
        if (cpuAtWarmEnd < 0 && c.sent >= warmEnd) cpuAtWarmEnd = cpuSeconds(server);
        beast::get_lowest_layer(c.stream).expires_after(30s);
        http::async_write(c.stream, request, [&](error_code ec, std::size_t) {
            if (ec) {
                failure = "write: " + ec.message();
                --active;
                return;
            }
            c.response = {};
            http::async_read(c.stream, c.buffer, c.response, [&](error_code readEc, std::size_t) {
                const auto now = Clock::now();
                if (readEc) {
                    failure = "read: " + readEc.message();
                    --active;
                    return;
                }
                if (c.sent >= warmEnd && now <= stopAt) {
                    ++result.requests;
                    result.replyBytes = c.response.body().size();
                    if (c.response.result_int() != 200 && result.errors++ == 0)
                        result.firstError = std::to_string(c.response.result_int()) + " " + c.response.body();
                    result.latencyUs.push_back(
                        std::chrono::duration<double, std::micro>(now - c.sent).count());
                }
                if (now < stopAt && failure.empty())
                    step(c);
                else
                    --active;
            });
        });
    };
    for (auto& c : connections) step(*c);
    const bool ok = runUntil(
        ioc, [&] { return active == 0; }, stopAt + 10s);
    result.serverCpu = cpuSeconds(server) - std::max(0.0, cpuAtWarmEnd);
    if (!failure.empty()) throw std::runtime_error("closed loop: " + failure);
    if (!ok) throw std::runtime_error("closed loop: replies still missing 10 s after the end");
    result.seconds = std::chrono::duration<double>(measure).count();
    for (auto& c : connections) {
        error_code ignored;
        beast::get_lowest_layer(c->stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(c->stream).socket().close(ignored);
    }
    return result;
}

// --- the bench -------------------------------------------------------------------------------------

struct Setup {
    fs::path dir;
    TestCert ca, tlsRoot;
    std::vector<TestCert> leaves;  // [0]: the status request's; [1..]: one per flow
};

void writeSetup(Setup& s, unsigned cards, int uniformTimingMs) {
    CertSpec caSpec;
    caSpec.commonName = "Bench Issuing CA";
    caSpec.isCa = true;
    s.ca = makeCertificate(caSpec);
    writeFile(s.dir / "ca.pem", s.ca.certPem);
    std::ostringstream csv;
    csv << "certificate_file,card_serial,organization,applicant_name,id_type,id_number,phone\n";
    for (unsigned i = 0; i < cards; ++i) {
        CertSpec spec;
        spec.commonName = "张三";
        spec.issuer = &s.ca;
        s.leaves.push_back(makeCertificate(spec));
        const std::string file = "leaf" + std::to_string(i) + ".pem";
        writeFile(s.dir / file, s.leaves.back().certPem);
        csv << file << ",BENCH-CARD-" << i << "," << ORGANIZATION << ",张三,居民身份证," << APPLICANT_ID
            << "," << APPLICANT_PHONE << "\n";
    }
    writeFile(s.dir / "cards.csv", csv.str());

    CertSpec rootSpec;
    rootSpec.commonName = "Bench TLS root";
    rootSpec.isCa = true;
    s.tlsRoot = makeCertificate(rootSpec);
    CertSpec tlsSpec;
    tlsSpec.commonName = "127.0.0.1";
    tlsSpec.issuer = &s.tlsRoot;
    tlsSpec.subjectAltName = "IP:127.0.0.1";
    tlsSpec.keyUsage = std::vector<std::string>{"digitalSignature"};
    tlsSpec.extendedKeyUsage = {"serverAuth"};
    const TestCert tlsLeaf = makeCertificate(tlsSpec);
    writeFile(s.dir / "tls.pem", tlsLeaf.certPem);
    writeFile(s.dir / "tls.key", tlsLeaf.keyPem);
    std::random_device random;
    for (const char* key : {"master.key", "id.key", "attachment.key"}) {
        Bytes bytes(32);
        for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
        writeFile(s.dir / key, toHex(bytes));
    }
    writeFile(s.dir / "tokens", std::string(TOKEN) + "\n");
    const json config = {{"dataDir", (s.dir / "data").string()},
                         {"issuingCaFiles", {(s.dir / "ca.pem").string()}},
                         {"masterKeyFile", (s.dir / "master.key").string()},
                         {"idKeyFile", (s.dir / "id.key").string()},
                         {"attachmentKeyFile", (s.dir / "attachment.key").string()},
                         {"uniformTimingMillis", uniformTimingMs},
                         {"limits",
                          {{"createPerCardPerHour", 10000},
                           {"createMatchesPerCardPerHour", 10000},
                           {"createPerAddressPerHour", 100000}}},
                         {"listen", {{"address", "127.0.0.1"}, {"port", 0}}},
                         {"tls", {{"certificateChain", "tls.pem"}, {"privateKey", "tls.key"}}},
                         {"api", {{"tokenFile", "tokens"}}},
                         {"log", {{"level", "info"}, {"console", false}}}};
    writeFile(s.dir / "authority.json", config.dump(2));
}

json createBody(const TestCert& leaf, unsigned card) {
    return {{"certificate", base64Encode(leaf.der)},
            {"cardSerial", "BENCH-CARD-" + std::to_string(card)},
            {"handler",
             {{"organization", ORGANIZATION},
              {"name", "张三"},
              {"idType", "居民身份证"},
              {"idNumber", APPLICANT_ID},
              {"phone", APPLICANT_PHONE}}}};
}

// The code sent for `requestId`, from the outbox (bounded wait for the line to be complete).
std::string codeFromOutbox(const fs::path& outbox, const std::string& requestId) {
    static const std::regex sixDigits(R"((\d{6}))");
    for (int attempt = 0; attempt < 2000; ++attempt) {
        const std::string text = slurp(outbox);
        const auto at = text.find("\"requestId\":\"" + requestId + "\"");
        if (at != std::string::npos) {
            const auto begin = text.rfind('\n', at);
            const auto end = text.find('\n', at);
            if (end != std::string::npos) {
                const std::string line = text.substr(begin == std::string::npos ? 0 : begin + 1,
                                                     end - (begin == std::string::npos ? 0 : begin + 1));
                const std::string sms = json::parse(line)["text"];
                std::smatch match;
                if (std::regex_search(sms, match, sixDigits)) return match[1];
            }
        }
        std::this_thread::sleep_for(1ms);
    }
    throw std::runtime_error("no code in the outbox for " + requestId);
}

struct FlowResult {
    std::vector<double> flowMs;
    std::vector<std::vector<double>> stepMs{
        7};  // connect+TLS, create, code, outbox, verify, credential, complete
    double seconds = 0;
    unsigned failed = 0;
    std::string firstFailure;
};

const char* const STEP_NAMES[] = {"connect + TLS", "create",     "code",    "read outbox",
                                  "verify",        "credential", "complete"};

// One flow with card `card`, from client address 127.1.x.y (one per flow).
void oneFlow(ssl::context& tls, std::uint16_t port, const Setup& s, unsigned card, FlowResult& out,
             std::mutex& lock) {
    const std::string local = "127.1." + std::to_string(card / 250) + "." + std::to_string(1 + card % 250);
    std::vector<double> steps;
    auto mark = Clock::now();
    const auto start = mark;
    const auto lap = [&] {
        const auto now = Clock::now();
        steps.push_back(std::chrono::duration<double, std::milli>(now - mark).count());
        mark = now;
    };
    const auto expect = [](const Reply& r, unsigned status, const char* what) {
        if (r.status != status)
            throw std::runtime_error(std::string(what) + ": " + std::to_string(r.status) + " " + r.body);
    };
    try {
        SyncHttps client(tls, port, local);
        lap();
        const Reply created =
            client.call(http::verb::post, "/v1/unlock-requests", createBody(s.leaves[card], card).dump());
        expect(created, 201, "create");
        const json createdBody = json::parse(created.body);
        if (createdBody["route"] != "sms") throw std::runtime_error("route is not sms: " + created.body);
        const std::string id = createdBody["requestId"];
        const std::string base = "/v1/unlock-requests/" + id;
        lap();
        expect(client.call(http::verb::post, base + "/code"), 200, "code");
        lap();
        const std::string code = codeFromOutbox(s.dir / "data" / "sms-outbox.jsonl", id);
        lap();
        expect(client.call(http::verb::post, base + "/verify", json{{"code", code}}.dump()), 200, "verify");
        lap();
        expect(client.call(http::verb::post, base + "/credential"), 200, "credential");
        lap();
        const Reply done = client.call(http::verb::post, base + "/complete");
        expect(done, 200, "complete");
        if (json::parse(done.body)["state"] != "completed")
            throw std::runtime_error("not completed: " + done.body);
        lap();
    } catch (const std::exception& e) {
        std::lock_guard guard(lock);
        if (out.failed++ == 0) out.firstFailure = e.what();
        return;
    }
    std::lock_guard guard(lock);
    out.flowMs.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    for (std::size_t i = 0; i < steps.size(); ++i) out.stepMs[i].push_back(steps[i]);
}

FlowResult runFlows(ssl::context& tls, std::uint16_t port, const Setup& s, unsigned firstCard, unsigned flows,
                    unsigned clients) {
    FlowResult result;
    std::mutex lock;
    std::atomic<unsigned> next{0};
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < clients; ++t) {
        threads.emplace_back([&] {
            for (unsigned i = next++; i < flows; i = next++)
                oneFlow(tls, port, s, firstCard + i, result, lock);
        });
    }
    for (auto& t : threads) t.join();
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string arg = argv[i], value = argv[i + 1];
        if (arg == "--warmup-ms") {
            o.warmup = std::chrono::milliseconds(std::stol(value));
        } else if (arg == "--seconds") {
            o.measure = std::chrono::milliseconds(std::stol(value) * 1000);
        } else if (arg == "--loads") {
            o.loads = parseList(value);
        } else if (arg == "--flows") {
            o.flows = static_cast<unsigned>(std::stoul(value));
        } else if (arg == "--flow-clients") {
            o.flowClients = parseList(value);
        } else if (arg == "--uniform-timing-ms") {
            o.uniformTimingMs = std::stoi(value);
        } else if (arg == "--keep") {
            o.keep = value;
        } else {
            std::cerr << "unknown option " << arg << "\n";
            return 2;
        }
    }
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 65536);
    ::setrlimit(RLIMIT_NOFILE, &limit);

    Setup s;
    char pattern[] = "/tmp/cardbridge-authority-bench-XXXXXX";
    if (!::mkdtemp(pattern)) {
        std::perror("mkdtemp");
        return 1;
    }
    s.dir = pattern;
    int rc = 0;
    try {
        const unsigned cards = 1 + o.flows * static_cast<unsigned>(o.flowClients.size());
        writeSetup(s, cards, o.uniformTimingMs);
        const auto enrolStart = Clock::now();
        const std::string import = std::string(CARDBRIDGE_AUTHORITY_EXE) + " --config " +
                                   (s.dir / "authority.json").string() + " import-csv " +
                                   (s.dir / "cards.csv").string() + " > " + (s.dir / "import.out").string() +
                                   " 2>&1";
        if (std::system(import.c_str()) != 0)
            throw std::runtime_error("import-csv failed:\n" + slurp(s.dir / "import.out"));
        const double enrolSeconds = std::chrono::duration<double>(Clock::now() - enrolStart).count();

        Child authority(
            {CARDBRIDGE_AUTHORITY_EXE, "serve", "--dev", "--config", (s.dir / "authority.json").string()},
            s.dir / "serve.out", s.dir / "serve.err");
        const std::uint16_t authorityPort =
            waitForPort(authority, s.dir / "serve.out", s.dir / "serve.err",
                        std::regex(R"(listening on https://127\.0\.0\.1:(\d+)/)"));
        ssl::context tls{ssl::context::tls_client};
        configureClientTls(tls.native_handle(), s.tlsRoot.certPem);

        // The request the status load reads, and its status reply for the bare server.
        std::string statusTarget, statusBody;
        {
            SyncHttps client(tls, authorityPort, "");
            const Reply created =
                client.call(http::verb::post, "/v1/unlock-requests", createBody(s.leaves[0], 0).dump());
            if (created.status != 201) throw std::runtime_error("create: " + created.body);
            statusTarget = "/v1/unlock-requests/" + json::parse(created.body)["requestId"].get<std::string>();
            const Reply status = client.call(http::verb::get, statusTarget);
            if (status.status != 200) throw std::runtime_error("status: " + status.body);
            statusBody = status.body;
        }
        writeFile(s.dir / "reply.json", statusBody);
        Child bare({BARE_HTTPS_EXE, "--cert", (s.dir / "tls.pem").string(), "--key",
                    (s.dir / "tls.key").string(), "--reply-file", (s.dir / "reply.json").string()},
                   s.dir / "bare.out", s.dir / "bare.err");
        const std::uint16_t barePort =
            waitForPort(bare, s.dir / "bare.out", s.dir / "bare.err",
                        std::regex(R"(bare_https listening on 127\.0\.0\.1:(\d+))"));

        std::printf("setup: %u certificates enrolled with import-csv in %.2f s; status reply %zu bytes\n\n",
                    cards, enrolSeconds, statusBody.size());
        std::printf("### GET /v1/unlock-requests/{id} (closed loop, %.1f s warm-up, %.1f s measured)\n\n",
                    std::chrono::duration<double>(o.warmup).count(),
                    std::chrono::duration<double>(o.measure).count());
        std::printf(
            "| clients | server | req/s | p50 ms | p99 ms | mean ms | errors | server CPU s/1000 req | req/s "
            "vs bare | p99 vs bare |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        std::string raw;
        for (const unsigned load : o.loads) {
            if (load == 0) continue;
            const LoadResult a =
                statusLoad(tls, authorityPort, statusTarget, load, o.warmup, o.measure, authority.pid());
            const LoadResult b =
                statusLoad(tls, barePort, statusTarget, load, o.warmup, o.measure, bare.pid());
            const auto rate = [](const LoadResult& r) { return static_cast<double>(r.requests) / r.seconds; };
            const auto row = [&](const char* name, const LoadResult& r) {
                std::printf("| %u | %s | %.0f | %.2f | %.2f | %.2f | %llu | %.3f | %.2f× | %.2f× |\n", load,
                            name, rate(r), percentile(r.latencyUs, 50) / 1000,
                            percentile(r.latencyUs, 99) / 1000, mean(r.latencyUs) / 1000,
                            static_cast<unsigned long long>(r.errors),
                            r.requests ? r.serverCpu * 1000.0 / static_cast<double>(r.requests) : 0.0,
                            rate(r) / std::max(1.0, rate(b)),
                            percentile(r.latencyUs, 99) / std::max(1e-9, percentile(b.latencyUs, 99)));
                if (r.errors) std::printf("<!-- first error: %s -->\n", r.firstError.c_str());
            };
            row("cardbridge-authority", a);
            row("bare_https", b);
            raw += (raw.empty() ? "" : "; ") + std::to_string(load) + ": " + std::to_string(a.requests) +
                   " / " + std::to_string(b.requests);
            std::fflush(stdout);
        }

        std::printf("\nRaw replies in the window (clients: authority / bare): %s; every reply %zu bytes\n",
                    raw.c_str(), statusBody.size());
        std::printf(
            "\n### Full SMS flows (create → code → outbox → verify → credential → complete; own "
            "connection, card and client address per flow; no peer)\n\n");
        std::printf(
            "| clients | flows | failed | seconds | flows/s | p50 ms | p99 ms | mean ms |\n"
            "|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        std::vector<FlowResult> flowResults;
        unsigned firstCard = 1;
        for (const unsigned clients : o.flowClients) {
            flowResults.push_back(runFlows(tls, authorityPort, s, firstCard, o.flows, clients));
            firstCard += o.flows;
            const FlowResult& f = flowResults.back();
            std::printf("| %u | %u | %u | %.2f | %.1f | %.1f | %.1f | %.1f |\n", clients, o.flows, f.failed,
                        f.seconds, static_cast<double>(f.flowMs.size()) / f.seconds, percentile(f.flowMs, 50),
                        percentile(f.flowMs, 99), mean(f.flowMs));
            if (f.failed) std::printf("<!-- first failure: %s -->\n", f.firstFailure.c_str());
            std::fflush(stdout);
        }
        std::printf("\nPer step, mean / p99 ms:\n\n| step |");
        for (const unsigned clients : o.flowClients) std::printf(" %u client(s) |", clients);
        std::printf("\n|---|");
        for (std::size_t i = 0; i < o.flowClients.size(); ++i) std::printf("---:|");
        std::printf("\n");
        for (std::size_t step = 0; step < 7; ++step) {
            std::printf("| %s |", STEP_NAMES[step]);
            for (const auto& f : flowResults)
                std::printf(" %.2f / %.2f |", mean(f.stepMs[step]), percentile(f.stepMs[step], 99));
            std::printf("\n");
        }
        if (bare.stop() != 0) std::fprintf(stderr, "bare_https did not exit cleanly\n");
        if (authority.stop() != 0) {
            std::fprintf(stderr, "cardbridge-authority did not exit cleanly:\n%s\n",
                         slurp(s.dir / "serve.err").c_str());
            rc = 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "authority_bench: %s\n", e.what());
        rc = 1;
    }
    if (o.keep.empty()) {
        std::error_code ignored;
        fs::remove_all(s.dir, ignored);
    } else {
        std::printf("\nkept %s\n", s.dir.c_str());
    }
    return rc;
}

// Cold read of all certificates on a freshly inserted virtual card holding four certificates:
// cardbridge's card layer vs OpenSC's pkcs15-tool on the same card, in the same run. The virtual card
// counts the APDUs it receives; wall time is measured per process (both sides pay process start) and,
// for us, also in-process. Repeated with 20 ms of emulated per-APDU latency.
//
//   card_read_bench [--runs N] [--latencies 0,20]       (as root: starts a private pcscd)
//   card_read_bench --once "Virtual PCD 00 00"          (one cold read; used by the bench itself)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cardbridge/card/pcsc.hpp"
#include "cardbridge/card/piv_card.hpp"
#include "pcsc_env.hpp"
#include "test_certs.hpp"

using namespace cardbridge;
using namespace cardbridge::test;
using Clock = std::chrono::steady_clock;

namespace {

double msSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// One cold read through the card layer: connect, SELECT, all certificates. Returns their count.
std::size_t readOnce(const std::string& reader) {
    card::PcscConnector connector;
    card::PivCard card(connector, reader);
    return card.readCertificates().size();
}

struct Sample {
    double ms = 0;
    std::uint64_t apdus = 0;
};

struct Series {
    std::string name;
    std::vector<double> ms;
    std::vector<double> apdus;
};

// Pulls the card out and puts it back, so each measured read is the first after an insertion.
void reinsert(VirtualCard& card) {
    card.remove();
    card.waitAbsent();
    card.insert();
    card.waitPresent();
    card.resetApduCount();
}

Sample measure(VirtualCard& card, const std::vector<std::vector<std::string>>& commands) {
    reinsert(card);
    auto start = Clock::now();
    for (const auto& argv : commands) {
        CommandResult r = runCommand(argv);
        if (r.exitCode != 0) {
            std::cerr << argv[0] << " failed:\n" << r.output << "\n";
            std::exit(1);
        }
    }
    Sample s;
    s.ms = msSince(start);
    s.apdus = card.apduCount();
    return s;
}

Sample measureInProcess(VirtualCard& card) {
    reinsert(card);
    auto start = Clock::now();
    std::size_t n = readOnce(card.readerName());
    Sample s;
    s.ms = msSince(start);
    s.apdus = card.apduCount();
    if (n != 4) {
        std::cerr << "expected 4 certificates, read " << n << "\n";
        std::exit(1);
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 5;
    std::vector<int> latencies{0, 20};
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--once" && i + 1 < argc) {
            std::size_t n = readOnce(argv[++i]);
            std::printf("%zu certificates\n", n);
            return n == 4 ? 0 : 1;
        }
        if (arg == "--runs" && i + 1 < argc) {
            runs = std::max(1, std::atoi(argv[++i]));
        } else if (arg == "--latencies" && i + 1 < argc) {
            latencies.clear();
            std::stringstream ss(argv[++i]);
            for (std::string item; std::getline(ss, item, ',');) latencies.push_back(std::atoi(item.c_str()));
        } else {
            std::cerr << "usage: card_read_bench [--runs N] [--latencies 0,20] | --once READER\n";
            return 2;
        }
    }

    PcscEnv env;
    ::setenv("HOME", env.dir().c_str(), 1);  // no OpenSC cache carried over from a user's HOME
    auto state = env.dir() / "bench-card.json";
    auto make = [](const char* cn, KeyKind kind) {
        CertSpec spec;
        spec.commonName = cn;
        spec.key = kind;
        return makeCertificate(spec);
    };
    TestCert a = make("张三 PIV认证", KeyKind::Rsa2048), c = make("张三 签名", KeyKind::Rsa2048),
             d = make("张三 密钥管理", KeyKind::EcP256), e = make("张三 卡认证", KeyKind::EcP256);
    provisionCard(state, {{"9a", a.certPem, a.keyPem},
                          {"9c", c.certPem, c.keyPem},
                          {"9d", d.certPem, d.keyPem},
                          {"9e", e.certPem, e.keyPem}});
    VirtualCard card(env, state);
    card.waitPresent();
    const std::string reader = card.readerName();
    const std::string self = std::filesystem::canonical("/proc/self/exe").string();

    std::printf("cold read of 4 certificates (2 × RSA-2048, 2 × P-256), %d runs each, median\n\n", runs);
    std::printf("| latency/APDU | reader | APDUs | time ms | APDUs vs OpenSC | time vs OpenSC |\n");
    std::printf("|---:|---|---:|---:|---:|---:|\n");
    for (int latency : latencies) {
        card.setLatency(latency);
        Series ours{"cardbridge card layer (process)", {}, {}};
        Series oursIn{"cardbridge card layer (in-process)", {}, {}};
        Series list{"OpenSC pkcs15-tool --list-certificates", {}, {}};
        Series listRead{"OpenSC list + --read-certificate ×4", {}, {}};
        std::vector<std::string> pkcs15{"pkcs15-tool", "--reader", reader};
        auto with = [&](std::vector<std::string> extra) {
            auto v = pkcs15;
            v.insert(v.end(), extra.begin(), extra.end());
            return v;
        };
        for (int r = 0; r < runs; ++r) {
            auto add = [](Series& s, Sample x) {
                s.ms.push_back(x.ms);
                s.apdus.push_back(static_cast<double>(x.apdus));
            };
            add(ours, measure(card, {{self, "--once", reader}}));
            add(oursIn, measureInProcess(card));
            add(list, measure(card, {with({"--list-certificates"})}));
            add(listRead,
                measure(card, {with({"--list-certificates"}), with({"--read-certificate", "01"}),
                               with({"--read-certificate", "02"}), with({"--read-certificate", "03"}),
                               with({"--read-certificate", "04"})}));
        }
        const double refApdus = median(list.apdus), refMs = median(list.ms);
        for (const Series* s : {&ours, &oursIn, &list, &listRead}) {
            std::printf("| %d ms | %s | %.0f | %.1f | %.2f× | %.2f× |\n", latency, s->name.c_str(),
                        median(s->apdus), median(s->ms), median(s->apdus) / refApdus, median(s->ms) / refMs);
        }
    }
    std::printf(
        "\nRatios are against `pkcs15-tool --list-certificates` alone (OpenSC's cheapest way to see every "
        "certificate); goal ≤ 0.50× for APDUs and time.\n");
    return 0;
}

#include "doctor.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/card/pcsc.hpp"
#include "cardbridge/card/pcsc_service.hpp"
#include "cardbridge/card/piv_card.hpp"
#include "cardbridge/localtls/local_tls.hpp"

namespace cardbridge::daemon {

namespace {

DoctorFinding ok(std::string code, std::string zh, std::string en) {
    return {std::move(code), "ok", std::move(zh), std::move(en)};
}
DoctorFinding problem(std::string code, std::string zh, std::string en) {
    return {std::move(code), "problem", std::move(zh), std::move(en)};
}
DoctorFinding info(std::string code, std::string zh, std::string en) {
    return {std::move(code), "info", std::move(zh), std::move(en)};
}

/// Other CA middleware users of this platform often have installed. Ports: the loopback ports their
/// browser-facing services listen on (issue 11); process hints: lower-case substrings of /proc/<pid>/comm.
struct KnownMiddleware {
    const char* zh;
    const char* en;
    std::vector<std::uint16_t> ports;
    std::vector<std::string> processHints;
};
const std::vector<KnownMiddleware>& knownMiddleware() {
    static const std::vector<KnownMiddleware> table{
        {"北京数字认证（BJCA）数字证书助手",
         "BJCA certificate assistant (数字证书助手)",
         {21051, 21061},
         {"bjca"}},
        {"龙脉（Longmai）证书中间件",
         "Longmai (龙脉) certificate middleware",
         {51235, 51245},
         {"longmai", "mtoken"}},
    };
    return table;
}

// True when something accepts a TCP connection on 127.0.0.1:port within `timeout`.
bool loopbackListening(std::uint16_t port, std::chrono::milliseconds timeout) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    if (!open && errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        int error = 0;
        socklen_t length = sizeof(error);
        open = ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 &&
               ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
    }
    ::close(fd);
    return open;
}

// Names (comm) of running processes whose comm contains one of `hints` (case-insensitive).
std::vector<std::string> processesMatching(const std::vector<std::string>& hints) {
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string pid = entry.path().filename().string();
        if (pid.empty() ||
            !std::all_of(pid.begin(), pid.end(), [](unsigned char c) { return std::isdigit(c); }))
            continue;
        std::string comm;
        std::getline(std::ifstream(entry.path() / "comm"), comm);
        std::string lower = comm;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        for (const auto& hint : hints) {
            if (lower.find(hint) != std::string::npos &&
                std::find(found.begin(), found.end(), comm) == found.end()) {
                found.push_back(comm);
                break;
            }
        }
    }
    return found;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

void checkMiddleware(std::vector<DoctorFinding>& out) {
    bool any = false;
    for (const auto& m : knownMiddleware()) {
        std::vector<std::string> ports;
        for (std::uint16_t port : m.ports)
            if (loopbackListening(port, std::chrono::milliseconds(300)))
                ports.push_back(std::to_string(port));
        const auto processes = processesMatching(m.processHints);
        if (ports.empty() && processes.empty()) continue;
        any = true;
        std::string zhWhere, enWhere;
        if (!ports.empty()) {
            zhWhere += "本机端口 " + joined(ports) + " 正在监听";
            enWhere += "listening on loopback port(s) " + joined(ports);
        }
        if (!processes.empty()) {
            zhWhere += (zhWhere.empty() ? "" : "；") + std::string("进程 ") + joined(processes);
            enWhere += (enWhere.empty() ? "" : "; ") + std::string("process(es) ") + joined(processes);
        }
        out.push_back(info("middleware",
                           std::string("发现其他证书中间件：") + m.zh + "（" + zhWhere +
                               "）。它本身不是问题，但可能与本程序争用读卡器。",
                           std::string("other CA middleware found: ") + m.en + " (" + enWhere +
                               "). Not a problem by itself, but it may compete for the reader."));
    }
    if (!any)
        out.push_back(ok("middleware", "未发现其他已知的证书中间件", "no other known CA middleware found"));
}

// Every known middleware process running now, for a reader another program holds exclusively.
std::vector<std::string> middlewareProcesses() {
    std::vector<std::string> hints;
    for (const auto& m : knownMiddleware())
        hints.insert(hints.end(), m.processHints.begin(), m.processHints.end());
    return processesMatching(hints);
}

const char* const POLKIT_FIX_ZH =
    "解决：在本机图形界面登录的活动会话中使用（远程桌面或 SSH 会话通常不被允许），或由管理员添加 polkit "
    "规则，允许本用户 org.debian.pcsc-lite.access_pcsc 和 org.debian.pcsc-lite.access_card（见 "
    "docs/security.md）";
const char* const POLKIT_FIX_EN =
    "Fix: use it from the active local session (remote desktop and SSH sessions are usually refused), or "
    "have "
    "an administrator add a polkit rule granting this user org.debian.pcsc-lite.access_pcsc and "
    "org.debian.pcsc-lite.access_card (see docs/security.md)";

// pcscd could not be used at all: say why, from what is at its socket.
void explainServiceUnavailable(std::vector<DoctorFinding>& out) {
    const auto socket = card::pcscSocketPath();
    const std::string path = socket.string();
    switch (card::probePcscSocket(socket)) {
        case card::PcscSocketState::Missing:
            out.push_back(problem("pcsc.service",
                                  "智能卡服务（pcscd）未运行（没有 " + path +
                                      "）：请执行 sudo systemctl start pcscd.socket，或重新插入USB Key",
                                  "the smart-card service (pcscd) is not running (no " + path +
                                      "): run 'sudo systemctl start pcscd.socket' or re-insert the USB key"));
            return;
        case card::PcscSocketState::NotASocket:
            out.push_back(
                problem("pcsc.service", path + " 不是套接字，智能卡服务无法使用：请管理员检查",
                        path + " is not a socket, so pcscd cannot be reached: ask an administrator"));
            return;
        case card::PcscSocketState::Refused:
            out.push_back(problem(
                "pcsc.service",
                "智能卡服务（pcscd）的套接字 " + path +
                    " 存在但无人监听（pcscd 已退出或卡住）：请执行 sudo systemctl restart pcscd.socket pcscd",
                "pcscd's socket " + path +
                    " exists but nothing listens on it (pcscd exited or hangs): run 'sudo systemctl restart "
                    "pcscd.socket pcscd'"));
            return;
        case card::PcscSocketState::AccessDenied:
            out.push_back(problem("pcsc.access",
                                  "没有权限访问智能卡服务的套接字 " + path + "：请管理员检查其权限",
                                  "this user may not open pcscd's socket " + path +
                                      ": ask an administrator to check its permissions"));
            return;
        case card::PcscSocketState::Listening:
            out.push_back(
                problem("pcsc.access",
                        "智能卡服务（pcscd）在运行，但拒绝了当前用户（通常是 polkit 未授权 "
                        "org.debian.pcsc-lite.access_pcsc）。" +
                            std::string(POLKIT_FIX_ZH),
                        "the smart-card service (pcscd) runs but refused this user (usually polkit not "
                        "granting org.debian.pcsc-lite.access_pcsc). " +
                            std::string(POLKIT_FIX_EN)));
            return;
    }
}

void checkConfig(const std::vector<std::string>& problems, std::vector<DoctorFinding>& out) {
    if (problems.empty()) {
        out.push_back(
            ok("config", "配置文件正常（或使用默认配置）", "configuration is fine (or defaults apply)"));
        return;
    }
    for (const auto& p : problems)
        out.push_back(
            problem("config", "配置文件有误，已使用默认值：" + p, "configuration error, default used: " + p));
}

void checkCards(std::vector<DoctorFinding>& out) {
    std::vector<std::string> readers;
    card::PcscConnector connector;
    try {
        readers = connector.listReaders();
        out.push_back(
            ok("pcsc.service", "智能卡服务（pcscd）运行正常", "the smart-card service (pcscd) is running"));
    } catch (const card::CardError& e) {
        // A pcscd that refuses the client (polkit) hangs up on it: the client library reports "service not
        // available" (ServiceUnavailable) or, when it had already written, "access denied"
        // (SCARD_W_SECURITY_VIOLATION, which the card layer counts as Internal). The socket tells which.
        if (e.code() == card::CardErrorCode::ServiceUnavailable ||
            e.code() == card::CardErrorCode::Internal) {
            explainServiceUnavailable(out);
        } else {
            out.push_back(problem(
                "pcsc.service", std::string("无法访问智能卡服务：") + std::string(card::toString(e.code())),
                std::string("cannot use the smart-card service: ") + std::string(card::toString(e.code()))));
        }
        return;
    }
    if (readers.empty()) {
        out.push_back(problem("pcsc.readers", "未检测到读卡器或USB Key，请插入USB Key",
                              "no reader or USB key found: insert the USB key"));
        return;
    }
    std::string names;
    for (const auto& r : readers) names += (names.empty() ? "" : ", ") + r;
    out.push_back(ok("pcsc.readers", "检测到读卡器：" + names, "readers: " + names));
    int cards = 0;
    for (const auto& reader : readers) {
        try {
            card::PivCard pivCard(connector, reader);
            auto certs = pivCard.readCertificates();
            auto pin = pivCard.pinRetries();
            ++cards;
            std::string pinZh =
                pin.state == card::PinRetries::State::Blocked ? "，PIN已锁定（可在线解锁）" : "";
            std::string pinEn =
                pin.state == card::PinRetries::State::Blocked ? ", PIN blocked (unlock online)" : "";
            out.push_back(ok("pcsc.card", reader + "：证书 " + std::to_string(certs.size()) + " 张" + pinZh,
                             reader + ": " + std::to_string(certs.size()) + " certificate(s)" + pinEn));
        } catch (const card::CardError& e) {
            if (e.code() == card::CardErrorCode::CardAbsent) continue;
            ++cards;
            std::string detail;
            const auto access = e.code() == card::CardErrorCode::SharingViolation
                                    ? card::ReaderAccess::Exclusive
                                    : card::probeReaderAccess(reader, &detail);
            if (access == card::ReaderAccess::Exclusive) {
                const auto holders = middlewareProcesses();
                const std::string zhWho =
                    holders.empty() ? "" : "（正在运行的证书中间件：" + joined(holders) + "）";
                const std::string enWho =
                    holders.empty() ? "" : " (CA middleware running: " + joined(holders) + ")";
                out.push_back(
                    problem("pcsc.exclusive",
                            reader + "：被其他程序独占" + zhWho +
                                "，可能与本程序争用读卡器：请关闭该程序后重新插入USB Key",
                            reader + ": held exclusively by another program" + enWho +
                                ", which may compete for the reader: close it and re-insert the USB key"));
                continue;
            }
            if (access == card::ReaderAccess::Denied) {
                out.push_back(
                    problem("pcsc.access",
                            reader +
                                "：智能卡服务拒绝当前用户访问此卡（polkit 未授权 "
                                "org.debian.pcsc-lite.access_card）。" +
                                std::string(POLKIT_FIX_ZH),
                            reader +
                                ": pcscd refused this user access to the card (polkit did not grant "
                                "org.debian.pcsc-lite.access_card). " +
                                std::string(POLKIT_FIX_EN)));
                continue;
            }
            out.push_back(problem(
                "pcsc.card", reader + "：无法读取此卡（" + std::string(card::toString(e.code())) + "）",
                reader + ": cannot read this card (" + std::string(card::toString(e.code())) + ")"));
        }
    }
    if (cards == 0)
        out.push_back(problem("pcsc.card", "读卡器中没有卡，请插入USB Key",
                              "no card in any reader: insert the USB key"));
}

// True when something accepts TLS on the port and presents a chain our local root verifies.
bool servedByUs(std::uint16_t port, const std::filesystem::path& rootPem) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr) return false;
    bool ours = false;
    if (SSL_CTX_load_verify_locations(ctx, rootPem.c_str(), nullptr) == 1) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
        BIO* bio = BIO_new_ssl_connect(ctx);
        std::string target = "127.0.0.1:" + std::to_string(port);
        if (bio != nullptr) {
            BIO_set_conn_hostname(bio, target.c_str());
            SSL* ssl = nullptr;
            BIO_get_ssl(bio, &ssl);
            if (ssl != nullptr) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
            ours = BIO_do_handshake(bio) == 1 && ssl != nullptr && SSL_get_verify_result(ssl) == X509_V_OK;
            BIO_free_all(bio);
        }
    }
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return ours;
}

bool portFree(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    return free;
}

void checkPorts(const DaemonConfig& config, std::vector<DoctorFinding>& out) {
    auto root = config.stateDir / localtls::ROOT_CERT_FILE;
    bool usable = false;
    for (std::uint16_t port : config.ports) {
        std::string p = std::to_string(port);
        if (portFree(port)) {
            out.push_back(ok("port", "端口 " + p + " 空闲", "port " + p + " is free"));
            usable = true;
        } else if (servedByUs(port, root)) {
            out.push_back(ok("port", "端口 " + p + " 由 cardbridged 使用（服务已在运行）",
                             "port " + p + " is held by cardbridged (the service is running)"));
            usable = true;
        } else {
            out.push_back(problem("port", "端口 " + p + " 被其他程序占用",
                                  "port " + p + " is taken by another program"));
        }
    }
    if (!usable)
        out.push_back(problem("port", "所有端口均被占用，cardbridged 无法启动",
                              "every port is taken: cardbridged cannot start"));
}

}  // namespace

std::vector<DoctorFinding> tlsFindings(const DaemonConfig& config) {
    std::vector<DoctorFinding> out;
    try {
        auto now = std::chrono::system_clock::now();
        for (const auto& f : localtls::inspectLocalTls(config.stateDir, now))
            out.push_back({f.code, std::string(localtls::toString(f.status)), f.messageZh, f.messageEn});
        for (const auto& f : localtls::inspectLocalTrust(config.stateDir)) {
            DoctorFinding finding{f.code, std::string(localtls::toString(f.status)), f.messageZh,
                                  f.messageEn};
            if (f.status == localtls::FindingStatus::Problem) {
                bool system = f.code == "tls.trust.system";
                const char* fix =
                    system ? "sudo cardbridged certs trust --system" : "cardbridged certs trust";
                finding.zh += std::string("。解决：运行 ") + fix;
                finding.en += std::string(". Fix: run ") + fix;
            }
            out.push_back(std::move(finding));
        }
    } catch (const std::exception& e) {
        out.push_back({"tls", "unknown", "无法检查本地证书",
                       std::string("cannot check the local TLS files: ") + e.what()});
    }
    return out;
}

std::vector<DoctorFinding> runDoctor(const DaemonConfig& config,
                                     const std::vector<std::string>& configProblems) {
    std::vector<DoctorFinding> out;
    checkConfig(configProblems, out);
    checkCards(out);
    checkPorts(config, out);
    checkMiddleware(out);
    auto tls = tlsFindings(config);
    out.insert(out.end(), tls.begin(), tls.end());
    return out;
}

nlohmann::json toJson(const std::vector<DoctorFinding>& findings) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& f : findings)
        list.push_back({{"code", f.code}, {"status", f.status}, {"zh", f.zh}, {"en", f.en}});
    return list;
}

}  // namespace cardbridge::daemon

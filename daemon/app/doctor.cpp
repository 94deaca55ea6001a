#include "doctor.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/card/pcsc.hpp"
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
        if (e.code() == card::CardErrorCode::ServiceUnavailable) {
            out.push_back(
                problem("pcsc.service",
                        "智能卡服务（pcscd）未运行：请执行 sudo systemctl start pcscd，或重新插入USB Key",
                        "the smart-card service (pcscd) is not running: run 'sudo systemctl start "
                        "pcscd' or re-insert the USB key"));
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
            out.push_back(problem(
                "pcsc.card", reader + "：无法读取此卡（" + std::string(card::toString(e.code())) + "）",
                reader + ": cannot read this card (" + std::string(card::toString(e.code())) + ")"));
            ++cards;
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

// Starting the real cardbridge-authority for tests (authority_process.hpp).
#include "authority_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace cardbridge::test {

namespace fs = std::filesystem;
using nlohmann::json;

std::string readTextFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

AuthorityProcess::AuthorityProcess(fs::path dir, std::string exe, const std::string& token,
                                   const json& extraConfig)
    : dir_(std::move(dir)), exe_(std::move(exe)) {
    fs::create_directories(dir_);
    CertSpec caSpec;
    caSpec.commonName = "Test Issuing CA";
    caSpec.isCa = true;
    ca_ = makeCertificate(caSpec);
    CertSpec leafSpec;
    leafSpec.commonName = "张三";
    leafSpec.issuer = &ca_;
    leafSpec.notBefore = std::chrono::system_clock::now() - std::chrono::days(400);
    leafSpec.notAfter = std::chrono::system_clock::now() + std::chrono::days(300);
    leaf_ = makeCertificate(leafSpec);
    writeFile(dir_ / "ca.pem", ca_.certPem);
    writeFile(dir_ / "leaf.pem", leaf_.certPem);

    CertSpec tlsCaSpec;
    tlsCaSpec.commonName = "Test authority TLS root";
    tlsCaSpec.isCa = true;
    tlsRoot_ = makeCertificate(tlsCaSpec);
    CertSpec tlsLeafSpec;
    tlsLeafSpec.commonName = "127.0.0.1";
    tlsLeafSpec.issuer = &tlsRoot_;
    tlsLeafSpec.subjectAltName = "IP:127.0.0.1";
    tlsLeafSpec.keyUsage = std::vector<std::string>{"digitalSignature"};
    tlsLeafSpec.extendedKeyUsage = {"serverAuth"};
    const TestCert tlsLeaf = makeCertificate(tlsLeafSpec);
    writeFile(dir_ / "tls.pem", tlsLeaf.certPem);
    writeFile(dir_ / "tls.key", tlsLeaf.keyPem);
    std::random_device random;
    for (const char* key : {"master.key", "id.key", "attachment.key"}) {
        Bytes bytes(32);
        for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
        writeFile(dir_ / key, toHex(bytes));
    }
    writeFile(dir_ / "tokens", token + "\n");
    json config = {{"dataDir", (dir_ / "data").string()},
                   {"issuingCaFiles", {(dir_ / "ca.pem").string()}},
                   {"masterKeyFile", (dir_ / "master.key").string()},
                   {"idKeyFile", (dir_ / "id.key").string()},
                   {"attachmentKeyFile", (dir_ / "attachment.key").string()},
                   {"uniformTimingMillis", 0},
                   {"listen", {{"address", "127.0.0.1"}, {"port", 0}}},
                   {"tls", {{"certificateChain", "tls.pem"}, {"privateKey", "tls.key"}}},
                   {"api", {{"tokenFile", "tokens"}}},
                   {"log", {{"level", "debug"}, {"console", false}}}};
    config.merge_patch(extraConfig);
    writeFile(dir_ / "authority.json", config.dump(2));
}

AuthorityProcess::~AuthorityProcess() {
    stop();
}

int AuthorityProcess::cli(const std::string& args, const std::string& stdinText) const {
    const std::string command = "printf '%s' '" + stdinText + "' | " + exe_ + " --config " +
                                (dir_ / "authority.json").string() + " " + args + " > " +
                                (dir_ / "cli.out").string() + " 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int AuthorityProcess::enroll(const std::string& card, const std::string& organization,
                             const std::string& name, const std::string& idNumber,
                             const std::string& phone) const {
    // The ID number and phone go on stdin (the command line is visible in /proc).
    return cli("enroll --cert " + (dir_ / "leaf.pem").string() + " --card " + card + " --org " +
                   organization + " --name " + name + " --id-type 居民身份证",
               idNumber + "\n" + phone + "\n");
}

void AuthorityProcess::start() {
    if (pid_ > 0) return;
    const fs::path out = dir_ / "serve.out";
    fs::remove(out);
    const std::string config = (dir_ / "authority.json").string();
    const std::string err = (dir_ / "serve.err").string();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        if (std::freopen(out.c_str(), "w", stdout) == nullptr ||
            std::freopen(err.c_str(), "w", stderr) == nullptr)
            ::_exit(126);
        // --dev: tests read SMS codes from the outbox file, which serve allows only then.
        ::execl(exe_.c_str(), exe_.c_str(), "serve", "--dev", "--config", config.c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    const std::regex listening(R"(listening on https://127\.0\.0\.1:(\d+)/)");
    for (int i = 0; i < 100 && port_ == 0; ++i) {
        std::smatch match;
        const std::string text = readTextFile(out);
        if (std::regex_search(text, match, listening))
            port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
        if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (port_ == 0) {
        stop();
        throw std::runtime_error("cardbridge-authority did not start: " + readTextFile(err));
    }
}

bool AuthorityProcess::stop() {
    if (pid_ <= 0) return true;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    port_ = 0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string AuthorityProcess::lastCode() const {
    const std::string outbox = readTextFile(dir_ / "data" / "sms-outbox.jsonl");
    const std::regex code(R"((\d{6}))");
    std::string last;
    std::istringstream lines(outbox);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        std::smatch match;
        const std::string text = json::parse(line)["text"];
        if (std::regex_search(text, match, code)) last = match[1];
    }
    return last;
}

}  // namespace cardbridge::test

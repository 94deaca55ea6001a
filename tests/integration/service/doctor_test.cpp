// `cardbridged doctor --json` explains why pcscd refuses this user (no socket, a socket nobody listens on,
// a pcscd that hangs up at once as it does when polkit refuses) and names other CA middleware found on
// its loopback ports. No real pcscd: PCSCLITE_CSOCK_NAME points into a temp folder.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>

#include "free_port.hpp"
#include "pcsc_env.hpp"
#include "service_test_support.hpp"
#include "temp_dir.hpp"

using namespace cardbridge::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A listening AF_UNIX socket that accepts and closes every connection (after `delay`): what pcscd does
// to a client polkit refused (ContextThread: "Rejected unauthorized PC/SC client"). Closing at once and
// closing after the client wrote its first request give the client library different errors.
class HangUpServer {
  public:
    HangUpServer(const fs::path& path, bool listening, std::chrono::milliseconds delay = {}) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
        ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
        if (!listening || !ok_) return;
        ok_ = ::listen(fd_, 8) == 0;
        timeval tick{0, 100'000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick));
        thread_ = std::thread([this, delay] {
            while (!done_) {
                const int client = ::accept(fd_, nullptr, nullptr);
                if (client >= 0) {
                    ++accepted_;
                    std::this_thread::sleep_for(delay);
                    ::close(client);
                }
            }
        });
    }
    ~HangUpServer() {
        done_ = true;
        if (thread_.joinable()) thread_.join();
        ::close(fd_);
    }
    bool ok() const { return ok_; }
    int accepted() const { return accepted_; }

  private:
    int fd_ = -1;
    bool ok_ = false;
    std::atomic<bool> done_{false};
    std::atomic<int> accepted_{0};
    std::thread thread_;
};

// A TCP listener on 127.0.0.1:port (no accept needed: the kernel completes the handshake).
class LoopbackListener {
  public:
    explicit LoopbackListener(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ok_ =
            ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 && ::listen(fd_, 8) == 0;
    }
    ~LoopbackListener() { ::close(fd_); }
    bool ok() const { return ok_; }

  private:
    int fd_ = -1;
    bool ok_ = false;
};

class DoctorTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::make_unique<TempDir>("cardbridge-doctor");
        ::setenv("HOME", dir_->path().c_str(), 1);
        ::setenv("XDG_CONFIG_HOME", (dir_->path() / "config").c_str(), 1);
        ::setenv("XDG_STATE_HOME", (dir_->path() / "state-home").c_str(), 1);
        socket_ = dir_->path() / "pcscd.comm";
        ::setenv("PCSCLITE_CSOCK_NAME", socket_.c_str(), 1);
    }

    // The findings of one doctor run; asserts the output is the documented JSON shape.
    nlohmann::json doctor() {
        const auto r = runCommand({CARDBRIDGED_EXE, "doctor", "--json", "--state-dir",
                                   (dir_->path() / "state").string(), "--port", std::to_string(freePort())},
                                  std::chrono::seconds(60));
        auto json = nlohmann::json::parse(r.output, nullptr, false);
        EXPECT_FALSE(json.is_discarded()) << r.output;
        if (json.is_discarded()) return nlohmann::json::array();
        EXPECT_TRUE(json["ok"].is_boolean());
        EXPECT_EQ(r.exitCode, json["ok"].get<bool>() ? 0 : 1);
        for (const auto& f : json["findings"]) {
            EXPECT_TRUE(f["code"].is_string() && f["status"].is_string() && f["zh"].is_string() &&
                        f["en"].is_string())
                << f.dump();
        }
        return json["findings"];
    }

  public:
    static std::vector<nlohmann::json> withCode(const nlohmann::json& findings, const std::string& code) {
        std::vector<nlohmann::json> out;
        for (const auto& f : findings)
            if (f["code"] == code) out.push_back(f);
        return out;
    }

  protected:
    std::unique_ptr<TempDir> dir_;
    fs::path socket_;
};

}  // namespace

TEST_F(DoctorTest, NoSocketMeansPcscdIsNotRunning) {
    auto found = withCode(doctor(), "pcsc.service");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0]["status"], "problem");
    EXPECT_NE(found[0]["en"].get<std::string>().find("not running"), std::string::npos) << found[0].dump();
    EXPECT_NE(found[0]["en"].get<std::string>().find(socket_.string()), std::string::npos);
    EXPECT_NE(found[0]["zh"].get<std::string>().find("未运行"), std::string::npos);
}

TEST_F(DoctorTest, ASocketNobodyListensOnMeansStalePcscd) {
    HangUpServer stale(socket_, false);
    ASSERT_TRUE(stale.ok());
    auto found = withCode(doctor(), "pcsc.service");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0]["status"], "problem");
    EXPECT_NE(found[0]["en"].get<std::string>().find("nothing listens"), std::string::npos)
        << found[0].dump();
    EXPECT_NE(found[0]["zh"].get<std::string>().find("无人监听"), std::string::npos);
}

// Asserts the one pcscd finding is the polkit explanation.
void expectPolkitFinding(const nlohmann::json& findings) {
    EXPECT_TRUE(DoctorTest::withCode(findings, "pcsc.service").empty()) << findings.dump(2);
    auto found = DoctorTest::withCode(findings, "pcsc.access");
    ASSERT_EQ(found.size(), 1u) << findings.dump(2);
    EXPECT_EQ(found[0]["status"], "problem");
    const std::string en = found[0]["en"], zh = found[0]["zh"];
    EXPECT_NE(en.find("polkit"), std::string::npos) << en;
    EXPECT_NE(en.find("org.debian.pcsc-lite.access_pcsc"), std::string::npos) << en;
    EXPECT_NE(en.find("org.debian.pcsc-lite.access_card"), std::string::npos) << en;
    EXPECT_NE(zh.find("polkit"), std::string::npos) << zh;
    EXPECT_NE(zh.find("拒绝"), std::string::npos) << zh;
}

TEST_F(DoctorTest, APcscdThatHangsUpOnUsIsExplainedAsPolkit) {
    HangUpServer refusing(socket_, true);  // closes before the client wrote: "service not available"
    ASSERT_TRUE(refusing.ok());
    auto findings = doctor();
    EXPECT_GE(refusing.accepted(), 1) << "the client library never connected";
    expectPolkitFinding(findings);
}

TEST_F(DoctorTest, APcscdThatHangsUpAfterTheFirstRequestIsExplainedAsPolkit) {
    HangUpServer refusing(socket_, true, std::chrono::milliseconds(50));  // the client gets "access denied"
    ASSERT_TRUE(refusing.ok());
    auto findings = doctor();
    EXPECT_GE(refusing.accepted(), 1) << "the client library never connected";
    expectPolkitFinding(findings);
}

TEST_F(DoctorTest, NamesOtherMiddlewareListeningOnItsLoopbackPort) {
    struct Candidate {
        std::uint16_t port;
        const char* name;
    };
    std::unique_ptr<LoopbackListener> listener;
    const char* expected = nullptr;
    for (Candidate c : {Candidate{21051, "BJCA"}, Candidate{21061, "BJCA"}, Candidate{51235, "Longmai"},
                        Candidate{51245, "Longmai"}}) {
        if (!portFree(c.port)) continue;
        listener = std::make_unique<LoopbackListener>(c.port);
        if (listener->ok()) {
            expected = c.name;
            break;
        }
    }
    if (expected == nullptr) GTEST_SKIP() << "every known middleware port is taken on this machine";
    auto found = withCode(doctor(), "middleware");
    bool named = false;
    for (const auto& f : found) {
        if (f["en"].get<std::string>().find(expected) == std::string::npos) continue;
        named = true;
        EXPECT_EQ(f["status"], "info") << "other middleware is not a problem by itself";
        EXPECT_NE(f["en"].get<std::string>().find("may compete for the reader"), std::string::npos);
        EXPECT_NE(f["zh"].get<std::string>().find("可能与本程序争用读卡器"), std::string::npos);
    }
    EXPECT_TRUE(named) << expected << " not named";
}

TEST_F(DoctorTest, WithoutMiddlewareItSaysSoAsOk) {
    for (std::uint16_t port :
         {std::uint16_t{21051}, std::uint16_t{21061}, std::uint16_t{51235}, std::uint16_t{51245}})
        if (!portFree(port)) GTEST_SKIP() << "port " << port << " is taken on this machine";
    auto found = withCode(doctor(), "middleware");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0]["status"], "ok");
}

TEST_F(DoctorTest, TheTextReportMarksMiddlewareAsAHintNotAProblem) {
    std::unique_ptr<LoopbackListener> listener;
    for (std::uint16_t port : {std::uint16_t{51235}, std::uint16_t{51245}, std::uint16_t{21051}}) {
        if (!portFree(port)) continue;
        listener = std::make_unique<LoopbackListener>(port);
        if (listener->ok()) break;
        listener.reset();
    }
    if (!listener) GTEST_SKIP() << "every candidate middleware port is taken on this machine";
    const auto r = runCommand({CARDBRIDGED_EXE, "doctor", "--state-dir", (dir_->path() / "state").string(),
                               "--port", std::to_string(freePort())});
    std::istringstream lines(r.output);
    bool hinted = false;
    for (std::string line; std::getline(lines, line);) {
        if (line.find("可能与本程序争用读卡器") == std::string::npos) continue;
        hinted = true;
        EXPECT_EQ(line.rfind("[ 提示 ii ]", 0), 0u) << line;
    }
    EXPECT_TRUE(hinted) << r.output;
}

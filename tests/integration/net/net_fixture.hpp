// A real Server on a free loopback port with a real Dispatcher and a few test methods, a throwaway
// ECDSA chain minted per test, and helpers that open verified WSS/HTTPS clients against it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cardbridge/daemon/core/dispatcher.hpp"
#include "cardbridge/daemon/core/system_methods.hpp"
#include "cardbridge/daemon/net/server.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"
#include "wss_client.hpp"

namespace cardbridge::test {

inline constexpr const char* PLATFORM_ORIGIN = "https://platform.example";
inline constexpr const char* TRUSTED_ORIGIN = "https://trusted.example";  // allowSecrets: true
inline constexpr const char* OUTSIDE_SECRET = "outside-the-web-root";

class NetFixture : public ::testing::Test {
  protected:
    void SetUp() override {
        namespace fs = std::filesystem;
        dir_ = tempDir_.path();
        fs::create_directories(dir_ / "www" / "sub");
        CertSpec rootSpec;
        rootSpec.commonName = "cardbridge test root";
        rootSpec.isCa = true;
        root_ = makeCertificate(rootSpec);
        CertSpec leafSpec;
        leafSpec.commonName = "127.0.0.1";
        leafSpec.subjectAltName = "DNS:localhost,IP:127.0.0.1,IP:::1";
        leafSpec.keyUsage = std::vector<std::string>{"digitalSignature"};
        leafSpec.extendedKeyUsage = {"serverAuth"};
        leafSpec.issuer = &root_;
        const TestCert leaf = makeCertificate(leafSpec);
        writeFile(dir_ / "chain.pem", leaf.certPem + root_.certPem);
        writeFile(dir_ / "key.pem", leaf.keyPem);
        writeFile(dir_ / "www" / "index.html", "<!DOCTYPE html><meta charset=\"utf-8\"><p>证书助手 test</p>");
        writeFile(dir_ / "www" / "app.js", "console.log('hi');");
        writeFile(dir_ / "www" / "style.css", "p{color:red}");
        writeFile(dir_ / "secret.txt", OUTSIDE_SECRET);

        options_.config.ports = {0};
        options_.config.platformOrigins = {{PLATFORM_ORIGIN, false}, {TRUSTED_ORIGIN, true}};
        auto& limits = options_.config.limits;
        limits.maxFrameBytes = 16 * 1024;
        limits.maxJsonDepth = 16;
        limits.maxConnectionsPerOrigin = 4;
        limits.maxRequestsPerSecond = 20;
        limits.maxPendingRequests = 4;
        limits.idleTimeoutSeconds = 30;
        limits.handshakeTimeoutSeconds = 1;
        options_.certChainPem = dir_ / "chain.pem";
        options_.keyPem = dir_ / "key.pem";
        options_.webRoot = dir_ / "www";
        options_.health = [](std::string_view, std::string_view) {
            return nlohmann::json{{"status", "ok"}, {"readers", 0}};
        };
        customise(options_);
        startServer();
    }

    void TearDown() override {
        releaseHeld();
        stopServer();
    }

    // Tests adjust options here before the server starts.
    virtual void customise(daemon::ServerOptions& /*options*/) {}

    void startServer() {
        dispatcher_ = std::make_unique<daemon::Dispatcher>(options_.config.limits.maxJsonDepth);
        dispatcher_->add(daemon::systemHello(*dispatcher_, {"9.8.7", [this] { return port_; }}));
        registerTestMethods();
        server_ = std::make_unique<daemon::Server>(options_, *dispatcher_);
        port_ = server_->start();
        thread_ = std::thread([this] { server_->run(2); });
    }

    void stopServer() {
        if (!server_) return;
        server_->stop();
        thread_.join();
        server_.reset();
    }

    void registerTestMethods() {
        using daemon::Capability;
        using nlohmann::json;
        dispatcher_->add("test.echo", Capability::Read,
                         [](const daemon::CallContext&, const json& params,
                            std::shared_ptr<daemon::Responder> r) { r->succeed(params); });
        dispatcher_->add(
            "test.add", Capability::Read,
            [](const daemon::CallContext&, const json& params, std::shared_ptr<daemon::Responder> r) {
                r->succeed(params.at("a").get<int>() + params.at("b").get<int>());
            });
        dispatcher_->add("test.secret", Capability::Secrets,
                         [](const daemon::CallContext&, const json&, std::shared_ptr<daemon::Responder> r) {
                             r->succeed("secret ok");
                         });
        dispatcher_->add(
            "test.hold", Capability::Read,
            [this](const daemon::CallContext&, const json&, std::shared_ptr<daemon::Responder> r) {
                std::lock_guard lock(heldMutex_);
                held_.push_back(std::move(r));
            });
    }

    // Answers every held request from the test thread (a "card worker").
    std::size_t releaseHeld() {
        std::vector<std::shared_ptr<daemon::Responder>> held;
        {
            std::lock_guard lock(heldMutex_);
            held.swap(held_);
        }
        for (auto& responder : held) responder->succeed("released");
        return held.size();
    }

    std::size_t heldCount() {
        std::lock_guard lock(heldMutex_);
        return held_.size();
    }

    [[nodiscard]] std::string ownOrigin() const { return "https://127.0.0.1:" + std::to_string(port_); }

    [[nodiscard]] WssClientOptions clientOptions(std::optional<std::string> origin) const {
        WssClientOptions options;
        options.port = port_;
        options.rootCaPem = root_.certPem;
        options.origin = std::move(origin);
        options.timeout = std::chrono::milliseconds(5000);
        return options;
    }

    std::unique_ptr<WssClient> connect(const std::string& origin) {
        return std::make_unique<WssClient>(clientOptions(origin));
    }

    // Connects once a slot is free again: a session gives its place back shortly after its client leaves.
    // Empty when none came free within 2.5 s.
    std::unique_ptr<WssClient> connectOnceFree(const std::string& origin) {
        for (int attempt = 0; attempt < 50; ++attempt) {
            try {
                return connect(origin);
            } catch (const WssError&) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
        return nullptr;
    }

    // Every hostile test ends by proving the daemon still serves an ordinary client.
    void expectStillServes() {
        WssClient client(clientOptions(PLATFORM_ORIGIN));
        auto response = client.call("test.add", {{"a", 2}, {"b", 3}});
        EXPECT_EQ(response.value("result", 0), 5) << response.dump();
    }

    static std::string reasonOf(const nlohmann::json& response) {
        return response.at("error").at("data").at("reason").get<std::string>();
    }

    TempDir tempDir_{"cardbridge-net"};  // removed after TearDown has stopped the server
    std::filesystem::path dir_;
    TestCert root_;
    daemon::ServerOptions options_;
    std::unique_ptr<daemon::Dispatcher> dispatcher_;
    std::unique_ptr<daemon::Server> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
    std::mutex heldMutex_;
    std::vector<std::shared_ptr<daemon::Responder>> held_;
};

}  // namespace cardbridge::test

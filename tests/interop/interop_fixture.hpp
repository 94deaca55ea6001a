// A private pcscd with one virtual card holding four certificates (9A, 9C, 9D, 9E), for driving
// third-party PIV clients (OpenSC, yubico-piv-tool) against cardbridge-vcard.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pcsc_env.hpp"
#include "test_certs.hpp"

namespace cardbridge::test {

/// The four standard PIV slots with the certificate each test card carries.
struct ProvisionedSlot {
    std::string slot;      ///< "9a" …
    std::string openscId;  ///< pkcs15-piv's object id for the slot: 01 … 04
    TestCert cert;
};

class InteropTest : public ::testing::Test {
  protected:
    void SetUp() override {
        env_ = std::make_unique<PcscEnv>();
        // OpenSC keeps a per-user cache and yubico-piv-tool reads no config: isolate HOME anyway.
        ::setenv("HOME", env_->dir().c_str(), 1);
        stateFile_ = env_->dir() / "card.json";
        slots_ = makeSlots(compressSlot9a());
        std::vector<SlotContent> contents;
        for (const auto& s : slots_)
            contents.push_back({s.slot, s.cert.certPem, s.cert.keyPem, s.slot == "9a" && compressSlot9a()});
        provisionCard(stateFile_, contents, {"--serial", "20261127"});
        card_ = std::make_unique<VirtualCard>(*env_, stateFile_);
        card_->waitPresent();
    }

    void TearDown() override {
        card_.reset();
        env_.reset();
    }

    /// Overridden by tests that want the 9A certificate stored gzip-compressed.
    virtual bool compressSlot9a() const { return false; }

    static std::vector<ProvisionedSlot> makeSlots(bool /*compressed*/) {
        auto make = [](const std::string& cn, KeyKind kind) {
            CertSpec spec;
            spec.commonName = cn;
            spec.key = kind;
            spec.extendedKeyUsage = {"clientAuth"};
            return makeCertificate(spec);
        };
        return {{"9a", "01", make("张三 PIV认证", KeyKind::Rsa2048)},
                {"9c", "02", make("张三 签名", KeyKind::EcP256)},
                {"9d", "03", make("张三 密钥管理", KeyKind::Rsa2048)},
                {"9e", "04", make("张三 卡认证", KeyKind::EcP256)}};
    }

    /// Runs a tool and fails the test (with its output) when it exits non-zero.
    static std::string runOk(const std::vector<std::string>& argv) {
        CommandResult r = runCommand(argv);
        EXPECT_EQ(r.exitCode, 0) << argv[0] << " said:\n" << r.output;
        return r.output;
    }

    /// yubico-piv-tool on our reader (its default reader filter is "Yubikey").
    static std::vector<std::string> ykpiv(std::vector<std::string> args) {
        std::vector<std::string> argv{"yubico-piv-tool", "-r", "Virtual PCD"};
        argv.insert(argv.end(), args.begin(), args.end());
        return argv;
    }

    nlohmann::json counters() { return card_->show(); }

    std::unique_ptr<PcscEnv> env_;
    std::filesystem::path stateFile_;
    std::vector<ProvisionedSlot> slots_;
    std::unique_ptr<VirtualCard> card_;
};

/// Strips whitespace so PEM texts from different writers compare equal.
inline std::string squeeze(const std::string& s) {
    std::string out;
    for (char c : s)
        if (c != '\n' && c != '\r' && c != ' ' && c != '\t') out.push_back(c);
    return out;
}

/// The PEM block in a tool's output (tools print progress lines around it), or "".
inline std::string pemBlock(const std::string& output) {
    auto begin = output.find("-----BEGIN CERTIFICATE-----");
    auto end = output.find("-----END CERTIFICATE-----");
    if (begin == std::string::npos || end == std::string::npos) return {};
    return output.substr(begin, end + 25 - begin);
}

}  // namespace cardbridge::test

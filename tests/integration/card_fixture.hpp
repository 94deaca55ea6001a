// A private pcscd with one provisioned virtual card, and the card layer's real PC/SC implementation.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/card/pcsc.hpp"
#include "cardbridge/card/piv_card.hpp"
#include "pcsc_env.hpp"
#include "test_certs.hpp"

namespace cardbridge::card::test {

using cardbridge::test::PcscEnv;
using cardbridge::test::SlotContent;
using cardbridge::test::VcardOptions;
using cardbridge::test::VirtualCard;

inline constexpr std::uint32_t CARD_SERIAL = 20261127;

/// One certificate the card carries.
struct Provisioned {
    std::uint8_t slot;
    Bytes der;
};

class CardFixture : public ::testing::Test {
  protected:
    void SetUp() override {
        env_ = std::make_unique<PcscEnv>();
        stateFile_ = env_->dir() / "card.json";
        std::vector<SlotContent> contents;
        const std::vector<std::pair<std::string, std::uint8_t>> slots{
            {"9a", 0x9A}, {"9c", 0x9C}, {"9d", 0x9D}, {"9e", 0x9E}, {"82", 0x82}};
        for (const auto& [name, slot] : slots) {
            cardbridge::test::CertSpec spec;
            spec.commonName = "张三 " + name;
            spec.key = slot == 0x9A ? cardbridge::test::KeyKind::Rsa2048 : cardbridge::test::KeyKind::EcP256;
            cardbridge::test::TestCert cert = cardbridge::test::makeCertificate(spec);
            contents.push_back({name, cert.certPem, cert.keyPem, slot == 0x9A && compress9a()});
            provisioned_.push_back({slot, cert.der});
        }
        cardbridge::test::provisionCard(stateFile_, contents, {"--serial", std::to_string(CARD_SERIAL)});
        card_ = std::make_unique<VirtualCard>(*env_, stateFile_, vcardOptions());
        card_->waitPresent();
        reader_ = env_->readerName(0);
    }

    void TearDown() override {
        card_.reset();
        env_.reset();
    }

    virtual bool compress9a() const { return false; }
    virtual VcardOptions vcardOptions() const { return {}; }

    /// Checks that `certs` are exactly the provisioned ones, in slot order.
    void expectProvisioned(const std::vector<PivCertificate>& certs) {
        ASSERT_EQ(certs.size(), provisioned_.size());
        for (std::size_t i = 0; i < certs.size(); ++i) {
            EXPECT_EQ(certs[i].slot, provisioned_[i].slot) << i;
            EXPECT_EQ(certs[i].der, provisioned_[i].der) << "slot " << int{certs[i].slot};
        }
    }

    std::unique_ptr<PcscEnv> env_;
    std::filesystem::path stateFile_;
    std::vector<Provisioned> provisioned_;
    std::unique_ptr<VirtualCard> card_;
    std::string reader_;
};

/// The code of the CardError `call` throws; fails when it throws nothing.
template <typename Call>
CardErrorCode errorCodeOf(Call&& call) {
    try {
        call();
    } catch (const CardError& e) {
        const auto* error = dynamic_cast<const std::exception*>(&e);
        if (error != nullptr) std::printf("  (%s)\n", error->what());
        return e.code();
    }
    ADD_FAILURE() << "expected a CardError";
    return CardErrorCode::Internal;
}

}  // namespace cardbridge::card::test

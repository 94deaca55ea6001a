// Shared fixture: a temp folder, a CA and an enrolled leaf, keys, SQLite storage and the service with fakes.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cardbridge/authority/core/errors.hpp"
#include "cardbridge/authority/core/registry.hpp"
#include "cardbridge/authority/core/unlock_service.hpp"
#include "cardbridge/authority/store/sqlite_storage.hpp"
#include "cardbridge/rules/form.hpp"
#include "fakes/clock_random.hpp"
#include "fakes/sms_gateway.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

namespace cardbridge::authority::test {

using namespace std::chrono_literals;

using cardbridge::test::TempDir;

/// A valid GB 11643 resident ID built from 17 digits.
inline std::string residentId(const std::string& first17) {
    return first17 + *rules::gb11643CheckChar(first17);
}

inline const std::string APPLICANT_ID = residentId("44030419900101123");
inline const std::string OTHER_ID = residentId("11010519851231002");
inline constexpr const char* APPLICANT_PHONE = "13812345678";
inline constexpr const char* ORGANIZATION = "深圳市某某医疗器械有限公司（福田）";
inline constexpr const char* CARD = "CARD-0001";

inline std::string readAll(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

/// PNG / PDF / text bytes of a given size.
inline Bytes pngBytes(std::size_t size = 64) {
    Bytes b = {0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A};
    while (b.size() < size) b.push_back(static_cast<std::uint8_t>(b.size() * 7));
    return b;
}
inline Bytes pdfBytes(std::size_t size = 64) {
    Bytes b = toBytes("%PDF-1.7\n");
    while (b.size() < size) b.push_back('A' + static_cast<std::uint8_t>(b.size() % 26));
    return b;
}
inline Bytes jpegBytes(std::size_t size = 64) {
    Bytes b = {0xFF, 0xD8, 0xFF, 0xE0};
    while (b.size() < size) b.push_back(static_cast<std::uint8_t>(b.size()));
    return b;
}

class AuthorityFixture : public ::testing::Test {
  protected:
    // 2025-03-05 10:00:00 +08:00, a Wednesday.
    static constexpr Seconds START{std::chrono::seconds(1741140000)};

    AuthorityFixture() : clock_(START) {}

    void SetUp() override {
        cardbridge::test::CertSpec caSpec;
        caSpec.commonName = "Test Issuing CA";
        caSpec.isCa = true;
        caSpec.notBefore = std::chrono::system_clock::time_point(START) - std::chrono::days(3650);
        caSpec.notAfter = std::chrono::system_clock::time_point(START) + std::chrono::days(3650);
        ca_ = cardbridge::test::makeCertificate(caSpec);
        leaf_ = makeLeaf("张三");
        caFile_ = dir_.path() / "ca.pem";
        cardbridge::test::writeFile(caFile_, ca_.certPem);

        config_.dataDir = dir_.path();
        config_.databasePath = dir_.path() / "authority.db";
        config_.issuingCaFiles = {caFile_};
        config_.uniformTimingMillis = 0;
        keys_.master = Secret(std::string(32, 'M'));
        keys_.idKey = Secret(std::string(32, 'I'));
        keys_.attachment = Secret(std::string(32, 'A'));
        trust_ = std::make_unique<IssuerTrust>(config_.issuingCaFiles);
        open();
        enroll(leaf_, CARD);
    }

    void open() {
        storage_ = openSqliteStorage(config_.databasePath);
        service_ = std::make_unique<UnlockService>(config_, *storage_, *trust_, keys_, sms_, clock_, random_);
        registry_ = std::make_unique<Registry>(*storage_, *trust_, keys_, clock_);
    }

    void close() {
        registry_.reset();
        service_.reset();
        storage_.reset();
    }

    cardbridge::test::TestCert makeLeaf(const std::string& name,
                                        const cardbridge::test::TestCert* issuer = nullptr,
                                        std::chrono::days startOffset = std::chrono::days(-30),
                                        std::chrono::days life = std::chrono::days(365)) {
        cardbridge::test::CertSpec spec;
        spec.commonName = name;
        spec.issuer = issuer != nullptr ? issuer : &ca_;
        spec.notBefore = std::chrono::system_clock::time_point(START) + startOffset;
        spec.notAfter = spec.notBefore + life;
        return cardbridge::test::makeCertificate(spec);
    }

    std::int64_t enroll(const cardbridge::test::TestCert& cert, const std::string& card) {
        Enrollment e;
        e.certificate = cert.certPem;
        e.cardSerial = card;
        e.organization = ORGANIZATION;
        e.applicant = {"张三", "居民身份证", APPLICANT_ID, APPLICANT_PHONE};
        return registry_->enroll(e);
    }

    CreateUnlock applicantRequest() const {
        CreateUnlock r;
        r.certificateDer = leaf_.der;
        r.cardSerial = CARD;
        r.handler = {ORGANIZATION, "张三", "居民身份证", APPLICANT_ID, APPLICANT_PHONE};
        r.clientAddress = "203.0.113.7";
        return r;
    }

    CreateUnlock otherHandlerRequest() const {
        auto r = applicantRequest();
        r.handler = {ORGANIZATION, "李四", "居民身份证", OTHER_ID, "13987654321"};
        return r;
    }

    /// The 6-digit code in the last message sent.
    std::string lastCode() const {
        const auto messages = sms_.messages();
        if (messages.empty()) return {};
        const auto& text = messages.back().text;
        for (std::size_t i = 0; i + 6 <= text.size(); ++i) {
            bool digits = true;
            for (std::size_t j = 0; j < 6; ++j)
                digits = digits && std::isdigit(static_cast<unsigned char>(text[i + j]));
            if (digits) return text.substr(i, 6);
        }
        return {};
    }

    /// Creates a review request with all three attachments, submitted.
    std::string submittedReview() {
        const auto created = service_->requests().create(otherHandlerRequest());
        service_->review().putAttachment(created.requestId, "application_form", pdfBytes());
        service_->review().putAttachment(created.requestId, "business_license", jpegBytes());
        service_->review().putAttachment(created.requestId, "handler_id", pngBytes());
        service_->review().submit(created.requestId);
        return created.requestId;
    }

    /// Expects `fn` to throw AuthorityError with `reason`; returns its extra JSON.
    template <class Fn>
    static nlohmann::json expectReason(Fn&& fn, std::string_view reason) {
        try {
            fn();
        } catch (const AuthorityError& e) {
            EXPECT_EQ(e.reason(), reason) << e.what();
            EXPECT_EQ(e.httpStatus(), httpStatusFor(reason));
            return e.extra();
        }
        ADD_FAILURE() << "expected " << reason;
        return {};
    }

    TempDir dir_;
    fake::FakeClock clock_;
    fake::FakeRandom random_;
    fake::RecordingSmsGateway sms_;
    cardbridge::test::TestCert ca_;
    cardbridge::test::TestCert leaf_;
    std::filesystem::path caFile_;
    AuthorityConfig config_;
    AuthorityKeys keys_;
    std::unique_ptr<IssuerTrust> trust_;
    std::unique_ptr<Storage> storage_;
    std::unique_ptr<UnlockService> service_;
    std::unique_ptr<Registry> registry_;
};

}  // namespace cardbridge::authority::test

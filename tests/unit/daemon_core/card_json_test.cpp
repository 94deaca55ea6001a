// JSON shapes of certificates, PIN state and cards (Chinese names, SM2, validity status, card id).
#include <gtest/gtest.h>

#include "cardbridge/daemon/core/card_json.hpp"
#include "test_certs.hpp"

namespace cardbridge::daemon {
namespace {

using namespace std::chrono_literals;
using test::CertSpec;
using test::KeyKind;
using test::makeCertificate;

Certificate parse(const test::TestCert& cert) {
    return Certificate::fromDer(cert.der);
}

TEST(CertificateJson, ChineseSubjectAndAllFields) {
    CertSpec spec;
    spec.commonName = "张三";
    spec.organization = "深圳市测试医疗器械有限公司";
    spec.organizationalUnit = "采购部";
    spec.extraSubject = {{"ST", "广东省"}, {"L", "深圳市"}};
    spec.extendedKeyUsage = {"clientAuth"};
    spec.serialHex = "0A1B2C";
    const auto cert = makeCertificate(spec);
    const auto now = std::chrono::system_clock::now();
    nlohmann::json j = certificateToJson(0x9A, parse(cert), now);

    EXPECT_EQ(j["slot"], "9a");
    EXPECT_EQ(j["subject"]["cn"], "张三");
    EXPECT_EQ(j["subject"]["o"], "深圳市测试医疗器械有限公司");
    EXPECT_EQ(j["subject"]["ou"], "采购部");
    EXPECT_EQ(j["subject"]["c"], "CN");
    EXPECT_EQ(j["subject"]["st"], "广东省");
    EXPECT_EQ(j["subject"]["l"], "深圳市");
    EXPECT_NE(j["subject"]["text"].get<std::string>().find("CN=张三"), std::string::npos);
    EXPECT_GE(j["subject"]["attributes"].size(), 6u);
    EXPECT_EQ(j["issuer"]["cn"], "张三");  // self-signed
    EXPECT_EQ(j["serialNumber"], "0A1B2C");
    EXPECT_EQ(j["status"], "valid");
    EXPECT_EQ(j["publicKey"]["algorithm"], "EC");
    EXPECT_EQ(j["publicKey"]["curve"], "P-256");
    EXPECT_EQ(j["publicKey"]["bits"], 256);
    EXPECT_EQ(j["signatureAlgorithm"], "ecdsa-with-SHA256");
    EXPECT_EQ(j["keyUsage"], (nlohmann::json{"digitalSignature", "nonRepudiation"}));
    EXPECT_EQ(j["extendedKeyUsage"], (nlohmann::json{"clientAuth"}));
    EXPECT_EQ(j["isCa"], false);
    EXPECT_EQ(j["sha256"].get<std::string>().size(), 64u);
    EXPECT_EQ(j["pem"], cert.certPem);
    EXPECT_TRUE(j["notBefore"].get<std::string>().ends_with("Z"));
    EXPECT_TRUE(j["notAfter"].get<std::string>().ends_with("Z"));
    // Serialises to valid UTF-8 JSON text.
    EXPECT_NE(j.dump().find("张三"), std::string::npos);
}

TEST(CertificateJson, Sm2Key) {
    CertSpec spec;
    spec.key = KeyKind::Sm2;
    nlohmann::json j =
        certificateToJson(0x9C, parse(makeCertificate(spec)), std::chrono::system_clock::now());
    EXPECT_EQ(j["slot"], "9c");
    EXPECT_EQ(j["publicKey"]["algorithm"], "SM2");
    EXPECT_EQ(j["publicKey"]["curve"], "SM2");
    EXPECT_EQ(j["publicKey"]["bits"], 256);
    EXPECT_EQ(j["signatureAlgorithm"], "SM2-with-SM3");
}

TEST(CertificateJson, RsaHasNoCurve) {
    CertSpec spec;
    spec.key = KeyKind::Rsa2048;
    nlohmann::json j =
        certificateToJson(0x9D, parse(makeCertificate(spec)), std::chrono::system_clock::now());
    EXPECT_EQ(j["publicKey"]["algorithm"], "RSA");
    EXPECT_EQ(j["publicKey"]["bits"], 2048);
    EXPECT_FALSE(j["publicKey"].contains("curve"));
}

TEST(CertificateJson, StatusFollowsTheClock) {
    CertSpec spec;
    spec.notBefore = std::chrono::system_clock::now() - 48h;
    spec.notAfter = std::chrono::system_clock::now() - 24h;
    const Certificate expired = parse(makeCertificate(spec));
    EXPECT_EQ(certificateToJson(0x9A, expired, std::chrono::system_clock::now())["status"], "expired");
    EXPECT_EQ(certificateToJson(0x9A, expired, spec.notBefore - 1h)["status"], "notYetValid");
    EXPECT_EQ(certificateToJson(0x9A, expired, spec.notBefore + 1h)["status"], "valid");
}

TEST(PinJson, States) {
    using State = card::PinRetries::State;
    EXPECT_EQ(pinToJson({State::NotVerified, 3u}), (nlohmann::json{{"state", "ok"}, {"retriesLeft", 3}}));
    EXPECT_EQ(pinToJson({State::Verified, std::nullopt}), (nlohmann::json{{"state", "verified"}}));
    EXPECT_EQ(pinToJson({State::Blocked, std::nullopt}),
              (nlohmann::json{{"state", "blocked"}, {"retriesLeft", 0}}));
    EXPECT_EQ(pinToJson({State::Unknown, std::nullopt}), (nlohmann::json{{"state", "unknown"}}));
}

TEST(Slots, NameAndParse) {
    EXPECT_EQ(slotName(0x9A), "9a");
    EXPECT_EQ(slotName(0x82), "82");
    EXPECT_EQ(parseSlot("9a"), 0x9A);
    EXPECT_EQ(parseSlot("9E"), 0x9E);
    EXPECT_EQ(parseSlot("95"), 0x95);
    EXPECT_EQ(parseSlot("9b"), std::nullopt);  // the management key: no certificate
    EXPECT_EQ(parseSlot("96"), std::nullopt);
    EXPECT_EQ(parseSlot("9"), std::nullopt);
    EXPECT_EQ(parseSlot("0x9a"), std::nullopt);
    EXPECT_EQ(parseSlot("zz"), std::nullopt);
}

card::CardInfo infoWith(const test::TestCert& cert) {
    card::CardInfo info;
    info.reader = "Virtual PCD 00 00";
    info.atrHex = "3BFD1300008131FE158073C021C057597562694B657940";
    info.serial = 20261127;
    info.version = card::YubiKeyVersion{5, 4, 3};
    info.pin = {card::PinRetries::State::NotVerified, 3u};
    info.certificates = {{0x9A, cert.der, false}, {0x9C, Bytes{0x30, 0x03, 0x01, 0x02, 0x03}, false}};
    return info;
}

TEST(CardJson, WholeCard) {
    const auto cert = makeCertificate(CertSpec{});
    card::CardInfo info = infoWith(cert);
    info.guidHex = "00112233445566778899AABBCCDDEEFF";
    const CardSnapshot snapshot = makeSnapshot(info);
    nlohmann::json j = cardToJson(snapshot, std::chrono::system_clock::now());
    EXPECT_EQ(j["reader"], "Virtual PCD 00 00");
    EXPECT_EQ(j["cardId"], "00112233445566778899AABBCCDDEEFF");
    EXPECT_EQ(j["atr"], info.atrHex);
    EXPECT_EQ(j["serial"], 20261127);
    EXPECT_EQ(j["version"], "5.4.3");
    EXPECT_EQ(j["pin"], (nlohmann::json{{"state", "ok"}, {"retriesLeft", 3}}));
    ASSERT_EQ(j["certificates"].size(), 2u);
    EXPECT_EQ(j["certificates"][0]["subject"]["cn"], "张三");
    // Garbage in a slot is shown as unreadable, not hidden and not fatal.
    EXPECT_EQ(j["certificates"][1]["slot"], "9c");
    EXPECT_EQ(j["certificates"][1]["status"], "unreadable");
    EXPECT_FALSE(j["certificates"][1].contains("pem"));
}

TEST(CardJson, IdWithoutGuidHashesAtrAndFirstCertificate) {
    const auto cert = makeCertificate(CertSpec{});
    card::CardInfo info = infoWith(cert);
    info.serial.reset();
    info.version.reset();
    const std::string id = cardIdOf(info);
    EXPECT_EQ(id.size(), 32u);
    EXPECT_EQ(cardIdOf(info), id);  // stable
    info.atrHex = "3B00";
    EXPECT_NE(cardIdOf(info), id);
    nlohmann::json j = cardToJson(makeSnapshot(info), std::chrono::system_clock::now());
    EXPECT_FALSE(j.contains("serial"));
    EXPECT_FALSE(j.contains("version"));
}

}  // namespace
}  // namespace cardbridge::daemon

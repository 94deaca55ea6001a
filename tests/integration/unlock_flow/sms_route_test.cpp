// The SMS route end to end (docs/api.md §4.5): the original applicant gets a code, types it with a new
// PIN, and the card ends with that PIN and the authority's next-epoch PUK; wrong codes, the resend
// cooldown, and a renewed certificate on the same card.
#include <chrono>
#include <filesystem>
#include <fstream>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/digest.hpp"
#include "test_certs.hpp"
#include "unlock_flow_fixture.hpp"

namespace cardbridge::test {
namespace {

using namespace std::chrono_literals;

int countAudit(const std::vector<AuditEntry>& audit, const std::string& action) {
    int n = 0;
    for (const auto& entry : audit) n += entry.action == action ? 1 : 0;
    return n;
}

// A wrong code: the right one with its first digit changed.
std::string wrongCode(const std::string& code) {
    std::string wrong = code;
    wrong[0] = static_cast<char>('0' + (wrong[0] - '0' + 1) % 10);
    return wrong;
}

TEST_F(UnlockFlowTest, SmsRouteResetsThePinAndRotatesThePuk) {
    json card = waitForCard(*client_);
    EXPECT_EQ(card["serial"], serial_);
    EXPECT_EQ(card["pin"]["state"], "blocked") << card.dump();

    json flow = begin(*client_);
    EXPECT_EQ(flow["step"], "identify");
    EXPECT_EQ(flow["reader"], reader());
    EXPECT_EQ(flow["cardId"], card["cardId"]);
    EXPECT_EQ(flow["cardSerial"], std::to_string(serial_)) << "the authority knows the card by its serial";
    EXPECT_EQ(flow["certificate"]["slot"], "9a");
    EXPECT_EQ(flow["certificate"]["sha256"], toHex(sha256(authority_->leaf().der)));
    EXPECT_EQ(flow["pin"]["state"], "blocked");
    const std::string flowId = flow["flowId"];
    EXPECT_EQ(flowId.size(), 32u);

    json identified =
        call(*client_, "unlock.identify", {{"flowId", flowId}, {"handler", applicantHandler()}});
    EXPECT_EQ(identified["step"], "sms") << identified.dump();
    EXPECT_EQ(identified["route"], "sms");
    EXPECT_EQ(identified["maskedPhone"], APPLICANT_MASKED_PHONE);
    EXPECT_EQ(identified["requestId"].get<std::string>().size(), 32u);

    json sent = call(*client_, "unlock.sendCode", {{"flowId", flowId}});
    EXPECT_EQ(sent["maskedPhone"], APPLICANT_MASKED_PHONE);
    EXPECT_TRUE(sent.contains("expiresAt")) << sent.dump();
    EXPECT_TRUE(sent.contains("resendAfterSeconds")) << sent.dump();
    const std::string code = authority_->lastCode();
    ASSERT_EQ(code.size(), 6u);
    EXPECT_EQ(cardSecrets().puk, initialPuk_) << "the card was touched before the code was typed";

    json done =
        call(*client_, "unlock.resetWithCode", {{"flowId", flowId}, {"code", code}, {"newPin", NEW_PIN}});
    EXPECT_EQ(done["step"], "done") << done.dump();
    expectUnlocked(NEW_PIN, "SMS route");
    const CardSecrets after = cardSecrets();
    EXPECT_NE(after.puk, initialPuk_) << "the PUK used for the reset is still the card's";
    EXPECT_NE(after.pin, OLD_PIN);

    const auto audit = auditEntries();
    EXPECT_EQ(countAudit(audit, "credential.release"), 1);
    EXPECT_EQ(countAudit(audit, "credential.complete"), 1);
    // The daemon's logs, journal and state hold no PIN, code, PUK or applicant data.
    expectNotInDaemonFiles({NEW_PIN, code, initialPuk_, after.puk, APPLICANT_ID, APPLICANT_PHONE});
}

TEST_F(UnlockFlowTest, FiveWrongCodesKillTheCodeAndAResendWaitsForTheCooldown) {
    json flow = beginAndIdentify(*client_, applicantHandler());
    ASSERT_EQ(flow["step"], "sms") << flow.dump();
    const std::string flowId = flow["flowId"];
    call(*client_, "unlock.sendCode", {{"flowId", flowId}});
    const std::string code = authority_->lastCode();
    ASSERT_EQ(code.size(), 6u);

    json again = client_->call("unlock.sendCode", {{"flowId", flowId}});
    EXPECT_EQ(reasonOf(again), "CODE_COOLDOWN") << again.dump();
    if (again.contains("error")) {
        const int retryAfter = errorData(again).value("retryAfter", -1);
        EXPECT_GE(retryAfter, 1) << again.dump();
        EXPECT_LE(retryAfter, 60) << again.dump();
    }
    EXPECT_EQ(authority_->lastCode(), code) << "a second code was sent within the cooldown";

    // A refused PIN is checked before the code, so it spends no code try.
    json weak =
        client_->call("unlock.resetWithCode", {{"flowId", flowId}, {"code", code}, {"newPin", "111111"}});
    EXPECT_EQ(reasonOf(weak), "PIN_POLICY") << weak.dump();
    EXPECT_EQ(errorData(weak).value("violation", ""), "AllSame") << weak.dump();

    const std::string wrong = wrongCode(code);
    for (int attempt = 1; attempt <= 4; ++attempt) {
        json r =
            client_->call("unlock.resetWithCode", {{"flowId", flowId}, {"code", wrong}, {"newPin", NEW_PIN}});
        EXPECT_EQ(reasonOf(r), "CODE_INCORRECT") << r.dump();
        EXPECT_EQ(errorData(r).value("triesLeft", -1), 5 - attempt) << r.dump();
    }
    json fifth =
        client_->call("unlock.resetWithCode", {{"flowId", flowId}, {"code", wrong}, {"newPin", NEW_PIN}});
    EXPECT_EQ(reasonOf(fifth), "CODE_LOCKED") << fifth.dump();
    json right =
        client_->call("unlock.resetWithCode", {{"flowId", flowId}, {"code", code}, {"newPin", NEW_PIN}});
    EXPECT_EQ(reasonOf(right), "CODE_LOCKED") << "a dead code still worked: " << right.dump();

    const CardSecrets card = cardSecrets();
    EXPECT_EQ(card.pinTriesLeft, 0) << "the PIN was reset with a dead code";
    EXPECT_EQ(card.pin, OLD_PIN);
    EXPECT_EQ(card.puk, initialPuk_);
    EXPECT_EQ(card.pukTriesLeft, card.pukRetries);
    EXPECT_FALSE(authorityPuk().pendingRotation) << "a credential was released";
}

TEST_F(UnlockFlowTest, RenewedCertificateOnTheSameCardContinuesThePukEpoch) {
    // First unlock, SMS route.
    json flow = beginAndIdentify(*client_, applicantHandler());
    ASSERT_EQ(flow["step"], "sms") << flow.dump();
    call(*client_, "unlock.sendCode", {{"flowId", flow["flowId"]}});
    json done =
        call(*client_, "unlock.resetWithCode",
             {{"flowId", flow["flowId"]}, {"code", authority_->lastCode()}, {"newPin", pinNumber(1)}});
    ASSERT_EQ(done["step"], "done") << done.dump();
    expectUnlocked(pinNumber(1), "first unlock");
    const std::string firstPuk = cardSecrets().puk;

    // The CA renews the certificate for the same card; the card gets it (and its key) in 9a.
    CertSpec spec;
    spec.commonName = APPLICANT_NAME;
    spec.issuer = &authority_->issuingCa();
    spec.notAfter = std::chrono::system_clock::now() + std::chrono::days(700);
    const TestCert renewed = makeCertificate(spec);
    ASSERT_EQ(enrollCertificate(renewed.certPem, serial_, "renewed.pem"), 0);
    EXPECT_EQ(authorityPuk().current, firstPuk) << "enrolling a renewal changed the card's PUK epoch";
    card_->remove();
    card_->waitAbsent();
    const std::filesystem::path certFile = work() / "renewed.crt.pem";
    const std::filesystem::path keyFile = work() / "renewed.key.pem";
    writeFile(certFile, renewed.certPem);
    writeFile(keyFile, renewed.keyPem);
    vcardCli({"import", "--state", cardFile_.string(), "--slot", "9a", "--cert", certFile.string(), "--key",
              keyFile.string()});
    vcardCli({"lock-pin", "--state", cardFile_.string()});
    drainNotifications(*client_, "card.inserted");
    card_->insert();
    json inserted = client_->waitNotification("card.inserted", 15s);
    ASSERT_TRUE(inserted["card"].is_object()) << inserted.dump();
    EXPECT_EQ(inserted["card"]["certificates"][0]["sha256"], toHex(sha256(renewed.der)));

    // Second unlock with the renewed certificate (review route: the card's SMS cooldown still runs).
    json approved = toApproved(*client_);
    EXPECT_EQ(approved["certificate"]["sha256"], toHex(sha256(renewed.der)));
    json second =
        call(*client_, "unlock.resetApproved", {{"flowId", approved["flowId"]}, {"newPin", pinNumber(2)}});
    EXPECT_EQ(second["step"], "done") << second.dump();
    expectUnlocked(pinNumber(2), "unlock with the renewed certificate");
    EXPECT_NE(cardSecrets().puk, firstPuk);
    EXPECT_NE(cardSecrets().puk, initialPuk_);

    // The authority released epoch e then e+1: the renewal continued the card's epoch.
    std::vector<json> releases;
    for (const auto& entry : auditEntries()) {
        if (entry.action == "credential.release") releases.push_back(entry.details);
    }
    ASSERT_EQ(releases.size(), 2u);
    EXPECT_EQ(releases[1]["epoch"], releases[0]["nextEpoch"]) << releases[0].dump() << releases[1].dump();
    EXPECT_EQ(releases[1]["nextEpoch"].get<int>(), releases[1]["epoch"].get<int>() + 1);
}

}  // namespace
}  // namespace cardbridge::test

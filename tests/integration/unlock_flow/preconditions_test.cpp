// What unlock.begin checks before anything reaches the authority (an expired certificate), and what a
// platform origin may do: start the unlock and get the wizard's URL, but never carry a code or a PIN.
#include <algorithm>
#include <chrono>
#include <thread>

#include "test_certs.hpp"
#include "unlock_flow_fixture.hpp"

namespace cardbridge::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* PLATFORM = "https://portal.example.cn";

// Audit actions of requests reaching the authority's API (created or refused).
int requestAudits(const std::vector<AuditEntry>& audit) {
    int n = 0;
    for (const auto& entry : audit) {
        if (entry.action.rfind("request.", 0) == 0 || entry.action.rfind("code.", 0) == 0) ++n;
    }
    return n;
}

TEST_F(UnlockFlowTest, ExpiredCertificateIsRefusedBeforeTheAuthority) {
    CertSpec spec;
    spec.commonName = APPLICANT_NAME;
    spec.issuer = &authority_->issuingCa();
    spec.notBefore = std::chrono::system_clock::now() - std::chrono::days(400);
    spec.notAfter = std::chrono::system_clock::now() - std::chrono::days(2);
    const TestCert expired = makeCertificate(spec);
    const std::uint32_t expiredSerial = serial_ + 1;
    // Enrolled, so that the authority would have answered had the daemon asked it.
    ASSERT_EQ(enrollCertificate(expired.certPem, expiredSerial, "expired.pem"), 0);
    provisionBlockedCard(expired, expiredSerial, "12345678");
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    for (;;) {
        json card = waitForCard(*client_);
        if (card["serial"] == expiredSerial) {
            EXPECT_EQ(card["certificates"][0]["status"], "expired") << card.dump();
            break;
        }
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the daemon kept the old card";
        std::this_thread::sleep_for(50ms);
    }
    const int before = requestAudits(auditEntries());

    json refused = client_->call("unlock.begin", {{"reader", reader()}});
    EXPECT_EQ(reasonOf(refused), "CERT_EXPIRED") << refused.dump();
    EXPECT_EQ(errorData(refused).value("offline", false), true) << refused.dump();
    EXPECT_TRUE(errorData(refused).value("notAfter", json()).is_string()) << refused.dump();
    EXPECT_EQ(requestAudits(auditEntries()), before) << "an unlock request reached the authority";
    EXPECT_EQ(before, 0);
}

TEST_F(UnlockFlowTest, PlatformOriginStartsTheUnlockButCarriesNoSecrets) {
    killDaemon();
    writeDaemonConfig({{"platformOrigins", {PLATFORM}}});
    startDaemon();
    auto platform = connect(std::string(PLATFORM));
    waitForCard(*platform);
    json hello = call(*platform, "system.hello", json::object());
    const auto& capabilities = hello["capabilities"];
    EXPECT_NE(std::find(capabilities.begin(), capabilities.end(), "startUnlock"), capabilities.end())
        << hello.dump();
    EXPECT_EQ(std::find(capabilities.begin(), capabilities.end(), "secrets"), capabilities.end())
        << hello.dump();

    json flow = begin(*platform);
    EXPECT_EQ(flow["step"], "identify") << flow.dump();
    const std::string flowId = flow["flowId"];
    EXPECT_EQ(flow["wizardUrl"],
              "https://127.0.0.1:" + std::to_string(port_) + "/unlock.html?flow=" + flowId);

    const std::vector<std::pair<std::string, json>> secretCalls = {
        {"unlock.identify", {{"flowId", flowId}, {"handler", applicantHandler()}}},
        {"unlock.sendCode", {{"flowId", flowId}}},
        {"unlock.resetWithCode", {{"flowId", flowId}, {"code", "123456"}, {"newPin", NEW_PIN}}},
        {"unlock.resetApproved", {{"flowId", flowId}, {"newPin", NEW_PIN}}},
        {"unlock.submit", {{"flowId", flowId}}},
        {"unlock.withdraw", {{"flowId", flowId}}}};
    for (const auto& [method, params] : secretCalls) {
        json r = platform->call(method, params);
        EXPECT_EQ(reasonOf(r), "NOT_ALLOWED") << method << ": " << r.dump();
    }
    const HttpsReply upload =
        putAttachment(flowId, "application_form", samplePdf(), "application/pdf", std::string(PLATFORM));
    EXPECT_EQ(upload.status, 403u) << upload.body;
    EXPECT_EQ(requestAudits(auditEntries()), 0) << "a platform call reached the authority";
    json status = call(*platform, "unlock.status", {{"flowId", flowId}});
    EXPECT_EQ(status["step"], "identify") << status.dump();

    // The wizard (own origin) continues the flow the platform page started.
    client_ = connect();
    json identified =
        call(*client_, "unlock.identify", {{"flowId", flowId}, {"handler", applicantHandler()}});
    EXPECT_EQ(identified["step"], "sms") << identified.dump();
    const CardSecrets card = cardSecrets();
    EXPECT_EQ(card.pinTriesLeft, 0);
    EXPECT_EQ(card.puk, initialPuk_);
}

}  // namespace
}  // namespace cardbridge::test

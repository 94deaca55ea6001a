// PUK custody: credential (repeatable until complete), complete rotates the card's epoch, a request that
// dies halfway keeps it pending, a renewed certificate keeps the card's epoch.
#include "authority_fixture.hpp"

#include "cardbridge/rules/puk.hpp"

namespace cardbridge::authority::test {
namespace {

class CredentialFlow : public AuthorityFixture {
  protected:
    /// An SMS-authorised request of the original applicant, with `certificate` (default: the enrolled leaf).
    std::string authorised(const cardbridge::test::TestCert* certificate = nullptr) {
        auto request = applicantRequest();
        if (certificate != nullptr) request.certificateDer = certificate->der;
        const auto id = service_->requests().create(request).requestId;
        service_->sms().sendCode(id, request.clientAddress);
        service_->sms().verifyCode(id, Secret(lastCode()));
        clock_.advance(61s);  // past the resend cooldown for the next request on this card
        return id;
    }
};

TEST_F(CredentialFlow, NotBeforeAuthorisation) {
    const auto id = service_->requests().create(applicantRequest()).requestId;
    const auto extra = expectReason([&] { service_->custody().credential(id); }, reason::NOT_AUTHORISED);
    EXPECT_EQ(extra.value("state", ""), "open");
}

TEST_F(CredentialFlow, ReleasedWithCurrentAndNextPuk) {
    const auto id = authorised();
    const auto c = service_->custody().credential(id);
    EXPECT_EQ(c.epoch, 0);
    EXPECT_EQ(c.nextEpoch, 1);
    EXPECT_FALSE(c.pendingRotation);
    EXPECT_TRUE(c.currentPuk.equals(rules::derivePuk(keys_.master, CARD, 0)));
    EXPECT_TRUE(c.nextPuk.equals(rules::derivePuk(keys_.master, CARD, 1)));
    EXPECT_FALSE(c.currentPuk.equals(c.nextPuk));
    EXPECT_EQ(c.currentPuk.size(), 8u);
}

// A lost response must not strand the card: asked again before complete(), the same two PUKs go out again,
// and every release leaves an audit entry.
TEST_F(CredentialFlow, RepeatableUntilCompleteWithEveryReleaseAudited) {
    const auto id = authorised();
    const Credential first = service_->custody().credential(id);
    EXPECT_FALSE(first.pendingRotation);
    for (int i = 0; i < 2; ++i) {
        const Credential again = service_->custody().credential(id);
        EXPECT_EQ(again.epoch, 0);
        EXPECT_EQ(again.nextEpoch, 1);
        EXPECT_TRUE(again.pendingRotation);  // the rotation this request started
        EXPECT_EQ(again.currentPuk.view(), rules::derivePuk(keys_.master, CARD, 0).view());
        EXPECT_EQ(again.nextPuk.view(), rules::derivePuk(keys_.master, CARD, 1).view());
    }
    auto releases = [&] {
        std::vector<nlohmann::json> out;
        for (const auto& e : storage_->listAudit(id, 100))
            if (e.action == "credential.release") out.push_back(nlohmann::json::parse(e.detailsJson));
        return out;
    };
    const auto audited = releases();
    ASSERT_EQ(audited.size(), 3u);
    EXPECT_FALSE(audited[0].value("repeat", true));
    EXPECT_TRUE(audited[1].value("repeat", false));
    EXPECT_TRUE(audited[2].value("repeat", false));

    EXPECT_EQ(service_->custody().complete(id).state, "completed");
    EXPECT_EQ(service_->custody().puk(CARD).epoch, 1);  // one rotation, however many releases
    const auto extra = expectReason([&] { service_->custody().credential(id); }, reason::NOT_AUTHORISED);
    EXPECT_EQ(extra.value("state", ""), "completed");
    EXPECT_EQ(releases().size(), 3u);
}

// Asked again after another request on the card completed, the credential is the card's new state, and
// this request's complete() then commits the epoch after it.
TEST_F(CredentialFlow, RepeatAfterTheCardMovedOnReleasesItsNewState) {
    const auto first = authorised();
    service_->custody().credential(first);
    const auto second = authorised();
    service_->custody().credential(second);
    service_->custody().complete(second);
    const Credential c = service_->custody().credential(first);
    EXPECT_EQ(c.epoch, 1);
    EXPECT_EQ(c.nextEpoch, 2);
    EXPECT_FALSE(c.pendingRotation);
    EXPECT_EQ(c.currentPuk.view(), rules::derivePuk(keys_.master, CARD, 1).view());
    service_->custody().complete(first);
    EXPECT_EQ(service_->custody().puk(CARD).epoch, 2);
}

TEST_F(CredentialFlow, CompleteCommitsNextEpoch) {
    const auto id = authorised();
    expectReason([&] { service_->custody().complete(id); }, reason::NOT_RELEASED);
    service_->custody().credential(id);
    EXPECT_EQ(service_->custody().complete(id).state, "completed");
    EXPECT_EQ(service_->custody().complete(id).state, "completed");  // idempotent
    const auto puk = service_->custody().puk(CARD);
    EXPECT_EQ(puk.epoch, 1);
    EXPECT_FALSE(puk.pendingRotation);
    EXPECT_TRUE(puk.currentPuk.equals(rules::derivePuk(keys_.master, CARD, 1)));

    const auto next = authorised();
    const auto c = service_->custody().credential(next);
    EXPECT_EQ(c.epoch, 1);
    EXPECT_EQ(c.nextEpoch, 2);
}

TEST_F(CredentialFlow, HalfwayDeathKeepsPendingForNextRequest) {
    const auto first = authorised();
    service_->custody().credential(first);  // the daemon dies before complete()
    EXPECT_TRUE(service_->custody().puk(CARD).pendingRotation);

    const auto second = authorised();
    const auto c = service_->custody().credential(second);
    EXPECT_TRUE(c.pendingRotation);
    EXPECT_EQ(c.epoch, 0);
    EXPECT_EQ(c.nextEpoch, 1);
    EXPECT_TRUE(c.nextPuk.equals(rules::derivePuk(keys_.master, CARD, 1)));
    service_->custody().complete(second);
    EXPECT_FALSE(service_->custody().puk(CARD).pendingRotation);
    EXPECT_EQ(service_->custody().puk(CARD).epoch, 1);
}

// The epoch belongs to the card: a renewed certificate on a rotated card must not start again at 0, or
// the daemon would spend PUK tries on a PUK the card no longer holds.
TEST_F(CredentialFlow, RenewedCertificateKeepsTheCardsEpoch) {
    const auto first = authorised();
    service_->custody().credential(first);
    service_->custody().complete(first);
    ASSERT_EQ(service_->custody().puk(CARD).epoch, 1);

    const auto renewed = makeLeaf("张三", nullptr, std::chrono::days(-1));
    enroll(renewed, CARD);
    EXPECT_EQ(service_->custody().puk(CARD).epoch, 1);

    const auto second = authorised(&renewed);
    const Credential c = service_->custody().credential(second);
    EXPECT_EQ(c.epoch, 1);
    EXPECT_EQ(c.nextEpoch, 2);
    EXPECT_FALSE(c.pendingRotation);
    EXPECT_EQ(c.currentPuk.view(), rules::derivePuk(keys_.master, CARD, 1).view());
    EXPECT_EQ(c.nextPuk.view(), rules::derivePuk(keys_.master, CARD, 2).view());
    service_->custody().complete(second);
    EXPECT_EQ(service_->custody().puk(CARD).epoch, 2);

    // The old certificate, still valid, sees the same card state.
    const auto third = authorised();
    EXPECT_EQ(service_->custody().credential(third).epoch, 2);
}

// A pending rotation is the card's too: enrolling a renewed certificate in the middle keeps it pending.
TEST_F(CredentialFlow, RenewalDuringPendingRotationKeepsItPending) {
    const auto first = authorised();
    service_->custody().credential(first);  // the daemon dies before complete()
    const auto renewed = makeLeaf("张三", nullptr, std::chrono::days(-1));
    enroll(renewed, CARD);
    const auto second = authorised(&renewed);
    const Credential c = service_->custody().credential(second);
    EXPECT_TRUE(c.pendingRotation);
    EXPECT_EQ(c.epoch, 0);
    EXPECT_EQ(c.nextPuk.view(), rules::derivePuk(keys_.master, CARD, 1).view());
}

TEST_F(CredentialFlow, ReviewApprovalReleasesCredential) {
    const auto id = submittedReview();
    expectReason([&] { service_->custody().credential(id); }, reason::NOT_AUTHORISED);
    service_->review().approve(id, "reviewer1");
    const Credential c = service_->custody().credential(id);
    // The card's epoch 0 and 1 PUKs, derived here with the rules' derivation, not the service's helper.
    EXPECT_EQ(c.epoch, 0);
    EXPECT_EQ(c.nextEpoch, 1);
    EXPECT_FALSE(c.pendingRotation);
    EXPECT_EQ(c.currentPuk.view(), rules::derivePuk(keys_.master, CARD, 0).view());
    EXPECT_EQ(c.nextPuk.view(), rules::derivePuk(keys_.master, CARD, 1).view());
    EXPECT_NE(c.currentPuk.view(), c.nextPuk.view());
    // Released; the card's rotation is now pending until complete().
    EXPECT_TRUE(service_->requests().status(id).credentialReleased);
    EXPECT_TRUE(service_->custody().puk(CARD).pendingRotation);
    EXPECT_EQ(service_->custody().credential(id).currentPuk.view(), c.currentPuk.view());  // repeatable
    EXPECT_EQ(service_->custody().complete(id).state, "completed");
    EXPECT_EQ(service_->custody().puk(CARD).epoch, 1);
}

TEST_F(CredentialFlow, WithdrawAfterReleaseIsRefused) {
    const auto id = authorised();
    service_->custody().credential(id);
    expectReason([&] { service_->requests().withdraw(id, "client:x"); }, reason::WRONG_STATE);
}

TEST_F(CredentialFlow, UnknownCardForCli) {
    expectReason([&] { service_->custody().puk("NOPE"); }, reason::CARD_UNKNOWN);
}

TEST_F(CredentialFlow, EverythingIsAudited) {
    const auto id = authorised();
    service_->custody().credential(id);
    service_->custody().complete(id);
    const auto entries = storage_->listAudit(id, 100);
    std::vector<std::string> actions;
    for (const auto& e : entries) actions.push_back(e.action);
    for (const char* expected :
         {"request.create", "code.send", "code.verify", "credential.release", "credential.complete"}) {
        EXPECT_NE(std::find(actions.begin(), actions.end(), expected), actions.end()) << expected;
    }
    for (const auto& e : entries) {
        EXPECT_EQ(e.detailsJson.find(APPLICANT_ID), std::string::npos);
        EXPECT_TRUE(nlohmann::json::parse(e.detailsJson).is_object());
    }
}

}  // namespace
}  // namespace cardbridge::authority::test

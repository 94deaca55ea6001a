// The SMS route (docs/api.md §4.5): begin → identify (the original handler) → sendCode → resetWithCode →
// done, with the card's PIN and PUK checked on the virtual card; the PIN policy before the code; the code's
// refusals; the authority lost at verify, credential and complete.
#include <gtest/gtest.h>

#include "unlock_fixture.hpp"

namespace cardbridge::test {
namespace {

using namespace std::chrono_literals;

class SmsRoute : public UnlockServiceTest {
  protected:
    void SetUp() override {
        UnlockServiceTest::SetUp();
        card_ = makeCard(certs().valid);
        insert(card_);
        startUnlock();
    }
    json resetWithCode(const std::string& flowId, const std::string& code = FakeAuthority::CODE,
                       const std::string& pin = NEW_PIN) {
        return result("unlock.resetWithCode", {{"flowId", flowId}, {"code", code}, {"newPin", pin}});
    }
    std::shared_ptr<VirtualCard> card_;
};

TEST_F(SmsRoute, BeginReadsTheCardBeforeAnythingReachesTheAuthority) {
    const json flow = begin();
    EXPECT_EQ(flow["step"], "identify");
    EXPECT_EQ(flow["reader"], READER);
    EXPECT_EQ(flow["cardId"], card_->cardId());
    EXPECT_EQ(flow["cardSerial"], "20261127");
    EXPECT_EQ(flow["pin"], (json{{"state", "blocked"}, {"retriesLeft", 0}}));
    EXPECT_EQ(flow["certificate"]["slot"], "9a");
    EXPECT_EQ(flow["certificate"]["sha256"].get<std::string>().size(), 64u);
    const std::string flowId = flow["flowId"];
    EXPECT_EQ(flowId.size(), 32u);
    EXPECT_EQ(flow["wizardUrl"], "https://127.0.0.1:23443/unlock.html?flow=" + flowId);
    EXPECT_FALSE(flow.contains("requestId"));
    EXPECT_TRUE(authority_->calls().empty());
}

TEST_F(SmsRoute, ResetWithCodeSetsThePinAndRotatesThePuk) {
    const json identified = smsFlow();
    EXPECT_EQ(identified["route"], "sms");
    EXPECT_EQ(identified["maskedPhone"], "138****5678");
    EXPECT_EQ(identified["requestId"], authority_->lastRequestId());
    EXPECT_FALSE(std::filesystem::exists(pendingPath(card_->cardId())));  // only review requests are kept

    const json done = resetWithCode(identified["flowId"]);
    EXPECT_EQ(done["step"], "done");
    EXPECT_EQ(done["pin"], (json{{"state", "ok"}}));  // the count follows as card.pinChanged
    const json pinChanged =
        sink_.waitFor("card.pinChanged", [](const json& p) { return p["pin"].contains("retriesLeft"); });
    EXPECT_EQ(pinChanged["pin"], (json{{"state", "ok"}, {"retriesLeft", 3}}));
    EXPECT_FALSE(done.contains("authoritySyncPending"));
    EXPECT_FALSE(done.contains("pinFromEarlierAttempt"));
    expectRotated(*card_, NEW_PIN, "20261127");
    EXPECT_EQ(card_->wrongPukAnswers(), 0);
    EXPECT_EQ(card_->pinResets(), 1);
    EXPECT_EQ(authority_->state(identified["requestId"]), "completed");
    EXPECT_EQ(authority_->calls(), (std::vector<std::string>{"createRequest", "sendCode", "verifyCode",
                                                             "credential", "complete"}));
    EXPECT_FALSE(std::filesystem::exists(pendingPath(card_->cardId())));

    // The flow is over: a second reset is refused without touching the card or the authority.
    const json again =
        call("unlock.resetWithCode",
             {{"flowId", identified["flowId"]}, {"code", FakeAuthority::CODE}, {"newPin", "369258"}})
            ->error();
    EXPECT_EQ(again["data"]["reason"], "WRONG_STATE");
    EXPECT_EQ(again["data"]["step"], "done");
    EXPECT_EQ(card_->pin(), NEW_PIN);
    EXPECT_EQ(authority_->count("credential"), 1u);
}

TEST_F(SmsRoute, AWeakPinIsRefusedBeforeTheCodeIsSpent) {
    const std::string flowId = smsFlow()["flowId"];
    for (const auto& [pin, violation] :
         std::vector<std::pair<std::string, std::string>>{{"111111", "AllSame"},
                                                          {"123456", "Sequential"},
                                                          {"12345", "TooShort"},
                                                          {"12a456", "NotDigits"}}) {
        const json e =
            call("unlock.resetWithCode", {{"flowId", flowId}, {"code", FakeAuthority::CODE}, {"newPin", pin}})
                ->error();
        EXPECT_EQ(e["data"]["reason"], "PIN_POLICY") << pin;
        EXPECT_EQ(e["data"]["violation"], violation) << pin;
    }
    EXPECT_EQ(authority_->count("verifyCode"), 0u);
    EXPECT_EQ(card_->state().pinTriesLeft, 0);
    EXPECT_EQ(card_->puk(), FakeAuthority::pukOf(0));
    // The flow is still usable with a good PIN.
    EXPECT_EQ(resetWithCode(flowId)["step"], "done");
    expectRotated(*card_, NEW_PIN, "20261127");
}

TEST_F(SmsRoute, AWrongCodeLeavesTheFlowInItsStepAndTheCardUntouched) {
    const std::string flowId = smsFlow()["flowId"];
    const json e =
        call("unlock.resetWithCode", {{"flowId", flowId}, {"code", "000000"}, {"newPin", NEW_PIN}})->error();
    EXPECT_EQ(e["data"]["reason"], "CODE_INCORRECT");
    EXPECT_EQ(e["data"]["triesLeft"], 4);
    EXPECT_EQ(card_->state().pinTriesLeft, 0);
    EXPECT_EQ(card_->puk(), FakeAuthority::pukOf(0));
    EXPECT_EQ(authority_->count("credential"), 0u);
    EXPECT_FALSE(std::filesystem::exists(journalPath(card_->cardId())));
    EXPECT_EQ(resetWithCode(flowId)["step"], "done");
}

TEST_F(SmsRoute, SendCodeRefusalsCarryTheirRetryTime) {
    const json flow = begin();
    result("unlock.identify", {{"flowId", flow["flowId"]}, {"handler", originalHandler()}});
    authority_->failNext("sendCode", refused("CODE_COOLDOWN", 429, {{"retryAfter", "42"}}));
    const json e = error("unlock.sendCode", {{"flowId", flow["flowId"]}});
    EXPECT_EQ(e["data"]["reason"], "CODE_COOLDOWN");
    EXPECT_EQ(e["data"]["retryAfter"], 42);
}

TEST_F(SmsRoute, AuthorityLostAtVerifyLeavesEverythingAsItWas) {
    const std::string flowId = smsFlow()["flowId"];
    authority_->failNext("verifyCode", unreachable());
    const json e =
        call("unlock.resetWithCode", {{"flowId", flowId}, {"code", FakeAuthority::CODE}, {"newPin", NEW_PIN}})
            ->error();
    EXPECT_EQ(e["data"]["reason"], "AUTHORITY_UNREACHABLE");
    EXPECT_EQ(card_->state().pinTriesLeft, 0);
    EXPECT_EQ(authority_->count("credential"), 0u);
    EXPECT_FALSE(std::filesystem::exists(journalPath(card_->cardId())));
    EXPECT_EQ(result("unlock.status", {{"flowId", flowId}})["step"], "sms");

    EXPECT_EQ(resetWithCode(flowId)["step"], "done");
    expectRotated(*card_, NEW_PIN, "20261127");
}

TEST_F(SmsRoute, AuthorityLostAtCredentialIsFinishedByTheNextCallWithoutAnotherCode) {
    const std::string flowId = smsFlow()["flowId"];
    authority_->failNext("credential", unreachable());
    const json e =
        call("unlock.resetWithCode", {{"flowId", flowId}, {"code", FakeAuthority::CODE}, {"newPin", NEW_PIN}})
            ->error();
    EXPECT_EQ(e["data"]["reason"], "AUTHORITY_UNREACHABLE");
    EXPECT_EQ(journalStep(card_->cardId()), "credential");
    EXPECT_EQ(card_->state().pinTriesLeft, 0);  // the card was not touched
    EXPECT_EQ(card_->puk(), FakeAuthority::pukOf(0));

    // The code was spent; the flow is approved now, so the next call needs none that is right.
    const json done = resetWithCode(flowId, "000000");
    EXPECT_EQ(done["step"], "done");
    EXPECT_EQ(authority_->count("verifyCode"), 1u);
    expectRotated(*card_, NEW_PIN, "20261127");
}

TEST_F(SmsRoute, AuthorityLostAtCompleteAnswersDoneAndThePollerDeliversCompleteLater) {
    const std::string flowId = smsFlow()["flowId"];
    authority_->failNext("complete", unreachable());
    const json done = resetWithCode(flowId);
    EXPECT_EQ(done["step"], "done");
    EXPECT_EQ(done["authoritySyncPending"], true);
    EXPECT_EQ(journalStep(card_->cardId()), "complete");
    // The card is finished already: new PIN, next PUK, full counters.
    EXPECT_EQ(card_->pin(), NEW_PIN);
    EXPECT_EQ(card_->puk(), FakeAuthority::pukOf(1));
    EXPECT_EQ(authority_->epoch("20261127"), 0u);

    // The poller retries `complete` after pollInterval (1 s).
    EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(journalPath(card_->cardId())); }, 5s))
        << journalStep(card_->cardId());
    EXPECT_EQ(authority_->count("complete"), 2u);
    expectRotated(*card_, NEW_PIN, "20261127");
}

TEST_F(SmsRoute, ACompleteWhoseAnswerWasLostIsRecognisedByTheNextCall) {
    const std::string flowId = smsFlow()["flowId"];
    // The authority records `complete`, then the answer is lost: the daemon keeps its journal.
    authority_->failNext("complete", unreachable(), FakeAuthority::When::After);
    EXPECT_EQ(resetWithCode(flowId)["authoritySyncPending"], true);
    EXPECT_EQ(authority_->epoch("20261127"), 1u);
    // Restart before the poller's retry: the next start finishes it (credential would say completed).
    stopUnlock();
    EXPECT_EQ(journalStep(card_->cardId()), "complete");
    startUnlock();
    EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(journalPath(card_->cardId())); }, 5s));
    expectRotated(*card_, NEW_PIN, "20261127");
}

TEST_F(SmsRoute, AnExpiredApprovalEndsTheFlowAndDropsTheJournal) {
    const json identified = smsFlow();
    const std::string flowId = identified["flowId"];
    authority_->failNext("credential", unreachable());
    call("unlock.resetWithCode", {{"flowId", flowId}, {"code", FakeAuthority::CODE}, {"newPin", NEW_PIN}})
        ->error();
    authority_->expireApproval(identified["requestId"]);
    const json e = error("unlock.resetWithCode", {{"flowId", flowId}, {"code", "x"}, {"newPin", NEW_PIN}});
    EXPECT_EQ(e["data"]["reason"], "APPROVAL_EXPIRED");
    EXPECT_FALSE(std::filesystem::exists(journalPath(card_->cardId())));
    EXPECT_EQ(card_->state().pinTriesLeft, 0);
    const json after =
        error("unlock.resetWithCode", {{"flowId", flowId}, {"code", "x"}, {"newPin", NEW_PIN}});
    EXPECT_EQ(after["data"]["reason"], "WRONG_STATE");
    EXPECT_EQ(after["data"]["step"], "expired");
}

}  // namespace
}  // namespace cardbridge::test

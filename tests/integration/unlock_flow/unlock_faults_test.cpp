// Fault injection into the PUK rotation (docs/api.md §4.5 "PUK rotation"): the card pulled before each
// APDU of the reset, the daemon killed after each journal step, the authority unreachable at each call.
// After every fault and its repair: the PIN is the user's new one (or still blocked, with the flow
// redoable; never another PIN), the card's PUK is the authority's current one with no rotation pending,
// and the PUK counter is full. Each test prints how many fault points it exercised.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include "unlock_flow_fixture.hpp"

namespace cardbridge::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Deletes the pause file of CARDBRIDGE_FAULT_AT=<step>:pause whenever it appears, while it lives: for the
// calls after the fault, which pass the same journal step again.
class PauseReleaser {
  public:
    explicit PauseReleaser(fs::path file)
        : file_(std::move(file)), thread_([this] {
              while (!stop_) {
                  std::error_code ignored;
                  fs::remove(file_, ignored);
                  std::this_thread::sleep_for(20ms);
              }
          }) {}
    PauseReleaser(const PauseReleaser&) = delete;
    PauseReleaser& operator=(const PauseReleaser&) = delete;
    ~PauseReleaser() {
        stop_ = true;
        thread_.join();
    }

  private:
    fs::path file_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

class UnlockFaultTest : public UnlockFlowTest {
  protected:
    // After a fault: the card holds the user's new PIN, or the previous one still blocked; never another.
    void expectPinIsNewOrStillBlocked(const std::string& newPin, const std::string& previousPin) {
        const CardSecrets card = cardSecrets();
        const bool isNew = card.pin == newPin;
        const bool stillBlocked = card.pin == previousPin && card.pinTriesLeft == 0;
        EXPECT_TRUE(isNew || stillBlocked) << "PIN tries left " << card.pinTriesLeft << ", PIN is "
                                           << (card.pin == previousPin ? "the previous one" : "another one");
        EXPECT_GE(card.pukTriesLeft, card.pukRetries - 1) << "more than one PUK try spent by one fault";
        EXPECT_GT(card.pukTriesLeft, 0) << "the PUK is blocked";
    }

    // The same flow's reset called again after the fault: it must end in step done.
    void resetAgain(const std::string& method, const json& params) {
        json again = client_->call(method, params);
        if (again.contains("result")) {
            EXPECT_EQ(again["result"]["step"], "done") << again.dump();
            return;
        }
        if (reasonOf(again) == "WRONG_STATE" && errorData(again).value("step", "") == "done") return;
        ADD_FAILURE() << method << " called again after the fault did not finish: " << again.dump();
    }

    // After a daemon restart: unlock.begin (which repairs an interrupted rotation first), then what the
    // flow still needs so that the card ends with `newPin`. Counts flows that had to be redone.
    void finishWithBegin(const std::string& newPin, const std::string& previousPin, int& redone) {
        json flow = begin(*client_);
        expectPinIsNewOrStillBlocked(newPin, previousPin);
        const CardSecrets card = cardSecrets();
        if (flow["step"] == "approved") {
            json done =
                call(*client_, "unlock.resetApproved", {{"flowId", flow["flowId"]}, {"newPin", newPin}});
            EXPECT_EQ(done["step"], "done") << done.dump();
        } else if (card.pin == newPin && card.pinTriesLeft > 0) {
            // The PIN was set before the fault and the repair finished the rotation: nothing left to do.
        } else {
            // The request was spent by the repair's rotation while the PIN stayed blocked: a new begin redoes
            // it.
            EXPECT_EQ(flow["step"], "identify") << flow.dump();
            ++redone;
            json approved = toApproved(*client_);
            json done =
                call(*client_, "unlock.resetApproved", {{"flowId", approved["flowId"]}, {"newPin", newPin}});
            EXPECT_EQ(done["step"], "done") << done.dump();
        }
    }

    // A hand-made request, so that the test can act while the daemon is paused; returns its id.
    std::string send(const std::string& method, const json& params) {
        const std::string id = "fault-" + std::to_string(++sent_);
        client_->sendText(
            json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump());
        return id;
    }

    // The authority stops; `call` must answer AUTHORITY_UNREACHABLE; the authority comes back.
    bool unreachableAt(const std::string& method, const json& params) {
        stopAuthority();
        json r = client_->call(method, params);
        startAuthority();
        EXPECT_EQ(reasonOf(r), "AUTHORITY_UNREACHABLE") << method << ": " << r.dump();
        return reasonOf(r) == "AUTHORITY_UNREACHABLE";
    }

    void expectCardUntouched(const std::string& context) {
        SCOPED_TRACE(context);
        const CardSecrets card = cardSecrets();
        EXPECT_EQ(card.pinTriesLeft, 0);
        EXPECT_EQ(card.puk, initialPuk_);
        EXPECT_EQ(card.pukTriesLeft, card.pukRetries);
    }

    int sent_ = 0;
};

TEST_F(UnlockFaultTest, CardPulledBeforeEachApduOfTheReset) {
    // A clean run counts the APDUs the card sees during resetApproved.
    json clean = toApproved(*client_);
    card_->resetApduCount();
    json cleanDone =
        call(*client_, "unlock.resetApproved", {{"flowId", clean["flowId"]}, {"newPin", pinNumber(0)}});
    ASSERT_EQ(cleanDone["step"], "done") << cleanDone.dump();
    std::this_thread::sleep_for(300ms);
    const std::uint64_t apdus = card_->apduCount();
    std::cout << "unlock.resetApproved: the card saw " << apdus << " APDUs" << std::endl;
    expectUnlocked(pinNumber(0), "clean run");
    ASSERT_GE(apdus, 3u) << "SELECT, RESET RETRY COUNTER and CHANGE REFERENCE DATA at least";

    int exercised = 0;
    std::map<std::string, int> reasons;  // the first call's answer per pulled APDU
    for (std::uint64_t n = 1; n <= apdus && !HasFailure(); ++n) {
        const std::string context =
            "card pulled before APDU " + std::to_string(n) + " of " + std::to_string(apdus);
        SCOPED_TRACE(context);
        const std::string previousPin = cardSecrets().pin;
        const std::string newPin = pinNumber(static_cast<int>(n));
        lockPin();
        json approved = toApproved(*client_);
        const std::string flowId = approved["flowId"];
        drainNotifications(*client_, "card.removed");
        drainNotifications(*client_, "card.inserted");

        card_->dropAt(n);
        json first = client_->call("unlock.resetApproved", {{"flowId", flowId}, {"newPin", newPin}});
        card_->dropAt(0);
        std::this_thread::sleep_for(200ms);
        const bool pulled = !card_->control("stats").value("present", true);
        std::cout << "APDU " << n << ": " << (pulled ? "card pulled" : "not reached") << ", first answer "
                  << (first.contains("error") ? reasonOf(first) : first["result"].value("step", "?"))
                  << std::endl;
        if (!pulled) {
            // n lies beyond the call's APDUs: the reset simply worked.
            EXPECT_TRUE(first.contains("result")) << first.dump();
            expectUnlocked(newPin, context);
            continue;
        }
        ++exercised;
        if (first.contains("error")) {
            // A pull in the middle of a command reaches the daemon through vpcd as an empty answer, which a
            // mute card gives too: both reasons tell the user to insert the card again.
            reasons[reasonOf(first)] += 1;
            EXPECT_TRUE(reasonOf(first) == "CARD_REMOVED" || reasonOf(first) == "CARD_UNRESPONSIVE")
                << first.dump();
        } else {
            reasons["(done)"] += 1;
        }
        expectPinIsNewOrStillBlocked(newPin, previousPin);
        card_->waitAbsent();
        // The daemon must see the pull (or it would keep talking to a card that was reset meanwhile).
        client_->waitNotification("card.removed", 10s);
        card_->insert();
        card_->waitPresent();
        client_->waitNotification("card.inserted", 15s);
        if (first.contains("error")) {
            resetAgain("unlock.resetApproved", {{"flowId", flowId}, {"newPin", newPin}});
        } else {
            EXPECT_EQ(first["result"]["step"], "done") << first.dump();
        }
        expectUnlocked(newPin, context);
    }
    std::cout << "fault points exercised (card pulled before APDU n): " << exercised << "; first answers:";
    for (const auto& [reason, count] : reasons) std::cout << " " << reason << " ×" << count;
    std::cout << std::endl;
    RecordProperty("faultPoints", exercised);
    EXPECT_GE(exercised, 3);
}

TEST_F(UnlockFaultTest, DaemonKilledAfterEachJournalStep) {
    int exercised = 0;
    int redone = 0;
    int round = 0;
    for (const std::string step : {"credential", "reset", "rotate", "complete"}) {
        if (HasFailure()) break;
        const std::string context = "daemon killed after journal step " + step;
        SCOPED_TRACE(context);
        const std::string previousPin = cardSecrets().pin;
        const std::string newPin = pinNumber(++round);
        lockPin();
        killDaemon();
        startDaemon(step + ":kill");
        connectAndWaitForCard();
        json approved = toApproved(*client_);

        bool dropped = false;
        try {
            json r =
                client_->call("unlock.resetApproved", {{"flowId", approved["flowId"]}, {"newPin", newPin}});
            ADD_FAILURE() << "the daemon answered instead of dying after " << step << ": " << r.dump();
        } catch (const WssError&) {
            dropped = true;  // the connection went down with the daemon
        }
        EXPECT_TRUE(waitDaemonExit(10s)) << "the daemon did not kill itself after " << step;
        if (dropped) ++exercised;
        client_.reset();
        expectPinIsNewOrStillBlocked(newPin, previousPin);

        startDaemon();
        connectAndWaitForCard();
        finishWithBegin(newPin, previousPin, redone);
        expectUnlocked(newPin, context);
    }
    std::cout << "fault points exercised (daemon killed after a journal step): " << exercised
              << "; flows redone by a new begin: " << redone << std::endl;
    RecordProperty("faultPoints", exercised);
    EXPECT_EQ(exercised, 4);
}

// The CHANGE REFERENCE DATA reached the card but its answer was lost (the daemon died right after): the
// journal says "rotate" while the card already holds the next PUK. The repair spends exactly one PUK try
// (current refused) and CHANGE next→next refills the counter.
TEST_F(UnlockFaultTest, ChangeDoneButUnansweredCostsOneTryAndRefillsIt) {
    killDaemon();
    startDaemon("rotate:pause");
    connectAndWaitForCard();
    json approved = toApproved(*client_);
    send("unlock.resetApproved", {{"flowId", approved["flowId"]}, {"newPin", NEW_PIN}});
    ASSERT_TRUE(waitPaused(20s)) << "the daemon did not pause at the rotate step";
    const AuthorityPuk pending = authorityPuk();
    ASSERT_TRUE(pending.pendingRotation);
    ASSERT_EQ(pending.next.size(), 8u);
    EXPECT_EQ(cardSecrets().pin, NEW_PIN) << "at step rotate the PIN is set";
    EXPECT_EQ(cardSecrets().puk, initialPuk_);
    // The card executes the CHANGE; the daemon never hears of it.
    vcardCli({"set", "--state", cardFile_.string(), "--puk", pending.next});
    killDaemon();
    fs::remove(pauseFile());

    startDaemon();
    connectAndWaitForCard();
    json flow = begin(*client_);  // repairs the journalled rotation
    EXPECT_TRUE(flow["step"] == "done" || flow["step"] == "identify")
        << "the repair should have finished the request: " << flow.dump();
    expectUnlocked(NEW_PIN, "after the repair of an unanswered CHANGE");
    EXPECT_EQ(cardSecrets().puk, pending.next);
    std::cout << "fault points exercised (CHANGE executed, answer lost): 1" << std::endl;
    RecordProperty("faultPoints", 1);
}

// A card that holds neither candidate PUK (re-issued elsewhere, tampered): the repair may spend the current
// and the next candidate once, and must then stop — the PUK counter is never exhausted by the daemon, so
// the support desk keeps a try, whatever the user does next (begin again, reset again, restart).
TEST_F(UnlockFaultTest, CardHoldingNeitherPukKeepsATryForTheSupportDesk) {
    killDaemon();
    startDaemon("rotate:pause");
    connectAndWaitForCard();
    json approved = toApproved(*client_);
    send("unlock.resetApproved", {{"flowId", approved["flowId"]}, {"newPin", NEW_PIN}});
    ASSERT_TRUE(waitPaused(20s)) << "the daemon did not pause at the rotate step";
    vcardCli({"set", "--state", cardFile_.string(), "--puk", "99887766"});
    killDaemon();
    fs::remove(pauseFile());

    startDaemon();
    connectAndWaitForCard();
    std::vector<std::string> answers;
    json firstBegin = client_->call("unlock.begin", {{"reader", reader()}});
    answers.push_back(firstBegin.dump());
    EXPECT_GE(cardSecrets().pukTriesLeft, 1) << "the repair blocked the PUK";
    json secondBegin = client_->call("unlock.begin", {{"reader", reader()}});
    answers.push_back(secondBegin.dump());
    EXPECT_GE(cardSecrets().pukTriesLeft, 1) << "a second begin spent the last PUK try";
    if (secondBegin.contains("result") && secondBegin["result"]["step"] == "approved") {
        json reset = client_->call("unlock.resetApproved",
                                   {{"flowId", secondBegin["result"]["flowId"]}, {"newPin", NEW_PIN}});
        answers.push_back(reset.dump());
        // The refusal marked the journal stuck: no PUK is tried again (docs/api.md §4.5, PUK rotation).
        const int before = cardSecrets().pukTriesLeft;
        EXPECT_EQ(reasonOf(reset), "PUK_MISMATCH") << reset.dump();
        EXPECT_EQ(cardSecrets().pukTriesLeft, before) << "resetApproved tried a PUK on a stuck card";
        EXPECT_GE(cardSecrets().pukTriesLeft, 1) << "resetApproved spent the last PUK try";
    }
    killDaemon();
    startDaemon();
    connectAndWaitForCard();
    answers.push_back(client_->call("unlock.begin", {{"reader", reader()}}).dump());
    const CardSecrets card = cardSecrets();
    EXPECT_GE(card.pukTriesLeft, 1) << "after a restart the repair spent the last PUK try";
    EXPECT_GE(card.pukTriesLeft, card.pukRetries - 2) << "more than two PUK tries spent in all";
    EXPECT_EQ(card.pin, NEW_PIN) << "the PIN set before the fault was replaced";
    for (const auto& answer : answers) std::cout << "answer: " << answer.substr(0, 300) << std::endl;
    std::cout << "PUK tries left: " << card.pukTriesLeft << " of " << card.pukRetries << std::endl;
}

TEST_F(UnlockFaultTest, AuthorityUnreachableAtEachCallOfTheSmsRoute) {
    killDaemon();
    startDaemon("credential:pause");
    connectAndWaitForCard();
    int exercised = 0;
    json flow = begin(*client_);
    const std::string flowId = flow["flowId"];

    exercised += unreachableAt("unlock.identify", {{"flowId", flowId}, {"handler", applicantHandler()}});
    json identified =
        call(*client_, "unlock.identify", {{"flowId", flowId}, {"handler", applicantHandler()}});
    ASSERT_EQ(identified["step"], "sms") << identified.dump();

    exercised += unreachableAt("unlock.sendCode", {{"flowId", flowId}});
    call(*client_, "unlock.sendCode", {{"flowId", flowId}});
    const std::string code = authority_->lastCode();
    ASSERT_EQ(code.size(), 6u);
    const json reset = {{"flowId", flowId}, {"code", code}, {"newPin", NEW_PIN}};

    exercised += unreachableAt("unlock.resetWithCode", reset);  // at verify
    expectCardUntouched("after verify was unreachable");

    // The code verifies; the daemon pauses after writing the journal step "credential"; the authority goes.
    const std::string id = send("unlock.resetWithCode", reset);
    ASSERT_TRUE(waitPaused(20s)) << "the daemon did not pause at the credential step";
    stopAuthority();
    fs::remove(pauseFile());
    json atCredential = client_->waitResponse(id);
    EXPECT_EQ(reasonOf(atCredential), "AUTHORITY_UNREACHABLE") << atCredential.dump();
    exercised += reasonOf(atCredential) == "AUTHORITY_UNREACHABLE" ? 1 : 0;
    expectCardUntouched("after credential was unreachable");
    startAuthority();
    {
        PauseReleaser releaser(pauseFile());
        resetAgain("unlock.resetWithCode", reset);
    }
    expectUnlocked(NEW_PIN, "SMS route after the authority came back");
    std::cout << "fault points exercised (authority unreachable, SMS route): " << exercised << std::endl;
    RecordProperty("faultPoints", exercised);
    EXPECT_EQ(exercised, 4);
}

TEST_F(UnlockFaultTest, AuthorityUnreachableAtEachCallOfTheReviewRoute) {
    killDaemon();
    startDaemon("complete:pause");
    connectAndWaitForCard();
    int exercised = 0;

    json toWithdraw = beginAndIdentify(*client_, otherHandler());
    exercised += unreachableAt("unlock.withdraw", {{"flowId", toWithdraw["flowId"]}});
    json withdrawn = call(*client_, "unlock.withdraw", {{"flowId", toWithdraw["flowId"]}});
    EXPECT_EQ(withdrawn["step"], "withdrawn") << withdrawn.dump();

    json flow = beginAndIdentify(*client_, otherHandler());
    const std::string flowId = flow["flowId"];
    stopAuthority();
    const HttpsReply upload = putAttachment(flowId, "application_form", samplePdf(), "application/pdf");
    startAuthority();
    EXPECT_EQ(upload.status, 502u) << upload.body;
    EXPECT_NE(upload.body.find("AUTHORITY_UNREACHABLE"), std::string::npos) << upload.body;
    exercised += upload.status == 502u ? 1 : 0;
    uploadAll(flowId);

    exercised += unreachableAt("unlock.submit", {{"flowId", flowId}});
    json submitted = call(*client_, "unlock.submit", {{"flowId", flowId}});
    ASSERT_EQ(submitted["step"], "in_review") << submitted.dump();
    approve(submitted["requestId"]);
    json approved = call(*client_, "unlock.status", {{"flowId", flowId}});
    ASSERT_EQ(approved["step"], "approved") << approved.dump();

    const json reset = {{"flowId", flowId}, {"newPin", NEW_PIN}};
    exercised += unreachableAt("unlock.resetApproved", reset);  // at credential
    expectCardUntouched("after credential was unreachable");

    // The daemon pauses after writing the journal step "complete": the card holds the next PUK by then.
    const std::string id = send("unlock.resetApproved", reset);
    ASSERT_TRUE(waitPaused(20s)) << "the daemon did not pause at the complete step";
    const AuthorityPuk pending = authorityPuk();
    EXPECT_TRUE(pending.pendingRotation);
    EXPECT_EQ(cardSecrets().puk, pending.next) << "at step complete the card should hold the next PUK";
    EXPECT_EQ(cardSecrets().pin, NEW_PIN);
    stopAuthority();
    fs::remove(pauseFile());
    json atComplete = client_->waitResponse(id);
    // docs/api.md: AUTHORITY_UNREACHABLE (call again), or — since the PIN is set and the card rotated —
    // step done with authoritySyncPending, the daemon telling the authority by itself later.
    const bool answeredDone = atComplete.contains("result") && atComplete["result"]["step"] == "done";
    if (answeredDone) {
        EXPECT_EQ(atComplete["result"].value("authoritySyncPending", false), true) << atComplete.dump();
        std::cout << "complete unreachable: answered done with authoritySyncPending" << std::endl;
    } else {
        EXPECT_EQ(reasonOf(atComplete), "AUTHORITY_UNREACHABLE") << atComplete.dump();
    }
    exercised += answeredDone || reasonOf(atComplete) == "AUTHORITY_UNREACHABLE" ? 1 : 0;
    EXPECT_EQ(cardSecrets().pin, NEW_PIN);
    startAuthority();
    if (!answeredDone) {
        PauseReleaser releaser(pauseFile());
        resetAgain("unlock.resetApproved", reset);
    }
    {
        PauseReleaser releaser(pauseFile());
        waitAuthorityInSync(30s);
    }
    expectUnlocked(NEW_PIN, "review route after the authority came back");
    std::cout << "fault points exercised (authority unreachable, review route): " << exercised << std::endl;
    RecordProperty("faultPoints", exercised);
    EXPECT_EQ(exercised, 5);
}

}  // namespace
}  // namespace cardbridge::test

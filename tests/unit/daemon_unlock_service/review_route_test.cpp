// The review route (docs/api.md §4.5): identify (someone else) → attachments (the upload bridge and its
// refusals) → submit → in_review → the authority decides → the poller announces it (unlock.statusChanged) →
// resetApproved → done; rejection; withdrawal; a pending request that outlives the daemon.
#include <gtest/gtest.h>

#include <future>

#include <atomic>

#include "cardbridge/daemon/unlock/attachment.hpp"
#include "unlock_fixture.hpp"

namespace cardbridge::test {
namespace {

using namespace std::chrono_literals;
using daemon::unlock::MAX_ATTACHMENT_BYTES;

class ReviewRoute : public UnlockServiceTest {
  protected:
    void SetUp() override {
        UnlockServiceTest::SetUp();
        card_ = makeCard(certs().valid);
        insert(card_);
        startUnlock();
    }
    json statusChangedTo(const std::string& step, std::size_t from = 0) {
        return sink_.waitFor(
            "unlock.statusChanged", [&](const json& p) { return p.value("step", "") == step; }, from, 5s);
    }
    static json bodyOf(const daemon::unlock::UploadAnswer& a) { return json::parse(a.json, nullptr, false); }
    std::shared_ptr<VirtualCard> card_;
};

TEST_F(ReviewRoute, UploadsAreCheckedThenForwarded) {
    const json flow = begin();
    const std::string flowId = flow["flowId"];
    const json identified = result("unlock.identify", {{"flowId", flowId}, {"handler", otherHandler()}});
    EXPECT_EQ(identified["step"], "attachments");
    EXPECT_EQ(identified["route"], "review");
    EXPECT_FALSE(identified.contains("maskedPhone"));
    EXPECT_TRUE(std::filesystem::exists(pendingPath(card_->cardId())));

    const auto png = upload(flowId, "business_license", pngBytes());
    EXPECT_EQ(png.status, 200u) << png.json;
    const json pngBody = bodyOf(png);
    EXPECT_EQ(pngBody["kind"], "business_license");
    EXPECT_EQ(pngBody["contentType"], "image/png");
    EXPECT_EQ(pngBody["size"], pngBytes().size());
    EXPECT_EQ(pngBody["sha256"].get<std::string>().size(), 64u);
    const auto pdf = upload(flowId, "application_form", pdfBytes());
    EXPECT_EQ(pdf.status, 200u) << pdf.json;
    EXPECT_EQ(bodyOf(pdf)["contentType"], "application/pdf");

    // Refused before the authority hears of it.
    const std::size_t forwarded = authority_->count("uploadAttachment");
    const auto text = upload(flowId, "handler_id", "just some text");
    EXPECT_EQ(text.status, 415u);
    EXPECT_EQ(bodyOf(text)["error"]["reason"], "ATTACHMENT_TYPE");
    const auto large = upload(flowId, "handler_id", pngBytes() + std::string(MAX_ATTACHMENT_BYTES, 'x'));
    EXPECT_EQ(large.status, 413u);
    EXPECT_EQ(bodyOf(large)["error"]["reason"], "ATTACHMENT_TOO_LARGE");
    const auto unknownFlow = upload(std::string(32, 'a'), "handler_id", jpegBytes());
    EXPECT_EQ(unknownFlow.status, 404u);
    EXPECT_EQ(bodyOf(unknownFlow)["error"]["reason"], "FLOW_NOT_FOUND");
    const auto badKind = upload(flowId, "selfie", jpegBytes());
    EXPECT_EQ(badKind.status, 400u);
    EXPECT_EQ(authority_->count("uploadAttachment"), forwarded);

    // Exactly the limit is fine.
    std::string limit = jpegBytes();
    limit.resize(MAX_ATTACHMENT_BYTES, 'j');
    const auto atLimit = upload(flowId, "handler_id", limit);
    EXPECT_EQ(atLimit.status, 200u) << atLimit.json;
    EXPECT_EQ(bodyOf(atLimit)["size"], MAX_ATTACHMENT_BYTES);

    // A second upload of a kind replaces the first.
    EXPECT_EQ(upload(flowId, "handler_id", jpegBytes()).status, 200u);
    const json status = result("unlock.status", {{"flowId", flowId}});
    ASSERT_EQ(status["attachments"].size(), 3u) << status.dump();

    const json submitted = result("unlock.submit", {{"flowId", flowId}});
    EXPECT_EQ(submitted["step"], "in_review");
    EXPECT_EQ(submitted["dueDate"], "2026-03-05T15:59:59Z");
    EXPECT_EQ(submitted["dueIsEstimate"], false);
    const auto late = upload(flowId, "handler_id", jpegBytes());
    EXPECT_EQ(late.status, 409u);
    EXPECT_EQ(bodyOf(late)["error"]["reason"], "WRONG_STATE");
}

TEST_F(ReviewRoute, AnUploadTheAuthorityCannotTakeIsABadGateway) {
    const std::string flowId = begin()["flowId"];
    result("unlock.identify", {{"flowId", flowId}, {"handler", otherHandler()}});
    authority_->failNext("uploadAttachment", unreachable());
    const auto answer = upload(flowId, "handler_id", jpegBytes());
    EXPECT_EQ(answer.status, 502u);
    EXPECT_EQ(bodyOf(answer)["error"]["reason"], "AUTHORITY_UNREACHABLE");
}

TEST_F(ReviewRoute, SubmitWithoutEveryAttachmentNamesTheMissingOnes) {
    const std::string flowId = begin()["flowId"];
    result("unlock.identify", {{"flowId", flowId}, {"handler", otherHandler()}});
    ASSERT_EQ(upload(flowId, "application_form", pdfBytes()).status, 200u);
    const json e = error("unlock.submit", {{"flowId", flowId}});
    EXPECT_EQ(e["data"]["reason"], "ATTACHMENTS_MISSING");
    EXPECT_EQ(e["data"]["missing"], (json{"business_license", "handler_id"}));
    EXPECT_EQ(result("unlock.status", {{"flowId", flowId}})["step"], "attachments");
}

TEST_F(ReviewRoute, ApprovalIsAnnouncedByThePollerAndResetApprovedFinishes) {
    const json submitted = reviewFlowInReview();
    const std::string flowId = submitted["flowId"];
    const std::string requestId = submitted["requestId"];
    EXPECT_TRUE(std::filesystem::exists(pendingPath(card_->cardId())));
    const json inReview = statusChangedTo("in_review");
    EXPECT_EQ(inReview["flowId"], flowId);

    // Not approved yet: resetApproved asks the authority afresh and refuses.
    const json early = error("unlock.resetApproved", {{"flowId", flowId}, {"newPin", NEW_PIN}});
    EXPECT_EQ(early["data"]["reason"], "WRONG_STATE");
    EXPECT_EQ(early["data"]["step"], "in_review");

    authority_->approve(requestId);
    const json approved = statusChangedTo("approved");
    EXPECT_EQ(approved["flowId"], flowId);
    EXPECT_EQ(approved["requestId"], requestId);
    EXPECT_EQ(approved["cardId"], card_->cardId());
    EXPECT_EQ(approved["authorisedUntil"], "2099-03-10T09:00:00Z");
    // The poller records the decision right after announcing it.
    EXPECT_TRUE(eventually([&] { return pendingStep(card_->cardId()) == "approved"; }));
    EXPECT_EQ(result("unlock.status", {{"flowId", flowId}})["step"], "approved");
    EXPECT_EQ(card_->state().pinTriesLeft, 0);  // nothing happens to the card without the user

    const json done = result("unlock.resetApproved", {{"flowId", flowId}, {"newPin", NEW_PIN}});
    EXPECT_EQ(done["step"], "done");
    EXPECT_EQ(done["pin"], (json{{"state", "ok"}}));  // the count follows as card.pinChanged
    const json pinChanged =
        sink_.waitFor("card.pinChanged", [](const json& p) { return p["pin"].contains("retriesLeft"); });
    EXPECT_EQ(pinChanged["pin"], (json{{"state", "ok"}, {"retriesLeft", 3}}));
    expectRotated(*card_, NEW_PIN, "20261127");
    EXPECT_EQ(authority_->state(requestId), "completed");
    EXPECT_FALSE(std::filesystem::exists(pendingPath(card_->cardId())));
}

TEST_F(ReviewRoute, ReinsertingTheCardOfAnApprovedRequestAnnouncesItAgain) {
    const json submitted = reviewFlowInReview();
    authority_->approve(submitted["requestId"]);
    statusChangedTo("approved");
    ASSERT_TRUE(eventually([&] { return pendingStep(card_->cardId()) == "approved"; }));
    const std::size_t from = sink_.size();
    insert(card_);
    const json again = statusChangedTo("approved", from);
    EXPECT_EQ(again["requestId"], submitted["requestId"]);
}

TEST_F(ReviewRoute, ARejectionIsAnnouncedWithItsReason) {
    const json submitted = reviewFlowInReview();
    const std::string flowId = submitted["flowId"];
    authority_->reject(submitted["requestId"], "营业执照不清晰");
    const json rejected = statusChangedTo("rejected");
    EXPECT_EQ(rejected["rejectReason"], "营业执照不清晰");
    EXPECT_EQ(rejected["flowId"], flowId);
    const json status = result("unlock.status", {{"flowId", flowId}});
    EXPECT_EQ(status["step"], "rejected");
    EXPECT_EQ(status["rejectReason"], "营业执照不清晰");
    EXPECT_FALSE(std::filesystem::exists(pendingPath(card_->cardId())));
    const json e = error("unlock.resetApproved", {{"flowId", flowId}, {"newPin", NEW_PIN}});
    EXPECT_EQ(e["data"]["reason"], "WRONG_STATE");
    EXPECT_EQ(e["data"]["step"], "rejected");
    EXPECT_EQ(authority_->count("credential"), 0u);
    EXPECT_EQ(card_->state().pinTriesLeft, 0);
}

TEST_F(ReviewRoute, WithdrawInAttachmentsAndInReview) {
    const std::string flowId = begin()["flowId"];
    const json identified = result("unlock.identify", {{"flowId", flowId}, {"handler", otherHandler()}});
    ASSERT_TRUE(std::filesystem::exists(pendingPath(card_->cardId())));
    const json withdrawn = result("unlock.withdraw", {{"flowId", flowId}});
    EXPECT_EQ(withdrawn["step"], "withdrawn");
    EXPECT_EQ(authority_->state(identified["requestId"]), "withdrawn");
    EXPECT_FALSE(std::filesystem::exists(pendingPath(card_->cardId())));
    const json again = error("unlock.withdraw", {{"flowId", flowId}});
    EXPECT_EQ(again["data"]["reason"], "WRONG_STATE");
    EXPECT_EQ(again["data"]["step"], "withdrawn");

    const json submitted = reviewFlowInReview();
    const json withdrawnInReview = result("unlock.withdraw", {{"flowId", submitted["flowId"]}});
    EXPECT_EQ(withdrawnInReview["step"], "withdrawn");
    EXPECT_EQ(authority_->state(submitted["requestId"]), "withdrawn");
    EXPECT_FALSE(std::filesystem::exists(pendingPath(card_->cardId())));
    // A new begin starts afresh.
    EXPECT_EQ(begin()["step"], "identify");
}

TEST_F(ReviewRoute, APendingRequestSurvivesARestart) {
    const json submitted = reviewFlowInReview();
    stopUnlock();  // the daemon exits; its flows are gone
    startUnlock();
    const json e = error("unlock.status", {{"flowId", submitted["flowId"]}});
    EXPECT_EQ(e["data"]["reason"], "FLOW_NOT_FOUND");
    const json resumed = begin();
    EXPECT_EQ(resumed["step"], "in_review");
    EXPECT_EQ(resumed["requestId"], submitted["requestId"]);
    EXPECT_EQ(resumed["route"], "review");
    EXPECT_EQ(resumed["dueDate"], "2026-03-05T15:59:59Z");
    EXPECT_NE(resumed["flowId"], submitted["flowId"]);
    EXPECT_EQ(authority_->count("createRequest"), 1u);

    // The restarted poller keeps watching it.
    const std::size_t from = sink_.size();
    authority_->approve(submitted["requestId"]);
    const json approved = statusChangedTo("approved", from);
    EXPECT_EQ(approved["flowId"], resumed["flowId"]);
    EXPECT_TRUE(eventually([&] { return pendingStep(card_->cardId()) == "approved"; }));
    EXPECT_EQ(result("unlock.resetApproved", {{"flowId", resumed["flowId"]}, {"newPin", NEW_PIN}})["step"],
              "done");
    expectRotated(*card_, NEW_PIN, "20261127");
}

// The poller announces a decision (unlock.statusChanged) before it records it in the pending record. A wizard
// that resets at once, between the two, ends with the request done and its pending record removed — and then
// the poller writes the record again, step "approved", for a request that is completed: the card's next
// insertion announces an approval again, and the next begin resumes a finished request. The same window makes
// the poller's write and a method's write of the same record race on one temp file (see
// ConcurrentWrites). Expected: no pending record once the request is done.
TEST_F(ReviewRoute, AResetRightAfterTheAnnouncementLeavesNoPendingRecord) {
    const json submitted = reviewFlowInReview();
    const std::string flowId = submitted["flowId"];
    std::atomic<bool> once{true};
    std::promise<void> hookDone;
    auto hookFinished = hookDone.get_future();
    sink_.setHook([&](const std::string& method, const json& params) {
        if (method != "unlock.statusChanged" || params.value("step", "") != "approved") return;
        if (!once.exchange(false)) return;
        // On the poller's thread, inside its announcement: the wizard's reset comes first.
        EXPECT_EQ(result("unlock.resetApproved", {{"flowId", flowId}, {"newPin", NEW_PIN}})["step"], "done");
        EXPECT_FALSE(std::filesystem::exists(pendingPath(card_->cardId())));
        hookDone.set_value();
    });
    authority_->approve(submitted["requestId"]);
    statusChangedTo("approved");
    ASSERT_EQ(hookFinished.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    stopUnlock();  // joins the poller: its bookkeeping for this poll is over
    sink_.setHook({});
    expectRotated(*card_, NEW_PIN, "20261127");
    EXPECT_FALSE(std::filesystem::exists(pendingPath(card_->cardId()))) << pendingStep(card_->cardId());
}

TEST_F(ReviewRoute, ApplicationFormOnceTheRequestExists) {
    const std::string flowId = begin()["flowId"];
    const json early = error("unlock.applicationForm", {{"flowId", flowId}});
    EXPECT_EQ(early["data"]["reason"], "WRONG_STATE");
    EXPECT_EQ(early["data"]["step"], "identify");
    const json identified = result("unlock.identify", {{"flowId", flowId}, {"handler", otherHandler()}});
    const json form = result("unlock.applicationForm", {{"flowId", flowId}});
    EXPECT_EQ(form["requestId"], identified["requestId"]);
    EXPECT_EQ(form["handlerName"], "李四");
    EXPECT_EQ(form["maskedPhone"], "139****5678");
}

}  // namespace
}  // namespace cardbridge::test

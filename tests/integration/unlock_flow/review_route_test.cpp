// The review route end to end (docs/api.md §4.5): attachments PUT to the daemon, submit, a reviewer's
// decision on the authority's /review/ pages pushed as unlock.statusChanged, the reset after approval;
// rejection, withdrawal (撤销), the attachment checks, and a daemon restart while the request is in review.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "unlock_flow_fixture.hpp"

namespace cardbridge::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string readAll(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string replyReason(const HttpsReply& reply) {
    try {
        return json::parse(reply.body).at("error").at("reason").get<std::string>();
    } catch (const std::exception&) {
        return "(no JSON error: " + reply.body.substr(0, 200) + ")";
    }
}

TEST_F(UnlockFlowTest, ReviewRouteApprovedByAReviewerResetsThePin) {
    json flow = beginAndIdentify(*client_, otherHandler());
    EXPECT_EQ(flow["step"], "attachments") << flow.dump();
    EXPECT_EQ(flow["route"], "review");
    const std::string flowId = flow["flowId"];
    const std::string requestId = flow["requestId"];
    const std::string cardId = flow["cardId"];
    ASSERT_EQ(requestId.size(), 32u);

    json early = client_->call("unlock.submit", {{"flowId", flowId}});
    EXPECT_EQ(reasonOf(early), "ATTACHMENTS_MISSING") << early.dump();
    EXPECT_EQ(errorData(early).value("missing", json::array()).size(), 3u) << early.dump();

    const std::vector<std::tuple<std::string, std::string, std::string>> files = {
        {"application_form", samplePdf(), "application/pdf"},
        {"business_license", sampleJpeg(), "image/jpeg"},
        {"handler_id", samplePng(), "image/png"}};
    for (const auto& [kind, bytes, type] : files) {
        const HttpsReply reply = putAttachment(flowId, kind, bytes, type);
        ASSERT_EQ(reply.status, 200u) << kind << ": " << reply.body;
        json answer = json::parse(reply.body);
        EXPECT_EQ(answer["kind"], kind);
        EXPECT_EQ(answer["contentType"], type);
        EXPECT_EQ(answer["size"], bytes.size());
        EXPECT_EQ(answer["sha256"], sha256Upper(bytes));
    }

    json submitted = call(*client_, "unlock.submit", {{"flowId", flowId}});
    EXPECT_EQ(submitted["step"], "in_review") << submitted.dump();
    EXPECT_EQ(submitted["requestId"], requestId);
    EXPECT_TRUE(submitted["dueDate"].is_string()) << submitted.dump();
    EXPECT_EQ(submitted["attachments"].size(), 3u) << submitted.dump();

    // The pending request survives restarts: an owner-only file without personal data.
    const fs::path pending = stateDir_ / "unlock" / ("pending-" + cardId + ".json");
    ASSERT_TRUE(fs::exists(pending));
    struct stat info {};
    ASSERT_EQ(::stat(pending.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    const std::string pendingText = readAll(pending);
    EXPECT_NE(pendingText.find(requestId), std::string::npos);
    for (const std::string personal : {OTHER_ID, OTHER_PHONE, OTHER_NAME}) {
        EXPECT_EQ(pendingText.find(personal), std::string::npos) << personal << " in " << pendingText;
    }

    approve(requestId);
    json changed = waitStatusChanged(*client_, "approved", 20s);
    EXPECT_EQ(changed["requestId"], requestId);
    EXPECT_EQ(changed["cardId"], cardId);
    EXPECT_EQ(cardSecrets().puk, initialPuk_) << "the card was touched before the user set a PIN";

    json done = call(*client_, "unlock.resetApproved", {{"flowId", flowId}, {"newPin", NEW_PIN}});
    EXPECT_EQ(done["step"], "done") << done.dump();
    expectUnlocked(NEW_PIN, "review route");
    EXPECT_NE(cardSecrets().puk, initialPuk_);
    expectNotInDaemonFiles({NEW_PIN, initialPuk_, cardSecrets().puk, OTHER_ID, OTHER_PHONE});
}

TEST_F(UnlockFlowTest, AttachmentsAreCheckedForSizeTypeOriginAndFlow) {
    json flow = beginAndIdentify(*client_, otherHandler());
    ASSERT_EQ(flow["step"], "attachments") << flow.dump();
    const std::string flowId = flow["flowId"];

    std::string tooLarge = "%PDF-1.7\n";
    tooLarge.resize(1048577, 'x');
    // Refused from Content-Length, before the body: with "Expect: 100-continue" the body is never sent…
    const HttpsReply expecting =
        putAttachment(flowId, "application_form", tooLarge, "application/pdf", {}, true);
    EXPECT_EQ(expecting.status, 413u) << expecting.body;
    EXPECT_EQ(replyReason(expecting), "ATTACHMENT_TOO_LARGE");
    EXPECT_FALSE(expecting.bodyFullySent) << "the daemon read the body before refusing its size";
    // …and a browser's plain PUT (no Expect) hears the same answer.
    const HttpsReply plain = putAttachment(flowId, "application_form", tooLarge, "application/pdf");
    EXPECT_EQ(plain.status, 413u) << plain.body;
    EXPECT_EQ(replyReason(plain), "ATTACHMENT_TOO_LARGE");

    std::string largest = "%PDF-1.7\n";
    largest.resize(1048576, 'x');
    const HttpsReply atLimit = putAttachment(flowId, "application_form", largest, "application/pdf");
    EXPECT_EQ(atLimit.status, 200u) << "1,048,576 bytes are allowed: " << atLimit.body;

    const std::string elf = std::string(
                                "\x7f"
                                "ELF\x02\x01\x01\x00",
                                8) +
                            std::string(500, '\x90');
    const HttpsReply binary = putAttachment(flowId, "business_license", elf, "image/png");
    EXPECT_EQ(binary.status, 415u) << binary.body;
    EXPECT_EQ(replyReason(binary), "ATTACHMENT_TYPE");
    const HttpsReply text = putAttachment(flowId, "handler_id", "just text, not a scan", "image/jpeg");
    EXPECT_EQ(text.status, 415u) << text.body;
    EXPECT_EQ(replyReason(text), "ATTACHMENT_TYPE");

    const HttpsReply foreign = putAttachment(flowId, "handler_id", samplePng(), "image/png",
                                             std::string("https://evil.example.com"));
    EXPECT_EQ(foreign.status, 403u) << foreign.body;
    const HttpsReply unknownFlow =
        putAttachment(std::string(32, 'a'), "handler_id", samplePng(), "image/png");
    EXPECT_EQ(unknownFlow.status, 404u) << unknownFlow.body;
    EXPECT_EQ(replyReason(unknownFlow), "FLOW_NOT_FOUND");

    // Only the good upload reached the authority.
    json status = call(*client_, "unlock.status", {{"flowId", flowId}});
    ASSERT_EQ(status["attachments"].size(), 1u) << status.dump();
    EXPECT_EQ(status["attachments"][0]["kind"], "application_form");
    EXPECT_EQ(status["attachments"][0]["size"], 1048576);

    // After submit the step no longer takes uploads.
    const HttpsReply license = putAttachment(flowId, "business_license", sampleJpeg(), "image/jpeg");
    const HttpsReply handlerId = putAttachment(flowId, "handler_id", samplePng(), "image/png");
    ASSERT_EQ(license.status, 200u) << license.body;
    ASSERT_EQ(handlerId.status, 200u) << handlerId.body;
    call(*client_, "unlock.submit", {{"flowId", flowId}});
    const HttpsReply late = putAttachment(flowId, "handler_id", samplePng(), "image/png");
    EXPECT_EQ(late.status, 409u) << late.body;
    EXPECT_EQ(replyReason(late), "WRONG_STATE");
}

TEST_F(UnlockFlowTest, WithdrawWhileUploadingAndWhileInReview) {
    json open = beginAndIdentify(*client_, otherHandler());
    ASSERT_EQ(open["step"], "attachments") << open.dump();
    json withdrawn = call(*client_, "unlock.withdraw", {{"flowId", open["flowId"]}});
    EXPECT_EQ(withdrawn["step"], "withdrawn") << withdrawn.dump();

    json submitted = toInReview(*client_);
    const fs::path pending =
        stateDir_ / "unlock" / ("pending-" + submitted["cardId"].get<std::string>() + ".json");
    EXPECT_TRUE(fs::exists(pending));
    json second = call(*client_, "unlock.withdraw", {{"flowId", submitted["flowId"]}});
    EXPECT_EQ(second["step"], "withdrawn") << second.dump();
    EXPECT_FALSE(fs::exists(pending)) << "the pending record outlived the withdrawal";
    json reset =
        client_->call("unlock.resetApproved", {{"flowId", submitted["flowId"]}, {"newPin", NEW_PIN}});
    EXPECT_EQ(reasonOf(reset), "WRONG_STATE") << reset.dump();

    json fresh = begin(*client_);
    EXPECT_EQ(fresh["step"], "identify") << "a withdrawn request was picked up again: " << fresh.dump();
    const CardSecrets card = cardSecrets();
    EXPECT_EQ(card.pinTriesLeft, 0);
    EXPECT_EQ(card.puk, initialPuk_);
    EXPECT_FALSE(authorityPuk().pendingRotation);
}

TEST_F(UnlockFlowTest, RejectionWithAReasonIsPushedAndEndsTheRequest) {
    json submitted = toInReview(*client_);
    const std::string flowId = submitted["flowId"];
    reject(submitted["requestId"], "材料不清");
    json changed = waitStatusChanged(*client_, "rejected", 20s);
    EXPECT_EQ(changed["requestId"], submitted["requestId"]);
    EXPECT_EQ(changed["rejectReason"], "材料不清") << changed.dump();

    json status = call(*client_, "unlock.status", {{"flowId", flowId}});
    EXPECT_EQ(status["step"], "rejected");
    EXPECT_EQ(status["rejectReason"], "材料不清");
    json reset = client_->call("unlock.resetApproved", {{"flowId", flowId}, {"newPin", NEW_PIN}});
    EXPECT_EQ(reasonOf(reset), "WRONG_STATE") << reset.dump();
    json fresh = begin(*client_);
    EXPECT_EQ(fresh["step"], "identify") << fresh.dump();
    const CardSecrets card = cardSecrets();
    EXPECT_EQ(card.pinTriesLeft, 0);
    EXPECT_EQ(card.puk, initialPuk_);
}

TEST_F(UnlockFlowTest, ReviewSurvivesADaemonRestart) {
    json submitted = toInReview(*client_);
    const std::string requestId = submitted["requestId"];
    killDaemon();
    startDaemon();
    connectAndWaitForCard();

    json resumed = begin(*client_);
    EXPECT_EQ(resumed["step"], "in_review") << resumed.dump();
    EXPECT_EQ(resumed["requestId"], requestId);
    EXPECT_EQ(resumed["route"], "review");
    EXPECT_TRUE(resumed["dueDate"].is_string()) << resumed.dump();

    approve(requestId);
    json changed = waitStatusChanged(*client_, "approved", 20s);
    EXPECT_EQ(changed["requestId"], requestId);
    json done = call(*client_, "unlock.resetApproved", {{"flowId", resumed["flowId"]}, {"newPin", NEW_PIN}});
    EXPECT_EQ(done["step"], "done") << done.dump();
    expectUnlocked(NEW_PIN, "after a restart in review");
}

}  // namespace
}  // namespace cardbridge::test

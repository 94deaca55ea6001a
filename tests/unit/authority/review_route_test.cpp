// Review route: attachments (type, size, replace, encryption), submit, withdraw, approve, reject, queue.
#include "authority_fixture.hpp"

#include "cardbridge/rules/working_days.hpp"

namespace cardbridge::authority::test {
namespace {

using ReviewRouteTest = AuthorityFixture;

TEST_F(ReviewRouteTest, AttachmentTypeByMagicBytes) {
    const auto id = service_->requests().create(otherHandlerRequest()).requestId;
    expectReason([&] { service_->review().putAttachment(id, "handler_id", toBytes("hello, not an image")); },
                 reason::ATTACHMENT_TYPE);
    expectReason([&] { service_->review().putAttachment(id, "photo", pngBytes()); }, reason::ATTACHMENT_KIND);
    EXPECT_EQ(service_->review().putAttachment(id, "handler_id", pngBytes()).contentType, "image/png");
}

TEST_F(ReviewRouteTest, AttachmentSizeLimit) {
    const auto id = service_->requests().create(otherHandlerRequest()).requestId;
    EXPECT_NO_THROW(service_->review().putAttachment(id, "handler_id", pdfBytes(1048576)));
    const auto extra =
        expectReason([&] { service_->review().putAttachment(id, "handler_id", pdfBytes(1048577)); },
                     reason::ATTACHMENT_TOO_LARGE);
    EXPECT_EQ(extra.value("limit", 0), 1048576);
}

TEST_F(ReviewRouteTest, ReuploadReplaces) {
    const auto id = service_->requests().create(otherHandlerRequest()).requestId;
    service_->review().putAttachment(id, "handler_id", pngBytes(100));
    service_->review().putAttachment(id, "handler_id", jpegBytes(200));
    const auto status = service_->requests().status(id);
    ASSERT_EQ(status.attachments.size(), 1u);
    EXPECT_EQ(status.attachments[0].contentType, "image/jpeg");
    EXPECT_EQ(status.attachments[0].size, 200);
}

TEST_F(ReviewRouteTest, EncryptedAtRestAndDecryptedForReviewer) {
    const auto id = service_->requests().create(otherHandlerRequest()).requestId;
    const auto plain = pdfBytes(4096);
    service_->review().putAttachment(id, "application_form", plain);
    const auto stored = storage_->findAttachment(id, "application_form");
    ASSERT_TRUE(stored);
    EXPECT_NE(stored->ciphertext, plain);
    EXPECT_EQ(stored->ciphertext.size(), plain.size());
    EXPECT_EQ(stored->nonce.size(), 12u);
    EXPECT_EQ(stored->tag.size(), 16u);
    const auto content = service_->review().attachment(id, "application_form", "reviewer1");
    EXPECT_EQ(content.data, plain);
    EXPECT_EQ(content.contentType, "application/pdf");
}

TEST_F(ReviewRouteTest, TamperedCiphertextIsCorrupt) {
    const auto id = service_->requests().create(otherHandlerRequest()).requestId;
    service_->review().putAttachment(id, "application_form", pdfBytes(256));
    auto stored = *storage_->findAttachment(id, "application_form");
    stored.ciphertext[10] ^= 0x01;
    storage_->putAttachment(stored);
    expectReason([&] { service_->review().attachment(id, "application_form", "reviewer1"); },
                 reason::ATTACHMENT_CORRUPT);
}

TEST_F(ReviewRouteTest, AttachmentBoundToRequestAndKind) {
    const auto a = service_->requests().create(otherHandlerRequest()).requestId;
    const auto b = service_->requests().create(otherHandlerRequest()).requestId;
    service_->review().putAttachment(a, "handler_id", pngBytes());
    auto moved = *storage_->findAttachment(a, "handler_id");
    moved.requestId = b;
    storage_->putAttachment(moved);  // copied into another request: AAD no longer matches
    expectReason([&] { service_->review().attachment(b, "handler_id", "r"); }, reason::ATTACHMENT_CORRUPT);
}

TEST_F(ReviewRouteTest, SubmitNeedsAllThree) {
    const auto id = service_->requests().create(otherHandlerRequest()).requestId;
    service_->review().putAttachment(id, "handler_id", pngBytes());
    const auto extra = expectReason([&] { service_->review().submit(id); }, reason::ATTACHMENTS_MISSING);
    EXPECT_EQ(extra["missing"], nlohmann::json::array({"application_form", "business_license"}));
}

TEST_F(ReviewRouteTest, SubmitSetsDueDateInWorkingDays) {
    const auto id = submittedReview();
    const auto status = service_->requests().status(id);
    EXPECT_EQ(status.state, "in_review");
    ASSERT_TRUE(status.dueDate);
    // Wednesday 2025-03-05 → Thu, Fri, Mon → due by the end of Monday 2025-03-10 (+08:00).
    EXPECT_EQ(rules::shanghaiDate(*status.dueDate - 1s),
              std::chrono::year_month_day(std::chrono::year(2025), std::chrono::March, std::chrono::day(10)));
    EXPECT_FALSE(status.dueIsEstimate);
    expectReason([&] { service_->review().putAttachment(id, "handler_id", pngBytes()); },
                 reason::WRONG_STATE);
}

TEST_F(ReviewRouteTest, QueueOrderedByDueDateWithMaskedData) {
    const auto first = submittedReview();
    clock_.advance(std::chrono::days(2));
    const auto second = submittedReview();
    const auto queue = service_->review().reviewQueue();
    ASSERT_EQ(queue.size(), 2u);
    EXPECT_EQ(queue[0].requestId, first);
    EXPECT_EQ(queue[1].requestId, second);
    EXPECT_EQ(queue[0].handlerName, "李四");
    EXPECT_EQ(queue[0].maskedIdNumber, std::string(14, '*') + OTHER_ID.substr(14));
    EXPECT_EQ(queue[0].maskedPhone, "139****4321");
    EXPECT_EQ(queue[0].attachments.size(), 3u);
    EXPECT_NE(queue[0].certificateSubject.find("张三"), std::string::npos);
}

TEST_F(ReviewRouteTest, WithdrawWhileInReview) {
    const auto id = submittedReview();
    EXPECT_EQ(service_->requests().withdraw(id, "client:x").state, "withdrawn");
    EXPECT_TRUE(service_->review().reviewQueue().empty());
    expectReason([&] { service_->review().approve(id, "reviewer1"); }, reason::WRONG_STATE);
    expectReason([&] { service_->requests().withdraw(id, "client:x"); }, reason::WRONG_STATE);
}

TEST_F(ReviewRouteTest, RejectNeedsReasonAndIsFinal) {
    const auto id = submittedReview();
    expectReason([&] { service_->review().reject(id, "reviewer1", "   "); }, reason::REASON_REQUIRED);
    const auto status = service_->review().reject(id, "reviewer1", "营业执照未盖章");
    EXPECT_EQ(status.state, "rejected");
    EXPECT_EQ(status.rejectReason, "营业执照未盖章");
    expectReason([&] { service_->custody().credential(id); }, reason::NOT_AUTHORISED);
}

TEST_F(ReviewRouteTest, ApprovalExpiresAfterThirtyDays) {
    const auto id = submittedReview();
    service_->review().approve(id, "reviewer1");
    clock_.advance(std::chrono::days(30) + 1s);
    expectReason([&] { service_->custody().credential(id); }, reason::APPROVAL_EXPIRED);
}

TEST_F(ReviewRouteTest, ApplicationFormData) {
    const auto id = service_->requests().create(otherHandlerRequest()).requestId;
    const auto form = service_->requests().applicationForm(id);
    EXPECT_EQ(form.requestId, id);
    EXPECT_EQ(form.createdDate, "2025-03-05");
    EXPECT_EQ(form.certificateCommonName, "张三");
    EXPECT_EQ(form.certificateSerial, Certificate::fromDer(leaf_.der).serialNumber());
    EXPECT_EQ(form.handlerName, "李四");
    EXPECT_EQ(form.maskedPhone, "139****4321");
    EXPECT_EQ(form.maskedIdNumber.find(OTHER_ID.substr(0, 6)), std::string::npos);
    EXPECT_EQ(form.organization, ORGANIZATION);
}

TEST_F(ReviewRouteTest, PurgeAttachmentsAfterRetention) {
    const auto id = submittedReview();
    service_->review().approve(id, "reviewer1");
    EXPECT_EQ(service_->review().purgeAttachments(30), 0);
    clock_.advance(std::chrono::days(31));
    EXPECT_EQ(service_->review().purgeAttachments(30), 3);
    expectReason([&] { service_->review().attachment(id, "handler_id", "r"); }, reason::ATTACHMENT_PURGED);
    const auto audit = storage_->listAudit(id, 100);
    EXPECT_TRUE(std::any_of(audit.begin(), audit.end(),
                            [](const AuditRecord& a) { return a.action == "attachment.purge"; }));
}

// Issue 10, finding 7: requests left open or undecided past the retention period expire and lose their
// attachments too — not only decided ones.
TEST_F(ReviewRouteTest, PurgeExpiresRequestsLeftUndecided) {
    const auto inReview = submittedReview();  // nobody ever decides it
    const auto open = service_->requests().create(otherHandlerRequest()).requestId;
    service_->review().putAttachment(open, "handler_id", pngBytes());  // never submitted
    const auto sms = service_->requests().create(applicantRequest()).requestId;
    clock_.advance(std::chrono::days(29));
    const auto recent = service_->requests().create(otherHandlerRequest()).requestId;
    service_->review().putAttachment(recent, "handler_id", pngBytes());
    EXPECT_EQ(service_->review().purgeAttachments(30), 0);
    clock_.advance(std::chrono::days(2));
    EXPECT_EQ(service_->review().purgeAttachments(30), 4);  // three of inReview, one of open
    for (const auto& id : {inReview, open, sms}) {
        EXPECT_EQ(service_->requests().status(id).state, "withdrawn") << id;
    }
    EXPECT_EQ(service_->requests().status(recent).state, "open");
    expectReason([&] { service_->review().attachment(open, "handler_id", "r"); }, reason::ATTACHMENT_PURGED);
    EXPECT_NO_THROW(service_->review().attachment(recent, "handler_id", "r"));
    const auto audit = storage_->listAudit(inReview, 100);
    EXPECT_TRUE(std::any_of(audit.begin(), audit.end(),
                            [](const AuditRecord& a) { return a.action == "request.expire"; }));
}

}  // namespace
}  // namespace cardbridge::authority::test

// The authority client's pure parts: which failures are retried, the backoff schedule, request bodies,
// and decoding of answers and refusals (docs/authority-api.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cardbridge/daemon/unlock/authority_protocol.hpp"

namespace cardbridge::daemon::unlock {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr const char* ID = "5b0e9c1f6a2d4e8f9a7b3c2d1e0f4a5b";

TEST(RetryPolicy, SafeCallsRetryEveryTransientFailureUpToTheLimit) {
    for (auto failure :
         {AttemptFailure::ConnectFailed, AttemptFailure::Transport, AttemptFailure::ServerUnavailable}) {
        EXPECT_TRUE(shouldRetry(Repeat::Safe, failure, 0, 2));
        EXPECT_TRUE(shouldRetry(Repeat::Safe, failure, 1, 2));
        EXPECT_FALSE(shouldRetry(Repeat::Safe, failure, 2, 2));
        EXPECT_FALSE(shouldRetry(Repeat::Safe, failure, 0, 0));
    }
}

TEST(RetryPolicy, UnsafeCallsRetryOnlyWhenNothingWasSent) {
    EXPECT_TRUE(shouldRetry(Repeat::Unsafe, AttemptFailure::ConnectFailed, 0, 2));
    EXPECT_FALSE(shouldRetry(Repeat::Unsafe, AttemptFailure::Transport, 0, 2));
    EXPECT_FALSE(shouldRetry(Repeat::Unsafe, AttemptFailure::ServerUnavailable, 0, 2));
}

TEST(RetryPolicy, AWrongCertificateIsNeverRetried) {
    EXPECT_FALSE(shouldRetry(Repeat::Safe, AttemptFailure::TlsVerification, 0, 10));
    EXPECT_FALSE(shouldRetry(Repeat::Unsafe, AttemptFailure::TlsVerification, 0, 10));
}

TEST(Backoff, DoublesFromTheBaseAndStopsAtTheCap) {
    const milliseconds base{500}, cap{8000};
    EXPECT_EQ(backoffDelay(0, base, cap), milliseconds(500));
    EXPECT_EQ(backoffDelay(1, base, cap), milliseconds(1000));
    EXPECT_EQ(backoffDelay(2, base, cap), milliseconds(2000));
    EXPECT_EQ(backoffDelay(4, base, cap), milliseconds(8000));
    EXPECT_EQ(backoffDelay(5, base, cap), milliseconds(8000));
    EXPECT_EQ(backoffDelay(1000, base, cap), milliseconds(8000));  // no overflow
    EXPECT_EQ(backoffDelay(3, milliseconds(0), cap), milliseconds(0));
}

TEST(RequestIds, OnlyThirtyTwoLowerCaseHexCharacters) {
    EXPECT_TRUE(isRequestId(ID));
    EXPECT_FALSE(isRequestId("5B0E9C1F6A2D4E8F9A7B3C2D1E0F4A5B"));
    EXPECT_FALSE(isRequestId("../../etc/passwd0000000000000000"));
    EXPECT_FALSE(isRequestId(std::string(ID) + "0"));
    EXPECT_FALSE(isRequestId(""));
}

TEST(RequestBodies, CreateCarriesTheCertificateAsBase64AndTheHandler) {
    CreateRequest request;
    request.certificateDer = {0x30, 0x03, 0x02, 0x01, 0x05};
    request.cardSerial = "CARD-1";
    request.handler = {"深圳市某某医疗器械有限公司", "张三", "居民身份证", "440304199001011233",
                       "13812345678"};
    const json body = json::parse(createRequestBody(request));
    EXPECT_EQ(body["certificate"], "MAMCAQU=");
    EXPECT_EQ(body["cardSerial"], "CARD-1");
    EXPECT_EQ(body["handler"]["organization"], "深圳市某某医疗器械有限公司");
    EXPECT_EQ(body["handler"]["name"], "张三");
    EXPECT_EQ(body["handler"]["idType"], "居民身份证");
    EXPECT_EQ(body["handler"]["idNumber"], "440304199001011233");
    EXPECT_EQ(body["handler"]["phone"], "13812345678");
}

TEST(RequestBodies, VerifyEscapesTheCode) {
    EXPECT_EQ(json::parse(verifyBody(Secret("123456")))["code"], "123456");
    EXPECT_EQ(json::parse(verifyBody(Secret("1\"}x")))["code"], "1\"}x");
    EXPECT_EQ(json::parse(verifyBody(Secret("a\\b\n\x01")))["code"], "a\\b\n\x01");
}

TEST(Decoding, CreatedWithAndWithoutMaskedPhone) {
    const auto sms = decodeCreated(R"({"requestId":")" + std::string(ID) +
                                   R"(","route":"sms","maskedPhone":"138****5678"})");
    EXPECT_EQ(sms.requestId, ID);
    EXPECT_EQ(sms.route, "sms");
    EXPECT_EQ(sms.maskedPhone, "138****5678");
    const auto review = decodeCreated(R"({"requestId":")" + std::string(ID) + R"(","route":"review"})");
    EXPECT_FALSE(review.maskedPhone.has_value());
}

TEST(Decoding, CreatedRefusesWhatIsNotTheContract) {
    EXPECT_THROW((void)decodeCreated("not json"), AuthorityProtocolError);
    EXPECT_THROW((void)decodeCreated("[]"), AuthorityProtocolError);
    EXPECT_THROW((void)decodeCreated(R"({"route":"sms"})"), AuthorityProtocolError);
    EXPECT_THROW((void)decodeCreated(R"({"requestId":"../x","route":"sms"})"), AuthorityProtocolError);
    EXPECT_THROW((void)decodeCreated(R"({"requestId":")" + std::string(ID) + R"(","route":"fax"})"),
                 AuthorityProtocolError);
}

TEST(Decoding, CodeSent) {
    const auto sent = decodeCodeSent(
        R"({"maskedPhone":"138****5678","expiresAt":"2025-03-05T02:05:00Z","resendAfterSeconds":60})");
    EXPECT_EQ(sent.maskedPhone, "138****5678");
    EXPECT_EQ(sent.expiresAt, "2025-03-05T02:05:00Z");
    EXPECT_EQ(sent.resendAfterSeconds, 60u);
    EXPECT_THROW((void)decodeCodeSent(R"({"maskedPhone":"x","expiresAt":"y","resendAfterSeconds":-1})"),
                 AuthorityProtocolError);
}

TEST(Decoding, TheDocumentedStatusObject) {
    const auto status = decodeStatus(R"({"requestId": "9f2c", "route": "review", "state": "in_review",
        "createdAt": "2025-03-05T02:00:00Z", "submittedAt": "2025-03-05T02:10:00Z",
        "dueDate": "2025-03-10T15:59:59Z", "dueIsEstimate": false, "credentialReleased": false,
        "attachments": [{"kind": "application_form", "contentType": "application/pdf", "size": 1000,
                         "sha256": "F8D5", "uploadedAt": "2025-03-05T02:05:00Z", "purged": false}]})");
    EXPECT_EQ(status.state, "in_review");
    EXPECT_EQ(status.route, "review");
    EXPECT_EQ(status.dueDate, "2025-03-10T15:59:59Z");
    EXPECT_FALSE(status.decidedAt.has_value());
    ASSERT_EQ(status.attachments.size(), 1u);
    EXPECT_EQ(status.attachments[0].kind, "application_form");
    EXPECT_EQ(status.attachments[0].size, 1000u);
    EXPECT_THROW((void)decodeStatus(R"({"requestId":"x","route":"sms"})"), AuthorityProtocolError);
}

TEST(Decoding, AnUploadedAttachment) {
    const auto a = decodeAttachment(R"({"kind":"handler_id","contentType":"image/png","size":1234,
        "sha256":"AB","uploadedAt":"2025-03-05T02:05:00Z","purged":false})");
    EXPECT_EQ(a.kind, "handler_id");
    EXPECT_EQ(a.contentType, "image/png");
    EXPECT_EQ(a.size, 1234u);
    EXPECT_FALSE(a.purged);
    EXPECT_THROW((void)decodeAttachment(R"({"size":1})"), AuthorityProtocolError);
}

TEST(Decoding, CredentialPuksBecomeSecrets) {
    const auto c = decodeCredential(
        R"({"currentPuk":"12345678","nextPuk":"87654321","epoch":3,"nextEpoch":4,"pendingRotation":true})");
    EXPECT_EQ(c.currentPuk.view(), "12345678");
    EXPECT_EQ(c.nextPuk.view(), "87654321");
    EXPECT_EQ(c.epoch, 3u);
    EXPECT_EQ(c.nextEpoch, 4u);
    EXPECT_TRUE(c.pendingRotation);
    EXPECT_THROW((void)decodeCredential(R"({"currentPuk":"1","epoch":0,"nextEpoch":1})"),
                 AuthorityProtocolError);
}

TEST(Refusals, ReasonStatusAndExtraFields) {
    const auto r =
        decodeRefusal(400, R"({"error":{"reason":"CODE_INCORRECT","message":"wrong code","triesLeft":3}})");
    EXPECT_EQ(r.reason(), "CODE_INCORRECT");
    EXPECT_EQ(r.httpStatus(), 400u);
    EXPECT_EQ(r.number("triesLeft"), 3u);
    EXPECT_EQ(r.extra().count("message"), 0u);
    EXPECT_EQ(r.extra().count("reason"), 0u);
    EXPECT_NE(std::string(r.what()).find("wrong code"), std::string::npos);
    const auto limited = decodeRefusal(429, R"({"error":{"reason":"RATE_LIMITED","retryAfter":120}})");
    EXPECT_EQ(limited.number("retryAfter"), 120u);
    EXPECT_FALSE(limited.number("triesLeft").has_value());
}

TEST(Refusals, FormErrorsPerField) {
    const auto r =
        decodeRefusal(400, R"({"error":{"reason":"FORM_INVALID","field":"handler.phone","problem":"format",
        "fields":[{"field":"handler.phone","problem":"format"},{"field":"handler.idNumber","problem":"checksum"}]}})");
    EXPECT_EQ(r.reason(), "FORM_INVALID");
    ASSERT_EQ(r.fields().size(), 2u);
    EXPECT_EQ(r.fields()[1].field, "handler.idNumber");
    EXPECT_EQ(r.fields()[1].problem, "checksum");
    EXPECT_EQ(r.extra().at("field"), "handler.phone");
    const auto single = decodeRefusal(
        400, R"({"error":{"reason":"FORM_INVALID","field":"cardSerial","problem":"required"}})");
    ASSERT_EQ(single.fields().size(), 1u);
    EXPECT_EQ(single.fields()[0].field, "cardSerial");
}

// Found by fuzzing (tests/fuzz authority_responses): an empty reason was taken as the reason, so the
// refusal carried none at all.
TEST(Refusals, EmptyOrMissingReasonKeepsTheStatus) {
    EXPECT_EQ(decodeRefusal(409, R"({"error":{"reason":"","message":"x"}})").reason(), "HTTP_409");
    EXPECT_EQ(decodeRefusal(400, R"({"error":{"message":"x"}})").reason(), "HTTP_400");
    EXPECT_EQ(decodeRefusal(400, R"({"error":{"reason":7}})").reason(), "HTTP_400");
}

TEST(Refusals, NonJsonErrorsKeepTheStatus) {
    EXPECT_EQ(decodeRefusal(502, "<html>Bad Gateway</html>").reason(), "HTTP_502");
    EXPECT_EQ(decodeRefusal(404, R"({"error":"nope"})").reason(), "HTTP_404");
    EXPECT_EQ(decodeRefusal(409, R"({"error":{"reason":"ATTACHMENTS_MISSING","missing":["handler_id"]}})")
                  .extra()
                  .at("missing"),
              R"(["handler_id"])");
}

}  // namespace
}  // namespace cardbridge::daemon::unlock

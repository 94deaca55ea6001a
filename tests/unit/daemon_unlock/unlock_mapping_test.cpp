// The unlock module's pure decisions: authority failures → daemon reasons (one row each), authority states →
// flow steps, the polling backoff, and attachment types by magic bytes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cardbridge/daemon/core/errors.hpp"
#include "cardbridge/daemon/unlock/attachment.hpp"
#include "cardbridge/daemon/unlock/unlock_service.hpp"

using namespace cardbridge;
using namespace cardbridge::daemon;
using namespace cardbridge::daemon::unlock;
using nlohmann::json;

namespace {

Classified mapped(const AuthorityError& error) {
    try {
        throwAuthorityError(error);
    } catch (...) {
        return classify(std::current_exception());
    }
    return {};
}

AuthorityRefused refusal(const std::string& reason, std::map<std::string, std::string> extra = {},
                         std::vector<FieldProblem> fields = {}) {
    return AuthorityRefused(reason, 400, std::move(extra), std::move(fields), "m");
}

struct Row {
    const char* authority;
    Reason reason;
};

TEST(AuthorityErrorMapping, EveryAuthorityRefusalHasItsReason) {
    const std::vector<Row> rows = {
        {"FORM_INVALID", Reason::FormInvalid},
        {"CERT_INVALID", Reason::CertUnknown},
        {"CERT_UNTRUSTED", Reason::CertUnknown},
        {"CERT_UNKNOWN", Reason::CertUnknown},
        {"CERT_EXPIRED", Reason::CertExpired},
        {"CERT_NOT_YET_VALID", Reason::CertNotYetValid},
        {"CARD_MISMATCH", Reason::CardMismatch},
        {"RATE_LIMITED", Reason::RateLimited},
        {"CODE_INCORRECT", Reason::CodeIncorrect},
        {"CODE_EXPIRED", Reason::CodeExpired},
        {"CODE_NOT_SENT", Reason::CodeNotSent},
        {"CODE_LOCKED", Reason::CodeLocked},
        {"CODE_COOLDOWN", Reason::CodeCooldown},
        {"DAILY_CAP", Reason::DailyCap},
        {"SMS_UNAVAILABLE", Reason::SmsUnavailable},
        {"ATTACHMENT_TOO_LARGE", Reason::AttachmentTooLarge},
        {"ATTACHMENT_TYPE", Reason::AttachmentType},
        {"ATTACHMENT_KIND", Reason::InvalidParams},
        {"ATTACHMENTS_MISSING", Reason::AttachmentsMissing},
        {"WRONG_ROUTE", Reason::WrongState},
        {"WRONG_STATE", Reason::WrongState},
        {"NOT_AUTHORISED", Reason::WrongState},
        {"NOT_RELEASED", Reason::WrongState},
        {"APPROVAL_EXPIRED", Reason::ApprovalExpired},
        {"REQUEST_NOT_FOUND", Reason::RequestNotFound},
        {"UNAVAILABLE", Reason::AuthorityUnreachable},
        {"HTTP_503", Reason::AuthorityUnreachable},
        {"UNAUTHENTICATED", Reason::AuthorityError},
        {"INTERNAL", Reason::AuthorityError},
        {"SOMETHING_NEW", Reason::AuthorityError},
    };
    for (const Row& row : rows) {
        const Classified c = mapped(refusal(row.authority));
        EXPECT_EQ(c.reason, row.reason) << row.authority;
        EXPECT_EQ(c.extra.value("authorityReason", ""), row.authority) << row.authority;
    }
}

TEST(AuthorityErrorMapping, ExtrasThatTheUiNeedsAreCarried) {
    EXPECT_EQ(mapped(refusal("CODE_INCORRECT", {{"triesLeft", "3"}})).extra["triesLeft"], 3);
    EXPECT_EQ(mapped(refusal("CODE_COOLDOWN", {{"retryAfter", "42"}})).extra["retryAfter"], 42);
    EXPECT_EQ(mapped(refusal("ATTACHMENTS_MISSING", {{"missing", R"(["handler_id"])"}})).extra["missing"],
              json::array({"handler_id"}));
    EXPECT_EQ(mapped(refusal("CERT_EXPIRED")).extra["offline"], true);
    const Classified form =
        mapped(refusal("FORM_INVALID", {}, {{"handler.idNumber", "checksum"}, {"handler.phone", "format"}}));
    ASSERT_EQ(form.extra["fields"].size(), 2u);
    EXPECT_EQ(form.extra["fields"][0]["field"], "handler.idNumber");
    EXPECT_EQ(form.extra["fields"][1]["problem"], "format");
}

TEST(AuthorityErrorMapping, TransportFailuresHaveTheirOwnReasons) {
    EXPECT_EQ(mapped(AuthorityUnreachable("down")).reason, Reason::AuthorityUnreachable);
    EXPECT_EQ(mapped(AuthorityTlsFailure("bad chain")).reason, Reason::AuthorityUntrusted);
    EXPECT_EQ(mapped(AuthorityProtocolError("junk")).reason, Reason::AuthorityError);
    EXPECT_EQ(mapped(AuthorityConfigError("no url")).reason, Reason::AuthorityNotConfigured);
}

TEST(FlowSteps, AuthorityStatesBecomeSteps) {
    RequestStatus s;
    s.route = "sms";
    s.state = "open";
    EXPECT_EQ(stepOf(s), "sms");
    s.route = "review";
    EXPECT_EQ(stepOf(s), "attachments");
    const std::vector<std::pair<const char*, const char*>> rows = {
        {"authorised", "approved"}, {"approved", "approved"},   {"in_review", "in_review"},
        {"rejected", "rejected"},   {"withdrawn", "withdrawn"}, {"completed", "done"}};
    for (const auto& [state, step] : rows) {
        s.state = state;
        EXPECT_EQ(stepOf(s), step) << state;
    }
}

TEST(Polling, BacksOffToAFewRequestsAnHour) {
    using std::chrono::seconds;
    const seconds min{30}, max{20 * 60};
    EXPECT_EQ(pollDelay(seconds(0), min, max), min);
    EXPECT_EQ(pollDelay(seconds(8 * 60), min, max), seconds(60));
    EXPECT_EQ(pollDelay(seconds(24 * 3600), min, max), max) << "a day-old request: three times an hour";
    // Never below the configured minimum, even when the maximum is smaller.
    EXPECT_EQ(pollDelay(seconds(1000), seconds(600), seconds(60)), seconds(600));
}

Bytes bytesOf(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

TEST(Attachments, TypesAreDecidedByMagicBytes) {
    const std::vector<std::pair<std::string, const char*>> good = {
        {std::string("\xFF\xD8\xFF\xE0rest", 8), "image/jpeg"},
        {std::string("\x89PNG\r\n\x1A\nIHDR", 12), "image/png"},
        {"GIF87a..", "image/gif"},
        {"GIF89a..", "image/gif"},
        {"BM\x36\x00", "image/bmp"},
        {"%PDF-1.7\n", "application/pdf"}};
    for (const auto& [content, type] : good) {
        EXPECT_EQ(sniffAttachmentType(bytesOf(content)), std::optional<std::string>(type)) << type;
    }
    for (std::string bad : {std::string(), std::string("\xFF\xD8", 2), std::string("%PDF"),
                            std::string("<svg>"), std::string("PK\x03\x04", 4), std::string("GIF88a")}) {
        EXPECT_FALSE(sniffAttachmentType(bytesOf(bad))) << bad;
    }
    EXPECT_TRUE(isAttachmentKind("handler_id"));
    EXPECT_FALSE(isAttachmentKind("../handler_id"));
}

}  // namespace

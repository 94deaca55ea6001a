// The upload route's header checks: target parsing, the order of refusals, the JSON they carry.
#include <gtest/gtest.h>

#include "cardbridge/daemon/core/errors.hpp"
#include "cardbridge/daemon/net/upload_route.hpp"

namespace cardbridge::daemon {
namespace {

using nlohmann::json;

constexpr const char* FLOW = "3f9c0e1a5b7d4c2e8f6a1b0c9d8e7f6a";

std::string target(std::string_view flow, std::string_view kind) {
    return "/unlock/" + std::string(flow) + "/attachments/" + std::string(kind);
}

// A header that passes every check; tests break one thing at a time.
UploadHeader goodHeader(std::string_view path) {  // the header views `path`: keep it alive
    UploadHeader header;
    header.method = "PUT";
    header.target = path;
    header.ownOrigin = true;
    header.contentLength = 1000;
    header.handlerPresent = true;
    header.maxBytes = 1024 * 1024;
    return header;
}

UploadRefusal refusalOf(const std::variant<UploadTarget, UploadRefusal>& decision) {
    const auto* refusal = std::get_if<UploadRefusal>(&decision);
    if (refusal == nullptr) {
        ADD_FAILURE() << "expected a refusal";
        return {};
    }
    return *refusal;
}

json errorOf(const UploadRefusal& refusal) {
    return json::parse(refusal.json).at("error");
}

TEST(ParseUploadTargetTest, AcceptsEveryKindWithALowerCaseHexFlowId) {
    for (std::string_view kind : ATTACHMENT_KINDS) {
        auto parsed = parseUploadTarget(target(FLOW, kind));
        ASSERT_TRUE(parsed) << kind;
        EXPECT_EQ(parsed->flowId, FLOW);
        EXPECT_EQ(parsed->kind, kind);
    }
}

TEST(ParseUploadTargetTest, RefusesEverythingElse) {
    const std::string flow(FLOW);
    for (const std::string& bad : {
             std::string("/unlock/"),
             std::string("/unlock"),
             "/unlock/" + flow,
             "/unlock/" + flow + "/attachments",
             "/unlock/" + flow + "/attachments/",
             "/unlock/" + flow + "/attachments/handler_id/",
             "/unlock/" + flow + "/attachments/handler_id/extra",
             "/unlock/" + flow + "/attachments/handler_id?x=1",
             "/unlock/" + flow + "/attachments/handler_id#f",
             "/unlock/" + flow + "/attachments/HANDLER_ID",
             "/unlock/" + flow + "/attachments/handler%5Fid",
             "/unlock/" + flow + "/attachments/photo",
             "/unlock/" + flow + "/other/handler_id",
             "/unlock/" + flow + "//attachments/handler_id",
             "/unlock//" + flow + "/attachments/handler_id",
             "//unlock/" + flow + "/attachments/handler_id",
             "/Unlock/" + flow + "/attachments/handler_id",
             "unlock/" + flow + "/attachments/handler_id",
             "https://127.0.0.1/unlock/" + flow + "/attachments/handler_id",
             target("3F9C0E1A5B7D4C2E8F6A1B0C9D8E7F6A", "handler_id"),  // upper case
             target(flow.substr(0, 31), "handler_id"),                  // 31 digits
             target(flow + "0", "handler_id"),                          // 33 digits
             target("3f9c0e1a5b7d4c2e8f6a1b0c9d8e7f6g", "handler_id"),  // not hex
             target("..", "handler_id"),
             target(flow.substr(0, 30) + "%2", "handler_id"),
         }) {
        EXPECT_FALSE(parseUploadTarget(bad)) << bad;
    }
}

TEST(UploadRouteTest, OnlyTargetsUnderUnlockSlashAreTheRoutes) {
    EXPECT_TRUE(isUploadRoute("/unlock/"));
    EXPECT_TRUE(isUploadRoute("/unlock/x"));
    EXPECT_FALSE(isUploadRoute("/unlock"));
    EXPECT_FALSE(isUploadRoute("/unlock.html"));
    EXPECT_FALSE(isUploadRoute("/unlock.html?flow=1"));
    EXPECT_FALSE(isUploadRoute("/"));
    EXPECT_FALSE(isUploadRoute("/health"));
}

TEST(CheckUploadHeaderTest, AGoodHeaderGivesTheTargetsParts) {
    const std::string path = target(FLOW, "business_license");
    auto decision = checkUploadHeader(goodHeader(path));
    const auto* accepted = std::get_if<UploadTarget>(&decision);
    ASSERT_NE(accepted, nullptr);
    EXPECT_EQ(accepted->flowId, FLOW);
    EXPECT_EQ(accepted->kind, "business_license");
}

TEST(CheckUploadHeaderTest, ExactlyTheLimitAndChunkedPassTheSizeCheck) {
    const std::string path = target(FLOW, "handler_id");
    UploadHeader header = goodHeader(path);
    header.contentLength = header.maxBytes;
    EXPECT_TRUE(std::holds_alternative<UploadTarget>(checkUploadHeader(header)));
    header.contentLength = std::nullopt;  // chunked: the parser's body limit decides later
    EXPECT_TRUE(std::holds_alternative<UploadTarget>(checkUploadHeader(header)));
}

TEST(CheckUploadHeaderTest, UnservedShapesAndNoHandlerAre404MethodNotFound) {
    const std::string extra = target(FLOW, "handler_id") + "/more";
    const std::string good = target(FLOW, "handler_id");
    for (const std::string& path : {std::string("/unlock/"), std::string("/unlock/x/y"), extra}) {
        auto refusal = refusalOf(checkUploadHeader(goodHeader(path)));
        EXPECT_EQ(refusal.status, 404U) << path;
        EXPECT_EQ(errorOf(refusal).at("reason"), reasonName(Reason::MethodNotFound)) << path;
        EXPECT_FALSE(refusal.allowPut);
    }
    UploadHeader noHandler = goodHeader(good);
    noHandler.handlerPresent = false;
    auto refusal = refusalOf(checkUploadHeader(noHandler));
    EXPECT_EQ(refusal.status, 404U);
    EXPECT_EQ(errorOf(refusal).at("reason"), reasonName(Reason::MethodNotFound));
}

TEST(CheckUploadHeaderTest, BadFlowIdOrKindIs404InvalidParamsNamingTheParam) {
    const std::string badFlow = target("3F9C0E1A5B7D4C2E8F6A1B0C9D8E7F6A", "handler_id");
    auto flowRefusal = refusalOf(checkUploadHeader(goodHeader(badFlow)));
    EXPECT_EQ(flowRefusal.status, 404U);
    EXPECT_EQ(errorOf(flowRefusal).at("reason"), reasonName(Reason::InvalidParams));
    EXPECT_EQ(errorOf(flowRefusal).at("param"), "flowId");
    EXPECT_EQ(errorOf(flowRefusal).at("message"), info(Reason::InvalidParams).message);

    const std::string badKind = target(FLOW, "passport");
    auto kindRefusal = refusalOf(checkUploadHeader(goodHeader(badKind)));
    EXPECT_EQ(kindRefusal.status, 404U);
    EXPECT_EQ(errorOf(kindRefusal).at("param"), "kind");
}

TEST(CheckUploadHeaderTest, OtherMethodsAre405WithAllowPut) {
    const std::string path = target(FLOW, "handler_id");
    for (const char* method : {"GET", "HEAD", "POST", "DELETE", "OPTIONS", "put"}) {
        UploadHeader header = goodHeader(path);
        header.method = method;
        auto refusal = refusalOf(checkUploadHeader(header));
        EXPECT_EQ(refusal.status, 405U) << method;
        EXPECT_TRUE(refusal.allowPut) << method;
        EXPECT_EQ(errorOf(refusal).at("reason"), reasonName(Reason::MethodNotFound)) << method;
    }
}

TEST(CheckUploadHeaderTest, AnotherOriginIs403NotAllowed) {
    const std::string path = target(FLOW, "handler_id");
    UploadHeader header = goodHeader(path);
    header.ownOrigin = false;
    auto refusal = refusalOf(checkUploadHeader(header));
    EXPECT_EQ(refusal.status, 403U);
    EXPECT_EQ(errorOf(refusal).at("reason"), reasonName(Reason::NotAllowed));
    EXPECT_EQ(errorOf(refusal).at("message"), info(Reason::NotAllowed).message);
}

TEST(CheckUploadHeaderTest, OverTheLimitIs413WithTheLimit) {
    const std::string path = target(FLOW, "handler_id");
    UploadHeader header = goodHeader(path);
    header.contentLength = header.maxBytes + 1;
    auto refusal = refusalOf(checkUploadHeader(header));
    EXPECT_EQ(refusal.status, 413U);
    const json error = errorOf(refusal);
    EXPECT_EQ(error.at("reason"), "ATTACHMENT_TOO_LARGE");
    EXPECT_EQ(error.at("message"), "The file must be under 1024 KB.");
    EXPECT_EQ(error.at("limit"), 1024 * 1024);
}

TEST(CheckUploadHeaderTest, RefusalsComeInTheDocumentedOrder) {
    // Everything wrong at once: the path decides first, then the method, then the origin, then the size.
    const std::string good = target(FLOW, "handler_id");
    UploadHeader header = goodHeader("/unlock/nope");
    header.method = "GET";
    header.ownOrigin = false;
    header.contentLength = header.maxBytes * 2;
    EXPECT_EQ(refusalOf(checkUploadHeader(header)).status, 404U);
    header.target = good;
    EXPECT_EQ(refusalOf(checkUploadHeader(header)).status, 405U);
    header.method = "PUT";
    EXPECT_EQ(refusalOf(checkUploadHeader(header)).status, 403U);
    header.ownOrigin = true;
    EXPECT_EQ(refusalOf(checkUploadHeader(header)).status, 413U);
}

TEST(UploadErrorJsonTest, ExtraFieldsJoinTheErrorButNeverReplaceTheReason) {
    const json body = json::parse(uploadErrorJson("X", "msg", {{"limit", 5}, {"reason", "Y"}}));
    EXPECT_EQ(body.at("error").at("reason"), "X");
    EXPECT_EQ(body.at("error").at("message"), "msg");
    EXPECT_EQ(body.at("error").at("limit"), 5);
    EXPECT_EQ(body.size(), 1U);
}

TEST(UploadInternalErrorTest, Is500Internal) {
    const UploadRefusal refusal = uploadInternalError();
    EXPECT_EQ(refusal.status, 500U);
    EXPECT_EQ(errorOf(refusal).at("reason"), reasonName(Reason::Internal));
}

TEST(ShortFlowIdTest, KeepsEightCharacters) {
    EXPECT_EQ(shortFlowId(FLOW), "3f9c0e1a");
    EXPECT_EQ(shortFlowId("abc"), "abc");
    EXPECT_EQ(shortFlowId(""), "");
}

}  // namespace
}  // namespace cardbridge::daemon

// The codecs both routers share: path segments, forms, cookies, ids, kinds, JSON bodies.
#include <gtest/gtest.h>

#include "cardbridge/authority/http/http_codecs.hpp"

namespace cardbridge::authority::http {
namespace {

using Parts = std::vector<std::string_view>;

TEST(HttpCodecs, SplitPathKeepsEmptySegments) {
    EXPECT_EQ(splitPath("/v1/unlock-requests"), (Parts{"v1", "unlock-requests"}));
    EXPECT_EQ(splitPath("/review/"), (Parts{"review", ""}));
    EXPECT_EQ(splitPath("/a//b"), (Parts{"a", "", "b"}));
    EXPECT_EQ(splitPath("/"), (Parts{""}));
}

TEST(HttpCodecs, FormsDecodePlusAndPercentAndRefuseRepeats) {
    const auto fields = parseForm("a=1&b=%E4%B8%AD+x&c=&d");
    ASSERT_TRUE(fields);
    EXPECT_EQ(fields->at("a"), "1");
    EXPECT_EQ(fields->at("b"), "中 x");
    EXPECT_EQ(fields->at("c"), "");
    EXPECT_EQ(fields->at("d"), "");
    EXPECT_TRUE(parseForm("")->empty());
    EXPECT_FALSE(parseForm("a=%G1"));
    EXPECT_FALSE(parseForm("a=%4"));
    EXPECT_FALSE(parseForm("a=1&a=2"));
    EXPECT_EQ(formDecode("%2f%2F+"), "// ");
}

TEST(HttpCodecs, CookiesAreFoundByExactNameAndSetWithEveryAttribute) {
    EXPECT_EQ(cookieValue("x=1; cb_review=tok; y=2", "cb_review"), "tok");
    EXPECT_EQ(cookieValue("cb_review=tok ", "cb_review"), "tok");
    EXPECT_FALSE(cookieValue("xcb_review=tok", "cb_review"));
    EXPECT_FALSE(cookieValue("", "cb_review"));
    EXPECT_EQ(setCookie("n", "v", "/p", std::chrono::seconds(60)),
              "n=v; Path=/p; Max-Age=60; Secure; HttpOnly; SameSite=Strict");
}

TEST(HttpCodecs, RequestIdsAndKinds) {
    EXPECT_TRUE(isRequestId("0123456789abcdef0123456789abcdef"));
    EXPECT_FALSE(isRequestId("0123456789ABCDEF0123456789abcdef"));
    EXPECT_FALSE(isRequestId("0123456789abcdef0123456789abcde"));
    EXPECT_FALSE(isRequestId(".."));
    EXPECT_TRUE(isKindToken("handler_id"));
    EXPECT_FALSE(isKindToken(""));
    EXPECT_FALSE(isKindToken("Handler"));
    EXPECT_FALSE(isKindToken(std::string(33, 'a')));
}

TEST(HttpCodecs, JsonObjectsWithinDepth) {
    std::string problem;
    EXPECT_TRUE(parseJsonObject(R"({"a":{"b":1}})", 8, problem));
    EXPECT_FALSE(parseJsonObject("[1]", 8, problem));
    EXPECT_EQ(problem, "JSON body must be an object");
    EXPECT_FALSE(parseJsonObject(R"({"a":{"b":{"c":1}}})", 2, problem));
    EXPECT_EQ(problem, "JSON nested too deeply");
    EXPECT_FALSE(parseJsonObject("{", 8, problem));
    EXPECT_EQ(problem.rfind("malformed JSON: ", 0), 0u);
}

}  // namespace
}  // namespace cardbridge::authority::http

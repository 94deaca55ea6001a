// Dispatcher: JSON-RPC 2.0 validation, bounded depth, capabilities, handler failures, exactly-once answers.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cardbridge/common/error.hpp"
#include "cardbridge/daemon/core/dispatcher.hpp"
#include "cardbridge/daemon/core/errors.hpp"
#include "cardbridge/daemon/core/origin_policy.hpp"
#include "cardbridge/daemon/core/system_methods.hpp"

namespace cardbridge::daemon {
namespace {

using nlohmann::json;

CallContext platformCaller() {
    CallContext context;
    context.connectionId = 7;
    context.origin = "https://platform.example";
    context.capabilities.add(Capability::Read).add(Capability::StartUnlock);
    return context;
}

CallContext ownCaller() {
    CallContext context;
    context.connectionId = 8;
    context.origin = "https://127.0.0.1:23443";
    context.ownOrigin = true;
    context.capabilities = allCapabilities();
    return context;
}

class DispatcherTest : public ::testing::Test {
  protected:
    DispatcherTest() {
        dispatcher_.add("test.echo", Capability::Read,
                        [](const CallContext&, const json& params, std::shared_ptr<Responder> responder) {
                            responder->succeed(params);
                        });
        dispatcher_.add("test.secret", Capability::Secrets,
                        [this](const CallContext&, const json&, std::shared_ptr<Responder> responder) {
                            ++secretCalls_;
                            responder->succeed("ok");
                        });
        dispatcher_.add("test.count", Capability::Read,
                        [this](const CallContext&, const json&, std::shared_ptr<Responder> responder) {
                            ++countCalls_;
                            responder->succeed(countCalls_);
                        });
    }

    // Handles `text` and returns every string `send` received (the contract: exactly one).
    std::vector<std::string> sends(std::string_view text, const CallContext& context) {
        std::vector<std::string> sent;
        dispatcher_.handle(context, text,
                           [&sent](std::string response) { sent.push_back(std::move(response)); });
        return sent;
    }

    json answer(std::string_view text, const CallContext& context = platformCaller()) {
        auto sent = sends(text, context);
        EXPECT_EQ(sent.size(), 1U) << text;
        if (sent.size() != 1) return nullptr;
        if (sent[0].empty()) return nullptr;
        auto response = json::parse(sent[0]);
        EXPECT_EQ(response.at("jsonrpc"), "2.0");
        return response;
    }

    static std::string reasonOf(const json& response) { return response.at("error").at("data").at("reason"); }

    Dispatcher dispatcher_{16};
    int secretCalls_ = 0;
    int countCalls_ = 0;
};

TEST_F(DispatcherTest, ValidCallAnswersResultWithSameId) {
    auto response = answer(R"({"jsonrpc":"2.0","id":42,"method":"test.echo","params":{"a":[1,2]}})");
    EXPECT_EQ(response.at("id"), 42);
    EXPECT_EQ(response.at("result"), json::parse(R"({"a":[1,2]})"));
    EXPECT_FALSE(response.contains("error"));

    response = answer(R"({"jsonrpc":"2.0","id":"abc","method":"test.echo"})");
    EXPECT_EQ(response.at("id"), "abc");
    EXPECT_EQ(response.at("result"), json::object());  // absent params arrive as {}

    response = answer(R"({"jsonrpc":"2.0","id":null,"method":"test.echo","params":{}})");
    EXPECT_TRUE(response.at("id").is_null());
    EXPECT_EQ(response.at("result"), json::object());
}

TEST_F(DispatcherTest, ParamsAreByNameOnly) {
    // docs/api.md §1: params is an object or omitted. By position is valid JSON-RPC but not ours.
    auto response = answer(R"({"jsonrpc":"2.0","id":1,"method":"test.echo","params":[1]})");
    EXPECT_EQ(response.at("error").at("code"), -32602);
    EXPECT_EQ(reasonOf(response), reasonName(Reason::InvalidParams));
    response = answer(R"({"jsonrpc":"2.0","id":2,"method":"test.echo","params":[]})");
    EXPECT_EQ(reasonOf(response), reasonName(Reason::InvalidParams));
    for (const char* text : {R"({"jsonrpc":"2.0","id":3,"method":"test.echo","params":1})",
                             R"({"jsonrpc":"2.0","id":3,"method":"test.echo","params":"a"})",
                             R"({"jsonrpc":"2.0","id":3,"method":"test.echo","params":null})"}) {
        EXPECT_EQ(reasonOf(answer(text)), reasonName(Reason::InvalidRequest)) << text;
    }
    // The capability check comes first: a platform page learns nothing more from a positional call.
    response = answer(R"({"jsonrpc":"2.0","id":4,"method":"test.secret","params":[1]})");
    EXPECT_EQ(reasonOf(response), reasonName(Reason::NotAllowed));
    EXPECT_EQ(secretCalls_, 0);
}

TEST_F(DispatcherTest, NotificationRunsButSendsNothing) {
    auto sent = sends(R"({"jsonrpc":"2.0","method":"test.count"})", platformCaller());
    ASSERT_EQ(sent.size(), 1U);
    EXPECT_TRUE(sent[0].empty());
    EXPECT_EQ(countCalls_, 1);
    // Errors of notifications are not answered either (spec), but the call still completes once.
    sent = sends(R"({"jsonrpc":"2.0","method":"no.such"})", platformCaller());
    ASSERT_EQ(sent.size(), 1U);
    EXPECT_TRUE(sent[0].empty());
}

TEST_F(DispatcherTest, NotJsonIsParseErrorWithNullId) {
    for (std::string_view text : {"", "{", "not json", "{\"jsonrpc\":\"2.0\",}", "\xff\xfe"}) {
        auto response = answer(text);
        EXPECT_TRUE(response.at("id").is_null()) << text;
        EXPECT_EQ(response.at("error").at("code"), -32700) << text;
        EXPECT_EQ(reasonOf(response), reasonName(Reason::ParseError)) << text;
    }
}

TEST_F(DispatcherTest, InvalidUtf8InsideStringIsParseError) {
    const std::string text =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.echo\",\"params\":{\"a\":\"\xc3\x28\"}}";
    EXPECT_EQ(reasonOf(answer(text)), reasonName(Reason::ParseError));
}

TEST_F(DispatcherTest, DeepJsonIsRefusedBeforeAnyHandlerRuns) {
    std::string deep = R"({"jsonrpc":"2.0","id":1,"method":"test.count","params":{"x":)";
    for (int i = 0; i < 100000; ++i) deep += '[';
    // Unterminated on purpose: the depth check must stop the scan long before the end.
    auto response = answer(deep);
    EXPECT_EQ(reasonOf(response), reasonName(Reason::ParseError));
    EXPECT_EQ(countCalls_, 0);

    // Exactly at the limit is fine: object(1) > params(2) > 14 arrays = 16.
    std::string atLimit = R"({"jsonrpc":"2.0","id":2,"method":"test.echo","params":{"x":)";
    atLimit += std::string(14, '[') + std::string(14, ']') + "}}";
    EXPECT_TRUE(answer(atLimit).contains("result"));
    std::string overLimit = R"({"jsonrpc":"2.0","id":3,"method":"test.echo","params":{"x":)";
    overLimit += std::string(15, '[') + std::string(15, ']') + "}}";
    EXPECT_EQ(reasonOf(answer(overLimit)), reasonName(Reason::ParseError));
}

TEST_F(DispatcherTest, BoundedParserRefusesDepthAndKeepsShallow) {
    EXPECT_TRUE(parseBoundedJson("[[[]]]", 2).is_discarded());
    EXPECT_EQ(parseBoundedJson("[[[]]]", 3), json::parse("[[[]]]"));
    EXPECT_TRUE(parseBoundedJson("[1,", 16).is_discarded());
}

TEST_F(DispatcherTest, NotJsonRpcIsInvalidRequest) {
    const std::vector<std::string> cases = {
        R"({"id":1,"method":"test.echo"})",                               // missing jsonrpc
        R"({"jsonrpc":"1.0","id":1,"method":"test.echo"})",               // wrong version
        R"({"jsonrpc":2.0,"id":1,"method":"test.echo"})",                 // version not a string
        R"({"jsonrpc":"2.0","id":1,"method":5})",                         // method not a string
        R"({"jsonrpc":"2.0","id":1})",                                    // no method
        R"({"jsonrpc":"2.0","id":1,"method":"test.echo","params":"x"})",  // params wrong type
        R"({"jsonrpc":"2.0","id":1,"method":"test.echo","params":3})",
        R"({"jsonrpc":"2.0","id":{"a":1},"method":"test.echo"})",  // id wrong type
        R"([{"jsonrpc":"2.0","id":1,"method":"test.echo"}])",      // batch
        R"("just a string")",
        R"(42)",
    };
    for (const auto& text : cases) {
        auto response = answer(text);
        EXPECT_EQ(response.at("error").at("code"), -32600) << text;
        EXPECT_EQ(reasonOf(response), reasonName(Reason::InvalidRequest)) << text;
    }
    // The id is echoed when it was valid, so the client can match the error.
    EXPECT_EQ(answer(R"({"jsonrpc":"1.0","id":9,"method":"test.echo"})").at("id"), 9);
    EXPECT_TRUE(answer(R"({"jsonrpc":"2.0","id":[1],"method":"test.echo"})").at("id").is_null());
    EXPECT_EQ(countCalls_, 0);
}

TEST_F(DispatcherTest, UnknownMethodIsMethodNotFound) {
    auto response = answer(R"({"jsonrpc":"2.0","id":1,"method":"no.such.method"})");
    EXPECT_EQ(response.at("id"), 1);
    EXPECT_EQ(response.at("error").at("code"), -32601);
    EXPECT_EQ(reasonOf(response), reasonName(Reason::MethodNotFound));
}

TEST_F(DispatcherTest, MissingCapabilityIsNotAllowedAndHandlerDoesNotRun) {
    auto response = answer(R"({"jsonrpc":"2.0","id":1,"method":"test.secret"})", platformCaller());
    EXPECT_EQ(response.at("error").at("code"), -32000);
    EXPECT_EQ(reasonOf(response), reasonName(Reason::NotAllowed));
    EXPECT_EQ(secretCalls_, 0);

    response = answer(R"({"jsonrpc":"2.0","id":2,"method":"test.secret"})", ownCaller());
    EXPECT_EQ(response.at("result"), "ok");
    EXPECT_EQ(secretCalls_, 1);
}

TEST_F(DispatcherTest, HandlerThrowingBecomesStableReasonWithoutInternalText) {
    dispatcher_.add("throw.rpc", Capability::Read,
                    [](const CallContext&, const json&, std::shared_ptr<Responder>) {
                        throw RpcError(Reason::CardAbsent, {{"slot", 1}}, "no card");
                    });
    dispatcher_.add("throw.input", Capability::Read,
                    [](const CallContext&, const json&, std::shared_ptr<Responder>) {
                        throw InputError("secret detail: /home/user/.state");
                    });
    dispatcher_.add("throw.runtime", Capability::Read,
                    [](const CallContext&, const json&, std::shared_ptr<Responder>) {
                        throw std::runtime_error("secret detail: pointer 0xdeadbeef");
                    });
    dispatcher_.add("throw.int", Capability::Read,
                    [](const CallContext&, const json&, std::shared_ptr<Responder>) { throw 42; });
    dispatcher_.add("throw.params", Capability::Read,
                    [](const CallContext&, const json& params, std::shared_ptr<Responder> responder) {
                        responder->succeed(params.at("n").get<int>());
                    });

    auto response = answer(R"({"jsonrpc":"2.0","id":1,"method":"throw.rpc"})");
    EXPECT_EQ(reasonOf(response), "CARD_ABSENT");
    EXPECT_EQ(response.at("error").at("data").at("slot"), 1);

    response = answer(R"({"jsonrpc":"2.0","id":2,"method":"throw.input"})");
    EXPECT_EQ(response.at("error").at("code"), -32602);
    EXPECT_EQ(reasonOf(response), reasonName(Reason::InvalidParams));
    EXPECT_EQ(response.dump().find("secret detail"), std::string::npos);

    response = answer(R"({"jsonrpc":"2.0","id":3,"method":"throw.runtime"})");
    EXPECT_EQ(response.at("error").at("code"), -32603);
    EXPECT_EQ(reasonOf(response), reasonName(Reason::Internal));
    EXPECT_EQ(response.dump().find("secret detail"), std::string::npos);
    EXPECT_EQ(response.dump().find("deadbeef"), std::string::npos);

    EXPECT_EQ(reasonOf(answer(R"({"jsonrpc":"2.0","id":4,"method":"throw.int"})")),
              reasonName(Reason::Internal));
    EXPECT_EQ(reasonOf(answer(R"({"jsonrpc":"2.0","id":5,"method":"throw.params","params":{"n":"x"}})")),
              reasonName(Reason::InvalidParams));
    EXPECT_EQ(reasonOf(answer(R"({"jsonrpc":"2.0","id":6,"method":"throw.params","params":{}})")),
              reasonName(Reason::InvalidParams));
    EXPECT_EQ(answer(R"({"jsonrpc":"2.0","id":7,"method":"throw.params","params":{"n":3}})").at("result"), 3);
}

TEST_F(DispatcherTest, ResponderCompletesOnceEvenWhenUsedTwiceOrThrownAfter) {
    dispatcher_.add("twice", Capability::Read,
                    [](const CallContext&, const json&, std::shared_ptr<Responder> r) {
                        r->succeed(1);
                        r->succeed(2);
                        r->fail(std::make_exception_ptr(std::runtime_error("late")));
                        throw std::runtime_error("after answering");
                    });
    auto response = answer(R"({"jsonrpc":"2.0","id":1,"method":"twice"})");
    EXPECT_EQ(response.at("result"), 1);
}

TEST_F(DispatcherTest, RawResultIsSplicedWithTheSameBytesAsAParsedOne) {
    const json value = {{"b", {1, 2, "ü\"x"}}, {"a", nullptr}, {"c", json::array()}};
    dispatcher_.add("raw", Capability::Read,
                    [&value](const CallContext&, const json&, std::shared_ptr<Responder> r) {
                        r->succeedRaw(value.dump());
                        r->succeed(1);  // answered already: dropped
                    });
    for (const char* id : {"1", "\"x\"", "null", "-2.5"}) {
        const std::string call = std::string(R"({"jsonrpc":"2.0","method":")");
        auto raw = sends(call + R"(raw","id":)" + id + "}", platformCaller());
        auto parsed =
            sends(call + R"(test.echo","id":)" + id + ",\"params\":" + value.dump() + "}", platformCaller());
        ASSERT_EQ(raw.size(), 1U);
        ASSERT_EQ(parsed.size(), 1U);
        EXPECT_EQ(raw[0], parsed[0]);
    }
    auto notification = sends(R"({"jsonrpc":"2.0","method":"raw"})", platformCaller());
    ASSERT_EQ(notification.size(), 1U);
    EXPECT_TRUE(notification[0].empty());
}

TEST_F(DispatcherTest, DroppedResponderAnswersInternal) {
    dispatcher_.add("drop", Capability::Read,
                    [](const CallContext&, const json&, std::shared_ptr<Responder>) {});
    EXPECT_EQ(reasonOf(answer(R"({"jsonrpc":"2.0","id":1,"method":"drop"})")), reasonName(Reason::Internal));
}

TEST_F(DispatcherTest, ResponderMayCompleteLaterFromAnotherThread) {
    std::shared_ptr<Responder> held;
    dispatcher_.add(
        "later", Capability::Read,
        [&held](const CallContext&, const json&, std::shared_ptr<Responder> r) { held = std::move(r); });
    std::vector<std::string> sent;
    dispatcher_.handle(platformCaller(), R"({"jsonrpc":"2.0","id":5,"method":"later"})",
                       [&sent](std::string response) { sent.push_back(std::move(response)); });
    EXPECT_TRUE(sent.empty());
    std::thread worker([r = std::move(held)] { r->succeed("done"); });
    worker.join();
    ASSERT_EQ(sent.size(), 1U);
    EXPECT_EQ(json::parse(sent[0]).at("result"), "done");
}

TEST_F(DispatcherTest, RefuseAnswersWithTheRequestsIdAndRunsNothing) {
    std::vector<std::string> sent;
    auto collect = [&sent](std::string response) { sent.push_back(std::move(response)); };
    const RpcError limited(Reason::RateLimited, {}, "too many requests");
    dispatcher_.refuse(R"({"jsonrpc":"2.0","id":11,"method":"test.count"})", limited, collect);
    dispatcher_.refuse("garbage", limited, collect);
    dispatcher_.refuse(R"({"jsonrpc":"2.0","method":"test.count"})", limited, collect);
    ASSERT_EQ(sent.size(), 3U);
    auto first = json::parse(sent[0]);
    EXPECT_EQ(first.at("id"), 11);
    EXPECT_EQ(reasonOf(first), reasonName(Reason::RateLimited));
    EXPECT_TRUE(json::parse(sent[1]).at("id").is_null());
    EXPECT_TRUE(sent[2].empty());  // a notification gets nothing
    EXPECT_EQ(countCalls_, 0);
}

TEST_F(DispatcherTest, DuplicateRegistrationThrows) {
    EXPECT_THROW(dispatcher_.add("test.echo", Capability::Read,
                                 [](const CallContext&, const json&, std::shared_ptr<Responder>) {}),
                 std::logic_error);
}

TEST_F(DispatcherTest, MethodsForListsOnlyAllowedMethods) {
    EXPECT_EQ(dispatcher_.methodsFor(platformCaller().capabilities),
              (std::vector<std::string>{"test.count", "test.echo"}));
    EXPECT_EQ(dispatcher_.methodsFor(ownCaller().capabilities),
              (std::vector<std::string>{"test.count", "test.echo", "test.secret"}));
}

TEST_F(DispatcherTest, SystemHelloDescribesDaemonAndCaller) {
    dispatcher_.add(systemHello(dispatcher_, SystemInfo{"1.2.3", [] { return std::uint16_t{23444}; }}));
    auto result = answer(R"({"jsonrpc":"2.0","id":1,"method":"system.hello"})").at("result");
    EXPECT_EQ(result.at("product"), "cardbridge");
    EXPECT_EQ(result.at("version"), "1.2.3");
    EXPECT_EQ(result.at("protocol"), 1);
    EXPECT_EQ(result.at("port"), 23444);
    EXPECT_EQ(result.at("origin"), "https://platform.example");
    EXPECT_EQ(result.at("capabilities"), json::array({"read", "startUnlock"}));
    EXPECT_EQ(result.at("methods"), json::array({"system.hello", "test.count", "test.echo"}));

    result = answer(R"({"jsonrpc":"2.0","id":2,"method":"system.hello"})", ownCaller()).at("result");
    EXPECT_EQ(result.at("capabilities"), json::array({"read", "startUnlock", "secrets"}));
    EXPECT_NE(std::find(result.at("methods").begin(), result.at("methods").end(), "test.secret"),
              result.at("methods").end());
}

}  // namespace
}  // namespace cardbridge::daemon

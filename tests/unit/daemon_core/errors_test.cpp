// The error table: every reason, and every typed error the daemon can meet, through classify() and
// toErrorObject() — the one path every answer takes.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/card/pin_policy.hpp"
#include "cardbridge/common/error.hpp"
#include "cardbridge/daemon/core/errors.hpp"

namespace cardbridge::daemon {
namespace {

using card::CardErrorCode;
using nlohmann::json;

// --- every row of the table, raised on purpose ---

class ReasonRow : public ::testing::TestWithParam<ReasonInfo> {};

TEST_P(ReasonRow, RpcErrorAnswersTheRowsCodeMessageAndName) {
    const ReasonInfo& row = GetParam();
    const json error =
        toErrorObject(std::make_exception_ptr(RpcError(row.reason, {{"param", "x"}}, "detail for the log")));
    EXPECT_EQ(error.at("code"), static_cast<int>(row.code));
    EXPECT_EQ(error.at("message"), row.message);
    EXPECT_EQ(error.at("data").at("reason"), row.name);
    EXPECT_EQ(error.at("data").at("param"), "x");
    // The message is English prose for developers, never the reason string or the log detail.
    EXPECT_NE(error.at("message"), row.name);
    EXPECT_EQ(error.dump().find("detail for the log"), std::string::npos);
}

TEST_P(ReasonRow, RowIsWellFormed) {
    const ReasonInfo& row = GetParam();
    EXPECT_EQ(reasonName(row.reason), std::string(row.name));
    const std::string name = row.name;
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_"), std::string::npos) << name;
    // JSON-RPC's own codes for protocol faults and INTERNAL; -32000 for everything the application says.
    const bool protocol = name == "PARSE_ERROR" || name == "INVALID_REQUEST" || name == "METHOD_NOT_FOUND" ||
                          name == "INVALID_PARAMS" || name == "INTERNAL";
    EXPECT_EQ(row.code == RpcCode::ApplicationError, !protocol) << name;
}

INSTANTIATE_TEST_SUITE_P(AllReasons, ReasonRow, ::testing::ValuesIn(REASONS),
                         [](const ::testing::TestParamInfo<ReasonInfo>& p) {
                             return std::string(p.param.name);
                         });

TEST(ReasonTable, NamesAndMessagesAreUnique) {
    std::set<std::string> names;
    std::set<std::string> messages;
    for (const auto& row : REASONS) {
        EXPECT_TRUE(names.insert(row.name).second) << row.name;
        EXPECT_TRUE(messages.insert(row.message).second) << row.message;
    }
}

// --- typed errors from below: the card layer, PIN outcomes, parsing, anything else ---

struct TypedCase {
    const char* label;
    std::exception_ptr error;
    const char* reason;
    int code;
    json extra;  // fields expected in data besides reason
};

std::exception_ptr cardError(CardErrorCode code) {
    try {
        card::throwCardError(code, "from the card layer", 0x6A80);
    } catch (...) {
        return std::current_exception();
    }
    return nullptr;
}

std::exception_ptr pinRefused(card::PinStatus status, std::optional<unsigned> retries) {
    return std::make_exception_ptr(PinRefusedError(card::PinResult{status, retries}));
}

std::exception_ptr jsonTypeError() {
    try {
        (void)json("text").get<int>();
    } catch (...) {
        return std::current_exception();
    }
    return nullptr;
}

std::vector<TypedCase> typedCases() {
    const int app = -32000;
    return {
        {"ServiceUnavailable", cardError(CardErrorCode::ServiceUnavailable), "PCSC_UNAVAILABLE", app, {}},
        {"NoReader", cardError(CardErrorCode::NoReader), "NO_READER", app, {}},
        {"ReaderUnavailable", cardError(CardErrorCode::ReaderUnavailable), "READER_UNAVAILABLE", app, {}},
        {"CardAbsent", cardError(CardErrorCode::CardAbsent), "CARD_ABSENT", app, {}},
        {"CardRemoved", cardError(CardErrorCode::CardRemoved), "CARD_REMOVED", app, {}},
        {"CardReset", cardError(CardErrorCode::CardReset), "CARD_BUSY", app, {}},
        {"SharingViolation", cardError(CardErrorCode::SharingViolation), "CARD_BUSY", app, {}},
        {"CardUnresponsive", cardError(CardErrorCode::CardUnresponsive), "CARD_UNRESPONSIVE", app, {}},
        {"Timeout", cardError(CardErrorCode::Timeout), "TIMEOUT", app, {}},
        {"Cancelled", cardError(CardErrorCode::Cancelled), "TIMEOUT", app, {}},
        {"UnsupportedCard", cardError(CardErrorCode::UnsupportedCard), "CARD_UNSUPPORTED", app, {}},
        {"ProtocolError", cardError(CardErrorCode::ProtocolError), "CARD_ERROR", app, {}},
        {"SecurityStatus", cardError(CardErrorCode::SecurityStatusNotSatisfied), "CARD_ERROR", app, {}},
        {"NotFound", cardError(CardErrorCode::NotFound), "CERT_NOT_FOUND", app, {}},
        {"ReferenceNotFound", cardError(CardErrorCode::ReferenceNotFound), "CARD_ERROR", app, {}},
        {"WrongData", cardError(CardErrorCode::WrongData), "CARD_ERROR", app, {}},
        {"WrongLength", cardError(CardErrorCode::WrongLength), "CARD_ERROR", app, {}},
        {"NotSupported", cardError(CardErrorCode::NotSupported), "CARD_ERROR", app, {}},
        {"UnexpectedStatus", cardError(CardErrorCode::UnexpectedStatus), "CARD_ERROR", app, {}},
        {"InvalidArgument", cardError(CardErrorCode::InvalidArgument), "INVALID_PARAMS", -32602, {}},
        {"PinPolicyCode", cardError(CardErrorCode::PinPolicy), "PIN_POLICY", app, {}},
        {"CardInternal", cardError(CardErrorCode::Internal), "INTERNAL", -32603, {}},
        {"PinPolicyError",
         std::make_exception_ptr(card::PinPolicyError(card::PinPolicyViolation::Sequential)),
         "PIN_POLICY",
         app,
         {{"violation", "Sequential"}}},
        {"WrongPin", pinRefused(card::PinStatus::WrongPin, 2), "PIN_INCORRECT", app, {{"retriesLeft", 2}}},
        {"PinBlocked", pinRefused(card::PinStatus::PinBlocked, 0), "PIN_BLOCKED", app, {{"retriesLeft", 0}}},
        {"WrongPuk", pinRefused(card::PinStatus::WrongPuk, 3), "PUK_INCORRECT", app, {{"retriesLeft", 3}}},
        {"PukBlocked",
         pinRefused(card::PinStatus::PukBlocked, std::nullopt),
         "PUK_BLOCKED",
         app,
         {{"retriesLeft", 0}}},
        {"JsonTypeError", jsonTypeError(), "INVALID_PARAMS", -32602, {}},
        {"InputError", std::make_exception_ptr(InputError("bad input")), "INVALID_PARAMS", -32602, {}},
        {"RuntimeError",
         std::make_exception_ptr(std::runtime_error("secret internals")),
         "INTERNAL",
         -32603,
         {}},
        {"NotAnException", std::make_exception_ptr(42), "INTERNAL", -32603, {}},
    };
}

class TypedError : public ::testing::TestWithParam<TypedCase> {};

TEST_P(TypedError, MapsToItsReasonCodeAndData) {
    const TypedCase& c = GetParam();
    ASSERT_TRUE(c.error) << c.label;
    EXPECT_EQ(reasonName(classify(c.error).reason), std::string(c.reason));
    const json error = toErrorObject(c.error);
    EXPECT_EQ(error.at("code"), c.code);
    EXPECT_EQ(error.at("data").at("reason"), c.reason);
    json expectedData = c.extra.is_object() ? c.extra : json::object();
    expectedData["reason"] = c.reason;
    EXPECT_EQ(error.at("data"), expectedData);
    // The table's message, never an exception's what() (which may name internals).
    bool fromTable = false;
    for (const auto& row : REASONS) fromTable = fromTable || error.at("message") == row.message;
    EXPECT_TRUE(fromTable) << error.dump();
}

INSTANTIATE_TEST_SUITE_P(AllTypedErrors, TypedError, ::testing::ValuesIn(typedCases()),
                         [](const ::testing::TestParamInfo<TypedCase>& p) {
                             return std::string(p.param.label);
                         });

TEST(Classify, KeepsTheDetailForTheLogOnly) {
    const Classified c = classify(std::make_exception_ptr(std::runtime_error("socket 7 closed")));
    EXPECT_EQ(c.reason, Reason::Internal);
    EXPECT_EQ(c.logDetail, "socket 7 closed");
    EXPECT_EQ(
        toErrorObject(std::make_exception_ptr(std::runtime_error("socket 7 closed"))).dump().find("socket"),
        std::string::npos);
}

TEST(Classify, NonObjectExtraBecomesAnObject) {
    const json error = toErrorObject(std::make_exception_ptr(RpcError(Reason::CardAbsent, json::array({1}))));
    EXPECT_EQ(error.at("data"), (json{{"reason", "CARD_ABSENT"}}));
}

}  // namespace
}  // namespace cardbridge::daemon

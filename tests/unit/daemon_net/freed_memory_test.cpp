// No heap block freed while the dispatcher handles a PIN-bearing request still holds the PIN: not the
// parsed tree's strings, not the JSON lexer's buffer, whether the request was answered or refused
// (capability, rate). This binary replaces operator new/delete to scan each block as it is freed, so it
// sees what a later reader of freed memory (a core dump, a heap bug) would see.
// Known residue, counted apart and reported, not wiped: nlohmann's lexer keeps each token's raw bytes,
// quotes included, in a private vector for its error messages ("\"73918462\"" at the start of a block);
// nothing outside the library can reach it.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "cardbridge/daemon/core/dispatcher.hpp"
#include "cardbridge/daemon/core/errors.hpp"
#include "freed_memory.hpp"

namespace {

constexpr char PIN[] = "73918462";

// nlohmann's lexer keeps each token's raw text, quotes included, for its error messages.
bool isLexerRawToken(const char* bytes, std::size_t size) {
    return size >= sizeof PIN + 1 && bytes[0] == '"' && std::memcmp(bytes + 1, PIN, sizeof PIN - 1) == 0 &&
           bytes[sizeof PIN] == '"';
}

}  // namespace

namespace cardbridge::daemon {
namespace {

using nlohmann::json;

TEST(FreedMemory, PinBearingRequestsLeaveNoPinInFreedBlocks) {
    Dispatcher dispatcher(16);
    // The names are longer than a short string's inline buffer, so the lexer's buffer is on the heap
    // by the time it reads the PIN.
    dispatcher.add("test.secretCarryingMethod", Capability::Secrets,
                   [](const CallContext&, const json&, std::shared_ptr<Responder> r) { r->succeed("ok"); });
    dispatcher.add("test.readsAndAnswersAtOnce", Capability::Read,
                   [](const CallContext&, const json& params, std::shared_ptr<Responder> r) {
                       r->succeed(params.at("pin").get<std::string>().size());
                   });
    CallContext platform;
    platform.capabilities.add(Capability::Read);
    CallContext own;
    own.capabilities =
        Capabilities{}.add(Capability::Read).add(Capability::StartUnlock).add(Capability::Secrets);

    // Built before scanning starts and freed after it ends: these are the client's copies.
    const std::string refusedForCapability =
        std::string(R"({"jsonrpc":"2.0","id":1,"method":"test.secretCarryingMethod","params":{"pin":")") +
        PIN + R"("}})";
    const std::string answered =
        std::string(R"({"jsonrpc":"2.0","id":2,"method":"test.readsAndAnswersAtOnce","params":{"pin":")") +
        PIN + R"("}})";
    const std::string secretAnswered =
        std::string(R"({"jsonrpc":"2.0","id":3,"method":"test.secretCarryingMethod","params":{"newPin":")") +
        PIN + R"(","oldPin":")" + PIN + R"("}})";
    std::vector<std::string> responses;
    responses.reserve(8);
    const auto keep = [&responses](std::string response) { responses.push_back(std::move(response)); };

    namespace freed = cardbridge::test::freed;
    freed::isKnownResidue = isLexerRawToken;
    freed::start(PIN);
    dispatcher.handle(platform, refusedForCapability, keep);
    dispatcher.handle(platform, answered, keep);
    dispatcher.handle(own, secretAnswered, keep);
    dispatcher.refuse(answered, RpcError(Reason::RateLimited, {}, "too many requests"), keep);
    dispatcher.refuse(refusedForCapability, RpcError(Reason::TooManyPending, {}, "too many pending"), keep);
    freed::stop();

    ASSERT_EQ(responses.size(), 5U);
    EXPECT_NE(responses[0].find("NOT_ALLOWED"), std::string::npos) << responses[0];
    EXPECT_NE(responses[1].find("\"result\":8"), std::string::npos) << responses[1];
    EXPECT_NE(responses[3].find("RATE_LIMITED"), std::string::npos) << responses[3];
    EXPECT_EQ(freed::hits.load(), 0) << "freed heap blocks still holding the PIN";
    RecordProperty("lexerRawTokenResidue", freed::residue.load());
}

}  // namespace
}  // namespace cardbridge::daemon

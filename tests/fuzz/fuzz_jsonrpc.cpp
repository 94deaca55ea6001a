// JSON-RPC decode and dispatch (daemon/core): one text frame as the WebSocket session hands it to the
// dispatcher, against the real method table (system.hello, the card methods, unlock.*) on the real card
// layer over a virtual PIV card in memory (the vcard applet) and a fake authority (the unit tests' fakes at
// the AuthorityClient seam). The first input byte picks the caller: the bundled UI's own origin, a platform
// origin, or a platform origin allowed secrets; the rest is the frame. "$FLOW" in the frame becomes the
// flowId of the latest unlock.begin, so the fuzzer reaches the steps after it.
//
// Checked for every frame: the dispatcher answers exactly once within the bound, and the answer is one
// JSON-RPC 2.0 response (result xor error; an error has a code, a message and a data.reason string).
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "applet_card.hpp"
#include "cardbridge/daemon/core/card_service.hpp"
#include "cardbridge/daemon/core/dispatcher.hpp"
#include "cardbridge/daemon/core/methods.hpp"
#include "cardbridge/daemon/core/origin_policy.hpp"
#include "cardbridge/daemon/unlock/unlock_service.hpp"
#include "cardbridge/vcard/piv_objects.hpp"
#include "fake_authority.hpp"
#include "fuzz_support.hpp"
#include "test_certs.hpp"

namespace {

using namespace cardbridge;
using nlohmann::json;

constexpr const char* READER = "Fuzz Reader 00 00";
constexpr auto ANSWER_BOUND = std::chrono::seconds(20);

class NullSink final : public daemon::NotificationSink {
  public:
    void broadcast(const std::string&, const json&, daemon::Capability) override {}
};

/// Everything the daemon's API layer holds, built once per process.
struct Daemon {
    test::VirtualReader reader{READER};
    std::shared_ptr<test::FakeAuthority> authority = std::make_shared<test::FakeAuthority>();
    std::filesystem::path stateDir;
    std::unique_ptr<daemon::CardService> cards;
    std::unique_ptr<daemon::unlock::UnlockService> unlock;
    NullSink sink;
    std::unique_ptr<daemon::unlock::CardEventTap> tap;
    daemon::Dispatcher dispatcher;
    std::mutex mutex;
    std::string lastFlowId = "00000000000000000000000000000000";

    Daemon() {
        spdlog::set_level(spdlog::level::off);
        char folder[] = "/tmp/cardbridge-fuzz-jsonrpc-XXXXXX";
        if (mkdtemp(folder) == nullptr) std::abort();
        stateDir = folder;

        test::CertSpec spec;
        spec.commonName = "张三";
        const auto now = std::chrono::system_clock::now();
        spec.notBefore = now - std::chrono::hours(24);
        spec.notAfter = now + std::chrono::days(365);
        const test::TestCert cert = test::makeCertificate(spec);
        reader.insert(std::make_shared<test::VirtualCard>(
            test::pivCardState(4242, fromHex("00112233445566778899AABBCCDDEEFF"), cert.der)));

        daemon::CardService::Options options;
        options.startMonitor = false;
        options.connectorFactory = [this] { return std::make_unique<test::AppletConnector>(reader); };
        cards = std::make_unique<daemon::CardService>(std::move(options));

        daemon::unlock::UnlockOptions unlockOptions;
        unlockOptions.stateDir = stateDir;
        unlockOptions.port = [] { return std::uint16_t{23443}; };
        unlock = std::make_unique<daemon::unlock::UnlockService>(*cards, test::clientOf(authority),
                                                                 std::move(unlockOptions));
        tap = std::make_unique<daemon::unlock::CardEventTap>(sink, *unlock);
        cards->setSink(tap.get());
        daemon::registerMethods(dispatcher, *cards, {"0.0.0-fuzz", [] { return std::uint16_t{23443}; }},
                                unlock->methods());
        cards->start();
        unlock->start();
        using card::ReaderEvent;
        cards->handleEvent({ReaderEvent::Kind::ReaderAdded, READER, {}});
        cards->handleEvent({ReaderEvent::Kind::CardInserted, READER, vcard::yubikey5Atr()});
    }
};

Daemon& theDaemon() {
    static Daemon* daemon = new Daemon();  // never destroyed: worker threads outlive the fuzzing loop
    return *daemon;
}

daemon::CallContext caller(std::uint8_t selector) {
    daemon::CallContext context;
    context.connectionId = 1;
    switch (selector % 3) {
        case 0:
            context.origin = "https://127.0.0.1:23443";
            context.ownOrigin = true;
            context.capabilities = daemon::allCapabilities();
            break;
        case 1:
            context.origin = "https://platform.example";
            context.capabilities.add(daemon::Capability::Read).add(daemon::Capability::StartUnlock);
            break;
        default:
            context.origin = "https://trusted.example";
            context.capabilities = daemon::allCapabilities();
            break;
    }
    return context;
}

void checkResponse(const std::string& text) {
    const json response = json::parse(text);  // our own serialiser: must parse
    if (!response.is_object() || response.value("jsonrpc", "") != "2.0" || !response.contains("id"))
        std::abort();
    const bool hasResult = response.contains("result");
    const bool hasError = response.contains("error");
    if (hasResult == hasError) std::abort();
    if (hasError) {
        const json& error = response.at("error");
        if (!error.at("code").is_number_integer() || !error.at("message").is_string() ||
            !error.at("data").at("reason").is_string()) {
            std::abort();
        }
    }
}

/// Calls the dispatcher and waits for its one answer.
std::string dispatch(Daemon& d, const daemon::CallContext& context, const std::string& frame) {
    struct Answer {
        std::mutex mutex;
        std::condition_variable done;
        int calls = 0;
        std::string text;
    };
    auto answer = std::make_shared<Answer>();
    d.dispatcher.handle(context, frame, [answer](std::string text) {
        std::lock_guard lock(answer->mutex);
        if (++answer->calls > 1) std::abort();  // answered twice
        answer->text = std::move(text);
        answer->done.notify_all();
    });
    std::unique_lock lock(answer->mutex);
    if (!answer->done.wait_for(lock, ANSWER_BOUND, [&] { return answer->calls > 0; })) {
        std::fprintf(stderr, "no answer within the bound to: %s\n", frame.c_str());
        std::abort();
    }
    return answer->text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    Daemon& d = theDaemon();
    const daemon::CallContext context = caller(data[0]);
    std::string frame(fuzz::text(data + 1, size - 1));
    {
        std::lock_guard lock(d.mutex);
        for (std::size_t at = frame.find("$FLOW"); at != std::string::npos; at = frame.find("$FLOW", at)) {
            frame.replace(at, 5, d.lastFlowId);
            at += d.lastFlowId.size();
        }
    }

    const std::string text = dispatch(d, context, frame);
    if (!text.empty()) {
        checkResponse(text);
        const json response = json::parse(text);
        if (response.contains("result") && response["result"].is_object() &&
            response["result"].value("flowId", json()).is_string()) {
            std::lock_guard lock(d.mutex);
            d.lastFlowId = response["result"]["flowId"].get<std::string>();
        }
    }

    // The network layer's refusals (rate limit, too many pending) answer the same frame without a method.
    std::string refused;
    d.dispatcher.refuse(frame, daemon::RpcError(daemon::Reason::RateLimited),
                        [&](std::string t) { refused = std::move(t); });
    if (!refused.empty()) checkResponse(refused);
    return 0;
}

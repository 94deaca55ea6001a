// The fixture of the UnlockService tests: a CardService fed with reader events over a virtual PIV card in
// memory (applet_card.hpp), the fake authority (fake_authority.hpp), a temp state folder, a fake clock, and
// the unlock service driven through its method handlers and its upload entry, as the dispatcher and the
// network layer drive it. No sockets, no pcscd.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "applet_card.hpp"
#include "cardbridge/daemon/core/card_service.hpp"
#include "cardbridge/daemon/core/rpc.hpp"
#include "cardbridge/daemon/unlock/unlock_service.hpp"
#include "fake_authority.hpp"
#include "fakes/clock_random.hpp"
#include "temp_dir.hpp"
#include "test_certs.hpp"

namespace cardbridge::test {

using nlohmann::json;

/// How long a test waits for something the service does on its own threads.
inline constexpr std::chrono::seconds WAIT{5};

/// Records the one completion of a request; the test thread waits for it.
class TestResponder final : public daemon::Responder {
  public:
    void succeed(json result) override;
    void fail(std::exception_ptr error) override;
    /// The result; fails the test on an error or after WAIT.
    json result();
    /// The error object {code, message, data}; fails the test on a result or after WAIT.
    json error();
    /// error()'s data.reason.
    std::string reason();
    /// Waits for the completion, up to WAIT (fails the test then).
    void wait();

  private:
    void finish(std::optional<json> result, std::optional<json> error);
    std::mutex mutex_;
    std::condition_variable done_;
    int completions_ = 0;
    std::optional<json> result_;
    std::optional<json> error_;
};

/// Collects notifications in order. Thread-safe.
class TestSink final : public daemon::NotificationSink {
  public:
    void broadcast(const std::string& method, const json& params, daemon::Capability required) override;
    /// Notifications received so far.
    [[nodiscard]] std::size_t size();
    /// The params of the first notification named `method`, from the `from`-th (0-based) on, that `match`
    /// accepts; waits up to `timeout`, then fails the test and returns null.
    json waitFor(const std::string& method, const std::function<bool(const json&)>& match = {},
                 std::size_t from = 0, std::chrono::milliseconds timeout = WAIT);
    /// The params of every notification named `method`.
    std::vector<json> all(const std::string& method);
    /// Runs `hook` for every notification after recording it, on the broadcasting thread (outside the
    /// sink's lock), e.g. to act in the middle of the service's announcement. Empty: none.
    void setHook(std::function<void(const std::string&, const json&)> hook);

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::pair<std::string, json>> events_;
    std::function<void(const std::string&, const json&)> hook_;
};

/// The certificates on the test cards (EC P-256, minted once per run).
struct TestCertificates {
    TestCert valid;        ///< from a day ago to a year ahead
    TestCert expired;      ///< ended yesterday
    TestCert notYetValid;  ///< starts in ten days
};

class UnlockServiceTest : public ::testing::Test {
  protected:
    static constexpr const char* READER = "Virtual PCD 00 00";
    static constexpr const char* NEW_PIN = "258014";
    static const TestCertificates& certs();

    void SetUp() override;
    void TearDown() override;

    /// Creates and starts an UnlockService on the state folder: the fake authority as its client (none when
    /// `withClient` is false), polling every second, the fake clock; `tweak` may change the options.
    void startUnlock(bool withClient = true,
                     const std::function<void(daemon::unlock::UnlockOptions&)>& tweak = {});
    /// Stops and destroys the service (a daemon that exits; the state folder stays).
    void stopUnlock();

    /// A card with `cert` in 9a and a blocked PIN.
    static std::shared_ptr<VirtualCard> makeCard(
        const TestCert& cert, std::uint32_t serial = 20261127,
        const std::string& guidHex = "8C1A3F0E5B7D4C2A9E6F1B3D5A7C9E0F");
    /// Attaches the reader (the first time), inserts `card` (taking out the one inside) and waits until the
    /// card service has read it and announced it.
    void insert(const std::shared_ptr<VirtualCard>& card);

    /// Calls the unlock method `method` like the dispatcher does (a throwing handler fails the responder).
    std::shared_ptr<TestResponder> call(const std::string& method, const json& params);
    /// The result of `method`; fails the test on an error.
    json result(const std::string& method, const json& params) { return call(method, params)->result(); }
    /// The error object of `method`; fails the test on a result.
    json error(const std::string& method, const json& params) { return call(method, params)->error(); }
    /// unlock.begin for the reader.
    json begin() { return result("unlock.begin", {{"reader", READER}}); }
    /// The attachment upload, waited for.
    daemon::unlock::UploadAnswer upload(const std::string& flowId, const std::string& kind, std::string body);

    /// 经办人信息 of the handler registered for the certificate (SMS route) / of someone else (review route).
    static json originalHandler();
    static json otherHandler();
    /// A flow through identify with the original handler and sendCode: step sms.
    json smsFlow();
    /// A flow through identify with someone else, three uploads and submit: step in_review.
    json reviewFlowInReview();

    /// stateDir/unlock/journal-<cardId>.json and pending-<cardId>.json.
    [[nodiscard]] std::filesystem::path journalPath(const std::string& cardId) const;
    [[nodiscard]] std::filesystem::path pendingPath(const std::string& cardId) const;
    /// The journal's step / the pending record's step, or empty when there is no such file.
    [[nodiscard]] std::string journalStep(const std::string& cardId) const;
    [[nodiscard]] std::string pendingStep(const std::string& cardId) const;
    /// Waits until `condition` holds, up to `timeout`.
    static bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = WAIT);

    /// Asserts the end state of a reset: the card's PIN is `pin` with full tries, its PUK the one of the
    /// authority's new epoch 1 with a full counter, no more than one wrong PUK try was ever spent, the
    /// authority completed the rotation, and the journal is gone.
    void expectRotated(const VirtualCard& card, const std::string& pin, const std::string& cardSerial);

    TempDir stateDir_{"cardbridge-unlock-unit"};
    fake::FakeClock clock_{std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())};
    fake::FakeRandom random_;
    VirtualReader reader_{READER};
    TestSink sink_;
    std::shared_ptr<FakeAuthority> authority_ = std::make_shared<FakeAuthority>();
    std::unique_ptr<daemon::CardService> cards_;
    std::unique_ptr<daemon::unlock::UnlockService> unlock_;
    std::unique_ptr<daemon::unlock::CardEventTap> tap_;
    std::map<std::string, daemon::MethodHandler> methods_;
    bool readerAttached_ = false;
};

/// A few bytes of each attachment type.
std::string pngBytes();
std::string pdfBytes();
std::string jpegBytes();

}  // namespace cardbridge::test

// Black-box fixture for the unlock flow end to end: a private pcscd + vpcd with a virtual PIV card whose
// 9a slot holds a certificate enrolled at a real cardbridge-authority (which keeps the card's PUK), and the
// real cardbridged binary configured to use that authority, driven over WSS and HTTPS like the wizard.
// Witnesses independent of the daemon: the card's state file (PIN, PUK and their counters, read without
// spending a try), yubico-piv-tool, the authority's CLI (`puk --card`) and its audit table.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "authority_process.hpp"
#include "https_exchange.hpp"
#include "pcsc_env.hpp"
#include "temp_dir.hpp"
#include "wss_client.hpp"

namespace cardbridge::test {

using nlohmann::json;

inline constexpr const char* ORGANIZATION = "深圳市测试医疗器械有限公司";  // the leaf's O, as enrolled
inline constexpr const char* APPLICANT_NAME = "张三";
inline constexpr const char* APPLICANT_ID = "440304199001011233";
inline constexpr const char* APPLICANT_PHONE = "13812345678";
inline constexpr const char* APPLICANT_MASKED_PHONE = "138****5678";
inline constexpr const char* OTHER_NAME = "李四";
inline constexpr const char* OTHER_ID = "11010519491231002X";
inline constexpr const char* OTHER_PHONE = "13987654321";
inline constexpr const char* OLD_PIN = "123456";  // cardbridge-vcard's default, blocked before each test
inline constexpr const char* NEW_PIN = "258014";
inline constexpr const char* TOKEN = "unlock-flow-e2e-token-0123456789abcdef";
inline constexpr const char* REVIEWER = "wang";
inline constexpr const char* REVIEWER_PASSWORD = "reviewer-password-1";

/// The result of a JSON-RPC answer; throws std::runtime_error with the whole answer when it is an error.
json resultOf(const json& response);
/// `error.data.reason` of a JSON-RPC answer ("" when it is a result).
std::string reasonOf(const json& response);
/// `error.data` of a JSON-RPC answer (an empty object when absent).
json errorData(const json& response);
/// Upper-case hex SHA-256, as the daemon and the authority report fingerprints and attachments.
std::string sha256Upper(const std::string& data);
/// Small files with the right magic bytes for the three attachment kinds.
std::string samplePdf();
std::string samplePng();
std::string sampleJpeg();
/// A PIN the policy accepts, different for each `i` ("258010", "258011", …).
std::string pinNumber(int i);

/// PIN and PUK as the virtual card holds them (its state file; ASCII), with their counters.
struct CardSecrets {
    std::string pin;
    std::string puk;
    int pinTriesLeft = -1;
    int pinRetries = -1;
    int pukTriesLeft = -1;
    int pukRetries = -1;
};

/// The authority's view of the card's PUK (`cardbridge-authority puk --card S`).
struct AuthorityPuk {
    std::string current;
    bool pendingRotation = false;  ///< the CLI named a pending rotation (its "note:" line)
    std::string next;              ///< the next epoch's PUK when a rotation is pending
};

/// One entry of the authority's audit table.
struct AuditEntry {
    std::string action;
    std::string requestId;
    json details;
};

/// Per test: PcscEnv, AuthorityProcess (fixed port, so it can be stopped and started again), a card with
/// serial `serial_` enrolled for the applicant and its PIN blocked, and cardbridged with `client_` on the
/// own origin. Tests that need another set-up call the pieces themselves (see SetUp).
class UnlockFlowTest : public ::testing::Test {
  protected:
    void SetUp() override;
    void TearDown() override;

    // --- set-up pieces
    /// This test's own folder (HOME, config, state, card file, authority, logs); PcscEnv's is per process.
    [[nodiscard]] const std::filesystem::path& work() const { return work_->path(); }
    /// Writes the daemon's config: the authority block plus `extra` merged over the top level.
    void writeDaemonConfig(const json& extra = json::object());
    /// Starts cardbridged (CARDBRIDGE_FAULT_AT=`faultAt` when not empty) on port_ and waits until it listens.
    void startDaemon(const std::string& faultAt = {});
    /// SIGKILLs the daemon (as a crash would) and waits for it.
    void killDaemon();
    /// Waits until the daemon process has exited by itself; false after `timeout`.
    bool waitDaemonExit(std::chrono::milliseconds timeout);
    /// A WSS client of the daemon with `origin` (default: the own origin), 30 s per call.
    std::unique_ptr<WssClient> connect(const std::optional<std::string>& origin = std::nullopt);
    /// Connects client_ and waits until cards.list shows the card in reader().
    void connectAndWaitForCard();
    /// cards.list's object for the card in reader(), waiting until the daemon has read it.
    json waitForCard(WssClient& client);
    /// Provisions card.json with `cert` (and its key) in 9a, serial `serial`, PUK `puk`; PIN blocked.
    void provisionBlockedCard(const TestCert& cert, std::uint32_t serial, const std::string& puk);
    /// Enrols `certPem` at the authority for card `serial` and the applicant. Returns the CLI's status.
    int enrollCertificate(const std::string& certPem, std::uint32_t serial, const std::string& fileName);

    // --- the card and the authority as witnesses
    [[nodiscard]] std::string reader() const;
    [[nodiscard]] CardSecrets cardSecrets() const;
    void lockPin();
    [[nodiscard]] AuthorityPuk authorityPuk() const;
    /// yubico-piv-tool -a verify-pin (spends a try when wrong: call it only where `pin` must be right).
    [[nodiscard]] bool pinVerifies(const std::string& pin) const;
    [[nodiscard]] std::vector<AuditEntry> auditEntries() const;
    /// Stops the authority (its port is then closed) / starts it again on the same port.
    void stopAuthority();
    void startAuthority();

    // --- the flow as the wizard drives it (throw std::runtime_error on an unexpected answer)
    static json applicantHandler();
    static json otherHandler();
    json call(WssClient& client, const std::string& method, const json& params);
    json begin(WssClient& client);
    /// begin + identify with `handler`; the flow after identify.
    json beginAndIdentify(WssClient& client, const json& handler);
    /// PUT /unlock/{flowId}/attachments/{kind} on the daemon with `origin` (default: own origin).
    HttpsReply putAttachment(const std::string& flowId, const std::string& kind, const std::string& bytes,
                             const std::string& contentType, const std::optional<std::string>& origin = {},
                             bool expectContinue = false);
    void uploadAll(const std::string& flowId);
    /// begin, identify (other handler), three uploads, submit: the flow in step in_review.
    json toInReview(WssClient& client);
    /// toInReview, then the reviewer approves and unlock.status shows step approved.
    json toApproved(WssClient& client);
    /// The reviewer's decision on the authority's /review/ pages (login once per test).
    void approve(const std::string& requestId);
    void reject(const std::string& requestId, const std::string& reason);
    /// Waits for unlock.statusChanged with `step` (skipping others) on `client`.
    json waitStatusChanged(WssClient& client, const std::string& step, std::chrono::milliseconds timeout);
    /// Discards the notifications `method` already received by `client`.
    static void drainNotifications(WssClient& client, const std::string& method);

    // --- checks
    /// The invariants after a finished unlock: `newPin` verifies (yubico-piv-tool) and is what the card
    /// holds with full tries; the card's PUK is the authority's current one with no rotation pending; the
    /// PUK counter is full. `context` names the case in failure messages.
    void expectUnlocked(const std::string& newPin, const std::string& context);
    /// Waits until the authority has no rotation pending for the card (the daemon retries `complete` by
    /// itself after an outage); false after `timeout`.
    bool waitAuthorityInSync(std::chrono::milliseconds timeout);
    /// Nothing in the daemon's logs or state folder contains any of `secrets`.
    void expectNotInDaemonFiles(const std::vector<std::string>& secrets);
    /// The pause file of CARDBRIDGE_FAULT_AT=<step>:pause.
    [[nodiscard]] std::filesystem::path pauseFile() const;
    /// Waits until the paused daemon has created the pause file.
    bool waitPaused(std::chrono::milliseconds timeout) const;

    std::unique_ptr<TempDir> work_;
    std::unique_ptr<PcscEnv> env_;
    std::unique_ptr<AuthorityProcess> authority_;
    std::unique_ptr<VirtualCard> card_;
    std::unique_ptr<ChildProcess> daemon_;
    std::unique_ptr<WssClient> client_;
    std::filesystem::path stateDir_;
    std::filesystem::path cardFile_;
    std::uint16_t port_ = 0;
    std::uint16_t authorityPort_ = 0;
    std::uint32_t serial_ = 20261127;
    std::string initialPuk_;  ///< the PUK the card got at provisioning (the authority's epoch-0 PUK)
    json extraConfig_ = json::object();
    int daemonStarts_ = 0;
    std::string reviewerCookie_;
};

}  // namespace cardbridge::test

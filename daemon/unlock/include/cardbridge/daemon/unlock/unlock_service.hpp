// The unlock flow (docs/api.md §4.5): flows bound to one card and certificate, the unlock.* methods, the
// attachment upload bridge, the PUK rotation with its journal and repair, and the polling of pending review
// requests. Authority calls and journal work run on the service's own threads; card work on the reader's
// worker (CardService). Nothing here runs on a network thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cardbridge/common/clock.hpp"
#include "cardbridge/daemon/core/card_service.hpp"
#include "cardbridge/daemon/core/rpc.hpp"
#include "cardbridge/daemon/unlock/authority_client.hpp"
#include "cardbridge/daemon/unlock/unlock_store.hpp"

namespace cardbridge::daemon::unlock {

/// Settings of the unlock service.
struct UnlockOptions {
    std::filesystem::path stateDir;                 ///< the journal and pending records go to stateDir/unlock
    std::function<std::uint16_t()> port;            ///< the daemon's port (for wizardUrl)
    std::chrono::seconds pollInterval{30};          ///< first delay and shortest interval of status polling
    std::chrono::seconds pollMaxInterval{20 * 60};  ///< longest interval of status polling
    std::chrono::minutes flowIdle{120};             ///< a flow without calls for this long is forgotten
    unsigned threads = 2;                           ///< threads for authority calls
    std::string offlineUrl;  ///< sent with CERT_EXPIRED as data.offlineUrl when set (authority.offlineUrl)
    const Clock* clock = nullptr;  ///< not owned; default SystemClock
    Random* random = nullptr;      ///< not owned; default SystemRandom (flow ids)
    /// Called right after each journal write, with the step written (fault injection: CARDBRIDGE_FAULT_AT).
    std::function<void(JournalStep)> afterJournalWrite;
};

/// The answer to an attachment upload: HTTP status and JSON body.
struct UploadAnswer {
    unsigned status = 500;
    std::string json;
};

/// The unlock flow. Thread-safe. `client` may be null: every method then answers AUTHORITY_NOT_CONFIGURED.
class UnlockService {
  public:
    /// Does not start threads yet. Throws std::runtime_error when the state folder cannot be created.
    UnlockService(CardService& cards, std::unique_ptr<AuthorityClient> client, UnlockOptions options);
    /// stop().
    ~UnlockService();
    UnlockService(const UnlockService&) = delete;
    UnlockService& operator=(const UnlockService&) = delete;

    /// Starts the worker threads and the poller; finishes `complete` calls journalled before a restart.
    void start();
    /// Stops polling and the workers after their current job; queued jobs are answered INTERNAL. Idempotent.
    void stop() noexcept;

    /// Where unlock.statusChanged goes (not owned; null: nowhere).
    void setSink(NotificationSink* sink);

    /// Watches the card service's notifications (card.inserted → repair a journalled rotation, re-announce
    /// an approved request). Quick; never throws.
    void onCardEvent(const std::string& method, const nlohmann::json& params) noexcept;

    /// The unlock.* methods, for the dispatcher.
    [[nodiscard]] std::vector<MethodSpec> methods();

    /// PUT /unlock/{flowId}/attachments/{kind} after the network layer's checks: checks the flow, the size
    /// and the type by magic bytes, then forwards. Returns at once; `done` is called once, from a worker.
    void upload(std::string flowId, std::string kind, std::string body,
                std::function<void(UploadAnswer)> done);

    struct Impl;

  private:
    std::shared_ptr<Impl> impl_;
};

/// Passes every notification on to `downstream` and shows card events to the unlock service.
class CardEventTap final : public NotificationSink {
  public:
    CardEventTap(NotificationSink& downstream, UnlockService& unlock)
        : downstream_(downstream), unlock_(unlock) {}
    void broadcast(const std::string& method, const nlohmann::json& params, Capability required) override {
        downstream_.broadcast(method, params, required);
        unlock_.onCardEvent(method, params);
    }

  private:
    NotificationSink& downstream_;
    UnlockService& unlock_;
};

/// The reason an authority failure stands for, as an RpcError (FORM_INVALID with data.fields,
/// CODE_INCORRECT with data.triesLeft, AUTHORITY_UNREACHABLE…). The one place authority errors are mapped.
[[noreturn]] void throwAuthorityError(const AuthorityError& error);

/// The flow step of an authority status ("open" on the SMS route → "sms", "authorised" → "approved"…).
[[nodiscard]] std::string stepOf(const RequestStatus& status);

/// The next status poll's delay for a request of `age`: age / 8 within [min, max].
[[nodiscard]] std::chrono::seconds pollDelay(std::chrono::seconds age, std::chrono::seconds min,
                                             std::chrono::seconds max) noexcept;

}  // namespace cardbridge::daemon::unlock

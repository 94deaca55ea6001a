// CardService: owns the reader monitor and one worker thread per reader; caches each inserted card once
// and turns reader events into notifications. Card work never runs on a network thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cardbridge/card/pcsc.hpp"
#include "cardbridge/card/piv_card.hpp"
#include "cardbridge/card/transport.hpp"
#include "cardbridge/common/clock.hpp"
#include "cardbridge/daemon/core/card_json.hpp"
#include "cardbridge/daemon/core/rpc.hpp"

namespace cardbridge::daemon {

/// A reader's state as jobs see it on the reader's worker thread. Only valid inside the job.
class ReaderSession {
  public:
    virtual ~ReaderSession() = default;
    /// Name of the reader this worker serves.
    [[nodiscard]] virtual const std::string& reader() const = 0;
    /// The card façade. Throws RpcError CARD_ABSENT without a card, READER_UNAVAILABLE once the reader is
    /// gone.
    virtual card::PivCard& card() = 0;
    /// The card read at insertion (served from memory); read now if that read failed. Throws like card()
    /// and CardError from the read.
    virtual const CardSnapshot& snapshot() = 0;
    /// Records the PIN state learnt from a PIN operation in the cache. Never throws.
    virtual void updatePin(const card::PinRetries& pin) noexcept = 0;
    /// Asks the card for its PIN state (no try spent) and caches it; on failure caches Unknown and logs.
    /// Never throws.
    virtual card::PinRetries refreshPin() noexcept = 0;
    /// The service's clock (certificate status).
    [[nodiscard]] virtual std::chrono::system_clock::time_point now() const = 0;
};

/// The card object of cards.list, built and serialised once by the reader's worker (at insertion, after a
/// PIN-state change, and when a certificate's status changes) and answered from the network thread.
struct CachedCard {
    std::string json;  ///< the serialised card object (nlohmann::json::dump, never input)
    /// [validFrom, validUntil): no certificate changes status (valid, expired…) in it; outside, rebuild.
    std::chrono::system_clock::time_point validFrom;
    std::chrono::system_clock::time_point validUntil;
};

/// What a reader looks like from outside its worker (readers.list, health).
struct ReaderState {
    std::string name;
    bool cardPresent = false;
    std::optional<std::string> cardId;     ///< set once the inserted card was read
    std::optional<std::string> cardError;  ///< reason of a failed insertion read (e.g. CARD_UNSUPPORTED)
    std::optional<card::PinRetries> pin;   ///< cached PIN state of the read card
    std::size_t certificates = 0;          ///< certificates on the read card
    std::shared_ptr<const CachedCard> cachedCard;  ///< the read card, serialised; null while (re)reading
    std::uint64_t generation = 0;                  ///< counts insertions/removals: stale publishes drop
};

/// Reader monitor + per-reader workers + card cache. Thread-safe; handleEvent() is the monitor's callback.
class CardService {
  public:
    /// Makes the connector of one worker; called on that worker's thread.
    using ConnectorFactory = std::function<std::unique_ptr<card::CardConnector>()>;
    /// A piece of card work; runs on the reader's worker thread. Exceptions are logged and dropped, so a
    /// job that answers a request must catch and complete its Responder itself.
    using Job = std::function<void(ReaderSession&)>;

    struct Options {
        ConnectorFactory connectorFactory;  ///< default: a PcscConnector per worker
        bool startMonitor = true;           ///< false: no ReaderMonitor; feed events with handleEvent()
        card::ReaderMonitorOptions monitor;
        const Clock* clock = nullptr;  ///< not owned; must outlive the service. Default: SystemClock
    };

    /// Creates the service without starting anything. Never throws beyond std::bad_alloc.
    explicit CardService(Options options);
    CardService();
    /// stop().
    ~CardService();
    CardService(const CardService&) = delete;
    CardService& operator=(const CardService&) = delete;

    /// Starts the reader monitor (when Options::startMonitor). Works without pcscd or readers: the service
    /// picks them up when they appear. Idempotent.
    void start();
    /// Stops the monitor, then every worker after it ran its queued jobs (requests are answered, with
    /// READER_UNAVAILABLE when the reader is gone). Idempotent, never throws.
    void stop() noexcept;

    /// Where notifications go (not owned; null: nowhere). Thread-safe: after setSink(other) returns, no
    /// broadcast to the old sink is running or will start, so the old sink may be destroyed.
    void setSink(NotificationSink* sink);

    /// Applies one reader event (the monitor's callback; unit tests call it directly). Quick: card work is
    /// queued on the reader's worker. Never throws beyond std::bad_alloc.
    void handleEvent(const card::ReaderEvent& event);

    /// Queues `job` on the worker of `reader`. Throws RpcError: PCSC_UNAVAILABLE when pcscd is down,
    /// READER_UNAVAILABLE when no such reader is connected.
    void post(const std::string& reader, Job job);

    /// The serialised card of every reader with a card, by reader name, when all of them are cached and
    /// current at now(); nothing while an insertion read is pending or failed, or a certificate's status
    /// changed since (then the worker path answers, and rebuilds the cache).
    [[nodiscard]] std::optional<std::vector<std::shared_ptr<const CachedCard>>> cachedCards() const;
    /// True unless the monitor reported pcscd gone (and not back yet).
    [[nodiscard]] bool pcscAvailable() const;
    /// Connected readers, by name.
    [[nodiscard]] std::vector<ReaderState> readers() const;
    /// The service's clock.
    [[nodiscard]] std::chrono::system_clock::time_point now() const;

    struct Worker;

  private:
    void broadcast(const std::string& method, const nlohmann::json& params);
    void publish(const std::string& reader, const std::function<void(ReaderState&)>& change);
    void reapRetired();
    /// Takes `reader` out of service (card.removed if it had a card, then reader.removed); mutex_ held.
    void retireLocked(const std::string& reader);
    friend struct Worker;

    Options options_;
    mutable std::mutex mutex_;
    bool pcscAvailable_ = true;
    bool stopped_ = false;
    std::map<std::string, std::shared_ptr<Worker>> workers_;
    std::map<std::string, ReaderState> states_;
    std::vector<std::shared_ptr<Worker>> retired_;  ///< removed readers whose worker is draining

    std::mutex sinkMutex_;  ///< held while broadcasting, so setSink() can wait for in-flight broadcasts
    NotificationSink* sink_ = nullptr;

    std::mutex monitorMutex_;
    std::unique_ptr<card::ReaderMonitor> monitor_;
};

}  // namespace cardbridge::daemon

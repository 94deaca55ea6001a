// The card service's state for GET /health and `cardbridged doctor`: rendered here, apart from card work.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>
#include <thread>
#include <vector>

#include "cardbridge/daemon/core/card_service.hpp"
#include "cardbridge/daemon/core/origin_policy.hpp"

namespace cardbridge::daemon {

/// {status:"ok"|"degraded", pcscAvailable, readers:[…], problems:[{reason, message[, reader]}]} (docs/api.md
/// §6). Problems: PCSC_UNAVAILABLE, else NO_READER, else CARD_ABSENT; plus one per unreadable card. No
/// secrets, no certificates. Pure; never throws beyond std::bad_alloc.
nlohmann::json renderHealth(bool pcscAvailable, const std::vector<ReaderState>& readers);

/// renderHealth() of `cards`' current state. Thread-safe; no card I/O.
nlohmann::json cardHealth(const CardService& cards);

/// Whether a /health request comes from the daemon's own origin (the bundled UI): its Origin header is one
/// of `policy`'s own origins, or it has no Origin and its Referer's origin is. No header, "null", a
/// platform origin or any other origin: false. Pure.
bool isOwnOriginRequest(std::string_view origin, std::string_view referer, const OriginPolicy& policy);

/// `health` with every reader's "card" object (card id, certificate count, PIN state) removed, and the
/// "tls" findings cut to code and status (their texts name paths in the user's home); name, cardPresent,
/// cardError and problems stay. What other pages and processes get. Pure.
nlohmann::json withoutCardDetails(nlohmann::json health);

/// A slow check (e.g. the TLS and trust findings: files, certutil, the system store) run on a thread of
/// its own at start() and then every `interval` (or at once on refresh()), its last result kept in
/// memory. value() never waits for the probe, so GET /health stays fast however slow the probe is.
class CachedProbe {
  public:
    /// `probe` must not throw (an exception is logged and the old value kept); `initial` is value() until
    /// the first run ends.
    CachedProbe(std::function<nlohmann::json()> probe, std::chrono::milliseconds interval,
                nlohmann::json initial);
    ~CachedProbe();
    CachedProbe(const CachedProbe&) = delete;
    CachedProbe& operator=(const CachedProbe&) = delete;

    /// Starts the thread (first run at once). Call once.
    void start();
    /// Asks for a run now (e.g. after the TLS files changed). Returns at once.
    void refresh();
    /// Ends the thread; waits for a probe under way. Idempotent.
    void stop();
    /// The last result. Thread-safe; never blocks on a running probe.
    [[nodiscard]] nlohmann::json value() const;
    /// How many runs have finished (tests).
    [[nodiscard]] std::uint64_t runs() const;

  private:
    void loop();
    std::function<nlohmann::json()> probe_;
    std::chrono::milliseconds interval_;
    mutable std::mutex mutex_;  // guards value_, runs_, wake_, stop_
    std::condition_variable changed_;
    nlohmann::json value_;
    std::uint64_t runs_ = 0;
    bool wake_ = false;
    bool stop_ = false;
    std::thread thread_;
};

/// The GET /health body: cardHealth(cards) plus "tls" (the cached findings), card details only when
/// `ownOrigin`. Thread-safe; no card I/O, no file or process I/O.
nlohmann::json healthFor(const CardService& cards, nlohmann::json tls, bool ownOrigin);

}  // namespace cardbridge::daemon

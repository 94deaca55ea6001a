// PC/SC (pcsc-lite / WinSCard) implementation of the card seam, and the reader monitor.
// No PC/SC type leaks out of this header: handles live behind pimpls.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cardbridge/card/transport.hpp"

namespace cardbridge::card {

/// An established PC/SC context (SCardEstablishContext). Use one per thread; only cancel() may be
/// called from another thread.
class PcscContext {
  public:
    /// Establishes a user-scope context. Throws CardRetryableError(ServiceUnavailable) when pcscd is down.
    PcscContext();
    ~PcscContext();
    PcscContext(const PcscContext&) = delete;
    PcscContext& operator=(const PcscContext&) = delete;

    /// Names of the connected readers; an empty list when there are none. Throws CardError.
    [[nodiscard]] std::vector<std::string> listReaders() const;
    /// Ends a blocking wait running on this context (SCardCancel). Thread-safe, never throws.
    void cancel() noexcept;

    struct Impl;
    /// Internal handle for the PC/SC module's own files.
    [[nodiscard]] Impl& impl() const noexcept { return *impl_; }

  private:
    std::unique_ptr<Impl> impl_;
};

/// A shared-mode connection to the card in one reader, transmitting with the active protocol's PCI.
class PcscTransport final : public Transport {
  public:
    /// Connects (SCARD_SHARE_SHARED, T=0|T=1). Throws CardError (CardAbsent, ReaderUnavailable,
    /// SharingViolation, ServiceUnavailable, …).
    PcscTransport(std::shared_ptr<PcscContext> context, std::string reader);
    /// Disconnects, leaving the card as is.
    ~PcscTransport() override;
    PcscTransport(const PcscTransport&) = delete;
    PcscTransport& operator=(const PcscTransport&) = delete;

    Bytes exchange(ByteView command) override;
    void beginTransaction() override;
    void endTransaction() override;
    void reconnect() override;
    [[nodiscard]] std::string readerName() const override;
    [[nodiscard]] Bytes atr() const override;
    /// True when the active protocol is T=0 (case-4 commands then go without Le).
    [[nodiscard]] bool isT0() const noexcept;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// CardConnector over PC/SC. Owns a lazily established context; use it from one (worker) thread.
class PcscConnector final : public CardConnector {
  public:
    PcscConnector() = default;
    /// Connects to `reader`; establishes the context first if needed. Throws CardError.
    std::shared_ptr<Transport> connect(const std::string& reader) override;
    void resetContext() noexcept override;
    /// Reader names through this connector's context; resets the context on ServiceUnavailable and
    /// rethrows. Throws CardError.
    [[nodiscard]] std::vector<std::string> listReaders();

  private:
    std::shared_ptr<PcscContext> context();
    std::shared_ptr<PcscContext> context_;
};

/// What the reader monitor reports.
struct ReaderEvent {
    enum class Kind {
        ReaderAdded,
        ReaderRemoved,
        CardInserted,  ///< `atr` is set
        CardRemoved,
        ServiceLost,      ///< pcscd went away; all readers were reported removed
        ServiceRestored,  ///< a context could be established again
    };
    Kind kind = Kind::ReaderAdded;
    std::string reader;  ///< empty for Service* events
    Bytes atr;
};

/// Stable name of an event kind, e.g. "CardInserted".
std::string_view toString(ReaderEvent::Kind kind) noexcept;

/// Timing of the reader monitor.
struct ReaderMonitorOptions {
    /// Longest blocking wait; the monitor re-lists readers after every wake-up, so this only bounds how
    /// late a reader added between two waits (missed by pcsc-lite 1.9.9) is noticed.
    std::chrono::milliseconds safetyTimeout{std::chrono::seconds(60)};
    /// Pause before trying to reach pcscd again after it went away.
    std::chrono::milliseconds serviceRetry{std::chrono::seconds(2)};
};

/// A thread blocked in SCardGetStatusChange (with the PnP notification reader) on its own context,
/// reporting reader and card events through a callback. Existing readers and cards are reported as
/// added/inserted at start.
class ReaderMonitor {
  public:
    using Callback = std::function<void(const ReaderEvent&)>;
    /// Starts the thread. `callback` runs on the monitor thread; it must be quick, and exceptions it
    /// throws are logged and dropped. Never throws for PC/SC conditions (they become events).
    explicit ReaderMonitor(Callback callback, ReaderMonitorOptions options = {});
    /// Stops and joins the thread.
    ~ReaderMonitor();
    ReaderMonitor(const ReaderMonitor&) = delete;
    ReaderMonitor& operator=(const ReaderMonitor&) = delete;

    /// Wakes the thread with SCardCancel and joins it. Idempotent, never throws. From the callback it
    /// only asks the loop to end (the destructor joins later).
    void stop() noexcept;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace cardbridge::card

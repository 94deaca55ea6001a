#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/card/pcsc.hpp"
#include "pcsc_context.hpp"
#include "pcsc_error.hpp"
#include "pcsc_platform.hpp"

namespace cardbridge::card {

std::string_view toString(ReaderEvent::Kind kind) noexcept {
    switch (kind) {
        case ReaderEvent::Kind::ReaderAdded:
            return "ReaderAdded";
        case ReaderEvent::Kind::ReaderRemoved:
            return "ReaderRemoved";
        case ReaderEvent::Kind::CardInserted:
            return "CardInserted";
        case ReaderEvent::Kind::CardRemoved:
            return "CardRemoved";
        case ReaderEvent::Kind::ServiceLost:
            return "ServiceLost";
        case ReaderEvent::Kind::ServiceRestored:
            return "ServiceRestored";
    }
    return "Unknown";
}

namespace {

using detail::PcscReaderState;

struct KnownReader {
    detail::PcscString pcscName;        // the name as the PC/SC calls take it (UTF-16 on Windows)
    DWORD state = SCARD_STATE_UNAWARE;  // last dwEventState without CHANGED, fed back as dwCurrentState
    bool present = false;
};

}  // namespace

struct ReaderMonitor::Impl {
    Callback callback;
    ReaderMonitorOptions options;

    std::mutex mutex;  // guards stopping, finished and context (the pointer, not the calls)
    std::condition_variable wake;
    bool stopping = false;
    bool finished = false;
    std::shared_ptr<PcscContext> context;
    std::thread thread;

    std::map<std::string, KnownReader> known;
    DWORD pnpState = SCARD_STATE_UNAWARE;
    bool serviceUp = true;

    void emit(ReaderEvent::Kind kind, const std::string& reader, Bytes atr = {}) {
        ReaderEvent event{kind, reader, std::move(atr)};
        try {
            callback(event);
        } catch (const std::exception& e) {
            spdlog::warn("reader monitor: event callback threw: {}", e.what());
        } catch (...) {
            spdlog::warn("reader monitor: event callback threw");
        }
    }

    bool isStopping() {
        std::lock_guard lock(mutex);
        return stopping;
    }

    // Sleeps up to `duration`, returning early when stop() is called.
    void pause(std::chrono::milliseconds duration) {
        std::unique_lock lock(mutex);
        wake.wait_for(lock, duration, [this] { return stopping; });
    }

    void setContext(std::shared_ptr<PcscContext> next) {
        std::lock_guard lock(mutex);
        context = std::move(next);
    }

    void forgetAllReaders() {
        for (const auto& [name, reader] : known) {
            if (reader.present) emit(ReaderEvent::Kind::CardRemoved, name);
            emit(ReaderEvent::Kind::ReaderRemoved, name);
        }
        known.clear();
        pnpState = SCARD_STATE_UNAWARE;
    }

    // Brings `known` in line with the reader list; returns true when something changed.
    bool reconcile(const std::vector<std::string>& readers) {
        bool changed = false;
        for (auto it = known.begin(); it != known.end();) {
            if (std::find(readers.begin(), readers.end(), it->first) == readers.end()) {
                if (it->second.present) emit(ReaderEvent::Kind::CardRemoved, it->first);
                emit(ReaderEvent::Kind::ReaderRemoved, it->first);
                it = known.erase(it);
                changed = true;
            } else {
                ++it;
            }
        }
        for (const auto& name : readers) {
            if (known.emplace(name, KnownReader{detail::toPcscString(name)}).second) {
                emit(ReaderEvent::Kind::ReaderAdded, name);
                changed = true;
            }
        }
        return changed;
    }

    // Applies the result of one wait; returns true when an event was emitted.
    bool apply(std::vector<PcscReaderState>& states) {
        bool changed = false;
        for (std::size_t i = 0; i + 1 < states.size(); ++i) {
            const PcscReaderState& s = states[i];
            auto it = known.find(detail::fromPcscString(s.szReader));
            if (it == known.end()) continue;
            KnownReader& reader = it->second;
            // A reader that vanished during the wait: the next re-list reports it.
            if ((s.dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE)) != 0) continue;
            const bool present = (s.dwEventState & SCARD_STATE_PRESENT) != 0;
            const bool firstLook = reader.state == SCARD_STATE_UNAWARE;
            // pcsc-lite counts card events in the high 16 bits: a changed count with a card present
            // both times means it was swapped between two waits.
            const bool swapped =
                !firstLook && reader.present && present && (reader.state >> 16) != (s.dwEventState >> 16);
            if (reader.present && (!present || swapped)) {
                emit(ReaderEvent::Kind::CardRemoved, it->first);
                changed = true;
            }
            if (present && (!reader.present || swapped)) {
                emit(ReaderEvent::Kind::CardInserted, it->first, Bytes(s.rgbAtr, s.rgbAtr + s.cbAtr));
                changed = true;
            }
            reader.present = present;
            reader.state = s.dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
        }
        pnpState = states.back().dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
        return changed;
    }

    void run() {
        unsigned quietWakeups = 0;
        while (!isStopping()) {
            try {
                if (!context) {
                    setContext(std::make_shared<PcscContext>());
                    if (!serviceUp) {
                        serviceUp = true;
                        emit(ReaderEvent::Kind::ServiceRestored, {});
                    }
                }
                // Re-list after every wake-up: pcsc-lite 1.9.9 misses readers added between two waits.
                bool changed = reconcile(context->listReaders());

                std::vector<PcscReaderState> states;
                states.reserve(known.size() + 1);
                for (const auto& [name, reader] : known) {
                    PcscReaderState s{};
                    s.szReader = reader.pcscName.c_str();
                    s.dwCurrentState = reader.state;
                    states.push_back(s);
                }
                PcscReaderState pnp{};
                pnp.szReader = detail::PCSC_PNP_READER;
                pnp.dwCurrentState = pnpState;
                states.push_back(pnp);

                if (isStopping()) break;
                LONG rv = detail::pcscGetStatusChange(context->impl().handle,
                                                      static_cast<DWORD>(options.safetyTimeout.count()),
                                                      states.data(), static_cast<DWORD>(states.size()));
                if (rv == SCARD_S_SUCCESS) {
                    changed = apply(states) || changed;
                } else if (rv == SCARD_E_UNKNOWN_READER) {
                    changed = true;  // a reader vanished between listing and waiting: re-list
                } else if (rv != SCARD_E_TIMEOUT && rv != SCARD_E_CANCELLED) {
                    detail::throwPcscError(rv, "SCardGetStatusChange");
                }
                if (rv == SCARD_S_SUCCESS && !changed) {
                    // Guard against a wait that returns at once without news (it would be a busy loop).
                    if (++quietWakeups >= 5) {
                        pause(std::chrono::seconds(1));
                        quietWakeups = 0;
                    }
                } else {
                    quietWakeups = 0;
                }
            } catch (const std::exception& e) {
                const auto* cardError = dynamic_cast<const CardError*>(&e);
                if (cardError != nullptr && cardError->code() == CardErrorCode::ServiceUnavailable) {
                    setContext(nullptr);
                    forgetAllReaders();
                    if (serviceUp) {
                        serviceUp = false;
                        spdlog::info("reader monitor: PC/SC service unavailable: {}", e.what());
                        emit(ReaderEvent::Kind::ServiceLost, {});
                    }
                } else {
                    spdlog::warn("reader monitor: {}", e.what());
                }
                pause(options.serviceRetry);
            }
        }
        std::lock_guard lock(mutex);
        finished = true;
        wake.notify_all();
    }
};

ReaderMonitor::ReaderMonitor(Callback callback, ReaderMonitorOptions options)
    : impl_(std::make_unique<Impl>()) {
    impl_->callback = std::move(callback);
    impl_->options = options;
    impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

ReaderMonitor::~ReaderMonitor() {
    stop();
}

void ReaderMonitor::stop() noexcept {
    if (!impl_->thread.joinable()) return;
    if (std::this_thread::get_id() == impl_->thread.get_id()) {
        // Called from the callback: only ask the loop to end; joining itself would deadlock.
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
        return;
    }
    std::unique_lock lock(impl_->mutex);
    impl_->stopping = true;
    impl_->wake.notify_all();
    // SCardCancel only ends a wait that has already started; if the thread is just about to enter
    // one, cancel again until it is out. This loop runs only during shutdown.
    while (!impl_->finished) {
        if (impl_->context) impl_->context->cancel();
        impl_->wake.wait_for(lock, std::chrono::milliseconds(50), [this] { return impl_->finished; });
    }
    lock.unlock();
    impl_->thread.join();
}

}  // namespace cardbridge::card

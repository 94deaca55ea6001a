// CardService: reader events in, per-reader worker threads with a small queue, a card cache, notifications
// out.
#include "cardbridge/daemon/core/card_service.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "cardbridge/daemon/core/errors.hpp"
#include "reader_worker.hpp"

namespace cardbridge::daemon {

using nlohmann::json;
using Kind = card::ReaderEvent::Kind;

namespace {

[[noreturn]] void throwReason(Reason reason, const char* detail) {
    throw RpcError(reason, json::object(), detail);
}

}  // namespace

CardService::CardService(Options options) : options_(std::move(options)) {}

CardService::CardService() : CardService(Options{}) {}

CardService::~CardService() {
    stop();
}

void CardService::start() {
    std::lock_guard lock(monitorMutex_);
    {
        std::lock_guard stateLock(mutex_);
        stopped_ = false;
    }
    if (monitor_ || !options_.startMonitor) return;
    monitor_ = std::make_unique<card::ReaderMonitor>([this](const card::ReaderEvent& e) { handleEvent(e); },
                                                     options_.monitor);
}

void CardService::stop() noexcept {
    {
        std::unique_ptr<card::ReaderMonitor> monitor;
        {
            std::lock_guard lock(monitorMutex_);
            monitor = std::move(monitor_);
        }
        monitor.reset();  // joins the monitor thread, so no event arrives after this
    }
    std::vector<std::shared_ptr<Worker>> workers;
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        for (auto& [name, worker] : workers_) workers.push_back(worker);
        workers_.clear();
        states_.clear();
        workers.insert(workers.end(), retired_.begin(), retired_.end());
        retired_.clear();
    }
    for (auto& worker : workers) worker->requestStop();
    for (auto& worker : workers) worker->join();
}

void CardService::setSink(NotificationSink* sink) {
    std::lock_guard lock(sinkMutex_);
    sink_ = sink;
}

void CardService::broadcast(const std::string& method, const json& params) {
    std::lock_guard lock(sinkMutex_);
    if (sink_ == nullptr) return;
    try {
        sink_->broadcast(method, params, Capability::Read);
    } catch (const std::exception& e) {
        spdlog::warn("notification {} not delivered: {}", method, e.what());
    }
}

void CardService::publish(const std::string& reader, const std::function<void(ReaderState&)>& change) {
    std::lock_guard lock(mutex_);
    auto it = states_.find(reader);
    if (it != states_.end()) change(it->second);
}

void CardService::reapRetired() {
    // Called with mutex_ held; joining a finished thread does not block.
    for (auto it = retired_.begin(); it != retired_.end();) {
        if ((*it)->finished()) {
            (*it)->join();
            it = retired_.erase(it);
        } else {
            ++it;
        }
    }
}

void CardService::retireLocked(const std::string& reader) {
    auto it = workers_.find(reader);
    if (it == workers_.end()) return;
    auto worker = it->second;
    workers_.erase(it);
    const bool hadCard = states_[reader].cardPresent;
    states_.erase(reader);
    if (hadCard) worker->push(task::CardRemoved{});
    worker->push(task::ReaderRemoved{});
    worker->requestStop();
    retired_.push_back(std::move(worker));
}

void CardService::handleEvent(const card::ReaderEvent& event) {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    reapRetired();
    switch (event.kind) {
        case Kind::ReaderAdded: {
            pcscAvailable_ = true;
            if (workers_.count(event.reader) != 0) return;
            auto worker = std::make_shared<Worker>(*this, event.reader);
            ReaderState state;
            state.name = event.reader;
            states_[event.reader] = std::move(state);
            worker->push(task::ReaderAdded{});
            worker->start();
            workers_.emplace(event.reader, std::move(worker));
            return;
        }
        case Kind::ReaderRemoved:
            retireLocked(event.reader);
            return;
        case Kind::CardInserted: {
            auto it = workers_.find(event.reader);
            if (it == workers_.end()) return;
            ReaderState& state = states_[event.reader];
            state.cardPresent = true;
            state.cachedCard.reset();
            const std::uint64_t generation = ++state.generation;
            it->second->push(task::CardInserted{generation});
            return;
        }
        case Kind::CardRemoved: {
            auto it = workers_.find(event.reader);
            if (it == workers_.end()) return;
            ReaderState& state = states_[event.reader];
            state.cardPresent = false;
            state.cachedCard.reset();
            ++state.generation;
            it->second->push(task::CardRemoved{});
            return;
        }
        case Kind::ServiceLost: {
            // The monitor reports every reader removed just before; any left over go now, so that
            // clients never see a reader of a service that is gone.
            pcscAvailable_ = false;
            std::vector<std::string> left;
            for (const auto& [name, worker] : workers_) left.push_back(name);
            for (const auto& name : left) retireLocked(name);
            spdlog::warn("PC/SC service unavailable");
            return;
        }
        case Kind::ServiceRestored:
            pcscAvailable_ = true;
            spdlog::info("PC/SC service available again");
            return;
    }
}

void CardService::post(const std::string& reader, Job job) {
    std::lock_guard lock(mutex_);
    auto it = workers_.find(reader);
    if (it == workers_.end()) {
        if (!pcscAvailable_) throwReason(Reason::PcscUnavailable, "the PC/SC service is not running");
        throwReason(Reason::ReaderUnavailable, "no such reader");
    }
    it->second->push(task::Run{std::move(job)});
}

bool CardService::pcscAvailable() const {
    std::lock_guard lock(mutex_);
    return pcscAvailable_;
}

std::vector<ReaderState> CardService::readers() const {
    std::lock_guard lock(mutex_);
    std::vector<ReaderState> out;
    out.reserve(states_.size());
    for (const auto& [name, state] : states_) out.push_back(state);
    return out;
}

std::optional<std::vector<std::shared_ptr<const CachedCard>>> CardService::cachedCards() const {
    const auto at = now();
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<const CachedCard>> out;
    for (const auto& [name, state] : states_) {
        if (!state.cardPresent) continue;
        const CachedCard* card = state.cachedCard.get();
        if (!card || at < card->validFrom || at >= card->validUntil) return std::nullopt;
        out.push_back(state.cachedCard);
    }
    return out;
}

std::chrono::system_clock::time_point CardService::now() const {
    static const SystemClock systemClock;
    return options_.clock != nullptr ? options_.clock->now() : systemClock.now();
}

}  // namespace cardbridge::daemon

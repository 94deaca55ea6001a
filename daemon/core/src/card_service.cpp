// CardService: reader events in, per-reader worker threads with a small queue, a card cache, notifications
// out.
#include "cardbridge/daemon/card_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <thread>
#include <tuple>
#include <utility>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/daemon/reasons.hpp"

namespace cardbridge::daemon {

using nlohmann::json;
using Kind = card::ReaderEvent::Kind;

namespace {

/// The stable reason toErrorObject() gives an exception (for card.inserted errors and health).
std::string reasonOf(std::exception_ptr error) {
    const json object = toErrorObject(std::move(error));
    return object.at("data").value("reason", std::string(reason::INTERNAL));
}

/// The interval [from, until) around `now` in which no certificate of the card changes status (the clock
/// may also step back).
std::pair<std::chrono::system_clock::time_point, std::chrono::system_clock::time_point> statusInterval(
    const CardSnapshot& card, std::chrono::system_clock::time_point now) {
    using TimePoint = std::chrono::system_clock::time_point;
    TimePoint from = TimePoint::min();
    TimePoint until = TimePoint::max();
    for (const auto& entry : card.certificates) {
        if (!entry.certificate) continue;
        const TimePoint notBefore = entry.certificate->notBefore();
        const TimePoint notAfter = entry.certificate->notAfter();
        // Expired once now > notAfter.
        const TimePoint expiry = notAfter < TimePoint::max() ? notAfter + TimePoint::duration(1) : notAfter;
        if (now < notBefore) {
            until = std::min(until, notBefore);
        } else if (now < expiry) {
            from = std::max(from, notBefore);
            until = std::min(until, expiry);
        } else {
            from = std::max(from, expiry);
        }
    }
    return {from, until};
}

[[noreturn]] void throwReason(const char* name, const char* message) {
    throw RpcError(RpcCode::ApplicationError, name, message);
}

}  // namespace

/// One reader's worker: a thread, its queue, and the card state only that thread touches.
struct CardService::Worker final : ReaderSession {
    Worker(CardService& service, std::string reader) : service_(service), reader_(std::move(reader)) {}

    // --- any thread ---

    void start() {
        thread_ = std::thread([this] { run(); });
    }

    void push(Job job) {
        {
            std::lock_guard lock(mutex_);
            queue_.push_back(std::move(job));
        }
        wake_.notify_one();
    }

    /// Lets the queue drain (jobs then see the reader gone) and the thread end.
    void requestStop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
    }

    bool finished() {
        std::lock_guard lock(mutex_);
        return finished_;
    }

    void join() {
        if (thread_.joinable()) thread_.join();
    }

    // --- the worker thread ---

    void run() {
        try {
            connector_ = service_.options_.connectorFactory ? service_.options_.connectorFactory()
                                                            : std::make_unique<card::PcscConnector>();
        } catch (const std::exception& e) {
            spdlog::error("reader '{}': cannot create a card connector: {}", reader_, e.what());
        }
        for (;;) {
            Job job;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) break;
                job = std::move(queue_.front());
                queue_.pop_front();
                gone_ = stopping_;
            }
            try {
                job(*this);
            } catch (const std::exception& e) {
                spdlog::error("reader '{}': job failed: {}", reader_, e.what());
            } catch (...) {
                spdlog::error("reader '{}': job failed", reader_);
            }
        }
        // PC/SC handles are released on the thread that used them.
        card_.reset();
        connector_.reset();
        std::lock_guard lock(mutex_);
        finished_ = true;
    }

    void onInserted(std::uint64_t generation) {
        generation_ = generation;
        present_ = true;
        snapshot_.reset();
        readError_.reset();
        if (card_) card_->disconnect();  // a new card: no stale connection
        json params = {{"reader", reader_}};
        try {
            const CardSnapshot& s = readSnapshot();
            params["card"] = publishCard();
            spdlog::info("card inserted in '{}': id {}, {} certificate(s)", reader_, s.cardId,
                         s.certificates.size());
        } catch (...) {
            const std::string why = reasonOf(std::current_exception());
            readError_ = why;
            service_.publish(reader_, [&](ReaderState& state) { state.cardError = why; });
            params["card"] = nullptr;
            params["error"] = why;
            spdlog::warn("card inserted in '{}' could not be read: {}", reader_, why);
        }
        service_.broadcast("card.inserted", params);
    }

    void onRemoved() {
        present_ = false;
        snapshot_.reset();
        readError_.reset();
        if (card_) card_->disconnect();
        service_.publish(reader_, [](ReaderState& state) {
            state.cardId.reset();
            state.cardError.reset();
            state.pin.reset();
            state.certificates = 0;
        });
        spdlog::info("card removed from '{}'", reader_);
        service_.broadcast("card.removed", {{"reader", reader_}});
    }

    const CardSnapshot& readSnapshot() {
        card::PivCard& c = card();
        snapshot_ = makeSnapshot(c.readInfo());
        readError_.reset();
        const CardSnapshot& s = *snapshot_;
        service_.publish(reader_, [&](ReaderState& state) {
            state.cardId = s.cardId;
            state.cardError.reset();
            state.pin = s.pin;
            state.certificates = s.certificates.size();
        });
        return s;
    }

    /// Builds the card object from snapshot_, publishes it serialised for cards.list (unless the card
    /// changed since this worker's insertion read) and returns it.
    json publishCard() {
        const auto at = now();
        json card = cardToJson(*snapshot_, at);
        auto cached = std::make_shared<CachedCard>();
        cached->json = card.dump(-1, ' ', false, json::error_handler_t::replace);
        std::tie(cached->validFrom, cached->validUntil) = statusInterval(*snapshot_, at);
        cacheValidFrom_ = cached->validFrom;
        cacheValidUntil_ = cached->validUntil;
        service_.publish(reader_, [&](ReaderState& state) {
            if (state.generation == generation_ && state.cardPresent) state.cachedCard = std::move(cached);
        });
        return card;
    }

    // --- ReaderSession ---

    const std::string& reader() const override { return reader_; }

    card::PivCard& card() override {
        if (gone_) throwReason(reason::READER_UNAVAILABLE, "the reader was removed");
        if (!present_) throwReason(reason::CARD_ABSENT, "no card in the reader");
        if (!connector_) throwReason(reason::INTERNAL, "no card connector");
        if (!card_) card_ = std::make_unique<card::PivCard>(*connector_, reader_);
        return *card_;
    }

    const CardSnapshot& snapshot() override {
        card();  // presence checks first
        if (snapshot_) {
            const auto at = now();
            if (at < cacheValidFrom_ || at >= cacheValidUntil_)
                publishCard();  // a certificate's status changed
            return *snapshot_;
        }
        readSnapshot();  // the insertion read failed (busy card, …): try again on demand
        publishCard();
        return *snapshot_;
    }

    void updatePin(const card::PinRetries& pin) noexcept override {
        try {
            service_.publish(reader_, [&](ReaderState& state) { state.pin = pin; });
            if (snapshot_) {
                snapshot_->pin = pin;
                publishCard();
            }
        } catch (...) {
            // publish only allocates; losing a cache update is harmless
        }
    }

    card::PinRetries refreshPin() noexcept override {
        card::PinRetries pin;
        try {
            pin = card().pinRetries();
        } catch (...) {
            spdlog::warn("reader '{}': PIN state unavailable: {}", reader_,
                         reasonOf(std::current_exception()));
        }
        updatePin(pin);
        return pin;
    }

    std::chrono::system_clock::time_point now() const override { return service_.now(); }

    CardService& service_;
    const std::string reader_;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> queue_;
    bool stopping_ = false;
    bool finished_ = false;
    std::thread thread_;

    // Worker thread only.
    bool gone_ = false;
    bool present_ = false;
    std::unique_ptr<card::CardConnector> connector_;
    std::unique_ptr<card::PivCard> card_;
    std::optional<CardSnapshot> snapshot_;
    std::optional<std::string> readError_;
    std::uint64_t generation_ = 0;                          ///< of the insertion being served
    std::chrono::system_clock::time_point cacheValidFrom_;  ///< of the last published card
    std::chrono::system_clock::time_point cacheValidUntil_;
};

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
    if (hadCard) worker->push([](ReaderSession& s) { static_cast<Worker&>(s).onRemoved(); });
    worker->push([](ReaderSession& s) {
        auto& w = static_cast<Worker&>(s);
        spdlog::info("reader removed: '{}'", w.reader_);
        w.service_.broadcast("reader.removed", {{"reader", w.reader_}});
    });
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
            worker->push([](ReaderSession& s) {
                auto& w = static_cast<Worker&>(s);
                spdlog::info("reader added: '{}'", w.reader_);
                w.service_.broadcast("reader.added", {{"reader", w.reader_}});
            });
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
            it->second->push(
                [generation](ReaderSession& s) { static_cast<Worker&>(s).onInserted(generation); });
            return;
        }
        case Kind::CardRemoved: {
            auto it = workers_.find(event.reader);
            if (it == workers_.end()) return;
            ReaderState& state = states_[event.reader];
            state.cardPresent = false;
            state.cachedCard.reset();
            ++state.generation;
            it->second->push([](ReaderSession& s) { static_cast<Worker&>(s).onRemoved(); });
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
        if (!pcscAvailable_) throwReason(reason::PCSC_UNAVAILABLE, "the PC/SC service is not running");
        throwReason(reason::READER_UNAVAILABLE, "no such reader");
    }
    it->second->push(std::move(job));
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
    return options_.clock ? options_.clock() : std::chrono::system_clock::now();
}

json CardService::health() const {
    const bool available = pcscAvailable();
    const std::vector<ReaderState> list = readers();
    json readersJson = json::array();
    bool anyCard = false;
    for (const auto& r : list) {
        json entry = {{"name", r.name}, {"cardPresent", r.cardPresent}};
        if (r.cardId) {
            entry["card"] = {{"cardId", *r.cardId}, {"certificates", r.certificates}};
            if (r.pin) entry["card"]["pin"] = pinToJson(*r.pin);
        }
        if (r.cardError) entry["cardError"] = *r.cardError;
        anyCard = anyCard || r.cardPresent;
        readersJson.push_back(std::move(entry));
    }
    json problems = json::array();
    if (!available) {
        problems.push_back({{"reason", reason::PCSC_UNAVAILABLE},
                            {"message", "The PC/SC service (pcscd) is not running or not reachable."}});
    } else if (list.empty()) {
        problems.push_back(
            {{"reason", reason::NO_READER}, {"message", "No smart-card reader is connected."}});
    } else if (!anyCard) {
        problems.push_back(
            {{"reason", reason::CARD_ABSENT}, {"message", "No card is inserted in any reader."}});
    }
    for (const auto& r : list) {
        if (r.cardError) {
            problems.push_back({{"reason", *r.cardError},
                                {"message", "The card in '" + r.name + "' could not be read."},
                                {"reader", r.name}});
        }
    }
    return {{"status", problems.empty() ? "ok" : "degraded"},
            {"pcscAvailable", available},
            {"readers", std::move(readersJson)},
            {"problems", std::move(problems)}};
}

}  // namespace cardbridge::daemon

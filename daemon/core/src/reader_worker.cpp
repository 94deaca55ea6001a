// A reader's worker thread: runs its typed tasks in order, owns the card connection, reads each inserted
// card once and publishes it (serialised) for cards.list.
#include "reader_worker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "cardbridge/daemon/core/errors.hpp"

namespace cardbridge::daemon {

using nlohmann::json;
using TimePoint = std::chrono::system_clock::time_point;

namespace {

/// The stable reason of an exception (for card.inserted errors and health).
std::string reasonOf(std::exception_ptr error) {
    return reasonName(classify(std::move(error)).reason);
}

/// The interval [from, until) around `now` in which no certificate of the card changes status (the clock
/// may also step back).
std::pair<TimePoint, TimePoint> statusInterval(const CardSnapshot& card, TimePoint now) {
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

[[noreturn]] void throwReason(Reason reason, const char* detail) {
    throw RpcError(reason, json::object(), detail);
}

}  // namespace

CardService::Worker::Worker(CardService& service, std::string reader)
    : service_(service), reader_(std::move(reader)) {}

// --- any thread ---

void CardService::Worker::start() {
    thread_ = std::thread([this] { run(); });
}

void CardService::Worker::push(Task task) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(task));
    }
    wake_.notify_one();
}

void CardService::Worker::requestStop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
}

bool CardService::Worker::finished() {
    std::lock_guard lock(mutex_);
    return finished_;
}

void CardService::Worker::join() {
    if (thread_.joinable()) thread_.join();
}

// --- the worker thread ---

void CardService::Worker::run() {
    try {
        connector_ = service_.options_.connectorFactory ? service_.options_.connectorFactory()
                                                        : std::make_unique<card::PcscConnector>();
    } catch (const std::exception& e) {
        spdlog::error("reader '{}': cannot create a card connector: {}", reader_, e.what());
    }
    for (;;) {
        Task task;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) break;
            task = std::move(queue_.front());
            queue_.pop_front();
            gone_ = stopping_;
        }
        try {
            std::visit([this](auto& t) { perform(t); }, task);
        } catch (const std::exception& e) {
            spdlog::error("reader '{}': task failed: {}", reader_, e.what());
        } catch (...) {
            spdlog::error("reader '{}': task failed", reader_);
        }
    }
    // PC/SC handles are released on the thread that used them.
    card_.reset();
    connector_.reset();
    std::lock_guard lock(mutex_);
    finished_ = true;
}

void CardService::Worker::perform(task::ReaderAdded) {
    spdlog::info("reader added: '{}'", reader_);
    service_.broadcast("reader.added", {{"reader", reader_}});
}

void CardService::Worker::perform(task::ReaderRemoved) {
    spdlog::info("reader removed: '{}'", reader_);
    service_.broadcast("reader.removed", {{"reader", reader_}});
}

void CardService::Worker::perform(task::Run& run) {
    run.job(*this);
}

void CardService::Worker::perform(task::CardInserted inserted) {
    generation_ = inserted.generation;
    present_ = true;
    snapshot_.reset();
    if (card_) card_->disconnect();  // a new card: no stale connection
    json params = {{"reader", reader_}};
    try {
        const CardSnapshot& s = readSnapshot();
        params["card"] = publishCard();
        spdlog::info("card inserted in '{}': id {}, {} certificate(s)", reader_, s.cardId,
                     s.certificates.size());
    } catch (...) {
        const std::string why = reasonOf(std::current_exception());
        service_.publish(reader_, [&](ReaderState& state) { state.cardError = why; });
        params["card"] = nullptr;
        params["error"] = why;
        spdlog::warn("card inserted in '{}' could not be read: {}", reader_, why);
    }
    service_.broadcast("card.inserted", params);
}

void CardService::Worker::perform(task::CardRemoved) {
    present_ = false;
    snapshot_.reset();
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

const CardSnapshot& CardService::Worker::readSnapshot() {
    card::PivCard& c = card();
    snapshot_ = makeSnapshot(c.readInfo());
    const CardSnapshot& s = *snapshot_;
    service_.publish(reader_, [&](ReaderState& state) {
        state.cardId = s.cardId;
        state.cardError.reset();
        state.pin = s.pin;
        state.certificates = s.certificates.size();
    });
    return s;
}

json CardService::Worker::publishCard() {
    const auto at = now();
    json card = cardToJson(*snapshot_, at);
    auto cached = std::make_shared<CachedCard>();
    cached->json = card.dump(-1, ' ', false, json::error_handler_t::replace);
    std::tie(cached->validFrom, cached->validUntil) = statusInterval(*snapshot_, at);
    cacheValidFrom_ = cached->validFrom;
    cacheValidUntil_ = cached->validUntil;
    // Unless the card changed since this worker's insertion read.
    service_.publish(reader_, [&](ReaderState& state) {
        if (state.generation == generation_ && state.cardPresent) state.cachedCard = std::move(cached);
    });
    return card;
}

// --- ReaderSession ---

card::PivCard& CardService::Worker::card() {
    if (gone_) throwReason(Reason::ReaderUnavailable, "the reader was removed");
    if (!present_) throwReason(Reason::CardAbsent, "no card in the reader");
    if (!connector_) throwReason(Reason::Internal, "no card connector");
    if (!card_) card_ = std::make_unique<card::PivCard>(*connector_, reader_);
    return *card_;
}

const CardSnapshot& CardService::Worker::snapshot() {
    card();  // presence checks first
    if (snapshot_) {
        const auto at = now();
        if (at < cacheValidFrom_ || at >= cacheValidUntil_) publishCard();  // a certificate's status changed
        return *snapshot_;
    }
    readSnapshot();  // the insertion read failed (busy card, …): try again on demand
    publishCard();
    return *snapshot_;
}

void CardService::Worker::updatePin(const card::PinRetries& pin) noexcept {
    try {
        service_.publish(reader_, [&](ReaderState& state) { state.pin = pin; });
        if (snapshot_) {
            const bool changed = !(snapshot_->pin == pin);
            snapshot_->pin = pin;
            publishCard();
            // Every open page shows the PIN state: tell them when a PIN operation changed it.
            if (changed) {
                service_.broadcast(
                    "card.pinChanged",
                    {{"reader", reader_}, {"cardId", snapshot_->cardId}, {"pin", pinToJson(pin)}});
            }
        }
    } catch (...) {
        // publish only allocates; losing a cache update is harmless
    }
}

card::PinRetries CardService::Worker::refreshPin() noexcept {
    card::PinRetries pin;
    try {
        pin = card().pinRetries();
    } catch (...) {
        spdlog::warn("reader '{}': PIN state unavailable: {}", reader_, reasonOf(std::current_exception()));
    }
    updatePin(pin);
    return pin;
}

TimePoint CardService::Worker::now() const {
    return service_.now();
}

}  // namespace cardbridge::daemon

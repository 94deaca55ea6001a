// /health and doctor: the card service's state as JSON, with problems a support desk can act on.
#include "cardbridge/daemon/core/health.hpp"

#include "cardbridge/daemon/core/card_json.hpp"
#include "cardbridge/daemon/core/errors.hpp"

#include <spdlog/spdlog.h>

#include <string>

namespace cardbridge::daemon {

using nlohmann::json;

json renderHealth(bool pcscAvailable, const std::vector<ReaderState>& readers) {
    json readersJson = json::array();
    bool anyCard = false;
    for (const auto& r : readers) {
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
    if (!pcscAvailable) {
        problems.push_back({{"reason", reasonName(Reason::PcscUnavailable)},
                            {"message", "The PC/SC service (pcscd) is not running or not reachable."}});
    } else if (readers.empty()) {
        problems.push_back(
            {{"reason", reasonName(Reason::NoReader)}, {"message", "No smart-card reader is connected."}});
    } else if (!anyCard) {
        problems.push_back(
            {{"reason", reasonName(Reason::CardAbsent)}, {"message", "No card is inserted in any reader."}});
    }
    for (const auto& r : readers) {
        if (r.cardError) {
            problems.push_back({{"reason", *r.cardError},
                                {"message", "The card in '" + r.name + "' could not be read."},
                                {"reader", r.name}});
        }
    }
    return {{"status", problems.empty() ? "ok" : "degraded"},
            {"pcscAvailable", pcscAvailable},
            {"readers", std::move(readersJson)},
            {"problems", std::move(problems)}};
}

json cardHealth(const CardService& cards) {
    // One consistent view: readers() and pcscAvailable() each take the service's lock once.
    const bool available = cards.pcscAvailable();
    return renderHealth(available, cards.readers());
}

bool isOwnOriginRequest(std::string_view origin, std::string_view referer, const OriginPolicy& policy) {
    if (!origin.empty()) {
        const auto grant = policy.grantFor(origin);
        return grant && grant->ownOrigin;
    }
    // A Referer is a whole URL: its origin is scheme://authority, up to the first '/' after "://".
    const auto scheme = referer.find("://");
    if (scheme == std::string_view::npos) return false;
    const auto pathStart = referer.find_first_of("/?#", scheme + 3);
    const auto grant = policy.grantFor(referer.substr(0, pathStart));
    return grant && grant->ownOrigin;
}

json withoutCardDetails(json health) {
    if (auto readers = health.find("readers"); readers != health.end() && readers->is_array()) {
        for (auto& reader : *readers) {
            if (reader.is_object()) reader.erase("card");
        }
    }
    // The findings' texts name files under the user's home folder (and so the user name): codes and
    // statuses only.
    if (auto tls = health.find("tls"); tls != health.end() && tls->is_array()) {
        for (auto& finding : *tls) {
            if (!finding.is_object()) continue;
            finding.erase("zh");
            finding.erase("en");
        }
    }
    return health;
}

CachedProbe::CachedProbe(std::function<json()> probe, std::chrono::milliseconds interval, json initial)
    : probe_(std::move(probe)), interval_(interval), value_(std::move(initial)) {}

CachedProbe::~CachedProbe() {
    stop();
}

void CachedProbe::start() {
    thread_ = std::thread([this] { loop(); });
}

void CachedProbe::refresh() {
    {
        std::lock_guard lock(mutex_);
        wake_ = true;
    }
    changed_.notify_all();
}

void CachedProbe::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
}

json CachedProbe::value() const {
    std::lock_guard lock(mutex_);
    return value_;
}

std::uint64_t CachedProbe::runs() const {
    std::lock_guard lock(mutex_);
    return runs_;
}

void CachedProbe::loop() {
    for (;;) {
        json result;
        bool ok = true;
        try {
            result = probe_();  // outside the lock: value() answers meanwhile
        } catch (const std::exception& e) {
            spdlog::warn("health: a background check failed: {}", e.what());
            ok = false;
        }
        std::unique_lock lock(mutex_);
        if (ok) value_ = std::move(result);
        ++runs_;
        changed_.wait_for(lock, interval_, [this] { return stop_ || wake_; });
        if (stop_) return;
        wake_ = false;
    }
}

json healthFor(const CardService& cards, json tls, bool ownOrigin) {
    json health = cardHealth(cards);
    health["tls"] = std::move(tls);
    return ownOrigin ? health : withoutCardDetails(std::move(health));
}

}  // namespace cardbridge::daemon

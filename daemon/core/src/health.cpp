// /health and doctor: the card service's state as JSON, with problems a support desk can act on.
#include "cardbridge/daemon/core/health.hpp"

#include "cardbridge/daemon/core/card_json.hpp"
#include "cardbridge/daemon/core/errors.hpp"

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

}  // namespace cardbridge::daemon

// One function per card method: validate params on the caller's thread, post card work to the reader's
// worker, complete the Responder from there. Errors are exceptions; toErrorObject() turns them into reasons.
#include "cardbridge/daemon/core/card_methods.hpp"

#include <spdlog/spdlog.h>

#include <initializer_list>
#include <map>
#include <mutex>

#include "cardbridge/card/pin_policy.hpp"
#include "cardbridge/common/base64.hpp"
#include "cardbridge/common/secret.hpp"
#include "cardbridge/daemon/core/errors.hpp"
#include "cardbridge/daemon/core/params.hpp"

namespace cardbridge::daemon {

using nlohmann::json;

namespace {

void rejectNonReadParams(const json& params) {
    // List methods take no params: omitted (the dispatcher passes {}), null or {}.
    const bool none = params.is_null() || (params.is_object() && params.empty());
    if (!none) throw RpcError(Reason::InvalidParams, {}, "this method takes no params");
}

void readersList(CardService& service, const json& params, const std::shared_ptr<Responder>& responder) {
    rejectNonReadParams(params);
    // Reader presence is the monitor's state in memory: no card work, answered right here.
    completeWith(responder, [&] {
        if (!service.pcscAvailable()) {
            throw RpcError(Reason::PcscUnavailable, {}, "the PC/SC service is not running");
        }
        json out = json::array();
        for (const auto& r : service.readers()) {
            json entry = {{"name", r.name}, {"cardPresent", r.cardPresent}};
            if (r.cardError) entry["cardError"] = *r.cardError;
            out.push_back(std::move(entry));
        }
        return out;
    });
}

/// Collects one card per reader from the workers and answers when the last one reported.
struct CardsGather {
    std::mutex mutex;
    std::map<std::string, json> cards;  // by reader name: a stable order
    std::size_t remaining = 0;
    std::shared_ptr<Responder> responder;

    void done(const std::string& reader, std::optional<json> card) {
        std::unique_lock lock(mutex);
        if (card) cards.emplace(reader, std::move(*card));
        if (--remaining != 0) return;
        json out = json::array();
        for (auto& [name, c] : cards) out.push_back(std::move(c));
        lock.unlock();
        responder->succeed(std::move(out));
    }
};

void cardsList(CardService& service, const json& params, const std::shared_ptr<Responder>& responder) {
    rejectNonReadParams(params);
    if (!service.pcscAvailable()) {
        throw RpcError(Reason::PcscUnavailable, {}, "the PC/SC service is not running");
    }
    // Every inserted card read and cached: answered here from the workers' published state, no card work
    // and no hop to the workers.
    if (auto cached = service.cachedCards()) {
        std::size_t size = 2;
        for (const auto& card : *cached) size += card->json.size() + 1;
        std::string text;
        text.reserve(size);
        text += '[';
        for (std::size_t i = 0; i < cached->size(); ++i) {
            if (i != 0) text += ',';
            text += (*cached)[i]->json;
        }
        text += ']';
        responder->succeedRaw(std::move(text));
        return;
    }
    // An insertion read in progress (or failed): queued behind it on the workers.
    std::vector<std::string> readers;
    for (const auto& r : service.readers()) {
        if (r.cardPresent) readers.push_back(r.name);
    }
    if (readers.empty()) {
        responder->succeed(json::array());
        return;
    }
    auto gather = std::make_shared<CardsGather>();
    gather->remaining = readers.size();
    gather->responder = responder;
    for (const auto& reader : readers) {
        try {
            // Queued behind the insertion read: a card inserted a moment ago is listed once it was read.
            service.post(reader, [gather](ReaderSession& session) {
                std::optional<json> card;
                try {
                    card = cardToJson(session.snapshot(), session.now());
                } catch (...) {
                    // The card left, or cannot be read: readers.list and health say why.
                    spdlog::debug("cards.list: no card from '{}'", session.reader());
                }
                gather->done(session.reader(), std::move(card));
            });
        } catch (const RpcError&) {
            gather->done(reader, std::nullopt);  // the reader went away since readers()
        }
    }
}

void certificatesExport(CardService& service, const json& params,
                        const std::shared_ptr<Responder>& responder) {
    requireObject(params);
    const std::string reader = requireString(params, "reader");
    const std::string slotText = requireString(params, "slot");
    const std::optional<std::uint8_t> slot = parseSlot(slotText);
    if (!slot) invalidParam("slot", "slot must be a PIV certificate slot such as \"9a\"");
    std::string format = "pem";
    if (params.contains("format")) {
        format = requireString(params, "format");
        if (format != "pem" && format != "der") invalidParam("format", "format must be \"pem\" or \"der\"");
    }
    service.post(reader, [responder, slot = *slot, format](ReaderSession& session) {
        completeWith(responder, [&]() -> json {
            const CardSnapshot& snapshot = session.snapshot();
            for (const auto& entry : snapshot.certificates) {
                if (entry.slot != slot) continue;
                if (!entry.certificate) {
                    throw RpcError(Reason::CardError, {}, "the certificate in this slot is unreadable");
                }
                if (format == "der")
                    return {{"format", "der"}, {"data", base64Encode(entry.certificate->der())}};
                return {{"format", "pem"}, {"data", entry.certificate->toPem()}};
            }
            throw RpcError(Reason::CertNotFound, {{"slot", slotName(slot)}}, "no certificate in this slot");
        });
    });
}

void pinChange(CardService& service, const json& params, const std::shared_ptr<Responder>& responder) {
    auto secrets = takeSecrets(params, {"oldPin", "newPin"});
    requireObject(params);
    const std::string reader = requireString(params, "reader");
    if (!secrets.contains("oldPin")) invalidParam("oldPin", "oldPin must be a string");
    if (!secrets.contains("newPin")) invalidParam("newPin", "newPin must be a string");
    std::shared_ptr<Secret> oldPin = secrets["oldPin"];
    std::shared_ptr<Secret> newPin = secrets["newPin"];
    bool confirmLastTry = false;
    if (auto it = params.find("confirmLastTry"); it != params.end()) {
        if (!it->is_boolean()) invalidParam("confirmLastTry", "confirmLastTry must be a boolean");
        confirmLastTry = it->get<bool>();
    }
    service.post(reader, [responder, oldPin, newPin, confirmLastTry](ReaderSession& session) {
        completeWith(responder, [&]() -> json {
            card::enforcePinPolicy(*newPin);  // a weak new PIN is refused before any try is at stake
            if (!confirmLastTry) {
                // A stray or hostile call must never spend the last try: the user confirms it explicitly.
                const card::PinRetries pin = session.refreshPin();
                if (pin.state == card::PinRetries::State::NotVerified && pin.retriesLeft == 1u) {
                    throw RpcError(Reason::PinLastTry, {{"retriesLeft", 1}}, "pin.change at the last try");
                }
            }
            const card::PinResult result = session.card().changePin(*oldPin, *newPin);
            oldPin->clear();
            newPin->clear();
            using Status = card::PinStatus;
            switch (result.status) {
                case Status::Success: {
                    spdlog::info("PIN changed on the card in '{}'", session.reader());
                    const card::PinRetries pin = session.refreshPin();
                    json out = {{"ok", true}};
                    if (pin.state == card::PinRetries::State::NotVerified && pin.retriesLeft) {
                        out["retriesLeft"] = *pin.retriesLeft;
                    }
                    return out;
                }
                case Status::WrongPin:
                    // Without a count from the card the state is unknown, not "0 tries left" (blocked).
                    session.updatePin(
                        result.retriesLeft
                            ? card::PinRetries{card::PinRetries::State::NotVerified, result.retriesLeft}
                            : card::PinRetries{card::PinRetries::State::Unknown, std::nullopt});
                    break;
                case Status::PinBlocked:
                    session.updatePin({card::PinRetries::State::Blocked, 0u});
                    break;
                case Status::WrongPuk:
                case Status::PukBlocked:
                    break;
            }
            spdlog::info("pin.change on '{}': {}, tries left: {}", session.reader(),
                         card::toString(result.status),
                         result.retriesLeft ? std::to_string(*result.retriesLeft) : std::string("unknown"));
            throw PinRefusedError(result);
        });
        oldPin->clear();
        newPin->clear();
    });
}

/// Wraps a method body taking the service as a MethodHandler.
template <typename Method>
MethodHandler bind(CardService& service, Method method) {
    return [&service, method](const CallContext&, const json& params, std::shared_ptr<Responder> responder) {
        method(service, params, responder);
    };
}

}  // namespace

std::vector<MethodSpec> cardMethods(CardService& service) {
    return {
        {"readers.list", Capability::Read, bind(service, readersList)},
        {"cards.list", Capability::Read, bind(service, cardsList)},
        {"certificates.export", Capability::Read, bind(service, certificatesExport)},
        {"pin.change", Capability::Secrets, bind(service, pinChange)},
    };
}

}  // namespace cardbridge::daemon

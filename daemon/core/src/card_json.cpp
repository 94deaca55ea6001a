// JSON shapes of cards and certificates, built from the card layer's and common's value types.
#include "cardbridge/daemon/core/card_json.hpp"

#include <spdlog/spdlog.h>

#include <array>

#include "cardbridge/common/digest.hpp"
#include "cardbridge/common/error.hpp"

namespace cardbridge::daemon {

using nlohmann::json;

std::string slotName(std::uint8_t slot) {
    static constexpr char HEX[] = "0123456789abcdef";
    return {HEX[slot >> 4], HEX[slot & 0x0F]};
}

std::optional<std::uint8_t> parseSlot(std::string_view text) {
    if (text.size() != 2) return std::nullopt;
    unsigned value = 0;
    for (char c : text) {
        value <<= 4;
        if (c >= '0' && c <= '9') {
            value |= static_cast<unsigned>(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            value |= static_cast<unsigned>(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            value |= static_cast<unsigned>(c - 'A' + 10);
        } else {
            return std::nullopt;
        }
    }
    const auto slot = static_cast<std::uint8_t>(value);
    const bool known = slot == card::SLOT_AUTHENTICATION || slot == card::SLOT_SIGNATURE ||
                       slot == card::SLOT_KEY_MANAGEMENT || slot == card::SLOT_CARD_AUTHENTICATION ||
                       (slot >= card::SLOT_RETIRED_FIRST && slot <= card::SLOT_RETIRED_LAST);
    if (!known) return std::nullopt;
    return slot;
}

std::string cardIdOf(const card::CardInfo& info) {
    if (info.guidHex && !info.guidHex->empty()) return *info.guidHex;
    Bytes input = fromHex(info.atrHex);
    if (!info.certificates.empty()) append(input, info.certificates.front().der);
    return toHex(sha256(input)).substr(0, 32);
}

CardSnapshot makeSnapshot(const card::CardInfo& info) {
    CardSnapshot snapshot;
    snapshot.reader = info.reader;
    snapshot.cardId = cardIdOf(info);
    snapshot.atrHex = info.atrHex;
    snapshot.serial = info.serial;
    if (info.version) snapshot.version = info.version->toString();
    snapshot.pin = info.pin;
    for (const auto& piv : info.certificates) {
        SlotCertificate entry;
        entry.slot = piv.slot;
        entry.der = piv.der;
        try {
            entry.certificate = Certificate::fromDer(piv.der);
        } catch (const Error& e) {
            // A slot with garbage is shown as unreadable rather than hiding the rest of the card.
            spdlog::warn("certificate in slot {} of the card in '{}' does not parse: {}", slotName(piv.slot),
                         info.reader, e.what());
        }
        snapshot.certificates.push_back(std::move(entry));
    }
    return snapshot;
}

json nameToJson(const DistinguishedName& name) {
    static constexpr std::array<std::pair<const char*, const char*>, 8> SHORT{
        {{"CN", "cn"},
         {"O", "o"},
         {"OU", "ou"},
         {"C", "c"},
         {"ST", "st"},
         {"L", "l"},
         {"serialNumber", "serialNumber"},
         {"emailAddress", "emailAddress"}}};
    json out = json::object();
    out["text"] = name.text;
    for (const auto& [type, key] : SHORT) {
        std::string value = name.first(type);
        if (!value.empty()) out[key] = std::move(value);
    }
    json attributes = json::array();
    for (const auto& a : name.attributes) {
        attributes.push_back({{"type", a.type}, {"oid", a.oid}, {"value", a.value}});
    }
    out["attributes"] = std::move(attributes);
    return out;
}

json certificateToJson(std::uint8_t slot, const Certificate& c, std::chrono::system_clock::time_point now) {
    json key = {{"algorithm", c.publicKey().algorithm}, {"bits", c.publicKey().bits}};
    if (!c.publicKey().curve.empty()) key["curve"] = c.publicKey().curve;
    return {
        {"slot", slotName(slot)},
        {"subject", nameToJson(c.subject())},
        {"issuer", nameToJson(c.issuer())},
        {"serialNumber", c.serialNumber()},
        {"notBefore", c.notBeforeIso()},
        {"notAfter", c.notAfterIso()},
        {"status", std::string(toString(c.statusAt(now)))},
        {"publicKey", std::move(key)},
        {"signatureAlgorithm", c.signatureAlgorithm()},
        {"keyUsage", c.keyUsage()},
        {"extendedKeyUsage", c.extendedKeyUsage()},
        {"isCa", c.isCa()},
        {"sha256", c.sha256Fingerprint()},
        {"pem", c.toPem()},
    };
}

json pinToJson(const card::PinRetries& pin) {
    using State = card::PinRetries::State;
    json out = json::object();
    switch (pin.state) {
        case State::NotVerified:
            out["state"] = "ok";
            break;
        case State::Verified:
            out["state"] = "verified";
            break;
        case State::Blocked:
            out["state"] = "blocked";
            break;
        case State::Unknown:
            out["state"] = "unknown";
            break;
    }
    if (pin.state == State::Blocked) {
        out["retriesLeft"] = 0;
    } else if (pin.retriesLeft) {
        out["retriesLeft"] = *pin.retriesLeft;
    }
    return out;
}

json cardToJson(const CardSnapshot& card, std::chrono::system_clock::time_point now) {
    json certificates = json::array();
    for (const auto& entry : card.certificates) {
        if (entry.certificate) {
            certificates.push_back(certificateToJson(entry.slot, *entry.certificate, now));
        } else {
            certificates.push_back({{"slot", slotName(entry.slot)},
                                    {"status", "unreadable"},
                                    {"sha256", toHex(sha256(entry.der))}});
        }
    }
    json out = {{"reader", card.reader}, {"cardId", card.cardId}, {"atr", card.atrHex}};
    if (card.serial) out["serial"] = *card.serial;
    if (card.version) out["version"] = *card.version;
    out["pin"] = pinToJson(card.pin);
    out["certificates"] = std::move(certificates);
    return out;
}

}  // namespace cardbridge::daemon

// JSON shapes of readers, cards, certificates and PIN state (docs/api.md is the contract).
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cardbridge/card/piv.hpp"
#include "cardbridge/card/piv_card.hpp"
#include "cardbridge/common/certificate.hpp"

namespace cardbridge::daemon {

/// A certificate read from one slot: parsed when possible (a card may hold garbage in a slot).
struct SlotCertificate {
    std::uint8_t slot = 0;
    std::optional<Certificate> certificate;  ///< nothing when the DER did not parse
    Bytes der;                               ///< as read from the card
};

/// What the service keeps in memory about one inserted card.
struct CardSnapshot {
    std::string reader;
    std::string cardId;
    std::string atrHex;
    std::optional<std::uint32_t> serial;
    std::optional<std::string> version;
    card::PinRetries pin;
    std::vector<SlotCertificate> certificates;
};

/// Builds the snapshot of a freshly read card: parses every certificate and derives the card id.
CardSnapshot makeSnapshot(const card::CardInfo& info);

/// The card id: the CHUID GUID (32 upper-case hex digits) when the card has one, otherwise the first
/// 32 hex digits of SHA-256(ATR ‖ DER of the first certificate). Stable for one card across insertions.
std::string cardIdOf(const card::CardInfo& info);

/// Slot as the API writes it: two lower-case hex digits, "9a".
std::string slotName(std::uint8_t slot);
/// Parses "9a"/"9A"/"82"…; nothing unless it is a PIV slot that can hold a certificate.
std::optional<std::uint8_t> parseSlot(std::string_view text);

/// {text, cn?, o?, ou?, c?, st?, l?, serialNumber?, emailAddress?, attributes:[{type, oid, value}]}.
nlohmann::json nameToJson(const DistinguishedName& name);
/// The certificate object of cards.list; `status` is computed against `now`.
nlohmann::json certificateToJson(std::uint8_t slot, const Certificate& certificate,
                                 std::chrono::system_clock::time_point now);
/// {state: "ok"|"verified"|"blocked"|"unknown", retriesLeft?}.
nlohmann::json pinToJson(const card::PinRetries& pin);
/// The card object of cards.list and card.inserted.
nlohmann::json cardToJson(const CardSnapshot& card, std::chrono::system_clock::time_point now);

}  // namespace cardbridge::daemon

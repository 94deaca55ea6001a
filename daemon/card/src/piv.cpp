#include "cardbridge/card/piv.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/common/error.hpp"
#include "cardbridge/common/gzip.hpp"
#include "cardbridge/common/tlv.hpp"

namespace cardbridge::card {
namespace {

constexpr std::uint16_t SW_OK = 0x9000;
constexpr std::uint16_t SW_WRONG_LENGTH = 0x6700;
constexpr std::uint16_t SW_SECURITY_STATUS = 0x6982;
constexpr std::uint16_t SW_AUTH_BLOCKED = 0x6983;
constexpr std::uint16_t SW_WRONG_DATA = 0x6A80;
constexpr std::uint16_t SW_FUNCTION_NOT_SUPPORTED = 0x6A81;
constexpr std::uint16_t SW_NOT_FOUND = 0x6A82;
constexpr std::uint16_t SW_REFERENCE_NOT_FOUND = 0x6A88;
constexpr std::uint16_t SW_INS_NOT_SUPPORTED = 0x6D00;
constexpr std::uint16_t SW_CLA_NOT_SUPPORTED = 0x6E00;

constexpr std::uint32_t TAG_CHUID = 0x5FC102;
constexpr std::uint32_t TAG_KEY_HISTORY = 0x5FC10C;
constexpr std::size_t PIN_BLOCK_SIZE = 8;
constexpr unsigned RETIRED_SLOT_COUNT = SLOT_RETIRED_LAST - SLOT_RETIRED_FIRST + 1;

std::string swHex(std::uint16_t sw) {
    char text[8];
    std::snprintf(text, sizeof text, "%04X", static_cast<unsigned>(sw));
    return text;
}

// Every status word that is not an expected outcome becomes a typed error here.
[[noreturn]] void throwStatus(std::uint16_t sw, std::string_view command) {
    CardErrorCode code = CardErrorCode::UnexpectedStatus;
    switch (sw) {
        case SW_SECURITY_STATUS:
            code = CardErrorCode::SecurityStatusNotSatisfied;
            break;
        case SW_NOT_FOUND:
            code = CardErrorCode::NotFound;
            break;
        case SW_REFERENCE_NOT_FOUND:
            code = CardErrorCode::ReferenceNotFound;
            break;
        case SW_WRONG_DATA:
            code = CardErrorCode::WrongData;
            break;
        case SW_WRONG_LENGTH:
            code = CardErrorCode::WrongLength;
            break;
        case SW_FUNCTION_NOT_SUPPORTED:
        case SW_INS_NOT_SUPPORTED:
        case SW_CLA_NOT_SUPPORTED:
            code = CardErrorCode::NotSupported;
            break;
        default:
            break;
    }
    throwCardError(code, std::string(command) + ": card answered " + swHex(sw), sw);
}

[[noreturn]] void protocolError(const std::string& what) {
    throwCardError(CardErrorCode::ProtocolError, what);
}

// Runs pure parsing code, turning the parser's InputError into ProtocolError (hostile card data).
template <typename Parse>
auto parsing(std::string_view what, Parse&& parse) {
    try {
        return parse();
    } catch (const CardError&) {
        throw;
    } catch (const InputError& e) {
        protocolError(std::string(what) + ": " + e.what());
    }
}

Bytes tagBytes(std::uint32_t tag) {
    Bytes out;
    for (int shift = 24; shift >= 0; shift -= 8) {
        auto b = static_cast<std::uint8_t>((tag >> shift) & 0xFF);
        if (b != 0 || !out.empty() || shift == 0) out.push_back(b);
    }
    return out;
}

// PIN/PUK block: the value FF-padded to 8 bytes, appended to a buffer the caller wipes.
void appendPinBlock(Bytes& out, const Secret& value, std::string_view what) {
    if (value.empty() || value.size() > PIN_BLOCK_SIZE) {
        throwCardError(CardErrorCode::InvalidArgument, std::string(what) + " must be 1 to 8 characters");
    }
    auto bytes = value.bytes();
    out.insert(out.end(), bytes.begin(), bytes.end());
    out.insert(out.end(), PIN_BLOCK_SIZE - bytes.size(), std::uint8_t{0xFF});
}

}  // namespace

std::uint32_t certificateObjectTag(std::uint8_t slot) {
    switch (slot) {
        case SLOT_AUTHENTICATION:
            return 0x5FC105;
        case SLOT_SIGNATURE:
            return 0x5FC10A;
        case SLOT_KEY_MANAGEMENT:
            return 0x5FC10B;
        case SLOT_CARD_AUTHENTICATION:
            return 0x5FC101;
        default:
            break;
    }
    if (slot >= SLOT_RETIRED_FIRST && slot <= SLOT_RETIRED_LAST) {
        return 0x5FC10Du + static_cast<std::uint32_t>(slot - SLOT_RETIRED_FIRST);
    }
    throwCardError(CardErrorCode::InvalidArgument, "slot " + swHex(slot) + " holds no certificate");
}

std::string YubiKeyVersion::toString() const {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::string_view toString(PinStatus status) noexcept {
    switch (status) {
        case PinStatus::Success:
            return "Success";
        case PinStatus::WrongPin:
            return "WrongPin";
        case PinStatus::PinBlocked:
            return "PinBlocked";
        case PinStatus::WrongPuk:
            return "WrongPuk";
        case PinStatus::PukBlocked:
            return "PukBlocked";
    }
    return "Unknown";
}

void PivApplication::select() {
    CommandApdu command{0x00, 0xA4, 0x04, 0x00, Bytes(std::begin(PIV_AID), std::end(PIV_AID)), 256};
    ResponseApdu response = transport_.transmit(command);
    if (response.sw() == SW_NOT_FOUND || response.sw() == SW_FUNCTION_NOT_SUPPORTED) {
        throwCardError(CardErrorCode::UnsupportedCard, "card has no PIV application", response.sw());
    }
    if (!response.ok()) throwStatus(response.sw(), "SELECT PIV");
}

std::optional<Bytes> PivApplication::getData(std::uint32_t tag) {
    // Le = 00 and follow 61xx: one command per object, no length probing.
    CommandApdu command{0x00, 0xCB, 0x3F, 0xFF, makeTlv(0x5C, tagBytes(tag)), 256};
    ResponseApdu response = transport_.transmit(command);
    if (response.sw() == SW_NOT_FOUND) return std::nullopt;
    if (!response.ok()) throwStatus(response.sw(), "GET DATA " + toHex(tagBytes(tag)));
    if (tag == 0x7E) return response.data;  // Discovery is the only object without a 53 wrapper
    return parsing("GET DATA", [&]() -> std::optional<Bytes> {
        Tlv outer = parseTlv(response.data);
        if (outer.tag != 0x53) protocolError("data object not wrapped in tag 53");
        if (outer.encodedSize != response.data.size()) protocolError("bytes after the 53 data object");
        if (outer.value.empty()) return std::nullopt;  // "53 00" is a deleted object
        return Bytes(outer.value.begin(), outer.value.end());
    });
}

std::optional<Bytes> PivApplication::readGuid() {
    auto chuid = getData(TAG_CHUID);
    if (!chuid) return std::nullopt;
    auto guid = parsing("CHUID", [&] { return findTlv(*chuid, 0x34); });
    if (!guid) return std::nullopt;
    if (guid->size() != 16) protocolError("CHUID GUID is not 16 bytes");
    bool allZero = std::all_of(guid->begin(), guid->end(), [](std::uint8_t b) { return b == 0; });
    if (allZero) return std::nullopt;  // not an identity (yubico-piv-tool's template default)
    return Bytes(guid->begin(), guid->end());
}

std::optional<std::uint32_t> PivApplication::readSerial() {
    ResponseApdu response = transport_.transmit(CommandApdu{0x00, 0xF8, 0x00, 0x00, {}, 256});
    if (!response.ok() || response.data.size() != 4) {
        if (response.ok()) spdlog::debug("card answered GET SERIAL with {} bytes", response.data.size());
        return std::nullopt;
    }
    const Bytes& d = response.data;
    return (std::uint32_t{d[0]} << 24) | (std::uint32_t{d[1]} << 16) | (std::uint32_t{d[2]} << 8) | d[3];
}

std::optional<YubiKeyVersion> PivApplication::readVersion() {
    ResponseApdu response = transport_.transmit(CommandApdu{0x00, 0xFD, 0x00, 0x00, {}, 256});
    if (!response.ok() || response.data.size() != 3) {
        if (response.ok()) spdlog::debug("card answered GET VERSION with {} bytes", response.data.size());
        return std::nullopt;
    }
    return YubiKeyVersion{response.data[0], response.data[1], response.data[2]};
}

unsigned PivApplication::retiredCertificateCount() {
    auto history = getData(TAG_KEY_HISTORY);
    if (!history) return 0;
    auto onCard = parsing("Key History", [&] { return findTlv(*history, 0xC1); });
    if (!onCard) return 0;
    if (onCard->size() != 1) protocolError("Key History keysWithOnCardCerts is not one byte");
    unsigned count = (*onCard)[0];
    if (count > RETIRED_SLOT_COUNT) protocolError("Key History announces more than 20 retired keys");
    return count;
}

std::optional<PivCertificate> PivApplication::readCertificate(std::uint8_t slot) {
    auto object = getData(certificateObjectTag(slot));
    if (!object) return std::nullopt;
    return parsing("certificate object", [&]() -> std::optional<PivCertificate> {
        auto certificate = findTlv(*object, 0x70);
        if (!certificate) protocolError("certificate object without tag 70");
        if (certificate->empty()) return std::nullopt;
        PivCertificate out;
        out.slot = slot;
        auto certInfo = findTlv(*object, 0x71);
        if (certInfo && certInfo->size() != 1) protocolError("CertInfo is not one byte");
        // SP 800-73-4 Table 10: CertInfo bit 0 = gzip compressed.
        out.compressed = certInfo && ((*certInfo)[0] & 0x01) != 0;
        if (out.compressed) {
            out.der = gzipDecompress(*certificate, MAX_CERTIFICATE_SIZE);
        } else {
            out.der.assign(certificate->begin(), certificate->end());
        }
        // Only the outer shape is checked here; the certificate model parses the X.509 itself.
        Tlv outer = parseTlv(out.der);
        if (outer.tag != 0x30 || outer.encodedSize != out.der.size()) {
            protocolError("certificate is not one DER SEQUENCE");
        }
        return out;
    });
}

std::vector<PivCertificate> PivApplication::readCertificates() {
    std::vector<PivCertificate> out;
    for (std::uint8_t slot :
         {SLOT_AUTHENTICATION, SLOT_SIGNATURE, SLOT_KEY_MANAGEMENT, SLOT_CARD_AUTHENTICATION}) {
        if (auto certificate = readCertificate(slot)) out.push_back(std::move(*certificate));
    }
    // Key History says how many retired slots hold certificates: no probing of 20 empty objects.
    const unsigned retired = retiredCertificateCount();
    for (unsigned i = 0; i < retired; ++i) {
        if (auto certificate = readCertificate(static_cast<std::uint8_t>(SLOT_RETIRED_FIRST + i))) {
            out.push_back(std::move(*certificate));
        }
    }
    return out;
}

PinRetries PivApplication::pinRetries() {
    // VERIFY without data (case 1) reports the counter without spending a try.
    ResponseApdu response = transport_.transmit(CommandApdu{0x00, 0x20, 0x00, 0x80, {}, std::nullopt});
    const std::uint16_t sw = response.sw();
    if (sw == SW_OK) return {PinRetries::State::Verified, std::nullopt};
    if (response.sw1 == 0x63 && (response.sw2 & 0xF0) == 0xC0) {
        const unsigned left = response.sw2 & 0x0Fu;
        if (left == 0) return {PinRetries::State::Blocked, 0u};
        return {PinRetries::State::NotVerified, left};
    }
    if (sw == SW_AUTH_BLOCKED) return {PinRetries::State::Blocked, 0u};
    // Cards that do not implement the empty VERIFY (OpenSC's CI_VERIFY_LC0_FAIL).
    if (sw == SW_WRONG_DATA || sw == SW_WRONG_LENGTH || sw == SW_INS_NOT_SUPPORTED) {
        return {PinRetries::State::Unknown, std::nullopt};
    }
    throwStatus(sw, "VERIFY (status)");
}

PinResult PivApplication::pinCommand(std::uint8_t ins, std::uint8_t p2, const Secret& first,
                                     const Secret* second, bool pukCounter) {
    CommandApdu command{0x00, ins, 0x00, p2, {}, std::nullopt};
    // Sized once so that no reallocation leaves an unwiped copy of the PIN behind.
    command.data.reserve(2 * PIN_BLOCK_SIZE);
    ResponseApdu response;
    try {
        appendPinBlock(command.data, first, pukCounter ? "PUK" : "PIN");
        if (second != nullptr) appendPinBlock(command.data, *second, p2 == 0x81 ? "new PUK" : "new PIN");
        response = transport_.transmit(command);
    } catch (...) {
        wipe(command.data);
        throw;
    }
    wipe(command.data);

    const std::uint16_t sw = response.sw();
    const PinStatus wrong = pukCounter ? PinStatus::WrongPuk : PinStatus::WrongPin;
    const PinStatus blocked = pukCounter ? PinStatus::PukBlocked : PinStatus::PinBlocked;
    if (sw == SW_OK) return {PinStatus::Success, std::nullopt};
    if (response.sw1 == 0x63 && (response.sw2 & 0xF0) == 0xC0) {
        const unsigned left = response.sw2 & 0x0Fu;
        // The last failed try answers 63C0: the reference is blocked from now on.
        if (left == 0) return {blocked, 0u};
        return {wrong, left};
    }
    if (sw == 0x6300) return {wrong, std::nullopt};  // failed, counter not reported
    if (sw == SW_AUTH_BLOCKED) return {blocked, 0u};
    throwStatus(sw, ins == 0x20 ? "VERIFY" : (ins == 0x24 ? "CHANGE REFERENCE DATA" : "RESET RETRY COUNTER"));
}

PinResult PivApplication::verifyPin(const Secret& pin) {
    return pinCommand(0x20, 0x80, pin, nullptr, false);
}

PinResult PivApplication::changePin(const Secret& oldPin, const Secret& newPin) {
    return pinCommand(0x24, 0x80, oldPin, &newPin, false);
}

PinResult PivApplication::unblockPin(const Secret& puk, const Secret& newPin) {
    return pinCommand(0x2C, 0x80, puk, &newPin, true);
}

PinResult PivApplication::changePuk(const Secret& oldPuk, const Secret& newPuk) {
    return pinCommand(0x24, 0x81, oldPuk, &newPuk, true);
}

}  // namespace cardbridge::card

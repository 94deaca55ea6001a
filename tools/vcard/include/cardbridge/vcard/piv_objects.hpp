// PIV data objects the card serves (SP 800-73-4 part 1 and yubico-piv-tool's templates).
#pragma once

#include <cstdint>
#include <optional>

#include "cardbridge/common/bytes.hpp"

namespace cardbridge::vcard {

inline constexpr std::uint32_t TAG_DISCOVERY = 0x7E;
inline constexpr std::uint32_t TAG_CHUID = 0x5FC102;
inline constexpr std::uint32_t TAG_CCC = 0x5FC107;
inline constexpr std::uint32_t TAG_KEY_HISTORY = 0x5FC10C;

/// The full PIV AID; SELECT accepts any prefix of it from the RID (5 bytes) on.
Bytes pivAid();

/// True for 9A, 9C, 9D, 9E and the retired slots 82..95.
bool isKeySlot(std::uint8_t slot) noexcept;

/// The certificate object tag of a key slot (9A -> 5FC105 …), or nothing for other slots.
std::optional<std::uint32_t> certTagForSlot(std::uint8_t slot) noexcept;

/// Parses "9a", "9C", "82"…"95". Throws InputError otherwise.
std::uint8_t parseSlot(std::string_view text);

/// Objects a PIV card keeps behind the PIN (biometrics, printed information).
bool objectNeedsPin(std::uint32_t tag) noexcept;

/// True for tags PUT DATA may write: 7E, 5FC101..5FC123, 5FFF00..5FFF15 (YubiKey vendor objects).
bool isWritableObjectTag(std::uint32_t tag) noexcept;

/// The SELECT response template `61 11 4F 06 … 79 07 4F 05 …`.
Bytes selectResponse();
/// Discovery object `7E 12 …` ("PIV PIN only").
Bytes discoveryObject();
/// CHUID `53 3B …` carrying the GUID.
Bytes chuidObject(ByteView guid);
/// CCC `53 33 …` with a card identifier derived from the GUID.
Bytes cccObject(ByteView guid);
/// Key History `53 08 C1 01 n C2 01 00 FE 00` (n = certificates on card in retired slots).
Bytes keyHistoryObject(std::uint8_t retiredWithCerts);

/// Certificate object `53 {70 cert, 71 info, FE 00}`; gzip-compresses the DER when asked.
Bytes certificateObject(ByteView der, bool compress);

/// What a certificate object holds: the (decompressed) DER and whether it was compressed.
struct CertificateContent {
    Bytes der;
    bool compressed = false;
};
/// Parses a certificate object. Throws InputError when malformed.
CertificateContent parseCertificateObject(ByteView object);

}  // namespace cardbridge::vcard

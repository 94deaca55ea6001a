// PIV card application (NIST SP 800-73-4) over a Transport: identity, certificates, PIN and PUK.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cardbridge/card/transport.hpp"
#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::card {

/// PIV application identifier (full AID incl. version).
inline constexpr std::uint8_t PIV_AID[] = {0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00};

/// Key slots that hold certificates: 9A, 9C, 9D, 9E, then retired 82..95.
inline constexpr std::uint8_t SLOT_AUTHENTICATION = 0x9A;
inline constexpr std::uint8_t SLOT_SIGNATURE = 0x9C;
inline constexpr std::uint8_t SLOT_KEY_MANAGEMENT = 0x9D;
inline constexpr std::uint8_t SLOT_CARD_AUTHENTICATION = 0x9E;
inline constexpr std::uint8_t SLOT_RETIRED_FIRST = 0x82;
inline constexpr std::uint8_t SLOT_RETIRED_LAST = 0x95;
/// Largest certificate accepted after gzip decompression (hostile cards send bombs).
inline constexpr std::size_t MAX_CERTIFICATE_SIZE = 64 * 1024;

/// Data object tag of the certificate in `slot` (9A → 5FC105, 82 → 5FC10D, …). Throws
/// CardInputError(InvalidArgument) for a slot without a certificate object.
std::uint32_t certificateObjectTag(std::uint8_t slot);

/// A certificate as stored in one slot.
struct PivCertificate {
    std::uint8_t slot = 0;
    Bytes der;                ///< DER X.509, decompressed when the card stored it gzip-compressed
    bool compressed = false;  ///< CertInfo said gzip
    friend bool operator==(const PivCertificate&, const PivCertificate&) = default;
};

/// Firmware version a YubiKey reports (00 FD).
struct YubiKeyVersion {
    std::uint8_t major = 0, minor = 0, patch = 0;
    [[nodiscard]] std::string toString() const;  ///< "5.4.3"
    friend bool operator==(const YubiKeyVersion&, const YubiKeyVersion&) = default;
};

/// PIN state learnt without spending a try.
struct PinRetries {
    enum class State {
        NotVerified,  ///< retriesLeft is set
        Verified,     ///< already verified in this card session; retriesLeft unknown
        Blocked,      ///< no tries left
        Unknown,      ///< the card does not answer the status query
    };
    State state = State::Unknown;
    std::optional<unsigned> retriesLeft;
    friend bool operator==(const PinRetries&, const PinRetries&) = default;
};

/// Outcome of VERIFY / CHANGE REFERENCE DATA / RESET RETRY COUNTER.
enum class PinStatus {
    Success,
    WrongPin,    ///< retriesLeft is set (> 0), or unset when the card gave no count (a bare 6300)
    PinBlocked,  ///< retriesLeft is 0
    WrongPuk,    ///< retriesLeft is set (> 0), or unset when the card gave no count
    PukBlocked,  ///< retriesLeft is 0
};

/// Stable name of a status, e.g. "WrongPin".
std::string_view toString(PinStatus status) noexcept;

/// Result of a PIN or PUK operation.
struct PinResult {
    PinStatus status = PinStatus::Success;
    std::optional<unsigned> retriesLeft;
    [[nodiscard]] bool ok() const noexcept { return status == PinStatus::Success; }
    friend bool operator==(const PinResult&, const PinResult&) = default;
};

/// PIV commands over a connected transport. Stateless apart from the transport; call select() once per
/// transaction first. Every method throws CardError: status words other than the documented outcomes
/// become CardInputError with the matching code, malformed answers ProtocolError, PC/SC failures
/// whatever the transport throws. PIN/PUK values are FF-padded to 8 bytes in a buffer wiped after use.
class PivApplication {
  public:
    explicit PivApplication(Transport& transport) : transport_(transport) {}

    /// SELECT the PIV application. Throws CardInputError(UnsupportedCard) when the card has none.
    void select();

    /// GET DATA of object `tag`: the contents of its 53 wrapper, or nothing when absent (6A82 or an
    /// empty 53). Throws ProtocolError when the 53 wrapper is malformed or its length lies.
    std::optional<Bytes> getData(std::uint32_t tag);

    /// GUID from the CHUID (tag 34), or nothing when the CHUID is absent or the GUID all zero.
    std::optional<Bytes> readGuid();
    /// YubiKey serial (00 F8), or nothing when the card does not answer it.
    std::optional<std::uint32_t> readSerial();
    /// YubiKey firmware version (00 FD), or nothing when the card does not answer it.
    std::optional<YubiKeyVersion> readVersion();
    /// Retired key slots holding on-card certificates, from Key History (C1); 0 when absent.
    unsigned retiredCertificateCount();

    /// Certificate in `slot`, decompressed if needed; nothing when the object is absent.
    std::optional<PivCertificate> readCertificate(std::uint8_t slot);
    /// Certificates of 9A, 9C, 9D, 9E and of the retired slots Key History announces (absent ones skipped).
    std::vector<PivCertificate> readCertificates();

    /// PIN state via VERIFY without data (no try spent).
    PinRetries pinRetries();
    /// VERIFY the PIN (1–8 bytes, else InvalidArgument).
    PinResult verifyPin(const Secret& pin);
    /// CHANGE REFERENCE DATA for the PIN (00 24 00 80).
    PinResult changePin(const Secret& oldPin, const Secret& newPin);
    /// RESET RETRY COUNTER (00 2C 00 80) with PUK ‖ new PIN; WrongPuk/PukBlocked report the PUK counter.
    PinResult unblockPin(const Secret& puk, const Secret& newPin);
    /// CHANGE REFERENCE DATA for the PUK (00 24 00 81).
    PinResult changePuk(const Secret& oldPuk, const Secret& newPuk);

  private:
    PinResult pinCommand(std::uint8_t ins, std::uint8_t p2, const Secret& first, const Secret* second,
                         bool pukCounter);
    Transport& transport_;
};

}  // namespace cardbridge::card

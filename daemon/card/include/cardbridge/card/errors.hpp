// Typed errors of the card layer: a stable code plus the common split by the caller's reaction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cardbridge/common/error.hpp"

namespace cardbridge::card {

/// Stable reason of a card-layer failure; the daemon maps these to API reasons.
enum class CardErrorCode {
    ServiceUnavailable,          ///< pcscd not running / gone (retry with a fresh context)
    NoReader,                    ///< no reader connected
    ReaderUnavailable,           ///< the named reader is unknown or unusable now
    CardAbsent,                  ///< no card in the reader
    CardRemoved,                 ///< the card was removed during the session
    CardReset,                   ///< another party reset the card; reconnect and re-select
    CardUnresponsive,            ///< the card is mute or unpowered
    SharingViolation,            ///< another process holds the card exclusively
    Timeout,                     ///< a PC/SC wait expired
    Cancelled,                   ///< a PC/SC wait was cancelled
    UnsupportedCard,             ///< not a PIV card (SELECT failed) or not usable by PC/SC
    ProtocolError,               ///< the card's answer is malformed or hostile
    SecurityStatusNotSatisfied,  ///< SW 6982: the object needs a PIN or management key
    NotFound,                    ///< SW 6A82: object or application absent
    ReferenceNotFound,           ///< SW 6A88: key or PIN reference unknown to the card
    WrongData,                   ///< SW 6A80: the card rejected the data (e.g. a new PIN format)
    WrongLength,                 ///< SW 6700
    NotSupported,                ///< SW 6D00 / 6E00: instruction or class not supported
    UnexpectedStatus,            ///< any other status word
    InvalidArgument,             ///< the caller passed something unusable (e.g. a 9-digit PIN)
    PinPolicy,                   ///< a new PIN violates the PIN policy (see PinPolicyError)
    Internal,                    ///< PC/SC misuse or an internal inconsistency
};

/// Stable name of a code, e.g. "CardAbsent".
std::string_view toString(CardErrorCode code) noexcept;

/// Mixin carried by every card-layer exception; catch `const CardError&` to read the code.
class CardError {
  public:
    virtual ~CardError() = default;
    [[nodiscard]] CardErrorCode code() const noexcept { return code_; }
    /// Status word that caused the error, or 0 when none.
    [[nodiscard]] std::uint16_t sw() const noexcept { return sw_; }

  protected:
    CardError(CardErrorCode code, std::uint16_t sw) noexcept : code_(code), sw_(sw) {}
    CardError(const CardError&) = default;
    CardError& operator=(const CardError&) = default;

  private:
    CardErrorCode code_;
    std::uint16_t sw_;
};

/// Bad input or hostile/unsupported card data: do not retry as is.
class CardInputError : public InputError, public CardError {
  public:
    CardInputError(CardErrorCode code, const std::string& what, std::uint16_t sw = 0)
        : InputError(what), CardError(code, sw) {}
};

/// Transient condition (service, reader or card state): the call may work later.
class CardRetryableError : public RetryableError, public CardError {
  public:
    CardRetryableError(CardErrorCode code, const std::string& what, std::uint16_t sw = 0)
        : RetryableError(what), CardError(code, sw) {}
};

/// Misuse or internal failure the caller cannot fix.
class CardFatalError : public FatalError, public CardError {
  public:
    CardFatalError(CardErrorCode code, const std::string& what, std::uint16_t sw = 0)
        : FatalError(what), CardError(code, sw) {}
};

/// Throws the exception class that matches `code` (Input/Retryable/Fatal). Always throws.
[[noreturn]] void throwCardError(CardErrorCode code, const std::string& what, std::uint16_t sw = 0);

}  // namespace cardbridge::card

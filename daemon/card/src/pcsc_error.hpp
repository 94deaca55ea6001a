// The one place where PC/SC return codes become typed card errors (private to the PC/SC module).
#pragma once

#include <string_view>

#include "cardbridge/card/errors.hpp"

namespace cardbridge::card::detail {

/// The card error code for a PC/SC return value (which must not be SCARD_S_SUCCESS).
/// `rv` is pcsc-lite's LONG (long on Linux). Unknown values map to Internal.
CardErrorCode pcscErrorCode(long rv) noexcept;

/// Throws the typed error for `rv`, naming the failed call, e.g. "SCardTransmit: 0x80100069 (...)".
[[noreturn]] void throwPcscError(long rv, std::string_view call);

/// Throws when `rv` is not SCARD_S_SUCCESS.
void checkPcsc(long rv, std::string_view call);

}  // namespace cardbridge::card::detail

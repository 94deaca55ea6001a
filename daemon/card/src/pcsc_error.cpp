#include "pcsc_error.hpp"

#include <cstdio>
#include <string>

#include "pcsc_platform.hpp"

namespace cardbridge::card::detail {

CardErrorCode pcscErrorCode(long rv) noexcept {
    switch (rv) {
        // pcscd gone or restarted: the context (and handles on it) must be re-established. pcsc-lite
        // answers INVALID_HANDLE for handles of a pcscd instance that no longer exists.
        case SCARD_E_NO_SERVICE:
        case SCARD_E_SERVICE_STOPPED:
        case SCARD_F_COMM_ERROR:
        case SCARD_E_INVALID_HANDLE:
        case SCARD_E_SERVER_TOO_BUSY:
            return CardErrorCode::ServiceUnavailable;
        case SCARD_E_NO_READERS_AVAILABLE:
            return CardErrorCode::NoReader;
        case SCARD_E_UNKNOWN_READER:
        case SCARD_E_READER_UNAVAILABLE:
        case SCARD_E_NOT_READY:
            return CardErrorCode::ReaderUnavailable;
        case SCARD_E_NO_SMARTCARD:
            return CardErrorCode::CardAbsent;
        case SCARD_W_REMOVED_CARD:
            return CardErrorCode::CardRemoved;
        case SCARD_W_RESET_CARD:
            return CardErrorCode::CardReset;
        case SCARD_W_UNRESPONSIVE_CARD:
        case SCARD_W_UNPOWERED_CARD:
        case SCARD_E_COMM_DATA_LOST:
        // pcsc-lite's SCardTransmit answers NOT_TRANSACTED when the reader driver fails to reach the
        // card (checked with vpcd and a card pulled mid-command), not only for a missing transaction.
        case SCARD_E_NOT_TRANSACTED:
            return CardErrorCode::CardUnresponsive;
        case SCARD_E_SHARING_VIOLATION:
            return CardErrorCode::SharingViolation;
        case SCARD_E_TIMEOUT:
            return CardErrorCode::Timeout;
        case SCARD_E_CANCELLED:
        case SCARD_E_SYSTEM_CANCELLED:
            return CardErrorCode::Cancelled;
        case SCARD_E_CARD_UNSUPPORTED:
        case SCARD_W_UNSUPPORTED_CARD:
            return CardErrorCode::UnsupportedCard;
        default:
            // PROTO_MISMATCH, INVALID_PARAMETER/VALUE, INSUFFICIENT_BUFFER, NO_MEMORY,
            // INTERNAL_ERROR, UNKNOWN_ERROR, NO_ACCESS and anything unknown: our bug or a broken setup.
            return CardErrorCode::Internal;
    }
}

void throwPcscError(long rv, std::string_view call) {
    char code[32];
    std::snprintf(code, sizeof code, "0x%08lX", static_cast<unsigned long>(rv) & 0xFFFFFFFFUL);
    std::string what(call);
    what += ": ";
    what += code;
    what += " (";
    what += pcscErrorText(static_cast<LONG>(rv));
    what += ")";
    throwCardError(pcscErrorCode(rv), what);
}

#ifdef _WIN32
// WinSCard has no pcsc_stringify_error; the system's message table knows the SCARD_ codes (in the
// user's language, so it is fetched as UTF-16 and logged as UTF-8).
std::string pcscErrorText(LONG rv) {
    LPWSTR text = nullptr;
    const DWORD length = ::FormatMessageW(
        FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
        static_cast<DWORD>(rv), 0, reinterpret_cast<LPWSTR>(&text), 0, nullptr);
    if (length == 0 || text == nullptr) return "unknown PC/SC error";
    std::wstring_view message(text, length);
    while (!message.empty() && (message.back() == L'\r' || message.back() == L'\n' ||
                                message.back() == L' ' || message.back() == L'.')) {
        message.remove_suffix(1);
    }
    std::string utf8;
    try {
        utf8 = fromPcscString(message);
    } catch (...) {
        ::LocalFree(text);
        throw;
    }
    ::LocalFree(text);
    return utf8;
}
#else
std::string pcscErrorText(LONG rv) {
    return pcsc_stringify_error(rv);
}
#endif

void checkPcsc(long rv, std::string_view call) {
    if (rv != SCARD_S_SUCCESS) throwPcscError(rv, call);
}

}  // namespace cardbridge::card::detail

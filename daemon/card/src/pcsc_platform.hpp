// What differs between pcsc-lite and WinSCard, in one place (private to the PC/SC module). The rest of
// the module is written once against these names.
//
// - Headers: WinSCard's <winscard.h> needs <windows.h> first; pcsc-lite's <winscard.h> comes through the
//   pkg-config include folder (…/PCSC).
// - Strings: WinSCard has ANSI (…A) and UTF-16 (…W) entry points; the ANSI ones give reader names in the
//   machine's code page (GBK on a Chinese Windows), which would not be valid UTF-8 in JSON. So Windows
//   uses the W functions and converts at this boundary; pcsc-lite's names are UTF-8 already.
// - Sizes: with SCARD_AUTOALLOCATE both count characters (WCHARs on Windows) of a multi-string.
// - Missing on Windows: pcsc_stringify_error, MAX_ATR_SIZE, MAX_BUFFER_SIZE_EXTENDED.
// The SCARD_E_/SCARD_W_ codes the module uses exist in both (checked against mingw-w64's headers).
#pragma once

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
// windows.h must come before winscard.h.
// clang-format off
#include <windows.h>
#include <winscard.h>
// clang-format on
#else
#include <winscard.h>
#endif

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cardbridge::card::detail {

#ifdef _WIN32

using PcscChar = wchar_t;
using PcscString = std::wstring;
using PcscReaderState = SCARD_READERSTATEW;
/// WinSCard's rgbAtr holds 36 bytes (the longest ATR is 33).
inline constexpr std::size_t PCSC_ATR_BUFFER = 36;
/// Same as pcsc-lite's MAX_BUFFER_SIZE_EXTENDED: an extended-length response and its status word.
inline constexpr std::size_t PCSC_RESPONSE_BUFFER = 4 + 3 + (1 << 16) + 3 + 2;
/// The pseudo reader that wakes SCardGetStatusChange on reader hotplug.
inline constexpr const PcscChar* PCSC_PNP_READER = L"\\\\?PnP?\\Notification";

/// UTF-8 → UTF-16 (reader names the caller passes in). Invalid UTF-8 gives an empty string, which no
/// reader is called.
inline std::wstring toPcscString(std::string_view utf8) {
    if (utf8.empty()) return {};
    const int length = ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(),
                                             static_cast<int>(utf8.size()), nullptr, 0);
    if (length <= 0) return {};
    std::wstring wide(static_cast<std::size_t>(length), L'\0');
    ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), static_cast<int>(utf8.size()),
                          wide.data(), length);
    return wide;
}

/// UTF-16 → UTF-8 (unpaired surrogates become U+FFFD).
inline std::string fromPcscString(std::wstring_view wide) {
    if (wide.empty()) return {};
    const int length = ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), nullptr,
                                             0, nullptr, nullptr);
    if (length <= 0) return {};
    std::string utf8(static_cast<std::size_t>(length), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), utf8.data(), length,
                          nullptr, nullptr);
    return utf8;
}

inline LONG pcscListReaders(SCARDCONTEXT context, PcscChar** autoAllocated, DWORD* length) {
    return ::SCardListReadersW(context, nullptr, reinterpret_cast<LPWSTR>(autoAllocated), length);
}
inline LONG pcscConnect(SCARDCONTEXT context, const PcscChar* reader, DWORD share, DWORD protocols,
                        SCARDHANDLE* card, DWORD* active) {
    return ::SCardConnectW(context, reader, share, protocols, card, active);
}
inline LONG pcscStatus(SCARDHANDLE card, DWORD* state, DWORD* protocol, BYTE* atr, DWORD* atrLength) {
    DWORD nameLength = 0;
    return ::SCardStatusW(card, nullptr, &nameLength, state, protocol, atr, atrLength);
}
inline LONG pcscGetStatusChange(SCARDCONTEXT context, DWORD timeout, PcscReaderState* states, DWORD count) {
    return ::SCardGetStatusChangeW(context, timeout, states, count);
}

#else

using PcscChar = char;
using PcscString = std::string;
using PcscReaderState = SCARD_READERSTATE;
inline constexpr std::size_t PCSC_ATR_BUFFER = MAX_ATR_SIZE;
inline constexpr std::size_t PCSC_RESPONSE_BUFFER = MAX_BUFFER_SIZE_EXTENDED;
inline constexpr const PcscChar* PCSC_PNP_READER = "\\\\?PnP?\\Notification";

inline std::string toPcscString(std::string_view utf8) {
    return std::string(utf8);
}
inline std::string fromPcscString(std::string_view name) {
    return std::string(name);
}

inline LONG pcscListReaders(SCARDCONTEXT context, PcscChar** autoAllocated, DWORD* length) {
    return SCardListReaders(context, nullptr, reinterpret_cast<LPSTR>(autoAllocated), length);
}
inline LONG pcscConnect(SCARDCONTEXT context, const PcscChar* reader, DWORD share, DWORD protocols,
                        SCARDHANDLE* card, DWORD* active) {
    return SCardConnect(context, reader, share, protocols, card, active);
}
inline LONG pcscStatus(SCARDHANDLE card, DWORD* state, DWORD* protocol, BYTE* atr, DWORD* atrLength) {
    DWORD nameLength = 0;
    return SCardStatus(card, nullptr, &nameLength, state, protocol, atr, atrLength);
}
inline LONG pcscGetStatusChange(SCARDCONTEXT context, DWORD timeout, PcscReaderState* states, DWORD count) {
    return SCardGetStatusChange(context, timeout, states, count);
}

#endif

/// The names in a PC/SC multi-string (names separated by NUL, ended by an empty name) of `length`
/// characters, as UTF-8.
inline std::vector<std::string> splitMultiString(const PcscChar* buffer, DWORD length) {
    std::vector<std::string> names;
    const PcscChar* end = buffer + length;
    for (const PcscChar* p = buffer; p < end && *p != 0;) {
        std::basic_string_view<PcscChar> name(p);
        names.push_back(fromPcscString(name));
        p += name.size() + 1;
    }
    return names;
}

/// A readable text for a PC/SC return code (for logs and error messages only).
std::string pcscErrorText(LONG rv);

}  // namespace cardbridge::card::detail

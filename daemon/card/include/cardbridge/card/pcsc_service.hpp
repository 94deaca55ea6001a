// Why the PC/SC service may refuse us: what is at pcscd's client socket, and whether a reader can be
// opened in shared mode. Used by `cardbridged doctor` to tell "not running", "not listening", "refused
// by polkit" and "held exclusively by another program" apart. Linux / pcsc-lite only.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace cardbridge::card {

/// What a connect to pcscd's client socket found.
enum class PcscSocketState {
    Missing,       ///< no such file: pcscd (or its systemd socket unit) is not running
    NotASocket,    ///< something else has that name
    Refused,       ///< a socket file nobody listens on (pcscd died and left it, or it is still starting)
    AccessDenied,  ///< the socket's permissions keep this user out
    Listening,     ///< something accepted the connection (pcscd, or systemd holding pcscd.socket)
};

/// Stable name, e.g. "Listening".
std::string_view toString(PcscSocketState state) noexcept;

/// The socket pcsc-lite's clients use: $PCSCLITE_CSOCK_NAME when set, else /run/pcscd/pcscd.comm.
std::filesystem::path pcscSocketPath();

/// Connects once (AF_UNIX stream) to `socket` and closes again; sends nothing. Never throws.
PcscSocketState probePcscSocket(const std::filesystem::path& socket);

/// What opening one reader in shared mode found (a fresh PC/SC context, closed again).
enum class ReaderAccess {
    Usable,     ///< connected shared (card present)
    NoCard,     ///< no card in the reader
    Exclusive,  ///< SCARD_E_SHARING_VIOLATION: another program holds it exclusively
    Denied,     ///< SCARD_W_SECURITY_VIOLATION: polkit (access_card) refused this user
    NoService,  ///< the context could not be established or pcscd went away
    Other,      ///< anything else (see `detail`)
};

/// Tries SCardConnect(SCARD_SHARE_SHARED) on `reader`; `detail` gets pcsc-lite's text for the result.
/// Never throws.
ReaderAccess probeReaderAccess(const std::string& reader, std::string* detail = nullptr);

}  // namespace cardbridge::card

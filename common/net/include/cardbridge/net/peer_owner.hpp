// Who owns the other end of a loopback TCP connection. The `Origin` header is only a browser's word: any
// local process can send any header, so a loopback server that serves one OS user asks the OS which user
// owns the peer socket. One seam, its implementation chosen per platform at build time: Linux asks the
// kernel's socket table over NETLINK_SOCK_DIAG (peer_owner_linux.cpp), Windows the TCP table's owning
// process and that process's token (peer_owner_windows.cpp). No Asio or OpenSSL here: the Windows file
// is compile-checked with mingw-w64, which has neither.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

namespace cardbridge::net {

/// One TCP connection as the server sees it: `local` is the server's end, `remote` the peer's.
struct TcpConnection {
    bool v6 = false;                               ///< false: IPv4 (the first 4 bytes of each address)
    std::array<std::uint8_t, 16> localAddress{};   ///< network byte order
    std::uint16_t localPort = 0;                   ///< host byte order
    std::array<std::uint8_t, 16> remoteAddress{};  ///< network byte order
    std::uint16_t remotePort = 0;                  ///< host byte order
};

/// What the OS said about the peer socket's owner.
enum class PeerOwnership {
    Allowed,       ///< the server's own user, or the administrator (root / LocalSystem)
    OtherUser,     ///< another user's process
    NotFound,      ///< no live socket with that 4-tuple (gone already, or not on this machine)
    LookupFailed,  ///< the OS would not say (no permission, API failure): refuse, never guess
};

/// The answer for one connection. `owner` names the owner for logs ("uid 1001", a SID); `detail` says why
/// a lookup failed. Neither holds anything secret.
struct PeerCheck {
    PeerOwnership outcome = PeerOwnership::LookupFailed;
    std::string owner;
    std::string detail;
    [[nodiscard]] bool allowed() const noexcept { return outcome == PeerOwnership::Allowed; }
};

/// The seam: decides whether a connection's peer belongs to the user this server serves.
class PeerOwnerCheck {
  public:
    virtual ~PeerOwnerCheck() = default;
    /// Looks the peer of `connection` up (synchronously; microseconds on loopback). Never throws.
    [[nodiscard]] virtual PeerCheck check(const TcpConnection& connection) const noexcept = 0;
    /// Who this check serves, for the start-up log ("uid 1000", a SID).
    [[nodiscard]] virtual std::string servedUser() const = 0;
};

/// The platform's check, chosen at build time: on Linux the peer's uid from NETLINK_SOCK_DIAG must be
/// the process's effective uid or 0; on Windows the peer process's token user must be the console
/// session's user (when running as LocalSystem, i.e. as a service) or the process's own user, or
/// LocalSystem. Throws std::runtime_error when the served user cannot be determined (Windows only).
std::shared_ptr<const PeerOwnerCheck> platformPeerOwnerCheck();

#ifdef __linux__
/// The kernel's answer for the socket whose own end is `local` and whose other end is `remote`
/// (an exact inet_diag lookup by 4-tuple over NETLINK_SOCK_DIAG).
struct SocketUidLookup {
    enum class Status { Found, NotFound, Failed } status = Status::Failed;
    std::uint32_t uid = 0;  ///< set when Found
    int error = 0;          ///< errno when Failed
};
/// Looks up the owner of the socket `connection.local`→`connection.remote` (note: the socket named by
/// its own local end; for a server's peer pass the connection with local and remote swapped). Sockets in
/// TIME_WAIT or SYN_RECV carry no owner and count as NotFound. Never throws.
SocketUidLookup lookupSocketUid(const TcpConnection& connection) noexcept;
#endif

}  // namespace cardbridge::net

// The peer socket's owner on Windows: the TCP table's owning process of the peer's port
// (GetExtendedTcpTable, TCP_TABLE_OWNER_PID_ALL), then that process's token user. The served user is the
// console session's user when the daemon runs as LocalSystem (a service), else the daemon's own user;
// LocalSystem itself is allowed too (the administrator, as root is on Linux). No Asio, no OpenSSL:
// scripts/mingw-check.sh compiles this file with Debian's mingw-w64.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
// clang-format off: winsock2.h must come before windows.h, and iphlpapi.h after both.
#include <iphlpapi.h>
#include <sddl.h>
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <wtsapi32.h>
// clang-format on

#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

#include "cardbridge/net/peer_owner.hpp"

namespace cardbridge::net {

namespace {

struct HandleCloser {
    void operator()(HANDLE handle) const noexcept {
        if (handle != nullptr && handle != INVALID_HANDLE_VALUE) ::CloseHandle(handle);
    }
};
using UniqueHandle = std::unique_ptr<void, HandleCloser>;

std::string lastError(const char* what) {
    return std::string(what) + " failed (error " + std::to_string(::GetLastError()) + ")";
}

/// A token's TOKEN_USER (the user's SID lives inside the buffer); empty on failure.
std::vector<BYTE> tokenUser(HANDLE token) {
    DWORD size = 0;
    ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
    if (size == 0) return {};
    std::vector<BYTE> buffer(size);
    if (!::GetTokenInformation(token, TokenUser, buffer.data(), size, &size)) return {};
    return buffer;
}

PSID sidOf(const std::vector<BYTE>& user) {
    return reinterpret_cast<const TOKEN_USER*>(user.data())->User.Sid;
}

std::string sidText(PSID sid) {
    LPSTR text = nullptr;
    if (!::ConvertSidToStringSidA(sid, &text)) return "(unprintable SID)";
    std::string out(text);
    ::LocalFree(text);
    return out;
}

/// The owning process of the peer's socket: the table row whose local end is the peer's end and whose
/// remote end is ours. nullopt with `problem` empty: no such row; with `problem` set: the call failed.
std::optional<DWORD> owningProcess(const TcpConnection& connection, std::string& problem) {
    const ULONG family = connection.v6 ? AF_INET6 : AF_INET;
    std::vector<BYTE> table;
    DWORD size = 0;
    DWORD rc = ERROR_INSUFFICIENT_BUFFER;
    // The table can grow between the sizing call and the real one: retry a few times.
    for (int attempt = 0; attempt < 5 && rc == ERROR_INSUFFICIENT_BUFFER; ++attempt) {
        table.resize(size == 0 ? sizeof(MIB_TCPTABLE_OWNER_PID) : size);
        size = static_cast<DWORD>(table.size());
        rc = ::GetExtendedTcpTable(table.data(), &size, FALSE, family, TCP_TABLE_OWNER_PID_ALL, 0);
    }
    if (rc != NO_ERROR) {
        problem = "GetExtendedTcpTable failed (error " + std::to_string(rc) + ")";
        return std::nullopt;
    }
    const u_short peerPort = htons(connection.remotePort);
    const u_short ourPort = htons(connection.localPort);
    if (!connection.v6) {
        const auto* rows = reinterpret_cast<const MIB_TCPTABLE_OWNER_PID*>(table.data());
        for (DWORD i = 0; i < rows->dwNumEntries; ++i) {
            const MIB_TCPROW_OWNER_PID& row = rows->table[i];
            if (row.dwState == MIB_TCP_STATE_TIME_WAIT || row.dwState == MIB_TCP_STATE_LISTEN) continue;
            if (static_cast<u_short>(row.dwLocalPort) != peerPort ||
                static_cast<u_short>(row.dwRemotePort) != ourPort)
                continue;
            if (std::memcmp(&row.dwLocalAddr, connection.remoteAddress.data(), 4) != 0 ||
                std::memcmp(&row.dwRemoteAddr, connection.localAddress.data(), 4) != 0)
                continue;
            return row.dwOwningPid;
        }
    } else {
        const auto* rows = reinterpret_cast<const MIB_TCP6TABLE_OWNER_PID*>(table.data());
        for (DWORD i = 0; i < rows->dwNumEntries; ++i) {
            const MIB_TCP6ROW_OWNER_PID& row = rows->table[i];
            if (row.dwState == MIB_TCP_STATE_TIME_WAIT || row.dwState == MIB_TCP_STATE_LISTEN) continue;
            if (static_cast<u_short>(row.dwLocalPort) != peerPort ||
                static_cast<u_short>(row.dwRemotePort) != ourPort)
                continue;
            if (std::memcmp(row.ucLocalAddr, connection.remoteAddress.data(), 16) != 0 ||
                std::memcmp(row.ucRemoteAddr, connection.localAddress.data(), 16) != 0)
                continue;
            return row.dwOwningPid;
        }
    }
    return std::nullopt;
}

class WindowsPeerOwnerCheck final : public PeerOwnerCheck {
  public:
    WindowsPeerOwnerCheck() {
        HANDLE raw = nullptr;
        if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &raw))
            throw std::runtime_error(lastError("OpenProcessToken (own process)"));
        const UniqueHandle token(raw);
        own_ = tokenUser(token.get());
        if (own_.empty()) throw std::runtime_error(lastError("GetTokenInformation (own process)"));
        service_ = ::IsWellKnownSid(sidOf(own_), WinLocalSystemSid) != FALSE;
    }

    [[nodiscard]] PeerCheck check(const TcpConnection& connection) const noexcept override {
        PeerCheck result;
        try {
            std::string problem;
            const auto pid = owningProcess(connection, problem);
            if (!pid) {
                result.outcome = problem.empty() ? PeerOwnership::NotFound : PeerOwnership::LookupFailed;
                result.detail = problem.empty() ? "no such connection in the TCP table" : problem;
                return result;
            }
            const UniqueHandle process(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, *pid));
            if (!process) {
                result.detail = lastError("OpenProcess") + " for pid " + std::to_string(*pid);
                return result;  // LookupFailed: refused
            }
            HANDLE rawToken = nullptr;
            if (!::OpenProcessToken(process.get(), TOKEN_QUERY, &rawToken)) {
                result.detail = lastError("OpenProcessToken") + " for pid " + std::to_string(*pid);
                return result;
            }
            const UniqueHandle token(rawToken);
            const std::vector<BYTE> peer = tokenUser(token.get());
            if (peer.empty()) {
                result.detail = lastError("GetTokenInformation") + " for pid " + std::to_string(*pid);
                return result;
            }
            result.owner = sidText(sidOf(peer)) + " (pid " + std::to_string(*pid) + ")";
            if (::IsWellKnownSid(sidOf(peer), WinLocalSystemSid)) {
                result.outcome = PeerOwnership::Allowed;
                return result;
            }
            const std::vector<BYTE> served = servedSid(result.detail);
            if (served.empty()) return result;  // no console user: LookupFailed, refused
            result.outcome =
                ::EqualSid(sidOf(peer), sidOf(served)) ? PeerOwnership::Allowed : PeerOwnership::OtherUser;
        } catch (...) {
            result = PeerCheck{};
        }
        return result;
    }

    [[nodiscard]] std::string servedUser() const override {
        if (!service_) return sidText(sidOf(own_));
        return "the console session's user";
    }

  private:
    // As a service the served user is whoever holds the console now (asked per connection: users log
    // on and off, and fast user switching changes the console session).
    std::vector<BYTE> servedSid(std::string& problem) const {
        if (!service_) return own_;
        const DWORD session = ::WTSGetActiveConsoleSessionId();
        if (session == 0xFFFFFFFF) {
            problem = "no console session";
            return {};
        }
        HANDLE raw = nullptr;
        if (!::WTSQueryUserToken(session, &raw)) {
            problem = lastError("WTSQueryUserToken");
            return {};
        }
        const UniqueHandle token(raw);
        std::vector<BYTE> user = tokenUser(token.get());
        if (user.empty()) problem = lastError("GetTokenInformation (console user)");
        return user;
    }

    std::vector<BYTE> own_;
    bool service_ = false;
};

}  // namespace

std::shared_ptr<const PeerOwnerCheck> platformPeerOwnerCheck() {
    return std::make_shared<const WindowsPeerOwnerCheck>();
}

}  // namespace cardbridge::net

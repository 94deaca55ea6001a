// The peer socket's owner on Linux: one exact inet_diag lookup by 4-tuple over NETLINK_SOCK_DIAG, the
// same table `ss -e` prints (its "uid:" column). Unprivileged: any process may ask about TCP sockets.
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cardbridge/net/peer_owner.hpp"

namespace cardbridge::net {

namespace {

// The kernel answers an exact lookup at once; this only bounds a wedged netlink socket.
constexpr long RECEIVE_TIMEOUT_MS = 1000;
constexpr std::uint32_t SEQUENCE = 1;

constexpr std::size_t align4(std::size_t length) {
    return (length + 3) & ~std::size_t{3};
}

class Fd {
  public:
    explicit Fd(int fd) noexcept : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }

  private:
    int fd_;
};

struct DiagRequest {
    nlmsghdr header;
    inet_diag_req_v2 body;
};

SocketUidLookup failed(int error) {
    SocketUidLookup result;
    result.status = SocketUidLookup::Status::Failed;
    result.error = error;
    return result;
}

bool sameId(const inet_diag_sockid& a, const inet_diag_sockid& b, std::size_t addressBytes) {
    return a.idiag_sport == b.idiag_sport && a.idiag_dport == b.idiag_dport &&
           std::memcmp(a.idiag_src, b.idiag_src, addressBytes) == 0 &&
           std::memcmp(a.idiag_dst, b.idiag_dst, addressBytes) == 0;
}

class LinuxPeerOwnerCheck final : public PeerOwnerCheck {
  public:
    LinuxPeerOwnerCheck() : served_(::geteuid()) {}

    [[nodiscard]] PeerCheck check(const TcpConnection& connection) const noexcept override {
        PeerCheck result;
        try {
            // The peer's socket is named by its own local end: our remote.
            TcpConnection peer;
            peer.v6 = connection.v6;
            peer.localAddress = connection.remoteAddress;
            peer.localPort = connection.remotePort;
            peer.remoteAddress = connection.localAddress;
            peer.remotePort = connection.localPort;
            const SocketUidLookup lookup = lookupSocketUid(peer);
            switch (lookup.status) {
                case SocketUidLookup::Status::Found:
                    result.owner = "uid " + std::to_string(lookup.uid);
                    result.outcome = lookup.uid == served_ || lookup.uid == 0 ? PeerOwnership::Allowed
                                                                              : PeerOwnership::OtherUser;
                    break;
                case SocketUidLookup::Status::NotFound:
                    result.outcome = PeerOwnership::NotFound;
                    result.detail = "no such socket in the kernel's table";
                    break;
                case SocketUidLookup::Status::Failed:
                    result.outcome = PeerOwnership::LookupFailed;
                    result.detail = std::string("NETLINK_SOCK_DIAG: ") + std::strerror(lookup.error);
                    break;
            }
        } catch (...) {
            result = PeerCheck{};  // allocation failure: LookupFailed, refused
        }
        return result;
    }

    [[nodiscard]] std::string servedUser() const override { return "uid " + std::to_string(served_); }

  private:
    uid_t served_;
};

}  // namespace

SocketUidLookup lookupSocketUid(const TcpConnection& connection) noexcept {
    const Fd fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    if (fd.get() < 0) return failed(errno);
    timeval timeout{};
    timeout.tv_sec = RECEIVE_TIMEOUT_MS / 1000;
    timeout.tv_usec = (RECEIVE_TIMEOUT_MS % 1000) * 1000;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) return failed(errno);

    const std::size_t addressBytes = connection.v6 ? 16 : 4;
    DiagRequest request{};
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    request.header.nlmsg_flags = NLM_F_REQUEST;  // no NLM_F_DUMP: an exact lookup of one socket
    request.header.nlmsg_seq = SEQUENCE;
    request.body.sdiag_family = connection.v6 ? AF_INET6 : AF_INET;
    request.body.sdiag_protocol = IPPROTO_TCP;
    request.body.idiag_states = ~0U;
    request.body.id.idiag_sport = htons(connection.localPort);
    request.body.id.idiag_dport = htons(connection.remotePort);
    std::memcpy(request.body.id.idiag_src, connection.localAddress.data(), addressBytes);
    std::memcpy(request.body.id.idiag_dst, connection.remoteAddress.data(), addressBytes);
    request.body.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    request.body.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd.get(), &request, sizeof request, 0, reinterpret_cast<const sockaddr*>(&kernel),
                 sizeof kernel) < 0)
        return failed(errno);

    // The netlink macros (NLMSG_OK, NLMSG_DATA…) cast in C style; walking the messages by hand, with
    // memcpy into aligned locals, is as short and keeps the warnings on.
    alignas(nlmsghdr) char buffer[8192];
    constexpr std::size_t HEADER = align4(sizeof(nlmsghdr));
    for (;;) {
        const ssize_t received = ::recv(fd.get(), buffer, sizeof buffer, 0);
        if (received < 0) {
            if (errno == EINTR) continue;
            return failed(errno);
        }
        const auto total = static_cast<std::size_t>(received);
        if (total == 0) return failed(EPROTO);
        for (std::size_t offset = 0; offset + HEADER <= total;) {
            nlmsghdr message{};
            std::memcpy(&message, buffer + offset, sizeof message);
            if (message.nlmsg_len < HEADER || offset + message.nlmsg_len > total) return failed(EPROTO);
            const char* payload = buffer + offset + HEADER;
            const std::size_t payloadBytes = message.nlmsg_len - HEADER;
            offset += align4(message.nlmsg_len);
            if (message.nlmsg_seq != SEQUENCE) continue;
            if (message.nlmsg_type == NLMSG_ERROR) {
                nlmsgerr error{};
                if (payloadBytes < sizeof error) return failed(EPROTO);
                std::memcpy(&error, payload, sizeof error);
                if (error.error == 0) continue;  // an ACK: the answer comes separately
                if (error.error == -ENOENT) return SocketUidLookup{SocketUidLookup::Status::NotFound, 0, 0};
                return failed(-error.error);
            }
            if (message.nlmsg_type == NLMSG_DONE)
                return SocketUidLookup{SocketUidLookup::Status::NotFound, 0, 0};
            if (message.nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
            inet_diag_msg diag{};
            if (payloadBytes < sizeof diag) return failed(EPROTO);
            std::memcpy(&diag, payload, sizeof diag);
            // The kernel's exact lookup falls back to a listener on the local end: that is another
            // socket, so the one asked for does not exist.
            if (!sameId(diag.id, request.body.id, addressBytes) || diag.idiag_state == TCP_LISTEN)
                return SocketUidLookup{SocketUidLookup::Status::NotFound, 0, 0};
            // A TIME_WAIT or request socket reports uid 0, which is not an owner: it has none.
            if (diag.idiag_state == TCP_TIME_WAIT || diag.idiag_state == TCP_SYN_RECV ||
                diag.idiag_state == TCP_CLOSE)
                return SocketUidLookup{SocketUidLookup::Status::NotFound, 0, 0};
            return SocketUidLookup{SocketUidLookup::Status::Found, diag.idiag_uid, 0};
        }
    }
}

std::shared_ptr<const PeerOwnerCheck> platformPeerOwnerCheck() {
    return std::make_shared<const LinuxPeerOwnerCheck>();
}

}  // namespace cardbridge::net

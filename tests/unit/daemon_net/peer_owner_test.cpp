// The peer-owner seam on Linux: the kernel's socket table (NETLINK_SOCK_DIAG) names the owner of each end
// of a loopback connection; an unknown 4-tuple is not found; another user's socket is another user.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "cardbridge/net/peer_owner.hpp"

namespace cardbridge::net {
namespace {

class Fd {
  public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const { return fd_; }

  private:
    int fd_;
};

// One end of a connection as the lookup wants it.
TcpConnection endOf(int fd, bool v6) {
    TcpConnection c;
    c.v6 = v6;
    sockaddr_storage local{};
    sockaddr_storage remote{};
    socklen_t length = sizeof local;
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length), 0);
    length = sizeof remote;
    EXPECT_EQ(::getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &length), 0);
    if (v6) {
        const auto& l = reinterpret_cast<const sockaddr_in6&>(local);
        const auto& r = reinterpret_cast<const sockaddr_in6&>(remote);
        std::memcpy(c.localAddress.data(), &l.sin6_addr, 16);
        std::memcpy(c.remoteAddress.data(), &r.sin6_addr, 16);
        c.localPort = ntohs(l.sin6_port);
        c.remotePort = ntohs(r.sin6_port);
    } else {
        const auto& l = reinterpret_cast<const sockaddr_in&>(local);
        const auto& r = reinterpret_cast<const sockaddr_in&>(remote);
        std::memcpy(c.localAddress.data(), &l.sin_addr, 4);
        std::memcpy(c.remoteAddress.data(), &r.sin_addr, 4);
        c.localPort = ntohs(l.sin_port);
        c.remotePort = ntohs(r.sin_port);
    }
    return c;
}

// A listener on the loopback of `v6`'s family, port chosen by the kernel.
Fd listenOnLoopback(bool v6, sockaddr_storage& address, socklen_t& length) {
    Fd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    address = {};
    if (v6) {
        auto& a = reinterpret_cast<sockaddr_in6&>(address);
        a.sin6_family = AF_INET6;
        a.sin6_addr = in6addr_loopback;
        length = sizeof a;
    } else {
        auto& a = reinterpret_cast<sockaddr_in&>(address);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        length = sizeof a;
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0) return Fd();
    EXPECT_EQ(::listen(fd.get(), 4), 0);
    EXPECT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
    return fd;
}

class PeerOwnerLookup : public ::testing::TestWithParam<bool> {};

TEST_P(PeerOwnerLookup, BothEndsOfOwnLoopbackConnectionResolveToOwnUid) {
    const bool v6 = GetParam();
    sockaddr_storage address{};
    socklen_t length = 0;
    Fd listener = listenOnLoopback(v6, address, length);
    if (listener.get() < 0) GTEST_SKIP() << "no loopback for this family here";
    Fd client(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
    Fd server(::accept(listener.get(), nullptr, nullptr));
    ASSERT_GE(server.get(), 0);

    const SocketUidLookup clientSide = lookupSocketUid(endOf(client.get(), v6));
    ASSERT_EQ(clientSide.status, SocketUidLookup::Status::Found) << clientSide.error;
    EXPECT_EQ(clientSide.uid, ::geteuid());
    const SocketUidLookup serverSide = lookupSocketUid(endOf(server.get(), v6));
    ASSERT_EQ(serverSide.status, SocketUidLookup::Status::Found) << serverSide.error;
    EXPECT_EQ(serverSide.uid, ::geteuid());

    // The server's view of the connection: the check looks the peer (the client's socket) up.
    const PeerCheck verdict = platformPeerOwnerCheck()->check(endOf(server.get(), v6));
    EXPECT_EQ(verdict.outcome, PeerOwnership::Allowed) << verdict.detail;
    EXPECT_EQ(verdict.owner, "uid " + std::to_string(::geteuid()));
}

TEST_P(PeerOwnerLookup, UnknownFourTupleIsNotFoundAndRefused) {
    const bool v6 = GetParam();
    sockaddr_storage address{};
    socklen_t length = 0;
    Fd listener = listenOnLoopback(v6, address, length);
    if (listener.get() < 0) GTEST_SKIP() << "no loopback for this family here";
    Fd client(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
    Fd server(::accept(listener.get(), nullptr, nullptr));
    TcpConnection unknown = endOf(server.get(), v6);
    // The same connection with a peer port nobody holds (the listener's own port cannot be a peer's).
    unknown.remotePort = unknown.localPort;
    unknown.localPort = 1;
    const SocketUidLookup lookup = lookupSocketUid(unknown);
    EXPECT_EQ(lookup.status, SocketUidLookup::Status::NotFound) << lookup.error;
    const PeerCheck verdict = platformPeerOwnerCheck()->check(unknown);
    EXPECT_EQ(verdict.outcome, PeerOwnership::NotFound);
    EXPECT_FALSE(verdict.allowed());
}

TEST_P(PeerOwnerLookup, AnotherUsersSocketIsOtherUser) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to connect as another user";
    const bool v6 = GetParam();
    sockaddr_storage address{};
    socklen_t length = 0;
    Fd listener = listenOnLoopback(v6, address, length);
    if (listener.get() < 0) GTEST_SKIP() << "no loopback for this family here";
    constexpr uid_t NOBODY = 65534;
    int hold[2];
    ASSERT_EQ(::pipe(hold), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // Another user connects and keeps its socket open until the parent closes the pipe.
        ::close(hold[1]);
        if (::setgid(NOBODY) != 0 || ::setuid(NOBODY) != 0) ::_exit(2);
        const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) ::_exit(3);
        char byte = 0;
        (void)!::read(hold[0], &byte, 1);
        ::_exit(0);
    }
    ::close(hold[0]);
    Fd server(::accept(listener.get(), nullptr, nullptr));
    ASSERT_GE(server.get(), 0);
    const PeerCheck verdict = platformPeerOwnerCheck()->check(endOf(server.get(), v6));
    ::close(hold[1]);
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_EQ(verdict.outcome, PeerOwnership::OtherUser) << verdict.detail;
    EXPECT_EQ(verdict.owner, "uid 65534");
    EXPECT_FALSE(verdict.allowed());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

INSTANTIATE_TEST_SUITE_P(Families, PeerOwnerLookup, ::testing::Values(false, true), [](const auto& family) {
    return family.param ? std::string("IPv6") : std::string("IPv4");
});

}  // namespace
}  // namespace cardbridge::net

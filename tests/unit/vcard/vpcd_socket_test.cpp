// The vpcd client over a real loopback socket against a fake vpcd: split frames, replies, reconnect after
// EOF, removal via the control channel.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "cardbridge/vcard/vpcd_runner.hpp"
#include "test_support.hpp"

using namespace vcardtest;

namespace {

class FakeVpcd {
  public:
    FakeVpcd() {
        listenFd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(listenFd_, 1);
        socklen_t len = sizeof addr;
        ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
    }
    ~FakeVpcd() {
        if (fd_ >= 0) ::close(fd_);
        ::close(listenFd_);
    }
    std::uint16_t port() const { return port_; }
    bool accept(int timeoutMs = 3000) {
        pollfd p{listenFd_, POLLIN, 0};
        if (::poll(&p, 1, timeoutMs) != 1) return false;
        fd_ = ::accept(listenFd_, nullptr, nullptr);
        return fd_ >= 0;
    }
    void closeClient() {
        ::close(fd_);
        fd_ = -1;
    }
    // Sends the length and the payload in two writes, as vpcd 0.8 does.
    void sendFrame(const Bytes& payload) {
        std::uint8_t header[2] = {static_cast<std::uint8_t>(payload.size() >> 8),
                                  static_cast<std::uint8_t>(payload.size())};
        ASSERT_EQ(::send(fd_, header, 2, 0), 2);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        ASSERT_EQ(::send(fd_, payload.data(), payload.size(), 0), static_cast<ssize_t>(payload.size()));
    }
    Bytes readFrame() {
        Bytes header = readExactly(2);
        if (header.size() != 2) return {};
        return readExactly((std::size_t{header[0]} << 8) | header[1]);
    }

  private:
    Bytes readExactly(std::size_t n) {
        Bytes out(n);
        std::size_t got = 0;
        while (got < n) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 3000) != 1) break;
            ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
            if (r <= 0) break;
            got += static_cast<std::size_t>(r);
        }
        out.resize(got);
        return out;
    }
    int listenFd_ = -1;
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace

TEST(VcardVpcdSocket, AnswersSplitFramesAndReconnectsAfterEof) {
    FakeVpcd vpcd;
    Card card;
    RunOptions options;
    options.vpcdPort = vpcd.port();
    VpcdRunner runner(card.applet, options);
    std::atomic<bool> stop{false};
    std::thread loop([&] { runner.run(stop); });

    ASSERT_TRUE(vpcd.accept());
    vpcd.sendFrame(fromHex("01"));  // power on: no reply
    vpcd.sendFrame(fromHex("04"));
    EXPECT_EQ(toHex(vpcd.readFrame()), toHex(yubikey5Atr()));
    vpcd.sendFrame(fromHex("00 A4 04 00 05 A0 00 00 03 08"));
    EXPECT_EQ(toHex(vpcd.readFrame()), "61114F0600001000010079074F05A0000003089000");
    vpcd.sendFrame(fromHex("00 FD 00 00 00"));
    EXPECT_EQ(toHex(vpcd.readFrame()), "0504039000");

    vpcd.closeClient();  // pcscd went away: the card must come back by itself
    ASSERT_TRUE(vpcd.accept());
    vpcd.sendFrame(fromHex("00 FD 00 00 00"));
    EXPECT_EQ(toHex(vpcd.readFrame()), "6D00");  // fresh power-up: nothing selected

    stop = true;
    loop.join();
    EXPECT_EQ(runner.apduCount(), 3u);
}

TEST(VcardVpcdSocket, DropAtClosesTheConnectionInsteadOfAnswering) {
    FakeVpcd vpcd;
    Card card;
    RunOptions options;
    options.vpcdPort = vpcd.port();
    VpcdRunner runner(card.applet, options);
    runner.control("drop-at 1");
    std::atomic<bool> stop{false};
    std::thread loop([&] { runner.run(stop); });
    ASSERT_TRUE(vpcd.accept());
    vpcd.sendFrame(fromHex("00 A4 04 00 05 A0 00 00 03 08"));
    EXPECT_TRUE(vpcd.readFrame().empty());  // EOF, no answer
    EXPECT_FALSE(vpcd.accept(500));         // stays removed until "insert"
    stop = true;
    loop.join();
    EXPECT_FALSE(runner.present());
}

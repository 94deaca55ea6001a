// probePcscSocket against real AF_UNIX sockets in a temp folder: what `cardbridged doctor` tells apart.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "cardbridge/card/pcsc_service.hpp"
#include "temp_dir.hpp"

using cardbridge::card::PcscSocketState;
using cardbridge::card::probePcscSocket;
using cardbridge::test::TempDir;

namespace {

// A bound AF_UNIX stream socket at `path`, listening or not; closed on destruction.
class UnixSocket {
  public:
    UnixSocket(const std::string& path, bool listening) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
        bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                 (!listening || ::listen(fd_, 4) == 0);
    }
    ~UnixSocket() { ::close(fd_); }
    UnixSocket(const UnixSocket&) = delete;
    UnixSocket& operator=(const UnixSocket&) = delete;
    bool bound() const { return bound_; }

  private:
    int fd_ = -1;
    bool bound_ = false;
};

}  // namespace

TEST(PcscSocketProbe, MissingSocketIsMissing) {
    TempDir dir("pcsc-probe");
    EXPECT_EQ(probePcscSocket(dir.path() / "pcscd.comm"), PcscSocketState::Missing);
}

TEST(PcscSocketProbe, ARegularFileIsNotASocket) {
    TempDir dir("pcsc-probe");
    std::ofstream(dir.path() / "pcscd.comm") << "not a socket";
    EXPECT_EQ(probePcscSocket(dir.path() / "pcscd.comm"), PcscSocketState::NotASocket);
}

TEST(PcscSocketProbe, BoundButNotListeningIsRefused) {
    TempDir dir("pcsc-probe");
    UnixSocket socket((dir.path() / "pcscd.comm").string(), false);
    ASSERT_TRUE(socket.bound());
    EXPECT_EQ(probePcscSocket(dir.path() / "pcscd.comm"), PcscSocketState::Refused);
}

TEST(PcscSocketProbe, AStaleSocketFileLeftBehindIsRefused) {
    TempDir dir("pcsc-probe");
    { UnixSocket socket((dir.path() / "pcscd.comm").string(), true); }  // closed: the file stays
    EXPECT_EQ(probePcscSocket(dir.path() / "pcscd.comm"), PcscSocketState::Refused);
}

TEST(PcscSocketProbe, ListeningSocketIsListening) {
    TempDir dir("pcsc-probe");
    UnixSocket socket((dir.path() / "pcscd.comm").string(), true);
    ASSERT_TRUE(socket.bound());
    EXPECT_EQ(probePcscSocket(dir.path() / "pcscd.comm"), PcscSocketState::Listening);
}

TEST(PcscSocketProbe, SocketPathHonoursPcscliteCsockName) {
    const char* before = std::getenv("PCSCLITE_CSOCK_NAME");
    const std::string saved = before != nullptr ? before : "";
    ::setenv("PCSCLITE_CSOCK_NAME", "/tmp/elsewhere/pcscd.comm", 1);
    EXPECT_EQ(cardbridge::card::pcscSocketPath(), "/tmp/elsewhere/pcscd.comm");
    ::unsetenv("PCSCLITE_CSOCK_NAME");
    EXPECT_EQ(cardbridge::card::pcscSocketPath(), "/run/pcscd/pcscd.comm");
    if (before != nullptr) ::setenv("PCSCLITE_CSOCK_NAME", saved.c_str(), 1);
}

// Who may connect at all: only processes of the daemon's own OS user (or root). A client run as another
// user (a throwaway system user, through setpriv) is refused right after accept, before TLS, with the
// peer's uid in the log; the same client run as this user is served. A lookup that fails is a refusal.
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>

#include "cardbridge/net/peer_owner.hpp"
#include "log_capture.hpp"
#include "net_fixture.hpp"

namespace cardbridge::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* PEER_USER = "cbnet-peer-test";

struct CommandResult {
    int status = -1;
    std::string output;
};

std::string shellQuoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out.push_back(c);
    }
    return out + "'";
}

CommandResult runCommand(const std::string& command) {
    CommandResult result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return result;
    std::array<char, 512> chunk{};
    while (std::fgets(chunk.data(), static_cast<int>(chunk.size()), pipe) != nullptr)
        result.output += chunk.data();
    const int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

class NetPeerTest : public NetFixture {
  protected:
    // A throwaway system user, made here when absent and removed by the test that made it.
    static void SetUpTestSuite() {
        if (::geteuid() != 0) return;
        if (::getpwnam(PEER_USER) == nullptr) {
            created_ =
                runCommand(std::string("useradd --system --no-create-home --shell /usr/sbin/nologin ") +
                           PEER_USER)
                    .status == 0;
        }
    }
    static void TearDownTestSuite() {
        if (created_) runCommand(std::string("userdel ") + PEER_USER);
        created_ = false;
    }

    CommandResult clientAs(const passwd* user, const std::string& host, const std::string& origin) {
        std::string command;
        if (user != nullptr) {
            command = "setpriv --reuid=" + std::to_string(user->pw_uid) +
                      " --regid=" + std::to_string(user->pw_gid) + " --clear-groups -- ";
        }
        command += shellQuoted(client_.string()) + " " + host + " " + std::to_string(port_) + " " +
                   shellQuoted(origin) + " " + shellQuoted(root_.certPem);
        return runCommand(command);
    }

    // The client program, copied where any user may run it (the build folder may be private).
    void SetUp() override {
        NetFixture::SetUp();
        namespace fs = std::filesystem;
        fs::permissions(clientDir_.path(), fs::perms::owner_all | fs::perms::group_read |
                                               fs::perms::group_exec | fs::perms::others_read |
                                               fs::perms::others_exec);
        client_ = clientDir_.path() / "net_peer_client";
        fs::copy_file(NET_PEER_CLIENT, client_);
        fs::permissions(client_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                     fs::perms::others_read | fs::perms::others_exec);
    }

    TempDir clientDir_{"cardbridge-peer-client"};
    std::filesystem::path client_;
    static inline bool created_ = false;
};

TEST_F(NetPeerTest, AnotherUsersClientIsRefusedBeforeTlsAndOwnUsersIsServed) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a client as another user";
    const passwd* user = ::getpwnam(PEER_USER);
    if (user == nullptr) user = ::getpwnam("nobody");  // no useradd here: any other user will do
    ASSERT_NE(user, nullptr) << "no throwaway user and no nobody";
    const uid_t peerUid = user->pw_uid;
    const gid_t peerGid = user->pw_gid;
    passwd other{};
    other.pw_uid = peerUid;
    other.pw_gid = peerGid;
    LogCapture log;
    for (const auto& [host, origin] :
         {std::pair<std::string, std::string>{"127.0.0.1", ownOrigin()},
          std::pair<std::string, std::string>{"::1", "https://[::1]:" + std::to_string(port_)}}) {
        // The same client, as this user: served with every capability of the own origin.
        const CommandResult own = clientAs(nullptr, host, origin);
        EXPECT_EQ(own.status, 0) << host << ": " << own.output;
        // As another user, with the daemon's own Origin: refused before any TLS.
        const CommandResult foreign = clientAs(&other, host, origin);
        EXPECT_EQ(foreign.status, 3) << host << ": " << foreign.output;
        EXPECT_NE(foreign.output.find("failed"), std::string::npos) << foreign.output;
    }
    const auto refused = log.linesWith("refused before TLS: the peer socket belongs to uid " +
                                       std::to_string(peerUid) + ", not to uid 0");
    EXPECT_EQ(refused.size(), 2U) << log.text();
    // No TLS handshake was attempted for them: no handshake failure is logged.
    EXPECT_TRUE(log.linesWith("TLS handshake failed").empty()) << log.text();
    EXPECT_EQ(server_->sessionCount(), 0U);
    expectStillServes();
}

// Whatever the OS says, anything but "your own user" is a refusal.
class ScriptedPeerCheck final : public net::PeerOwnerCheck {
  public:
    explicit ScriptedPeerCheck(net::PeerOwnership outcome) : outcome_(outcome) {}
    [[nodiscard]] net::PeerCheck check(const net::TcpConnection& /*connection*/) const noexcept override {
        net::PeerCheck result;
        result.outcome = outcome_;
        result.detail = "scripted: no netlink permission";
        return result;
    }
    [[nodiscard]] std::string servedUser() const override { return "uid 4242"; }

  private:
    net::PeerOwnership outcome_;
};

class NetPeerLookupFailedTest : public NetFixture {
  protected:
    void customise(daemon::ServerOptions& options) override {
        options.peerCheck = std::make_shared<ScriptedPeerCheck>(net::PeerOwnership::LookupFailed);
    }
};

TEST_F(NetPeerLookupFailedTest, FailedLookupIsARefusal) {
    LogCapture log;
    EXPECT_THROW(WssClient{clientOptions(ownOrigin())}, WssError);
    auto raw = rawTcpExchange("127.0.0.1", port_, "", 3s);
    EXPECT_TRUE(raw.closedByPeer);
    EXPECT_LT(raw.elapsed, 500ms);  // at once, not after the handshake timeout
    EXPECT_GE(log.linesWith("refused before TLS: cannot tell who owns the peer socket (scripted: no netlink "
                            "permission)")
                  .size(),
              2U)
        << log.text();
    EXPECT_EQ(server_->sessionCount(), 0U);
}

}  // namespace
}  // namespace cardbridge::test

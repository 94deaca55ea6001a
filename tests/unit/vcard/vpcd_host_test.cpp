// --vpcd-host: vpcd listens on every interface, so the card side dials loopback only and refuses any other
// host with a clear error before it opens a socket.
#include <gtest/gtest.h>

#include <string>

#include "cardbridge/common/error.hpp"
#include "cardbridge/vcard/vpcd_runner.hpp"
#include "test_support.hpp"

using namespace vcardtest;

TEST(VcardVpcdHost, LoopbackHostsAreAccepted) {
    for (const char* host : {"127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "localhost"}) {
        EXPECT_TRUE(isLoopbackHost(host)) << host;
    }
}

TEST(VcardVpcdHost, EverythingElseIsRefused) {
    for (const char* host :
         {"10.0.0.1", "192.168.1.20", "0.0.0.0", "128.0.0.1", "::", "fe80::1", "::ffff:10.0.0.1", "127.1",
          "0x7f.0.0.1", "example.com", "localhost.example.com", "LOCALHOST.", "", " 127.0.0.1"}) {
        EXPECT_FALSE(isLoopbackHost(host)) << '"' << host << '"';
    }
}

TEST(VcardVpcdHost, RunnerRefusesANonLoopbackHostWithAClearError) {
    Card card;
    RunOptions options;
    options.vpcdPort = 35963;
    options.vpcdHost = "192.168.1.20";
    try {
        VpcdRunner runner(card.applet, options);
        FAIL() << "a runner for a remote vpcd was made";
    } catch (const InputError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("192.168.1.20"), std::string::npos) << message;
        EXPECT_NE(message.find("loopback"), std::string::npos) << message;
    }
}

TEST(VcardVpcdHost, RunnerAcceptsTheLoopbackNames) {
    Card card;
    for (const char* host : {"127.0.0.1", "::1", "localhost"}) {
        RunOptions options;
        options.vpcdPort = 35963;
        options.vpcdHost = host;
        EXPECT_NO_THROW(VpcdRunner(card.applet, options)) << host;
    }
}

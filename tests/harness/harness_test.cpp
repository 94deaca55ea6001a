// The harness itself, checked with an independent PC/SC client (opensc-tool).
#include <gtest/gtest.h>

#include <filesystem>

#include "pcsc_env.hpp"

using namespace cardbridge::test;

TEST(PcscEnv, IsolatedPcscdServesBothVpcdReaders) {
    PcscEnv env;
    ASSERT_TRUE(std::filesystem::exists(env.socketPath()));
    CommandResult r = runCommand({"opensc-tool", "--list-readers"});
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find(env.readerName(0)), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(env.readerName(1)), std::string::npos) << r.output;
}

TEST(PcscEnv, RestartsPcscd) {
    PcscEnv env;
    env.stopPcscd();
    EXPECT_FALSE(env.pcscdRunning());
    CommandResult down = runCommand({"opensc-tool", "--list-readers"});
    EXPECT_EQ(down.output.find(env.readerName(0)), std::string::npos) << down.output;
    env.startPcscd();
    EXPECT_TRUE(env.pcscdRunning());
    CommandResult r = runCommand({"opensc-tool", "--list-readers"});
    EXPECT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find(env.readerName(0)), std::string::npos) << r.output;
}

TEST(RunCommand, ReportsExitCodeAndOutput) {
    CommandResult ok = runCommand({"sh", "-c", "echo hello; exit 3"});
    EXPECT_EQ(ok.exitCode, 3);
    EXPECT_EQ(ok.output, "hello\n");
    CommandResult slow = runCommand({"sleep", "5"}, std::chrono::seconds(1));
    EXPECT_EQ(slow.exitCode, -1);
}

// The systemd user unit passes `systemd-analyze verify`, and the autostart entry leaves sessions run by
// systemd to the unit. Both are the build-tree copies service/CMakeLists.txt configures with the built
// cardbridged as the binary (verify checks that ExecStart= exists); installs fill in the real bindir.
#include <gtest/gtest.h>

#include <string>

#include "pcsc_env.hpp"
#include "service_test_support.hpp"
#include "temp_dir.hpp"

using namespace cardbridge::test;
namespace fs = std::filesystem;

namespace {

bool onPath(const std::string& program) {
    return runCommand({"sh", "-c", "command -v " + program}).exitCode == 0;
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

}  // namespace

TEST(ServiceUnit, SystemdAnalyzeVerifyAcceptsTheUserUnit) {
    if (!onPath("systemd-analyze")) {
        if (std::getenv("CI") != nullptr) FAIL() << "systemd-analyze is missing in CI (package systemd)";
        GTEST_SKIP() << "systemd-analyze is not installed";
    }
    const std::string unit = slurp(SERVICE_UNIT);
    ASSERT_NE(unit.find("ExecStart=" CARDBRIDGED_EXE "\n"), std::string::npos) << unit;
    TempDir dir("cardbridge-unit");
    // verify needs a runtime folder for a --user manager, and checks ExecStart= against the file system.
    fs::create_directories(dir.path() / "runtime");
    fs::permissions(dir.path() / "runtime", fs::perms::owner_all, fs::perm_options::replace);
    ::setenv("XDG_RUNTIME_DIR", (dir.path() / "runtime").c_str(), 1);
    ::setenv("HOME", dir.path().c_str(), 1);
    const fs::path copy = dir.path() / "cardbridged.service";
    std::ofstream(copy) << unit;
    const auto result = runCommand({"systemd-analyze", "verify", "--user", copy.string()});
    EXPECT_EQ(result.exitCode, 0) << result.output;
    EXPECT_EQ(result.output, "") << "verify printed warnings";

    // The same check fails for a broken unit, so a pass above means something.
    std::ofstream(copy) << replaceAll(unit, "Type=notify", "Type=notifyy");
    const auto broken = runCommand({"systemd-analyze", "verify", "--user", copy.string()});
    EXPECT_NE(broken.output, "") << "verify did not notice a bad Type=";
}

TEST(ServiceUnit, TheUnitIsANotifyServiceWithWatchdogAndSandbox) {
    const std::string unit = slurp(SERVICE_UNIT);
    for (const char* line :
         {"Type=notify\n", "NotifyAccess=main\n", "WatchdogSec=30s\n", "Restart=on-failure\n",
          "NoNewPrivileges=yes\n", "ProtectSystem=strict\n", "PrivateTmp=yes\n", "PrivateUsers=yes\n",
          "ReadWritePaths=%h/.local/state/cardbridge\n",
          "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n", "WantedBy=default.target\n"})
        EXPECT_NE(unit.find(line), std::string::npos) << "missing: " << line;
}

TEST(AutostartEntry, RunsTheInstalledDaemonAndIsSkippedBySystemdGenerator) {
    const std::string entry = slurp(AUTOSTART_ENTRY);
    EXPECT_EQ(entry.rfind("[Desktop Entry]\n", 0), 0u) << entry;
    EXPECT_NE(entry.find("\nType=Application\n"), std::string::npos);
    EXPECT_NE(entry.find("\nExec=" CARDBRIDGED_EXE "\n"), std::string::npos) << entry;
    EXPECT_NE(entry.find("\nX-systemd-skip=true\n"), std::string::npos) << entry;
}

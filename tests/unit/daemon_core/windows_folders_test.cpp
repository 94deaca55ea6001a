// The choice of cardbridged's folders on Windows (windows_folders.hpp): a pure function, checked here on
// every platform; the known-folder lookup itself is Windows-only (scripts/mingw-check.sh compiles it).
#include "windows_folders.hpp"

#include <gtest/gtest.h>

namespace cardbridge::daemon {
namespace {

const WindowsKnownFolders FOLDERS{"/c/Users/zs/AppData/Local", "/c/Users/zs/AppData/Roaming",
                                  "/c/ProgramData"};

TEST(WindowsFolders, PerUserKeepsStateLocalAndConfigRoaming) {
    DefaultPaths paths = windowsDefaultPathsFrom(FOLDERS, false);
    EXPECT_EQ(paths.stateDir, std::filesystem::path("/c/Users/zs/AppData/Local/cardbridge"));
    EXPECT_EQ(paths.configFile,
              std::filesystem::path("/c/Users/zs/AppData/Roaming/cardbridge/cardbridged.json"));
}

TEST(WindowsFolders, LocalSystemUsesProgramDataNotItsOwnProfile) {
    DefaultPaths paths = windowsDefaultPathsFrom(FOLDERS, true);
    EXPECT_EQ(paths.stateDir, std::filesystem::path("/c/ProgramData/cardbridge/state"));
    EXPECT_EQ(paths.configFile, std::filesystem::path("/c/ProgramData/cardbridge/cardbridged.json"));
}

TEST(WindowsFolders, TheStateNeverRoams) {
    // The state holds the local TLS key: a roaming profile would copy it to other machines.
    DefaultPaths paths = windowsDefaultPathsFrom(FOLDERS, false);
    const std::string state = paths.stateDir.generic_string();
    EXPECT_EQ(state.find("Roaming"), std::string::npos) << state;
}

}  // namespace
}  // namespace cardbridge::daemon

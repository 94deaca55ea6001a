#include "cardbridge/common/executable_path.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace cardbridge {
namespace {

TEST(ExecutablePath, IsThisTestProgram) {
    const auto path = executablePath();
    ASSERT_FALSE(path.empty());
    EXPECT_TRUE(path.is_absolute());
    EXPECT_EQ(path.filename(), "common_unit_tests");
    EXPECT_EQ(::access(path.c_str(), X_OK), 0);
}

TEST(ExecutablePath, DataBesideFollowsTheInstallLayout) {
    EXPECT_EQ(dataPathBeside("/usr/bin/cardbridged", "cardbridge/webui"),
              std::filesystem::path("/usr/share/cardbridge/webui"));
    EXPECT_EQ(dataPathBeside("/opt/cb/bin/cardbridged", "cardbridge/webui"),
              std::filesystem::path("/opt/cb/share/cardbridge/webui"));
    // The build tree: build/daemon/cardbridged beside build/share.
    EXPECT_EQ(dataPathBeside("/src/build/daemon/cardbridged", "cardbridge/webui"),
              std::filesystem::path("/src/build/share/cardbridge/webui"));
    EXPECT_TRUE(dataPathBeside("", "cardbridge/webui").empty());
}

}  // namespace
}  // namespace cardbridge

// http:// platform origins need the development switch: without it the config loader refuses them with
// a problem that names the switch; with it they load.
#include <gtest/gtest.h>

#include <fstream>

#include "cardbridge/daemon/core/config.hpp"
#include "temp_dir.hpp"

namespace cardbridge::daemon {
namespace {

ConfigLoad loadText(const std::string& text) {
    test::TempDir dir("cardbridge-config");
    const auto path = dir.path() / "cardbridged.json";
    std::ofstream(path) << text;
    return loadConfig(path, DefaultPaths{path, dir.path() / "state"});
}

bool hasProblemContaining(const ConfigLoad& load, const std::string& part) {
    for (const auto& p : load.problems) {
        if (p.find(part) != std::string::npos) return true;
    }
    return false;
}

TEST(InsecureOriginConfig, HttpOriginWithoutTheSwitchIsRefused) {
    const auto load = loadText(R"({"platformOrigins": ["http://localhost:8080", "https://www.szyxhc.com"]})");
    ASSERT_EQ(load.config.platformOrigins.size(), 1U);
    EXPECT_EQ(load.config.platformOrigins[0].origin, "https://www.szyxhc.com");
    EXPECT_TRUE(hasProblemContaining(load,
                                     "'http://localhost:8080' is http://: allowed only with "
                                     "\"development\": {\"allowHttpLoopbackOrigins\": true}"));
    EXPECT_FALSE(load.config.development.allowHttpLoopbackOrigins);
}

TEST(InsecureOriginConfig, HttpOriginWithTheSwitchLoads) {
    // Keys in either order.
    for (
        const char* text :
        {R"({"development": {"allowHttpLoopbackOrigins": true}, "platformOrigins": ["http://127.0.0.1:8080"]})",
         R"({"platformOrigins": ["http://127.0.0.1:8080"], "development": {"allowHttpLoopbackOrigins": true}})"}) {
        const auto load = loadText(text);
        EXPECT_TRUE(load.problems.empty()) << load.problems.front();
        ASSERT_EQ(load.config.platformOrigins.size(), 1U);
        EXPECT_EQ(load.config.platformOrigins[0].origin, "http://127.0.0.1:8080");
        EXPECT_TRUE(load.config.development.allowHttpLoopbackOrigins);
    }
}

TEST(InsecureOriginConfig, TheSwitchIsCheckedForType) {
    const auto load = loadText(R"({"development": {"allowHttpLoopbackOrigins": "yes", "other": 1}})");
    EXPECT_TRUE(hasProblemContaining(load, "development.allowHttpLoopbackOrigins: expected true or false"));
    EXPECT_TRUE(hasProblemContaining(load, "development: unknown key 'other'"));
    EXPECT_FALSE(load.config.development.allowHttpLoopbackOrigins);
}

TEST(InsecureOriginConfig, NewLimitsAreRead) {
    const auto load = loadText(R"({"limits": {"maxConnections": 32, "maxHandshakes": 4}})");
    EXPECT_TRUE(load.problems.empty());
    EXPECT_EQ(load.config.limits.maxConnections, 32U);
    EXPECT_EQ(load.config.limits.maxHandshakes, 4U);
}

}  // namespace
}  // namespace cardbridge::daemon

// Config loading: defaults when the file is missing, every problem listed, XDG paths.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "cardbridge/daemon/core/config.hpp"
#include "temp_dir.hpp"

namespace cardbridge::daemon {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
  protected:
    void SetUp() override {
        defaults_.configFile = dir_ / "cardbridged.json";
        defaults_.stateDir = dir_ / "state";
    }

    ConfigLoad loadText(const std::string& text) {
        std::ofstream(dir_ / "cardbridged.json") << text;
        return loadConfig(dir_ / "cardbridged.json", defaults_);
    }

    /// True when some problem starts with `prefix`.
    static bool hasProblem(const ConfigLoad& load, const std::string& prefix) {
        for (const auto& p : load.problems) {
            if (p.rfind(prefix, 0) == 0) return true;
        }
        return false;
    }

    test::TempDir tempDir_{"cardbridge-config"};
    const fs::path dir_ = tempDir_.path();
    DefaultPaths defaults_;
};

TEST_F(ConfigTest, MissingFileGivesWorkingDefaults) {
    ConfigLoad load = loadConfig(dir_ / "absent.json", defaults_);
    EXPECT_FALSE(load.fileFound);
    EXPECT_TRUE(load.problems.empty());
    EXPECT_EQ(load.config.ports, (std::vector<std::uint16_t>{23443, 23444, 23445}));
    EXPECT_TRUE(load.config.platformOrigins.empty());
    EXPECT_EQ(load.config.stateDir, dir_ / "state");
    EXPECT_EQ(load.config.logFile, dir_ / "state" / "cardbridged.log");
    EXPECT_EQ(load.config.logLevel, "info");
    EXPECT_EQ(load.config.logFileMaxBytes, 5u * 1024 * 1024);
    EXPECT_EQ(load.config.logFileCount, 3u);
    EXPECT_EQ(load.config.limits.maxJsonDepth, 16u);
}

// Found by fuzzing (tests/fuzz daemon_config): a number too large for a double is out_of_range, not a
// parse_error, in nlohmann::json; it escaped loadConfig and ended the daemon at start.
TEST_F(ConfigTest, NumberOverflowIsAProblemNotACrash) {
    ConfigLoad load;
    ASSERT_NO_THROW(load = loadText(R"({"ports": [70e555543555554]})"));
    EXPECT_TRUE(hasProblem(load, (dir_ / "cardbridged.json").string() + ": is not valid JSON"));
    EXPECT_EQ(load.config.ports, DaemonConfig{}.ports);
}

TEST_F(ConfigTest, EmptyObjectIsDefaults) {
    ConfigLoad load = loadText("{}");
    EXPECT_TRUE(load.fileFound);
    EXPECT_TRUE(load.problems.empty());
    EXPECT_EQ(load.config.ports.front(), 23443);
}

TEST_F(ConfigTest, ReadsEveryKey) {
    ConfigLoad load = loadText(R"({
      "_comment": "ignored",
      "ports": [24000, 24001],
      "platformOrigins": ["https://www.szyxhc.com", {"origin": "https://Test.Example.cn:8443/", "allowSecrets": true}],
      "limits": {"maxFrameBytes": 131072, "maxJsonDepth": 20, "maxConnectionsPerOrigin": 4,
                 "maxRequestsPerSecond": 10, "maxPendingRequests": 2, "idleTimeoutSeconds": 60,
                 "handshakeTimeoutSeconds": 5},
      "stateDir": "/var/tmp/cb-state",
      "webRoot": "webui",
      "logLevel": "DEBUG",
      "logFile": "logs/cb.log",
      "logFileMaxBytes": 1048576,
      "logFileCount": 5,
      "logToConsole": false
    })");
    EXPECT_TRUE(load.problems.empty()) << ::testing::PrintToString(load.problems);
    const DaemonConfig& c = load.config;
    EXPECT_EQ(c.ports, (std::vector<std::uint16_t>{24000, 24001}));
    ASSERT_EQ(c.platformOrigins.size(), 2u);
    EXPECT_EQ(c.platformOrigins[0].origin, "https://www.szyxhc.com");
    EXPECT_FALSE(c.platformOrigins[0].allowSecrets);
    EXPECT_EQ(c.platformOrigins[1].origin, "https://test.example.cn:8443");  // normalised as browsers send it
    EXPECT_TRUE(c.platformOrigins[1].allowSecrets);
    EXPECT_EQ(c.limits.maxFrameBytes, 131072u);
    EXPECT_EQ(c.limits.maxJsonDepth, 20u);
    EXPECT_EQ(c.limits.maxConnectionsPerOrigin, 4u);
    EXPECT_EQ(c.limits.maxRequestsPerSecond, 10u);
    EXPECT_EQ(c.limits.maxPendingRequests, 2u);
    EXPECT_EQ(c.limits.idleTimeoutSeconds, 60u);
    EXPECT_EQ(c.limits.handshakeTimeoutSeconds, 5u);
    EXPECT_EQ(c.stateDir, fs::path("/var/tmp/cb-state"));
    EXPECT_EQ(c.webRoot, dir_ / "webui");  // relative to the config file's folder
    EXPECT_EQ(c.logLevel, "debug");
    EXPECT_EQ(c.logFile, dir_ / "logs" / "cb.log");
    EXPECT_EQ(c.logFileMaxBytes, 1048576u);
    EXPECT_EQ(c.logFileCount, 5u);
    EXPECT_FALSE(c.logToConsole);
}

TEST_F(ConfigTest, LogFileFollowsConfiguredStateDir) {
    ConfigLoad load = loadText(R"({"stateDir": "/var/tmp/cb"})");
    EXPECT_EQ(load.config.logFile, fs::path("/var/tmp/cb/cardbridged.log"));
}

TEST_F(ConfigTest, UnknownKeysAreListed) {
    ConfigLoad load = loadText(
        R"({"port": 24000, "limits": {"maxFrames": 3}, "platformOrigins": [{"origin": "https://a.cn", "secrets": true}]})");
    EXPECT_TRUE(hasProblem(load, "port: unknown key"));
    EXPECT_TRUE(hasProblem(load, "limits: unknown key 'maxFrames'"));
    EXPECT_TRUE(hasProblem(load, "platformOrigins[0]: unknown key 'secrets'"));
    EXPECT_EQ(load.config.ports.front(), 23443);
    ASSERT_EQ(load.config.platformOrigins.size(), 1u);  // the rest of the entry is fine
}

TEST_F(ConfigTest, WrongTypesKeepDefaults) {
    ConfigLoad load =
        loadText(R"({"ports": "23443", "logLevel": 3, "logFileCount": "3", "logToConsole": "yes",
                               "limits": {"maxJsonDepth": 1.5}, "stateDir": 7, "platformOrigins": {}})");
    EXPECT_TRUE(hasProblem(load, "ports: expected an array"));
    EXPECT_TRUE(hasProblem(load, "logLevel: expected a string"));
    EXPECT_TRUE(hasProblem(load, "logFileCount: expected an integer"));
    EXPECT_TRUE(hasProblem(load, "logToConsole: expected true or false"));
    EXPECT_TRUE(hasProblem(load, "limits.maxJsonDepth: expected an integer"));
    EXPECT_TRUE(hasProblem(load, "stateDir: expected a string"));
    EXPECT_TRUE(hasProblem(load, "platformOrigins: expected an array"));
    EXPECT_EQ(load.problems.size(), 7u);
    EXPECT_EQ(load.config.ports.size(), 3u);
    EXPECT_EQ(load.config.logLevel, "info");
    EXPECT_EQ(load.config.logFileCount, 3u);
    EXPECT_TRUE(load.config.logToConsole);
    EXPECT_EQ(load.config.limits.maxJsonDepth, 16u);
    EXPECT_EQ(load.config.stateDir, dir_ / "state");
}

TEST_F(ConfigTest, PortsOutsideRangeAreRefused) {
    for (const char* ports : {"[80]", "[1023]", "[65536]", "[-1]", "[]", "[24000, 80]"}) {
        ConfigLoad load = loadText(std::string(R"({"ports": )") + ports + "}");
        EXPECT_FALSE(load.problems.empty()) << ports;
        EXPECT_EQ(load.config.ports, (std::vector<std::uint16_t>{23443, 23444, 23445})) << ports;
    }
    ConfigLoad edge = loadText(R"({"ports": [1024, 65535]})");
    EXPECT_TRUE(edge.problems.empty());
    EXPECT_EQ(edge.config.ports, (std::vector<std::uint16_t>{1024, 65535}));
    ConfigLoad twice = loadText(R"({"ports": [24000, 24000]})");
    EXPECT_TRUE(hasProblem(twice, "ports[1]: 24000 is listed twice"));
    EXPECT_EQ(twice.config.ports, (std::vector<std::uint16_t>{24000}));
}

TEST_F(ConfigTest, BadOriginsAreListedAndSkipped) {
    ConfigLoad load = loadText(R"({"platformOrigins": [
        "https://good.example.cn",
        "ftp://x.cn", "https://*.example.cn", "https://x.cn/path", "http://example.cn",
        "https://user@x.cn", "https://x.cn:0", "https://x.cn:99999", "https://", "https://x.cn:",
        "https://bad_host.cn", 17, {"allowSecrets": true}, "https://good.example.cn"]})");
    ASSERT_EQ(load.config.platformOrigins.size(), 1u);
    EXPECT_EQ(load.config.platformOrigins[0].origin, "https://good.example.cn");
    for (int i = 1; i <= 13; ++i) {
        EXPECT_TRUE(hasProblem(load, "platformOrigins[" + std::to_string(i) + "]")) << i;
    }
    EXPECT_EQ(load.problems.size(), 13u) << ::testing::PrintToString(load.problems);
}

TEST_F(ConfigTest, OriginRules) {
    EXPECT_EQ(originProblem("https://www.szyxhc.com"), "");
    EXPECT_EQ(originProblem("https://127.0.0.1:23443"), "");
    EXPECT_EQ(originProblem("http://localhost:8080"), "");
    EXPECT_EQ(originProblem("https://[::1]:23443"), "");
    EXPECT_NE(originProblem("http://www.szyxhc.com"), "");
    EXPECT_NE(originProblem("null"), "");
    EXPECT_NE(originProblem("https://a.cn?x=1"), "");
    EXPECT_NE(originProblem("https://a..cn"), "");
}

TEST_F(ConfigTest, OutOfRangeValuesAreListed) {
    ConfigLoad load = loadText(R"({"limits": {"maxFrameBytes": 10, "maxJsonDepth": 1000}, "logFileCount": 0,
                               "logFileMaxBytes": 100, "logLevel": "verbose"})");
    EXPECT_TRUE(hasProblem(load, "limits.maxFrameBytes: 10 is outside"));
    EXPECT_TRUE(hasProblem(load, "limits.maxJsonDepth: 1000 is outside"));
    EXPECT_TRUE(hasProblem(load, "logFileCount: 0 is outside"));
    EXPECT_TRUE(hasProblem(load, "logFileMaxBytes: 100 is outside"));
    EXPECT_TRUE(hasProblem(load, "logLevel: 'verbose' is not one of"));
    EXPECT_EQ(load.config.limits.maxFrameBytes, 64u * 1024);
}

TEST_F(ConfigTest, MalformedJsonIsOneProblem) {
    ConfigLoad load = loadText(R"({"ports": [24000,]})");
    ASSERT_EQ(load.problems.size(), 1u);
    EXPECT_NE(load.problems[0].find("is not valid JSON"), std::string::npos);
    EXPECT_EQ(load.config.ports.front(), 23443);
    ConfigLoad array = loadText("[1, 2]");
    ASSERT_EQ(array.problems.size(), 1u);
    EXPECT_NE(array.problems[0].find("must hold a JSON object"), std::string::npos);
}

/// An environment given as a map.
EnvLookup envOf(std::map<std::string, std::string> values) {
    auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(values));
    return [shared](const char* name) -> const char* {
        auto it = shared->find(name);
        return it == shared->end() ? nullptr : it->second.c_str();
    };
}

TEST(DefaultPaths, FollowXdgVariables) {
    DefaultPaths p =
        defaultPaths(envOf({{"HOME", "/home/zs"}, {"XDG_CONFIG_HOME", "/cfg"}, {"XDG_STATE_HOME", "/st"}}));
    EXPECT_EQ(p.configFile, fs::path("/cfg/cardbridge/cardbridged.json"));
    EXPECT_EQ(p.stateDir, fs::path("/st/cardbridge"));
}

TEST(DefaultPaths, FallBackToHome) {
    DefaultPaths p = defaultPaths(envOf({{"HOME", "/home/zs"}}));
    EXPECT_EQ(p.configFile, fs::path("/home/zs/.config/cardbridge/cardbridged.json"));
    EXPECT_EQ(p.stateDir, fs::path("/home/zs/.local/state/cardbridge"));
}

TEST(DefaultPaths, IgnoreEmptyAndRelativeXdgValues) {
    DefaultPaths p =
        defaultPaths(envOf({{"HOME", "/home/zs"}, {"XDG_CONFIG_HOME", ""}, {"XDG_STATE_HOME", "st"}}));
    EXPECT_EQ(p.configFile, fs::path("/home/zs/.config/cardbridge/cardbridged.json"));
    EXPECT_EQ(p.stateDir, fs::path("/home/zs/.local/state/cardbridge"));
}

TEST(DefaultPaths, WithoutHomeUseThePasswdEntry) {
    DefaultPaths p = defaultPaths(envOf({}));
    EXPECT_TRUE(p.configFile.is_absolute());
    EXPECT_EQ(p.configFile.filename(), "cardbridged.json");
}

}  // namespace
}  // namespace cardbridge::daemon

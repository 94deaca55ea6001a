// Redaction of log lines: the pure function over a table of cases, and a logger writing masked lines.
#include <gtest/gtest.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cardbridge/daemon/core/logging.hpp"

namespace cardbridge::daemon {
namespace {

struct Case {
    const char* in;
    const char* out;
};

class Redaction : public ::testing::TestWithParam<Case> {};

TEST_P(Redaction, Masks) {
    EXPECT_EQ(redactSecrets(GetParam().in), GetParam().out) << GetParam().in;
}

INSTANTIATE_TEST_SUITE_P(
    Table, Redaction,
    ::testing::Values(
        // ID numbers (GB 11643): first 4 and last 4 kept.
        Case{"id 44030119900101123X ok", "id 4403**********123X ok"},
        Case{"idNumber=440301199001011234", "idNumber=4403**********1234"},
        Case{"经办人证件号码440301199001011234。", "经办人证件号码4403**********1234。"},
        Case{"x 44030119900101123x", "x 4403**********123x"},
        // Not an ID: inside a hex string, longer or shorter runs.
        Case{"fp AB440301199001011234CD", "fp AB440301199001011234CD"},
        Case{"n 4403011990010112345", "n 4403011990010112345"},
        Case{"n 44030119900101123", "n 44030119900101123"},
        // Mobile numbers.
        Case{"phone 13812345678", "phone 138****5678"},
        Case{"{\"phone\":\"15912345678\"}", "{\"phone\":\"159****5678\"}"},
        Case{"+8613812345678", "+86138****5678"},
        Case{"12812345678 is no mobile", "12812345678 is no mobile"},
        Case{"serial 213812345678", "serial 213812345678"},
        // PIN, PUK, password: the value, whatever it is.
        Case{"{\"pin\":\"123456\"}", "{\"pin\":\"***\"}"}, Case{"pin=123456", "pin=***"},
        Case{"PIN: 12345678 tried", "PIN: *** tried"},
        Case{"{\"oldPin\":\"123456\",\"newPin\":\"654321\"}", "{\"oldPin\":\"***\",\"newPin\":\"***\"}"},
        Case{"old_pin='abc123' new-pin=x9", "old_pin='***' new-pin=***"},
        Case{"{\"puk\": \"12345678\"}", "{\"puk\": \"***\"}"},
        Case{"password=hunter2&user=zs", "password=***&user=zs"},
        Case{"body {\\\"newPin\\\":\\\"123456\\\"}", "body {\\\"newPin\\\":\\\"***\\\"}"},
        Case{"\"pin\":\"12\\\"34\"", "\"pin\":\"***\""},
        // Codes: 6–8 digits only, so JSON-RPC error codes stay readable.
        Case{"{\"code\":\"123456\"}", "{\"code\":\"***\"}"}, Case{"smsCode=12345678", "smsCode=***"},
        Case{"{\"code\":-32602,\"message\":\"x\"}", "{\"code\":-32602,\"message\":\"x\"}"},
        Case{"code=1234", "code=1234"},
        // Things that only look similar stay.
        Case{"{\"pin\":{\"state\":\"ok\",\"retriesLeft\":3}}",
             "{\"pin\":{\"state\":\"ok\",\"retriesLeft\":3}}"},
        Case{"method pin.change from https://x.cn", "method pin.change from https://x.cn"},
        Case{"pin", "pin"}, Case{"pin=", "pin="}, Case{"", ""},
        Case{"ATR 3BFD1300008131FE158073C021C057597562694B657940",
             "ATR 3BFD1300008131FE158073C021C057597562694B657940"},
        // Several in one line.
        Case{"handler 张三 44030119900101123X 13912345678 pin=000000",
             "handler 张三 4403**********123X 139****5678 pin=***"}));

TEST(RedactionFunction, IsPureAndIdempotent) {
    const std::string line = "pin=123456 id 44030119900101123X phone 13812345678";
    const std::string once = redactSecrets(line);
    EXPECT_EQ(redactSecrets(line), once);
    EXPECT_EQ(redactSecrets(once), once);
}

TEST(RedactingLogger, WritesMaskedLinesToFile) {
    const auto path =
        std::filesystem::temp_directory_path() / ("cardbridge-redact-" + std::to_string(::getpid()) + ".log");
    std::filesystem::remove(path);
    {
        auto file = std::make_shared<spdlog::sinks::basic_file_sink_st>(path.string(), true);
        auto sink = std::make_shared<RedactingSink>(std::vector<spdlog::sink_ptr>{file});
        spdlog::logger logger("test", sink);
        logger.set_pattern("[%l] %v");
        logger.info("request {}",
                    R"({"method":"pin.change","params":{"oldPin":"123456","newPin":"580213"}})");
        logger.warn("handler id {} phone {}", "44030119900101123X", "13812345678");
        logger.flush();
    }
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    const std::string log = text.str();
    EXPECT_EQ(
        log,
        "[info] request {\"method\":\"pin.change\",\"params\":{\"oldPin\":\"***\",\"newPin\":\"***\"}}\n"
        "[warning] handler id 4403**********123X phone 138****5678\n");
    std::filesystem::remove(path);
}

TEST(RedactingLogger, MakeLoggerWritesRotatingFileThroughRedaction) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("cardbridge-log-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    DaemonConfig config;
    config.logFile = dir / "sub" / "cardbridged.log";
    config.logToConsole = false;
    config.logLevel = "debug";
    {
        auto logger = makeLogger(config);
        logger->debug("verify pin=246810 for {}", "13912345678");
        logger->flush();
    }
    std::ifstream in(config.logFile);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_NE(text.str().find("verify pin=*** for 139****5678"), std::string::npos) << text.str();
    EXPECT_EQ(text.str().find("246810"), std::string::npos);
    // The folder it created is private.
    const auto perms = std::filesystem::status(dir / "sub").permissions();
    EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
              std::filesystem::perms::none);
    EXPECT_EQ(std::filesystem::status(config.logFile).permissions() &
                  (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
              std::filesystem::perms::none);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cardbridge::daemon

// Control characters, DEL and invalid UTF-8 in logged values are escaped before a line is written, so a
// value can neither forge a log line nor smuggle terminal escapes; Chinese text passes unchanged.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "cardbridge/common/logging.hpp"

namespace cardbridge {
namespace {

struct Case {
    std::string in;
    std::string out;
};

class Escape : public ::testing::TestWithParam<Case> {};

TEST_P(Escape, Table) {
    EXPECT_EQ(escapeControlCharacters(GetParam().in), GetParam().out);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Escape,
    ::testing::Values(Case{"plain text 123", "plain text 123"}, Case{std::string("a\0b", 3), "a\\x00b"},
                      Case{"\x1b[31mred", "\\x1b[31mred"}, Case{"one\ntwo\r\tthree", "one\\ntwo\\r\\tthree"},
                      Case{"del\x7f", "del\\x7f"}, Case{"证书助手 忘记密码", "证书助手 忘记密码"},
                      Case{"bad \xff\xfe utf8", "bad \\xff\\xfe utf8"},
                      Case{"truncated \xe8\xaf", "truncated \\xe8\\xaf"},
                      Case{"overlong \xc0\xaf", "overlong \\xc0\\xaf"},
                      Case{"surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80"},
                      Case{"c1 \xc2\x85 ls \xe2\x80\xa8", "c1 \\u0085 ls \\u2028"},
                      Case{"emoji \xf0\x9f\x94\x91", "emoji \xf0\x9f\x94\x91"}));

TEST(EscapingSink, MethodNameWithNulEscAndNewlineIsOneEscapedLine) {
    std::ostringstream written;
    auto child = std::make_shared<spdlog::sinks::ostream_sink_st>(written);
    auto logger = std::make_shared<spdlog::logger>(
        "t", std::make_shared<RedactingSink>(std::vector<spdlog::sink_ptr>{child}));
    logger->set_pattern("%v");
    const std::string method = std::string("pin.change") + '\0' + "\x1b[2J\nFAKE 2026 [info] pin=123456";
    logger->info("unknown method '{}'", method);
    logger->flush();
    const std::string line = written.str();
    ASSERT_FALSE(line.empty());
    EXPECT_EQ(line.find('\n'), line.size() - 1) << line;  // one line: only the final newline
    EXPECT_EQ(line.find('\0'), std::string::npos);
    EXPECT_EQ(line.find('\x1b'), std::string::npos);
    EXPECT_EQ(line, "unknown method 'pin.change\\x00\\x1b[2J\\nFAKE 2026 [info] pin=***'\n");
}

}  // namespace
}  // namespace cardbridge

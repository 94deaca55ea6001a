// What pcsc_platform.hpp does the same on pcsc-lite and WinSCard: reader-name multi-strings and the
// error text. (The UTF-16 half is Windows-only and compile-checked by scripts/mingw-check.sh.)
#include "pcsc_platform.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cardbridge::card {
namespace {

using detail::splitMultiString;

std::vector<std::string> split(const std::string& buffer) {
    return splitMultiString(buffer.data(), static_cast<DWORD>(buffer.size()));
}

TEST(PcscMultiString, SplitsNamesAtNulAndStopsAtTheEmptyName) {
    const std::string buffer("Virtual PCD 00 00\0Virtual PCD 00 01\0\0", 37);
    EXPECT_EQ(split(buffer), (std::vector<std::string>{"Virtual PCD 00 00", "Virtual PCD 00 01"}));
}

TEST(PcscMultiString, AnEmptyListHasNoNames) {
    EXPECT_TRUE(split(std::string("\0", 1)).empty());
    EXPECT_TRUE(split(std::string()).empty());
}

TEST(PcscMultiString, NeverReadsPastTheLengthItWasGiven) {
    // Only the first name lies within the reported length; what follows must not be read as a name.
    const std::string buffer("A\0B\0\0", 5);
    EXPECT_EQ(splitMultiString(buffer.data(), 2), (std::vector<std::string>{"A"}));
}

TEST(PcscMultiString, KeepsUtf8NamesAsTheyAre) {
    const std::string name = "飞天诚信 读卡器 0";
    std::string buffer = name;
    buffer.push_back('\0');
    buffer.push_back('\0');
    EXPECT_EQ(split(buffer), (std::vector<std::string>{name}));
}

TEST(PcscErrorText, NamesTheCondition) {
    EXPECT_FALSE(detail::pcscErrorText(SCARD_E_NO_SERVICE).empty());
    EXPECT_NE(detail::pcscErrorText(SCARD_E_NO_SERVICE), detail::pcscErrorText(SCARD_E_NO_SMARTCARD));
}

}  // namespace
}  // namespace cardbridge::card

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <sstream>
#include <type_traits>

#include "cardbridge/common/secret.hpp"

using namespace cardbridge;

namespace {
template <class T, class = void>
struct Streamable : std::false_type {};
template <class T>
struct Streamable<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const T&>())>>
    : std::true_type {};
}  // namespace

TEST(Secret, CannotBeStreamed) {
    static_assert(!Streamable<Secret>::value, "a Secret must not be printable");
}

TEST(Secret, ComparesByContents) {
    Secret a("123456"), b("123456"), c("123457"), d("1234567");
    EXPECT_TRUE(a.equals(b));
    EXPECT_FALSE(a.equals(c));
    EXPECT_FALSE(a.equals(d));
    EXPECT_TRUE(Secret().equals(Secret()));
}

TEST(Secret, ClearWipesAndMoveEmptiesSource) {
    Secret a("12345678");
    Secret b(std::move(a));
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract under test
    EXPECT_EQ(b.view(), "12345678");
    b.clear();
    EXPECT_TRUE(b.empty());
}

TEST(Secret, WipeStringZeroesBuffer) {
    std::string pin = "654321";
    const char* data = pin.data();
    wipe(pin);
    EXPECT_TRUE(pin.empty());
    for (int i = 0; i < 6; ++i) EXPECT_EQ(data[i], '\0');  // SSO buffer stays ours after clear()
}

namespace {
// VmFlags of the /proc/self/smaps mapping holding `address` ("" when none holds it).
std::string vmFlagsOf(const void* address) {
    const auto wanted = reinterpret_cast<std::uintptr_t>(address);
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    bool inside = false;
    while (std::getline(smaps, line)) {
        std::uintptr_t start = 0, end = 0;
        char dash = 0;
        std::istringstream header(line);
        if (header >> std::hex >> start >> dash >> end && dash == '-' && line.find(':') > line.find(' ')) {
            inside = start <= wanted && wanted < end;
            continue;
        }
        if (inside && line.rfind("VmFlags:", 0) == 0) return line.substr(8) + " ";
    }
    return "";
}
}  // namespace

TEST(Secret, BytesLiveInPagesLeftOutOfCoreDumps) {
    Secret pin("123456");
    Secret copy(pin);
    Secret key(std::vector<std::uint8_t>(5000, 0x5A));  // more than a page
    for (const Secret* s : {&pin, &copy, &key}) {
        const std::string flags = vmFlagsOf(s->bytes().data());
        ASSERT_FALSE(flags.empty()) << "no mapping holds the secret's bytes";
        EXPECT_NE(flags.find(" dd "), std::string::npos) << "VmFlags:" << flags;
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(s->bytes().data()) %
                      static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE)),
                  0u);
    }
    EXPECT_NE(vmFlagsOf(key.bytes().data() + 4999).find(" dd "), std::string::npos);
    // An ordinary heap buffer is not marked: the check above can fail.
    std::vector<std::uint8_t> plain(64, 1);
    EXPECT_EQ(vmFlagsOf(plain.data()).find(" dd "), std::string::npos);
}

#include <gtest/gtest.h>

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

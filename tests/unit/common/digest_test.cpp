// SHA-256, HMAC-SHA-256 and constant-time comparison against published test vectors.
#include <gtest/gtest.h>

#include "cardbridge/common/digest.hpp"

namespace cardbridge {
namespace {

TEST(Digest, Sha256MatchesFips180Vectors) {
    EXPECT_EQ(sha256Hex(std::string_view("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256Hex(std::string_view("")),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const Bytes abc = toBytes("abc");
    EXPECT_EQ(sha256Hex(ByteView(abc)), sha256Hex(std::string_view("abc")));
    EXPECT_EQ(toLowerHex(sha256(abc)), sha256Hex(std::string_view("abc")));
    EXPECT_EQ(sha256(abc).size(), 32u);
}

TEST(Digest, HmacSha256MatchesRfc4231) {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    EXPECT_EQ(toLowerHex(hmacSha256(toBytes("Jefe"), toBytes("what do ya want for nothing?"))),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // RFC 4231 test case 1: 20 bytes of 0x0b, "Hi There".
    EXPECT_EQ(toLowerHex(hmacSha256(Bytes(20, 0x0b), toBytes("Hi There"))),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Digest, ConstantTimeEqualsComparesSizeAndBytes) {
    EXPECT_TRUE(constantTimeEquals(std::string_view("abc"), std::string_view("abc")));
    EXPECT_TRUE(constantTimeEquals(std::string_view(""), std::string_view("")));
    EXPECT_FALSE(constantTimeEquals(std::string_view("abc"), std::string_view("abd")));
    EXPECT_FALSE(constantTimeEquals(std::string_view("abc"), std::string_view("abcd")));
    const Bytes a{1, 2, 3};
    const Bytes b{1, 2, 4};
    EXPECT_TRUE(constantTimeEquals(ByteView(a), ByteView(a)));
    EXPECT_FALSE(constantTimeEquals(ByteView(a), ByteView(b)));
    EXPECT_FALSE(constantTimeEquals(ByteView(a), ByteView(a).first(2)));
}

}  // namespace
}  // namespace cardbridge

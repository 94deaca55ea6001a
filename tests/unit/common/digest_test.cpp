// SHA-256, HMAC-SHA-256 and constant-time comparison against published test vectors.
#include <gtest/gtest.h>

#include <fstream>

#include "cardbridge/common/digest.hpp"
#include "cardbridge/common/error.hpp"
#include "temp_dir.hpp"

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

TEST(Digest, Sha256OfAFileReadsItInChunks) {
    const cardbridge::test::TempDir dir;
    const auto small = dir.path() / "abc";
    std::ofstream(small, std::ios::binary) << "abc";
    EXPECT_EQ(sha256FileHex(small), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // Larger than one 64 KiB chunk and not a multiple of it.
    std::string large(200001, '\0');
    for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 31 % 251);
    const auto big = dir.path() / "big";
    std::ofstream(big, std::ios::binary) << large;
    EXPECT_EQ(sha256FileHex(big), sha256Hex(std::string_view(large)));
    EXPECT_THROW(sha256FileHex(dir.path() / "missing"), FatalError);
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

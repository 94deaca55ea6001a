// Base64 both ways: RFC 4648 §10 vectors, round trips, and the strict decoder's refusals.
#include <gtest/gtest.h>

#include "cardbridge/common/base64.hpp"

namespace cardbridge {
namespace {

TEST(Base64, EncodesRfc4648Vectors) {
    EXPECT_EQ(base64Encode(toBytes("")), "");
    EXPECT_EQ(base64Encode(toBytes("f")), "Zg==");
    EXPECT_EQ(base64Encode(toBytes("fo")), "Zm8=");
    EXPECT_EQ(base64Encode(toBytes("foo")), "Zm9v");
    EXPECT_EQ(base64Encode(toBytes("foob")), "Zm9vYg==");
    EXPECT_EQ(base64Encode(toBytes("fooba")), "Zm9vYmE=");
    EXPECT_EQ(base64Encode(toBytes("foobar")), "Zm9vYmFy");
}

TEST(Base64, LongInputHasNoLineBreaks) {
    const std::string encoded = base64Encode(Bytes(3000, 0xFB));
    EXPECT_EQ(encoded.size(), 4000u);
    EXPECT_EQ(encoded.find('\n'), std::string::npos);
}

TEST(Base64, DecodesWhatItEncodes) {
    for (std::size_t size = 0; size < 70; ++size) {
        Bytes data(size);
        for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>(i * 37 + size);
        EXPECT_EQ(base64Decode(base64Encode(data)), data) << size;
    }
    EXPECT_EQ(base64Decode("TWFu"), Bytes({'M', 'a', 'n'}));
    EXPECT_EQ(base64Decode("TWE="), Bytes({'M', 'a'}));
    EXPECT_EQ(base64Decode("TQ=="), Bytes({'M'}));
    EXPECT_EQ(base64Decode(""), Bytes());
    EXPECT_EQ(base64Decode("+/+/"), Bytes({0xFB, 0xFF, 0xBF}));
}

TEST(Base64, DecoderIsStrict) {
    for (const char* bad : {"TWF", "TW=u", "T===", "====", "TWFu\n", " TWFu", "TWFu TWFu", "TQ==TQ==", "TW-u",
                            "TW_u", "TQ", "TQ=", "=TWF", "TWF\0"}) {
        EXPECT_FALSE(base64Decode(bad)) << bad;
    }
    EXPECT_FALSE(base64Decode(std::string_view("TWF\0", 4)));
}

}  // namespace
}  // namespace cardbridge

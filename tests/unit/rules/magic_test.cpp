// Attachment types by magic bytes, never by name; truncated and disguised content is refused.
#include <gtest/gtest.h>

#include <cstdint>

#include "cardbridge/rules/magic.hpp"

namespace cardbridge::rules {
namespace {

Bytes bytes(std::initializer_list<int> values, std::size_t padTo = 0) {
    Bytes out;
    for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
    if (out.size() < padTo) out.resize(padTo, 0);
    return out;
}

void putLe32(Bytes& b, std::size_t at, std::uint32_t v) {
    for (std::size_t i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// A minimal 1×1 24-bit BMP: 14-byte file header, 40-byte BITMAPINFOHEADER, 4 bytes of pixels.
Bytes tinyBmp() {
    Bytes b(58, 0);
    b[0] = 'B';
    b[1] = 'M';
    putLe32(b, 2, 58);
    putLe32(b, 10, 54);
    putLe32(b, 14, 40);
    return b;
}

TEST(Magic, EachAcceptedType) {
    EXPECT_EQ(detectMimeType(bytes({0xFF, 0xD8, 0xFF, 0xE0}, 32)), "image/jpeg");
    EXPECT_EQ(detectMimeType(bytes({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}, 32)), "image/png");
    EXPECT_EQ(detectMimeType(toBytes("GIF87a\x01\x00")), "image/gif");
    EXPECT_EQ(detectMimeType(toBytes("GIF89a\x01\x00")), "image/gif");
    EXPECT_EQ(detectMimeType(tinyBmp()), "image/bmp");
    EXPECT_EQ(detectMimeType(toBytes("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")), "application/pdf");
    EXPECT_EQ(extensionForMimeType("image/jpeg"), "jpg");
    EXPECT_EQ(extensionForMimeType("application/pdf"), "pdf");
    EXPECT_EQ(extensionForMimeType("text/html"), "");
}

TEST(Magic, ExecutablesAreRefusedWhateverTheirName) {
    // What a "申请表.pdf" might really contain: an ELF or a PE (MZ) executable.
    EXPECT_EQ(detectMimeType(bytes({0x7F, 'E', 'L', 'F', 2, 1, 1, 0}, 64)), std::nullopt);
    EXPECT_EQ(detectMimeType(bytes({'M', 'Z', 0x90, 0x00}, 64)), std::nullopt);
    EXPECT_EQ(detectMimeType(toBytes("<html><script>alert(1)</script>")), std::nullopt);
    EXPECT_EQ(detectMimeType(toBytes("PK\x03\x04")), std::nullopt);  // zip / docx
    // The PDF header must be at the start: a PDF header after an executable does not count.
    Bytes disguised = bytes({'M', 'Z'}, 16);
    const Bytes pdf = toBytes("%PDF-1.4");
    disguised.insert(disguised.end(), pdf.begin(), pdf.end());
    EXPECT_EQ(detectMimeType(disguised), std::nullopt);
}

TEST(Magic, TruncatedHeadersAreRefused) {
    EXPECT_EQ(detectMimeType({}), std::nullopt);
    EXPECT_EQ(detectMimeType(bytes({0xFF, 0xD8})), std::nullopt);
    EXPECT_EQ(detectMimeType(bytes({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A})), std::nullopt);
    EXPECT_EQ(detectMimeType(toBytes("GIF89")), std::nullopt);
    EXPECT_EQ(detectMimeType(toBytes("GIF88a")), std::nullopt);
    EXPECT_EQ(detectMimeType(toBytes("%PDF")), std::nullopt);
    EXPECT_EQ(detectMimeType(toBytes("BM")), std::nullopt);
    Bytes bmp = tinyBmp();
    bmp.resize(40);  // the size field now claims more than there is
    EXPECT_EQ(detectMimeType(bmp), std::nullopt);
}

TEST(Magic, BmpHeaderMustBePlausible) {
    // Text that happens to start with "BM".
    EXPECT_EQ(detectMimeType(toBytes("BMW sales report for the third quarter, revised")), std::nullopt);
    Bytes bmp = tinyBmp();
    putLe32(bmp, 2, 1'000'000);  // file size field beyond the content
    EXPECT_EQ(detectMimeType(bmp), std::nullopt);
    bmp = tinyBmp();
    putLe32(bmp, 14, 41);  // unknown DIB header size
    EXPECT_EQ(detectMimeType(bmp), std::nullopt);
    bmp = tinyBmp();
    putLe32(bmp, 10, 20);  // pixels inside the headers
    EXPECT_EQ(detectMimeType(bmp), std::nullopt);
    bmp = tinyBmp();
    bmp.resize(64, 0);  // trailing padding after the declared size is fine
    EXPECT_EQ(detectMimeType(bmp), "image/bmp");
}

TEST(Magic, SizeLimitIsInclusive) {
    EXPECT_EQ(MAX_ATTACHMENT_BYTES, 1048576U);
    EXPECT_TRUE(attachmentSizeAllowed(1048576));
    EXPECT_FALSE(attachmentSizeAllowed(1048577));
    EXPECT_FALSE(attachmentSizeAllowed(0));
    EXPECT_TRUE(attachmentSizeAllowed(1));
}

}  // namespace
}  // namespace cardbridge::rules

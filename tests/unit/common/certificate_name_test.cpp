// Subject and issuer names: every ASN.1 string type decodes to UTF-8, RFC 4514 text, escaping.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "cardbridge/common/certificate.hpp"
#include "cardbridge/common/error.hpp"
#include "test_certs.hpp"

using namespace cardbridge;
using cardbridge::test::CertSpec;
using cardbridge::test::NameStringType;

namespace {

const std::string ZHANG_SAN = "张三";  // U+5F20 U+4E09
const std::string COMPANY = "深圳市测试医疗器械有限公司";

bool contains(const Bytes& haystack, const Bytes& needle) {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

// Replaces every occurrence of `from` with `to`, keeping lengths (callers pick same-size values).
Bytes replaceAll(Bytes data, const Bytes& from, const Bytes& to) {
    Bytes out;
    for (std::size_t i = 0; i < data.size();) {
        if (i + from.size() <= data.size() &&
            std::equal(from.begin(), from.end(), data.begin() + static_cast<std::ptrdiff_t>(i))) {
            out.insert(out.end(), to.begin(), to.end());
            i += from.size();
        } else {
            out.push_back(data[i++]);
        }
    }
    return out;
}

struct Minted {
    Certificate cert;
    Bytes der;
};

Minted mint(CertSpec spec) {
    auto tc = test::makeCertificate(spec);
    return {Certificate::fromDer(tc.der), tc.der};
}

}  // namespace

TEST(CertificateName, Utf8StringSubjectAndIssuer) {
    Minted m = mint(CertSpec{});
    ASSERT_TRUE(contains(m.der, fromHex("0C06 E5BCA0 E4B889")));  // UTF8String "张三"
    EXPECT_EQ(m.cert.subject().first("CN"), ZHANG_SAN);
    EXPECT_EQ(m.cert.subject().first("O"), COMPANY);
    EXPECT_EQ(m.cert.subject().first("C"), "CN");
    EXPECT_EQ(m.cert.subject().text, "CN=张三,O=" + COMPANY + ",C=CN");
    EXPECT_EQ(m.cert.issuer().text, m.cert.subject().text);  // self-signed
}

TEST(CertificateName, BmpStringDecodesUcs2BigEndian) {
    CertSpec spec;
    spec.nameStringType = NameStringType::Bmp;
    Minted m = mint(spec);
    ASSERT_TRUE(contains(m.der, fromHex("1E04 5F20 4E09")));  // BMPString "张三"
    EXPECT_EQ(m.cert.subject().first("CN"), ZHANG_SAN);
    EXPECT_EQ(m.cert.subject().first("O"), COMPANY);
    EXPECT_EQ(m.cert.issuer().first("CN"), ZHANG_SAN);
}

TEST(CertificateName, UniversalStringDecodesUcs4) {
    CertSpec spec;
    spec.commonName = "𠀀三";
    spec.nameStringType = NameStringType::Universal;
    Minted m = mint(spec);
    ASSERT_TRUE(contains(m.der, fromHex("1C08 00020000 00004E09")));
    EXPECT_EQ(m.cert.subject().first("CN"), "𠀀三");
}

TEST(CertificateName, T61StringHoldingUtf8BytesReadsAsUtf8) {
    CertSpec spec;
    spec.nameStringType = NameStringType::T61;
    Minted m = mint(spec);
    ASSERT_TRUE(contains(m.der, fromHex("1406 E5BCA0 E4B889")));  // T61String with UTF-8 bytes
    EXPECT_EQ(m.cert.subject().first("CN"), ZHANG_SAN);
    EXPECT_EQ(m.cert.subject().text, "CN=张三,O=" + COMPANY + ",C=CN");
}

TEST(CertificateName, T61StringWithLatin1BytesReadsAsLatin1) {
    CertSpec spec;
    spec.commonName = "M\xFCller";  // Latin-1 ü: not valid UTF-8
    spec.organization = "ACME";
    spec.nameStringType = NameStringType::T61;
    Minted m = mint(spec);
    ASSERT_TRUE(contains(m.der, fromHex("1406 4DFC6C6C6572")));
    EXPECT_EQ(m.cert.subject().first("CN"), "M\xC3\xBCller");  // UTF-8 ü
}

TEST(CertificateName, PrintableAndIa5StringHoldingUtf8BytesReadAsUtf8) {
    for (NameStringType type : {NameStringType::Printable, NameStringType::Ia5}) {
        CertSpec spec;
        spec.nameStringType = type;
        Minted m = mint(spec);
        const std::uint8_t tag = type == NameStringType::Printable ? 0x13 : 0x16;
        ASSERT_TRUE(contains(m.der, Bytes{tag, 0x06, 0xE5, 0xBC, 0xA0, 0xE4, 0xB8, 0x89}));
        EXPECT_EQ(m.cert.subject().first("CN"), ZHANG_SAN);
    }
}

// OpenSSL cannot encode these names itself, so they are patched into a valid certificate's DER
// (the signature no longer matches, which parsing does not check).
TEST(CertificateName, HandCraftedValues) {
    CertSpec spec;
    spec.commonName = "ABCD";
    spec.serialHex = "01";
    const Bytes der = test::makeCertificate(spec).der;
    const Bytes utf8Abcd = fromHex("0C0441424344");
    ASSERT_TRUE(contains(der, utf8Abcd));

    // BMPString holding a UTF-16 surrogate pair (U+20000): OpenSSL 3.0's name decoder refuses UCS-2
    // surrogates, so such a certificate is unreadable with it; it must be an InputError, not a crash.
    EXPECT_THROW(Certificate::fromDer(replaceAll(der, utf8Abcd, fromHex("1E04D840DC00"))), InputError);
    // The same BMPString holding two plain characters parses.
    EXPECT_EQ(Certificate::fromDer(replaceAll(der, utf8Abcd, fromHex("1E045F204E09"))).subject().first("CN"),
              "张三");

    // Malformed UTF8String: OpenSSL's name decoder refuses it, and so do we.
    EXPECT_THROW(Certificate::fromDer(replaceAll(der, utf8Abcd, fromHex("0C04FFFEFFFE"))), InputError);

    // A value that is not a string (SEQUENCE { NULL, NULL }): RFC 4514's "#" + hex of its DER.
    Certificate sequence = Certificate::fromDer(replaceAll(der, utf8Abcd, fromHex("300405000500")));
    EXPECT_EQ(sequence.subject().first("CN"), "#300405000500");
    EXPECT_EQ(sequence.subject().text, "CN=\\#300405000500,O=" + COMPANY + ",C=CN");
}

TEST(CertificateName, AttributesKeepOrderTypesAndOids) {
    CertSpec spec;
    spec.organizationalUnit = "信息部";
    spec.extraSubject = {{"ST", "广东省"},
                         {"L", "深圳市"},
                         {"serialNumber", "91440300MA5XXXXXX1"},
                         {"emailAddress", "zhangsan@example.cn"}};
    Minted m = mint(spec);
    const auto& attrs = m.cert.subject().attributes;
    ASSERT_EQ(attrs.size(), 8u);
    const std::vector<std::string> types = {"C", "O", "OU", "CN", "ST", "L", "serialNumber", "emailAddress"};
    for (std::size_t i = 0; i < types.size(); ++i) {
        EXPECT_EQ(attrs[i].type, types[i]) << i;
        EXPECT_EQ(attrs[i].rdn, static_cast<int>(i)) << i;
    }
    EXPECT_EQ(attrs[3].oid, "2.5.4.3");
    EXPECT_EQ(attrs[7].oid, "1.2.840.113549.1.9.1");
    EXPECT_EQ(m.cert.subject().first("2.5.4.8"), "广东省");  // lookup by OID
    EXPECT_EQ(m.cert.subject().first("L"), "深圳市");
    EXPECT_EQ(m.cert.subject().first("serialNumber"), "91440300MA5XXXXXX1");
    EXPECT_EQ(m.cert.subject().first("emailAddress"), "zhangsan@example.cn");
    EXPECT_EQ(m.cert.subject().first("title"), "");
    EXPECT_EQ(m.cert.subject().text,
              "emailAddress=zhangsan@example.cn,serialNumber=91440300MA5XXXXXX1,L=深圳市,ST=广东省,CN=张三,"
              "OU=信息部,O=" +
                  COMPANY + ",C=CN");
}

TEST(CertificateName, Rfc4514EscapingAndControlCharacters) {
    CertSpec spec;
    spec.commonName = std::string("#a,b+c\"d\\e<f>g;h\nend\0x ", 23);
    spec.organization = " lead";
    spec.country = "";
    Minted m = mint(spec);
    EXPECT_EQ(m.cert.subject().first("CN"), spec.commonName);  // raw value keeps every byte, NUL included
    EXPECT_EQ(m.cert.subject().first("CN").size(), 23u);
    EXPECT_EQ(m.cert.subject().text, "CN=\\#a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h\\0Aend\\00x\\ ,O=\\ lead");
}

TEST(CertificateName, IssuerOfChainedCertificateIsTheCaSubject) {
    CertSpec caSpec;
    caSpec.commonName = "测试根CA";
    caSpec.nameStringType = NameStringType::Bmp;
    caSpec.isCa = true;
    auto ca = test::makeCertificate(caSpec);
    CertSpec leafSpec;
    leafSpec.issuer = &ca;
    Minted leaf = mint(leafSpec);
    EXPECT_EQ(leaf.cert.issuer().first("CN"), "测试根CA");
    EXPECT_EQ(leaf.cert.issuer().text, Certificate::fromDer(ca.der).subject().text);
    EXPECT_EQ(leaf.cert.subject().first("CN"), ZHANG_SAN);
}

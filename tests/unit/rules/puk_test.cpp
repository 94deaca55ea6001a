// PUK derivation: deterministic, 8 digits, per card and per epoch, checked against vectors computed
// independently (openssl mac CLI, and OpenSSL's one-shot HMAC() here).
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdio>
#include <set>
#include <string>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/error.hpp"
#include "cardbridge/rules/puk.hpp"

namespace cardbridge::rules {
namespace {

Secret testKey() {
    Bytes key;
    for (int i = 0; i < 32; ++i) key.push_back(static_cast<std::uint8_t>(i));  // 00 01 … 1F
    return Secret(key);
}

// The derivation written out again with a different OpenSSL API.
std::string referencePuk(const Secret& key, const std::string& serial, std::uint64_t epoch) {
    std::string message = "cardbridge-puk-v1";
    message += '\0';
    message += serial;
    message += '\0';
    for (int i = 7; i >= 0; --i) message += static_cast<char>((epoch >> (8 * i)) & 0xFF);
    std::array<unsigned char, 32> mac{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.bytes().data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &len);
    for (std::size_t i = 0; i < 32; i += 4) {
        const unsigned long v = (static_cast<unsigned long>(mac[i]) << 24) |
                                (static_cast<unsigned long>(mac[i + 1]) << 16) |
                                (static_cast<unsigned long>(mac[i + 2]) << 8) | mac[i + 3];
        if (v >= 4200000000UL) continue;
        char out[9];
        std::snprintf(out, sizeof out, "%08lu", v % 100000000UL);
        return out;
    }
    return {};
}

TEST(Puk, KnownVectors) {
    // openssl mac -digest SHA256 -macopt hexkey:000102…1f -in <("cardbridge-puk-v1\0PIV-0001\0" ‖ 00…01) HMAC
    //   = 308952FF…: 0x308952FF = 814306047 → 14306047.
    EXPECT_EQ(derivePuk(testKey(), "PIV-0001", 1).view(), "14306047");
    // Epoch 2: 687E6B3C… = 1753115452 → 53115452.
    EXPECT_EQ(derivePuk(testKey(), "PIV-0001", 2).view(), "53115452");
    // CARD-53, epoch 7: the first chunk FE21F4CD (4263638221) is rejected; BEEEE7C8 = 3203327944 → 03327944
    // (Python hmac), which also shows zero padding.
    EXPECT_EQ(derivePuk(testKey(), "CARD-53", 7).view(), "03327944");
}

TEST(Puk, MatchesIndependentComputation) {
    for (const char* serial : {"PIV-0001", "CARD-53", "0123456789ABCDEF", "序列号-1"}) {
        for (std::uint64_t epoch : {0ULL, 1ULL, 2ULL, 255ULL, 256ULL, 0xFFFFFFFFFFFFFFFFULL}) {
            EXPECT_EQ(derivePuk(testKey(), serial, epoch).view(), referencePuk(testKey(), serial, epoch))
                << serial << " " << epoch;
        }
    }
}

TEST(Puk, DeterministicEightDigitsDistinctPerEpochAndSerial) {
    std::set<std::string> seen;
    for (int card = 0; card < 20; ++card) {
        for (std::uint64_t epoch = 0; epoch < 10; ++epoch) {
            const std::string serial = "CARD-" + std::to_string(card);
            const Secret puk = derivePuk(testKey(), serial, epoch);
            ASSERT_EQ(puk.size(), PUK_DIGITS);
            EXPECT_EQ(puk.view().find_first_not_of("0123456789"), std::string_view::npos);
            EXPECT_TRUE(puk.equals(derivePuk(testKey(), serial, epoch)));
            seen.insert(std::string(puk.view()));
        }
    }
    // 200 values from 10^8: a collision would be a 2·10⁻⁴ coincidence, a bug far more likely.
    EXPECT_EQ(seen.size(), 200U);
    Bytes otherKey(32, 0x42);
    EXPECT_FALSE(derivePuk(Secret(otherKey), "PIV-0001", 1).equals(derivePuk(testKey(), "PIV-0001", 1)));
}

TEST(Puk, RefusesWeakKeysAndAmbiguousSerials) {
    EXPECT_THROW((void)derivePuk(Secret(Bytes(31, 1)), "PIV-0001", 1), InputError);
    EXPECT_THROW((void)derivePuk(testKey(), "", 1), InputError);
    EXPECT_THROW((void)derivePuk(testKey(), std::string_view("A\0B", 3), 1), InputError);
}

}  // namespace
}  // namespace cardbridge::rules

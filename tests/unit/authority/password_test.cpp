// scrypt password hashes: salted, self-describing, verified in constant time.
#include <gtest/gtest.h>

#include <vector>

#include "cardbridge/authority/core/password.hpp"
#include "cardbridge/common/error.hpp"

namespace cardbridge::authority {
namespace {

TEST(Password, HashVerifiesAndIsSaltedWithItsParameters) {
    const std::string hash = hashPassword("correct horse battery");
    EXPECT_TRUE(hash.starts_with("scrypt$15$8$1$")) << hash;
    EXPECT_TRUE(verifyPassword("correct horse battery", hash));
    EXPECT_FALSE(verifyPassword("correct horse batterY", hash));
    EXPECT_FALSE(verifyPassword("", hash));
    EXPECT_NE(hashPassword("correct horse battery"), hash);  // random salt
    EXPECT_EQ(hash.find("correct"), std::string::npos);
}

TEST(Password, CheaperParametersAreEncodedAndHonoured) {
    const std::string hash = hashPassword("pw-for-tests", ScryptParams{10, 8, 1});
    EXPECT_TRUE(hash.starts_with("scrypt$10$8$1$"));
    EXPECT_TRUE(verifyPassword("pw-for-tests", hash));
}

TEST(Password, MalformedOrOutOfRangeEncodingsNeverVerify) {
    const std::string good = hashPassword("pw-for-tests", ScryptParams{10, 8, 1});
    const std::vector<std::string> bads{std::string(),
                                        std::string("plain"),
                                        std::string("scrypt$10$8$1$00$00"),
                                        "bcrypt" + good.substr(6),
                                        "scrypt$30$8$1$" + good.substr(14),
                                        "scrypt$5$8$1$" + good.substr(14),
                                        good.substr(0, good.size() - 2),
                                        good + "$extra"};
    for (const std::string& bad : bads) {
        EXPECT_FALSE(verifyPassword("pw-for-tests", bad)) << bad;
    }
    EXPECT_THROW(hashPassword(""), InputError);
}

}  // namespace
}  // namespace cardbridge::authority

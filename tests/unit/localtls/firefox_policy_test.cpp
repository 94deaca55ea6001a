// Firefox's policies.json: our Certificates.Install entry goes in and out, everything else stays.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "cardbridge/common/error.hpp"
#include "cardbridge/localtls/trust_stores.hpp"
#include "local_tls_internal.hpp"

namespace cardbridge::localtls {
namespace {

using nlohmann::ordered_json;

const detail::OwnCertificate OURS_FOR_ALICE = [](std::string_view name) {
    return name == firefoxCertName("alice");
};
const std::string ALICE_CERT = "/etc/firefox/policies/" + firefoxCertName("alice");

ordered_json parsed(const std::string& text) {
    return ordered_json::parse(text);
}

TEST(FirefoxPolicy, NewFileHoldsOnlyOurCertificate) {
    const auto edit = detail::addFirefoxCertificate(std::nullopt, ALICE_CERT, OURS_FOR_ALICE);
    EXPECT_TRUE(edit.changed);
    EXPECT_EQ(parsed(edit.text),
              ordered_json::parse(R"({"policies":{"Certificates":{"Install":[")" + ALICE_CERT + R"("]}}})"));
    EXPECT_TRUE(detail::firefoxPolicyInstalls(edit.text, ALICE_CERT));
}

TEST(FirefoxPolicy, OtherPoliciesAndTheirOrderStay) {
    const std::string existing =
        R"({"policies":{"DisableTelemetry":true,"Homepage":{"URL":"https://example.cn"},)"
        R"("Certificates":{"ImportEnterpriseRoots":true,"Install":["/opt/corp/root.pem"]}}})";
    const auto edit = detail::addFirefoxCertificate(existing, ALICE_CERT, OURS_FOR_ALICE);
    const auto doc = parsed(edit.text);
    EXPECT_EQ(doc["policies"]["DisableTelemetry"], true);
    EXPECT_EQ(doc["policies"]["Homepage"]["URL"], "https://example.cn");
    EXPECT_EQ(doc["policies"]["Certificates"]["ImportEnterpriseRoots"], true);
    EXPECT_EQ(doc["policies"]["Certificates"]["Install"],
              ordered_json::array({"/opt/corp/root.pem", ALICE_CERT}));
    // Key order as the administrator wrote it.
    auto key = doc["policies"].begin();
    EXPECT_EQ(key.key(), "DisableTelemetry");
    EXPECT_EQ((++key).key(), "Homepage");
}

TEST(FirefoxPolicy, AddingTwiceGivesTheSameFile) {
    const auto first = detail::addFirefoxCertificate(R"({"policies":{"DisableTelemetry":true}})", ALICE_CERT,
                                                     OURS_FOR_ALICE);
    const auto second = detail::addFirefoxCertificate(first.text, ALICE_CERT, OURS_FOR_ALICE);
    EXPECT_FALSE(second.changed);
    EXPECT_EQ(second.text, first.text);
    EXPECT_EQ(parsed(second.text)["policies"]["Certificates"]["Install"].size(), 1u);
}

TEST(FirefoxPolicy, OurOlderEntryElsewhereIsReplacedAndOtherUsersEntriesStay) {
    const std::string existing = R"({"policies":{"Certificates":{"Install":[)"
                                 R"("/old/place/)" +
                                 firefoxCertName("alice") +
                                 R"(",)"
                                 R"("/etc/firefox/policies/)" +
                                 firefoxCertName("bob") + R"("]}}})";
    const auto edit = detail::addFirefoxCertificate(existing, ALICE_CERT, OURS_FOR_ALICE);
    EXPECT_EQ(parsed(edit.text)["policies"]["Certificates"]["Install"],
              ordered_json::array({"/etc/firefox/policies/" + firefoxCertName("bob"), ALICE_CERT}));
}

TEST(FirefoxPolicy, BadFilesAreRefusedNotOverwritten) {
    EXPECT_THROW(detail::addFirefoxCertificate(std::string("{ not json"), ALICE_CERT, OURS_FOR_ALICE),
                 InputError);
    EXPECT_THROW(detail::addFirefoxCertificate(std::string("[1,2]"), ALICE_CERT, OURS_FOR_ALICE), InputError);
    EXPECT_THROW(detail::addFirefoxCertificate(std::string(R"({"policies":[]})"), ALICE_CERT, OURS_FOR_ALICE),
                 InputError);
    EXPECT_THROW(
        detail::addFirefoxCertificate(std::string(R"({"policies":{"Certificates":{"Install":"x"}}})"),
                                      ALICE_CERT, OURS_FOR_ALICE),
        InputError);
    EXPECT_THROW(detail::removeFirefoxCertificates("{ not json", OURS_FOR_ALICE), InputError);
}

TEST(FirefoxPolicy, BlankFileIsTreatedAsNew) {
    const auto edit = detail::addFirefoxCertificate(std::string(" \n"), ALICE_CERT, OURS_FOR_ALICE);
    EXPECT_TRUE(detail::firefoxPolicyInstalls(edit.text, ALICE_CERT));
}

TEST(FirefoxPolicy, RemoveLeavesOtherPoliciesAndCertificates) {
    const std::string existing = R"({"policies":{"DisableTelemetry":true,"Certificates":{"Install":[)"
                                 R"("/opt/corp/root.pem",")" +
                                 ALICE_CERT + R"("]}}})";
    const auto edit = detail::removeFirefoxCertificates(existing, OURS_FOR_ALICE);
    EXPECT_TRUE(edit.changed);
    EXPECT_FALSE(edit.noPolicies);
    EXPECT_EQ(
        parsed(edit.text),
        ordered_json::parse(
            R"({"policies":{"DisableTelemetry":true,"Certificates":{"Install":["/opt/corp/root.pem"]}}})"));
    EXPECT_FALSE(detail::firefoxPolicyInstalls(edit.text, ALICE_CERT));
}

TEST(FirefoxPolicy, RemoveDropsTheCertificatesWeEmptiedButNotAnAdministratorsEmptyOne) {
    const auto ours = detail::removeFirefoxCertificates(
        R"({"policies":{"DisableTelemetry":true,"Certificates":{"Install":[")" + ALICE_CERT + R"("]}}})",
        OURS_FOR_ALICE);
    EXPECT_EQ(parsed(ours.text), ordered_json::parse(R"({"policies":{"DisableTelemetry":true}})"));
    const auto theirs =
        detail::removeFirefoxCertificates(R"({"policies":{"Certificates":{}}})", OURS_FOR_ALICE);
    EXPECT_FALSE(theirs.changed);
    EXPECT_FALSE(theirs.noPolicies);
}

TEST(FirefoxPolicy, RemovingTheOnlyPolicyLeavesAFileToDelete) {
    const auto installed = detail::addFirefoxCertificate(std::nullopt, ALICE_CERT, OURS_FOR_ALICE);
    const auto edit = detail::removeFirefoxCertificates(installed.text, OURS_FOR_ALICE);
    EXPECT_TRUE(edit.changed);
    EXPECT_TRUE(edit.noPolicies);
}

TEST(FirefoxPolicy, RemoveWithNothingOfOursChangesNothing) {
    const std::string existing = R"({"policies":{"DisableTelemetry":true}})";
    const auto edit = detail::removeFirefoxCertificates(existing, OURS_FOR_ALICE);
    EXPECT_FALSE(edit.changed);
    EXPECT_FALSE(edit.noPolicies);
    EXPECT_EQ(edit.text, existing);
}

TEST(FirefoxPolicy, InstallsChecksTheExactPath) {
    const auto edit = detail::addFirefoxCertificate(std::nullopt, ALICE_CERT, OURS_FOR_ALICE);
    EXPECT_FALSE(detail::firefoxPolicyInstalls(edit.text, "/elsewhere/" + firefoxCertName("alice")));
    EXPECT_FALSE(detail::firefoxPolicyInstalls("{ bad", ALICE_CERT));
}

TEST(FirefoxPolicy, SamePolicyJsonComparesValues) {
    EXPECT_TRUE(detail::samePolicyJson(R"({"policies":{"A":1}})", "{ \"policies\" : { \"A\" : 1 } }\n"));
    EXPECT_FALSE(detail::samePolicyJson(R"({"policies":{"A":1}})", R"({"policies":{"A":2}})"));
    EXPECT_FALSE(detail::samePolicyJson("{", "{"));
}

TEST(TrustNames, OwnerIsSanitisedIntoFileNames) {
    EXPECT_EQ(systemAnchorName("alice"), "cardbridge-local-root-alice.crt");
    EXPECT_EQ(firefoxCertName("bob.smith"), "cardbridge-local-root-bob.smith.pem");
    EXPECT_EQ(systemAnchorName("../evil user"), "cardbridge-local-root-.._evil_user.crt");
    EXPECT_EQ(parseTrustStore("firefox"), TrustStore::Firefox);
    EXPECT_FALSE(parseTrustStore("chrome").has_value());
}

}  // namespace
}  // namespace cardbridge::localtls

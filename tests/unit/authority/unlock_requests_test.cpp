// UnlockService::create: certificate checks, handler matching with normalisation, rate limits.
#include "authority_fixture.hpp"
#include "cardbridge/authority/core/client_address.hpp"

namespace cardbridge::authority::test {
namespace {

using CreateTest = AuthorityFixture;

TEST_F(CreateTest, OriginalApplicantGoesToSmsWithMaskedPhone) {
    const auto created = service_->requests().create(applicantRequest());
    EXPECT_EQ(created.route, Route::Sms);
    ASSERT_TRUE(created.maskedPhone);
    EXPECT_EQ(*created.maskedPhone, "138****5678");
    EXPECT_EQ(created.requestId.size(), 32u);
    EXPECT_EQ(created.requestId.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(service_->requests().status(created.requestId).state, "open");
}

TEST_F(CreateTest, OtherHandlerGoesToReviewWithoutPhone) {
    const auto created = service_->requests().create(otherHandlerRequest());
    EXPECT_EQ(created.route, Route::Review);
    EXPECT_FALSE(created.maskedPhone);
}

TEST_F(CreateTest, MatchingNormalisesBracketsSpacesCaseAndPhonePrefix) {
    auto r = applicantRequest();
    r.handler.organization = "  深圳市某某医疗器械有限公司(福田) ";  // half-width brackets, spaces
    r.handler.name = " 张三 ";
    r.handler.idNumber =
        APPLICANT_ID.substr(0, 17) + std::string(1, static_cast<char>(std::tolower(APPLICANT_ID[17])));
    r.handler.phone = "+86 138-1234-5678";
    EXPECT_EQ(service_->requests().create(r).route, Route::Sms);
}

TEST_F(CreateTest, LatinNameMatchesCaseBlind) {
    const auto leaf = makeLeaf("John Smith");
    Enrollment e;
    e.certificate = leaf.certPem;
    e.cardSerial = "CARD-LATIN";
    e.organization = ORGANIZATION;
    e.applicant = {"John Smith", "护照", "E12345678", APPLICANT_PHONE};
    registry_->enroll(e);
    CreateUnlock r;
    r.certificateDer = leaf.der;
    r.cardSerial = "CARD-LATIN";
    r.handler = {ORGANIZATION, "JOHN   SMITH", "护照", "e12345678", APPLICANT_PHONE};
    r.clientAddress = "198.51.100.1";
    EXPECT_EQ(service_->requests().create(r).route, Route::Sms);
}

TEST_F(CreateTest, EachDifferingFieldSendsToReview) {
    auto phone = applicantRequest();
    phone.handler.phone = "13912345678";
    EXPECT_EQ(service_->requests().create(phone).route, Route::Review);
    auto id = applicantRequest();
    id.handler.idNumber = OTHER_ID;
    EXPECT_EQ(service_->requests().create(id).route, Route::Review);
    auto org = applicantRequest();
    org.handler.organization = "另一家公司";
    EXPECT_EQ(service_->requests().create(org).route, Route::Review);
    auto name = applicantRequest();
    name.handler.name = "张三丰";
    EXPECT_EQ(service_->requests().create(name).route, Route::Review);
}

TEST_F(CreateTest, InvalidFormIsRefusedWithField) {
    auto r = applicantRequest();
    r.handler.idNumber = APPLICANT_ID.substr(0, 17) + (APPLICANT_ID[17] == '0' ? "1" : "0");
    const auto extra = expectReason([&] { service_->requests().create(r); }, reason::FORM_INVALID);
    EXPECT_EQ(extra.value("field", ""), "idNumber");
    EXPECT_EQ(extra.value("problem", ""), "checksum");
}

TEST_F(CreateTest, CertificateFromAnotherCaIsUntrusted) {
    cardbridge::test::CertSpec otherCa;
    otherCa.commonName = "Rogue CA";
    otherCa.isCa = true;
    const auto rogue = cardbridge::test::makeCertificate(otherCa);
    const auto leaf = makeLeaf("张三", &rogue);
    auto r = applicantRequest();
    r.certificateDer = leaf.der;
    expectReason([&] { service_->requests().create(r); }, reason::CERT_UNTRUSTED);
}

TEST_F(CreateTest, ExpiredCertificateGetsOfflineRoute) {
    const auto old = makeLeaf("张三", nullptr, std::chrono::days(-400), std::chrono::days(365));
    enroll(old, "CARD-OLD");
    auto r = applicantRequest();
    r.certificateDer = old.der;
    r.cardSerial = "CARD-OLD";
    const auto extra = expectReason([&] { service_->requests().create(r); }, reason::CERT_EXPIRED);
    EXPECT_EQ(extra.value("offlineRoute", ""), config_.offlineRouteText);
}

TEST_F(CreateTest, UnregisteredCertificateIsUnknown) {
    const auto leaf = makeLeaf("张三");
    auto r = applicantRequest();
    r.certificateDer = leaf.der;
    expectReason([&] { service_->requests().create(r); }, reason::CERT_UNKNOWN);
}

TEST_F(CreateTest, GarbageCertificateIsInvalid) {
    auto r = applicantRequest();
    r.certificateDer = toBytes("not a certificate");
    expectReason([&] { service_->requests().create(r); }, reason::CERT_INVALID);
}

TEST_F(CreateTest, CardSerialMustMatch) {
    auto r = applicantRequest();
    r.cardSerial = "CARD-9999";
    expectReason([&] { service_->requests().create(r); }, reason::CARD_MISMATCH);
}

TEST_F(CreateTest, Sm2IssuerChainVerifiesWithDefaultId) {
    cardbridge::test::CertSpec caSpec;
    caSpec.commonName = "SM2 Issuing CA";
    caSpec.isCa = true;
    caSpec.key = cardbridge::test::KeyKind::Sm2;
    const auto sm2Ca = cardbridge::test::makeCertificate(caSpec);
    cardbridge::test::CertSpec leafSpec;
    leafSpec.key = cardbridge::test::KeyKind::Sm2;
    leafSpec.issuer = &sm2Ca;
    const auto leaf = cardbridge::test::makeCertificate(leafSpec);
    const auto trust = IssuerTrust::fromPems({sm2Ca.certPem});
    const auto now = SystemClock().now();  // the SM2 certificates are valid around the real now
    EXPECT_EQ(trust.check(Certificate::fromDer(leaf.der), now), TrustResult::Trusted);
    EXPECT_EQ(trust_->check(Certificate::fromDer(leaf.der), now), TrustResult::Untrusted);
}

TEST_F(CreateTest, RateLimitedPerCardWithRetryAfter) {
    config_.limits.createMatchesPerCardPerHour = 3;  // the applicant's requests: full matches
    for (int i = 0; i < 3; ++i) service_->requests().create(applicantRequest());
    const auto extra =
        expectReason([&] { service_->requests().create(applicantRequest()); }, reason::RATE_LIMITED);
    EXPECT_GT(extra.value("retryAfter", 0), 0);
    EXPECT_LE(extra.value("retryAfter", 0), 3600);
    clock_.advance(std::chrono::hours(1));
    EXPECT_NO_THROW(service_->requests().create(applicantRequest()));
}

TEST_F(CreateTest, RateLimitedPerAddressEvenForUnknownCertificates) {
    config_.limits.createPerAddressPerHour = 2;
    auto r = applicantRequest();
    r.certificateDer = makeLeaf("x").der;
    expectReason([&] { service_->requests().create(r); }, reason::CERT_UNKNOWN);
    expectReason([&] { service_->requests().create(r); }, reason::CERT_UNKNOWN);
    expectReason([&] { service_->requests().create(applicantRequest()); }, reason::RATE_LIMITED);
    auto elsewhere = applicantRequest();
    elsewhere.clientAddress = "198.51.100.9";
    EXPECT_NO_THROW(service_->requests().create(elsewhere));
}

// create() commits its counters, request and audit entry in one transaction: a storage failure after the
// counters leaves neither a request, nor an audit entry, nor a counted call.
TEST_F(CreateTest, StorageFailureAfterTheCountersLeavesNothing) {
    config_.limits.createPerAddressPerHour = 2;
    config_.limits.createMatchesPerCardPerHour = 2;
    fake::FakeRandom firstStream(7);  // not the fixture's seed: service_ draws other ids
    fake::FakeRandom sameStream(7);   // draws the same request id as firstStream
    UnlockService first(config_, *storage_, *trust_, keys_, sms_, clock_, firstStream);
    UnlockService replay(config_, *storage_, *trust_, keys_, sms_, clock_, sameStream);
    const auto id = first.requests().create(applicantRequest()).requestId;
    const auto auditBefore = storage_->listAudit("", 1000).size();
    EXPECT_THROW(replay.requests().create(applicantRequest()), FatalError);  // duplicate request id
    EXPECT_EQ(storage_->listAudit("", 1000).size(), auditBefore);
    EXPECT_EQ(service_->requests().status(id).state, "open");
    // Had the failed call been counted, this second create would be the third of the hour on both limits.
    EXPECT_NO_THROW(service_->requests().create(applicantRequest()));
    auto elsewhere = applicantRequest();
    elsewhere.clientAddress = "198.51.100.9";
    expectReason([&] { service_->requests().create(elsewhere); }, reason::RATE_LIMITED);  // per card
    expectReason([&] { service_->requests().create(applicantRequest()); }, reason::RATE_LIMITED);
}

// A refusal commits its counters and its audit entry together (the one transaction is not rolled back).
TEST_F(CreateTest, RefusalKeepsItsCountAndAudit) {
    config_.limits.createPerAddressPerHour = 1;
    auto unknown = applicantRequest();
    unknown.certificateDer = makeLeaf("x").der;
    expectReason([&] { service_->requests().create(unknown); }, reason::CERT_UNKNOWN);
    const auto audit = storage_->listAudit("", 1000);
    ASSERT_FALSE(audit.empty());
    EXPECT_EQ(audit.back().action, "request.refuse");
    EXPECT_NE(audit.back().detailsJson.find("CERT_UNKNOWN"), std::string::npos);
    expectReason([&] { service_->requests().create(applicantRequest()); }, reason::RATE_LIMITED);
}

// The padding is the HTTP layer's (a timer in the server): create() itself never sleeps.
TEST_F(CreateTest, CreateItselfDoesNotPad) {
    config_.uniformTimingMillis = 2000;
    const auto start = std::chrono::steady_clock::now();
    service_->requests().create(applicantRequest());
    service_->requests().create(otherHandlerRequest());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2000));
}

TEST_F(CreateTest, EnrolRefusesDuplicatesAndForeignCertificates) {
    expectReason([&] { enroll(leaf_, CARD); }, reason::CERT_ALREADY_ENROLLED);
    cardbridge::test::CertSpec otherCa;
    otherCa.isCa = true;
    const auto rogue = cardbridge::test::makeCertificate(otherCa);
    expectReason([&] { enroll(makeLeaf("x", &rogue), "C2"); }, reason::CERT_UNTRUSTED);
}

TEST_F(CreateTest, CsvImportEnrolsRowsAndReportsBadOnes) {
    const auto a = makeLeaf("王五");
    const auto b = makeLeaf("赵六");
    cardbridge::test::writeFile(dir_.path() / "a.pem", a.certPem);
    cardbridge::test::writeFile(dir_.path() / "b.pem", b.certPem);
    const std::string csv =
        "\xEF\xBB\xBF"
        "card_serial,certificate_file,organization,applicant_name,id_type,id_number,phone\r\n"
        "CARD-A,a.pem,\"某公司, 深圳\",王五,居民身份证," +
        APPLICANT_ID + ",13812345678\r\n" + "CARD-B,b.pem,某公司,赵六,居民身份证,123,13812345678\r\n";
    const auto report = registry_->importCsv(csv, dir_.path());
    EXPECT_EQ(report.enrolled, 1);
    ASSERT_EQ(report.errors.size(), 1u);
    EXPECT_NE(report.errors[0].find("row 3"), std::string::npos);
    EXPECT_NE(report.errors[0].find("FORM_INVALID"), std::string::npos);
    const auto stored = storage_->findCertificatesByCard("CARD-A");
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].organization, "某公司, 深圳");
    EXPECT_THROW(registry_->importCsv("card_serial,phone\n", dir_.path()), InputError);
}

TEST(CsvTest, QuotedFieldsAndEscapes) {
    const auto rows = parseCsv("a,\"b \"\"x\"\"\",\"multi\nline\"\n1,,3\n");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0][1], "b \"x\"");
    EXPECT_EQ(rows[0][2], "multi\nline");
    EXPECT_EQ(rows[1][1], "");
    EXPECT_THROW(parseCsv("\"open"), InputError);
}

// Issue 10, finding 2: a made-up card serial with a public certificate spends nothing of the card's budget.
TEST_F(CreateTest, WrongCardSerialsDoNotSpendTheCardsBudget) {
    config_.limits.createPerCardPerHour = 2;
    config_.limits.createMatchesPerCardPerHour = 2;
    for (int i = 0; i < 5; ++i) {
        auto made = applicantRequest();
        made.cardSerial = "MADE-UP-" + std::to_string(i);
        made.clientAddress = "198.51.100." + std::to_string(i + 1);
        expectReason([&] { service_->requests().create(made); }, reason::CARD_MISMATCH);
    }
    EXPECT_EQ(service_->requests().create(applicantRequest()).route, Route::Sms);
}

// Issue 10, finding 2: strangers who spend the per-card budget with made-up handlers never lock the real
// handler out — full matches have a budget of their own.
TEST_F(CreateTest, FullMatchesHaveTheirOwnBudget) {
    config_.limits.createPerCardPerHour = 2;
    config_.limits.createMatchesPerCardPerHour = 2;
    for (int i = 0; i < 2; ++i) {
        auto stranger = otherHandlerRequest();
        stranger.clientAddress = "198.51.100." + std::to_string(i + 1);
        EXPECT_EQ(service_->requests().create(stranger).route, Route::Review);
    }
    auto third = otherHandlerRequest();
    third.clientAddress = "198.51.100.3";
    expectReason([&] { service_->requests().create(third); }, reason::RATE_LIMITED);
    EXPECT_EQ(service_->requests().create(applicantRequest()).route, Route::Sms);
    EXPECT_EQ(service_->requests().create(applicantRequest()).route, Route::Sms);
    expectReason([&] { service_->requests().create(applicantRequest()); }, reason::RATE_LIMITED);
}

// Issue 10, finding 2: the RATE_LIMITED answer is the same whichever limit refused (so it does not say
// whether the handler matched); the audit says which.
TEST_F(CreateTest, EveryLimitGivesTheSameRefusal) {
    config_.limits.createPerCardPerHour = 1;
    config_.limits.createMatchesPerCardPerHour = 1;
    service_->requests().create(applicantRequest());
    service_->requests().create(otherHandlerRequest());
    std::string matchWhat;
    std::string otherWhat;
    nlohmann::json matchExtra;
    nlohmann::json otherExtra;
    try {
        service_->requests().create(applicantRequest());
    } catch (const AuthorityError& e) {
        matchWhat = e.what();
        matchExtra = e.extra();
    }
    try {
        service_->requests().create(otherHandlerRequest());
    } catch (const AuthorityError& e) {
        otherWhat = e.what();
        otherExtra = e.extra();
    }
    ASSERT_FALSE(matchWhat.empty());
    EXPECT_EQ(matchWhat, otherWhat);
    EXPECT_EQ(matchExtra, otherExtra);
    const auto audit = storage_->listAudit("", 1000);
    EXPECT_NE(audit.back().detailsJson.find("create-card"), std::string::npos) << audit.back().detailsJson;
}

// Issue 10, finding 3: IPv6 clients are counted by /64 (one subscriber holds the whole /64).
TEST_F(CreateTest, Ipv6AddressesAreCountedPerSlash64) {
    config_.limits.createPerAddressPerHour = 1;
    auto first = applicantRequest();
    first.clientAddress = "2001:db8:1:2::1";
    service_->requests().create(first);
    auto sameNet = applicantRequest();
    sameNet.clientAddress = "2001:db8:1:2:ffff:ffff:ffff:fffe";
    expectReason([&] { service_->requests().create(sameNet); }, reason::RATE_LIMITED);
    auto otherNet = applicantRequest();
    otherNet.clientAddress = "2001:db8:1:3::1";
    EXPECT_NO_THROW(service_->requests().create(otherNet));
}

TEST(RateLimitBucket, Ipv4AsItselfIpv6BySlash64) {
    EXPECT_EQ(rateLimitBucket("203.0.113.7"), "203.0.113.7");
    EXPECT_EQ(rateLimitBucket("::ffff:203.0.113.7"), "203.0.113.7");
    EXPECT_EQ(rateLimitBucket("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
    EXPECT_EQ(rateLimitBucket("not an address"), "not an address");
}

// Issue 10, finding 1: a request is bound to the installation that opened it.
TEST_F(CreateTest, RequestsAreBoundToTheirInstallation) {
    auto mine = applicantRequest();
    mine.installation = "install-a";
    const auto id = service_->requests().create(mine).requestId;
    EXPECT_NO_THROW(service_->requests().requireInstallation(id, "install-a"));
    expectReason([&] { service_->requests().requireInstallation(id, "install-b"); },
                 reason::REQUEST_NOT_FOUND);
    expectReason([&] { service_->requests().requireInstallation(id, ""); }, reason::REQUEST_NOT_FOUND);
    expectReason([&] { service_->requests().requireInstallation(std::string(32, 'a'), "install-a"); },
                 reason::REQUEST_NOT_FOUND);
}

}  // namespace
}  // namespace cardbridge::authority::test

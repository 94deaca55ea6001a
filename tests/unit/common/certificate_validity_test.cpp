// Validity period: time points, ISO 8601 text and status against an injected moment.
#include <gtest/gtest.h>

#include <chrono>

#include "cardbridge/common/certificate.hpp"
#include "test_certs.hpp"

using namespace cardbridge;
using namespace std::chrono;
using cardbridge::test::CertSpec;

namespace {

// 2025-03-01T08:30:00Z and 2026-02-28T23:59:59Z.
const system_clock::time_point START = sys_days{2025y / March / 1} + hours(8) + minutes(30);
const system_clock::time_point END = sys_days{2026y / February / 28} + hours(23) + minutes(59) + seconds(59);

Certificate mint(system_clock::time_point from, system_clock::time_point to) {
    CertSpec spec;
    spec.notBefore = from;
    spec.notAfter = to;
    return Certificate::fromDer(test::makeCertificate(spec).der);
}

}  // namespace

TEST(CertificateValidity, TimesAndIsoText) {
    Certificate cert = mint(START, END);
    EXPECT_EQ(cert.notBefore(), START);
    EXPECT_EQ(cert.notAfter(), END);
    EXPECT_EQ(cert.notBeforeIso(), "2025-03-01T08:30:00Z");
    EXPECT_EQ(cert.notAfterIso(), "2026-02-28T23:59:59Z");
}

TEST(CertificateValidity, StatusAtBoundariesIsInclusive) {
    Certificate cert = mint(START, END);
    EXPECT_EQ(cert.statusAt(START - seconds(1)), CertificateStatus::NotYetValid);
    EXPECT_EQ(cert.statusAt(START), CertificateStatus::Valid);
    EXPECT_EQ(cert.statusAt(START + days(100)), CertificateStatus::Valid);
    EXPECT_EQ(cert.statusAt(END), CertificateStatus::Valid);
    EXPECT_EQ(cert.statusAt(END + seconds(1)), CertificateStatus::Expired);
    EXPECT_EQ(toString(cert.statusAt(END + days(1))), "expired");
    EXPECT_EQ(toString(cert.statusAt(START - days(1))), "notYetValid");
    EXPECT_EQ(toString(cert.statusAt(START)), "valid");
}

TEST(CertificateValidity, ExpiredAndNotYetValidAgainstRealNow) {
    const auto now = system_clock::now();
    EXPECT_EQ(mint(now - days(30), now - days(1)).statusAt(now), CertificateStatus::Expired);
    EXPECT_EQ(mint(now + days(1), now + days(30)).statusAt(now), CertificateStatus::NotYetValid);
    EXPECT_EQ(mint(now - days(1), now + days(30)).statusAt(now), CertificateStatus::Valid);
}

TEST(CertificateValidity, GeneralizedTimeAfter2049) {
    const system_clock::time_point late = sys_days{2060y / June / 30} + hours(12) + minutes(34) + seconds(56);
    Certificate cert = mint(START, late);
    EXPECT_EQ(cert.notAfterIso(), "2060-06-30T12:34:56Z");
    EXPECT_EQ(cert.notAfter(), late);
}

TEST(CertificateValidity, Year9999IsClampedButIsoStaysExact) {
    CertSpec spec;
    spec.notBefore = START;
    spec.notAfterAsn1 = "99991231235959Z";  // RFC 5280 "no well-defined expiration"
    Certificate cert = Certificate::fromDer(test::makeCertificate(spec).der);
    EXPECT_EQ(cert.notAfterIso(), "9999-12-31T23:59:59Z");
    EXPECT_EQ(cert.notAfter(), system_clock::time_point::max());
    EXPECT_EQ(cert.statusAt(sys_days{2200y / January / 1}), CertificateStatus::Valid);
}

// yubico-piv-tool as an independent PIV client of the virtual card (it needs -r 'Virtual PCD' and
// resets the card on exit — piv.md §3).
#include <fstream>

#include "interop_fixture.hpp"

using namespace cardbridge::test;

TEST_F(InteropTest, YubicoPivToolStatusShowsSlotsAndTries) {
    std::string out = runOk(ykpiv({"-a", "status"}));
    EXPECT_NE(out.find("Slot 9a"), std::string::npos) << out;
    EXPECT_NE(out.find("Slot 9e"), std::string::npos) << out;
    EXPECT_NE(out.find("PIN tries left:\t3"), std::string::npos) << out;
}

TEST_F(InteropTest, YubicoPivToolVerifiesAndCountsWrongPins) {
    runOk(ykpiv({"-a", "verify-pin", "-P", "123456"}));
    CommandResult wrong = runCommand(ykpiv({"-a", "verify-pin", "-P", "000000"}));
    EXPECT_NE(wrong.exitCode, 0);
    EXPECT_NE(wrong.output.find("2 tries left"), std::string::npos) << wrong.output;
    EXPECT_EQ(counters().at("pinTriesLeft"), 2);
    runCommand(ykpiv({"-a", "verify-pin", "-P", "000000"}));
    runCommand(ykpiv({"-a", "verify-pin", "-P", "000000"}));
    EXPECT_EQ(counters().at("pinTriesLeft"), 0);
    CommandResult blocked = runCommand(ykpiv({"-a", "verify-pin", "-P", "123456"}));
    EXPECT_NE(blocked.exitCode, 0) << "a blocked PIN must not verify, even the right one";
}

TEST_F(InteropTest, YubicoPivToolChangesThePin) {
    runOk(ykpiv({"-a", "change-pin", "-P", "123456", "-N", "864209"}));
    EXPECT_NE(runCommand(ykpiv({"-a", "verify-pin", "-P", "123456"})).exitCode, 0);
    runOk(ykpiv({"-a", "verify-pin", "-P", "864209"}));
}

TEST_F(InteropTest, YubicoPivToolUnblocksWithThePuk) {
    for (int i = 0; i < 3; ++i) runCommand(ykpiv({"-a", "verify-pin", "-P", "000000"}));
    ASSERT_EQ(counters().at("pinTriesLeft"), 0);
    runOk(ykpiv({"-a", "unblock-pin", "-P", "12345678", "-N", "975310"}));
    EXPECT_EQ(counters().at("pinTriesLeft"), 3);
    runOk(ykpiv({"-a", "verify-pin", "-P", "975310"}));
}

TEST_F(InteropTest, YubicoPivToolReadsWhatWasProvisioned) {
    std::string out = runOk(ykpiv({"-a", "read-certificate", "-s", "9c"}));
    EXPECT_EQ(squeeze(pemBlock(out)), squeeze(slots_[1].cert.certPem)) << out;
}

TEST_F(InteropTest, YubicoPivToolImportsACertificateThatOpenscThenReads) {
    CertSpec spec;
    spec.commonName = "李四 导入";
    TestCert imported = makeCertificate(spec);
    auto file = env_->dir() / "imported.pem";
    writeFile(file, imported.certPem);
    runOk(ykpiv({"-a", "import-certificate", "-s", "9c", "-i", file.string()}));
    std::string out = runOk({"pkcs15-tool", "--reader", env_->readerName(0), "--read-certificate", "02"});
    EXPECT_EQ(squeeze(pemBlock(out)), squeeze(imported.certPem)) << out;
}

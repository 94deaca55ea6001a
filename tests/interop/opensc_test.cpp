// OpenSC (opensc-tool, pkcs15-tool) as an independent PIV client of the virtual card.
#include "interop_fixture.hpp"

using namespace cardbridge::test;

namespace {
const std::string kYubiKey5Atr = "3b:fd:13:00:00:81:31:fe:15:80:73:c0:21:c0:57:59:75:62:69:4b:65:79:40";
}

TEST_F(InteropTest, OpenscToolPrintsTheAtr) {
    std::string out = runOk({"opensc-tool", "-r", env_->readerName(0), "-a"});
    EXPECT_NE(out.find(kYubiKey5Atr), std::string::npos) << out;
}

TEST_F(InteropTest, OpenscToolMatchesThePivDriver) {
    std::string out = runOk({"opensc-tool", "-r", env_->readerName(0), "-n"});
    EXPECT_NE(out.find("Personal Identity Verification Card"), std::string::npos) << out;
}

TEST_F(InteropTest, Pkcs15ToolListsAllFourCertificates) {
    std::string out = runOk({"pkcs15-tool", "--reader", env_->readerName(0), "--list-certificates"});
    for (const auto& s : slots_)
        EXPECT_NE(out.find("ID             : " + s.openscId), std::string::npos) << out;
    for (const char* label : {"Certificate for PIV Authentication", "Certificate for Digital Signature",
                              "Certificate for Key Management", "Certificate for Card Authentication"})
        EXPECT_NE(out.find(label), std::string::npos) << out;
}

TEST_F(InteropTest, Pkcs15ToolReadsEachCertificateByteForByte) {
    for (const auto& s : slots_) {
        std::string out =
            runOk({"pkcs15-tool", "--reader", env_->readerName(0), "--read-certificate", s.openscId});
        EXPECT_EQ(squeeze(pemBlock(out)), squeeze(s.cert.certPem)) << "slot " << s.slot << ":\n" << out;
    }
}

TEST_F(InteropTest, Pkcs15ToolChangesThePinAndYubicoPivToolAgrees) {
    runOk({"pkcs15-tool", "--reader", env_->readerName(0), "--change-pin", "--pin", "123456", "--new-pin",
           "246810"});
    CommandResult oldPin = runCommand(ykpiv({"-a", "verify-pin", "-P", "123456"}));
    EXPECT_NE(oldPin.exitCode, 0) << oldPin.output;
    runOk(ykpiv({"-a", "verify-pin", "-P", "246810"}));
    EXPECT_EQ(counters().at("pinTriesLeft"), 3);  // a correct verify resets the counter
}

TEST_F(InteropTest, Pkcs15ToolUnblocksALockedPin) {
    card_->stop();  // the card's state file is its memory: change it while the card is out
    vcardCli({"lock-pin", "--state", stateFile_.string()});
    card_->start();
    ASSERT_EQ(counters().at("pinTriesLeft"), 0);
    runOk({"pkcs15-tool", "--reader", env_->readerName(0), "--unblock-pin", "--puk", "12345678", "--new-pin",
           "135790"});
    EXPECT_EQ(counters().at("pinTriesLeft"), 3);
    runOk(ykpiv({"-a", "verify-pin", "-P", "135790"}));
}

TEST_F(InteropTest, Pkcs15ToolWrongPukCountsDown) {
    CommandResult r = runCommand({"pkcs15-tool", "--reader", env_->readerName(0), "--unblock-pin", "--puk",
                                  "87654321", "--new-pin", "135790"});
    EXPECT_NE(r.exitCode, 0) << r.output;
    EXPECT_EQ(counters().at("pukTriesLeft"), 2);
    EXPECT_EQ(counters().at("pinTriesLeft"), 3);
}

class CompressedInteropTest : public InteropTest {
  protected:
    bool compressSlot9a() const override { return true; }
};

TEST_F(CompressedInteropTest, Pkcs15ToolInflatesAGzipCertificate) {
    EXPECT_TRUE(counters().at("slots").at("9a").at("compressed").get<bool>());
    std::string out = runOk({"pkcs15-tool", "--reader", env_->readerName(0), "--read-certificate", "01"});
    EXPECT_EQ(squeeze(pemBlock(out)), squeeze(slots_[0].cert.certPem)) << out;
}

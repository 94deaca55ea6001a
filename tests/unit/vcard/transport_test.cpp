// T=0 behaviour (61xx / 6Cxx) and the vpcd frame handling + control channel, without sockets.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cardbridge/vcard/vpcd_runner.hpp"
#include "test_support.hpp"

using namespace vcardtest;

TEST(VcardT0, DataIsAnnouncedAndWrongLeGets6Cxx) {
    Card card;
    card.applet.setT0(true);
    ResponseApdu select = card.send("00 A4 04 00 05 A0 00 00 03 08");
    EXPECT_TRUE(select.data.empty());
    EXPECT_EQ(swHex(select), "6113");
    ResponseApdu tooMuch = card.send("00 C0 00 00 00");
    EXPECT_EQ(swHex(tooMuch), "6C13");
    EXPECT_TRUE(tooMuch.data.empty());
    ResponseApdu exact = card.send("00 C0 00 00 13");
    EXPECT_EQ(swHex(exact), "9000");
    EXPECT_EQ(exact.data.front(), 0x61);
    EXPECT_EQ(exact.data.size(), 0x13u);

    ResponseApdu chuid = card.send("00 CB 3F FF 05 5C 03 5F C1 02 00");
    EXPECT_EQ(swHex(chuid), "613D");
    ResponseApdu part = card.send("00 C0 00 00 10");  // less than remains: 61 with the rest
    EXPECT_EQ(part.data.size(), 0x10u);
    EXPECT_EQ(swHex(part), "612D");
    ResponseApdu rest = card.send("00 C0 00 00 2D");
    EXPECT_EQ(swHex(rest), "9000");
    // Status-only answers are unchanged under T=0.
    EXPECT_EQ(swHex(card.send("00 20 00 80")), "63C3");
}

TEST(VcardT0, T1ModeGivesDataDirectly) {
    Card card;
    ResponseApdu select = card.send("00 A4 04 00 05 A0 00 00 03 08");
    EXPECT_EQ(swHex(select), "9000");
    EXPECT_EQ(select.data.size(), 0x13u);
}

TEST(VcardRunner, ControlCodesAtrAndApduCounting) {
    Card card;
    VpcdRunner runner(card.applet, RunOptions{});
    EXPECT_EQ(runner.onFrame(fromHex("01")).kind, FrameAction::Kind::NoReply);
    FrameAction atr = runner.onFrame(fromHex("04"));
    EXPECT_EQ(atr.kind, FrameAction::Kind::Reply);
    EXPECT_EQ(toHex(atr.payload), "3BFD1300008131FE158073C021C057597562694B657940");
    FrameAction select = runner.onFrame(fromHex("00 A4 04 00 05 A0 00 00 03 08"));
    EXPECT_EQ(toHex(select.payload).substr(toHex(select.payload).size() - 4), "9000");
    runner.onFrame(fromHex("00 20 00 80 08 31 32 33 34 35 36 FF FF"));
    EXPECT_TRUE(card.applet.pinVerified());
    runner.onFrame(fromHex("02"));  // warm reset clears volatile state
    EXPECT_FALSE(card.applet.pinVerified());
    EXPECT_EQ(runner.apduCount(), 2u);
    auto stats = nlohmann::json::parse(runner.control("stats"));
    EXPECT_EQ(stats["ok"], true);
    EXPECT_EQ(stats["apdus"], 2);
    EXPECT_EQ(stats["present"], true);
    EXPECT_EQ(stats["connected"], false);
    EXPECT_EQ(runner.control("reset-stats"), R"({"ok":true})");
    EXPECT_EQ(runner.apduCount(), 0u);
}

TEST(VcardRunner, FailAtAndDropAtCountFromNow) {
    Card card;
    VpcdRunner runner(card.applet, RunOptions{});
    runner.onFrame(fromHex("00 A4 04 00 05 A0 00 00 03 08"));
    EXPECT_EQ(nlohmann::json::parse(runner.control("fail-at 2"))["ok"], true);
    EXPECT_EQ(toHex(runner.onFrame(fromHex("00 FD 00 00")).payload), "0504039000");
    EXPECT_EQ(toHex(runner.onFrame(fromHex("00 FD 00 00")).payload), "6F00");
    EXPECT_EQ(toHex(runner.onFrame(fromHex("00 FD 00 00")).payload), "0504039000");  // once only
    runner.control("drop-at 1");
    EXPECT_EQ(runner.onFrame(fromHex("00 FD 00 00")).kind, FrameAction::Kind::Drop);
    runner.control("drop-at 3");
    runner.control("drop-at 0");  // cleared
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(runner.onFrame(fromHex("00 FD 00 00")).kind, FrameAction::Kind::Reply);
}

TEST(VcardRunner, ControlCommandsAndErrors) {
    Card card;
    VpcdRunner runner(card.applet, RunOptions{});
    EXPECT_EQ(runner.control("remove"), R"({"ok":true})");
    EXPECT_FALSE(runner.present());
    EXPECT_EQ(runner.control("insert"), R"({"ok":true})");
    EXPECT_TRUE(runner.present());
    EXPECT_EQ(runner.control("t0 on"), R"({"ok":true})");
    EXPECT_TRUE(card.applet.t0());
    EXPECT_EQ(runner.control("t0 off"), R"({"ok":true})");
    EXPECT_FALSE(card.applet.t0());
    EXPECT_EQ(runner.control("latency 5"), R"({"ok":true})");
    for (const char* bad : {"", "bogus", "t0 maybe", "latency", "latency -1", "fail-at x", "insert now"}) {
        auto reply = nlohmann::json::parse(runner.control(bad));
        EXPECT_EQ(reply["ok"], false) << bad;
        EXPECT_TRUE(reply["error"].is_string()) << bad;
    }
}

TEST(VcardRunner, LogRedactsSecrets) {
    std::string line = redactedApdu(fromHex("00 20 00 80 08 31 32 33 34 35 36 FF FF"));
    EXPECT_EQ(line.find("313233"), std::string::npos);
    EXPECT_NE(line.find("8 bytes redacted"), std::string::npos);
    EXPECT_EQ(
        redactedApdu(fromHex("00 2C 00 80 10 31 32 33 34 35 36 37 38 31 32 33 34 35 36 FF FF")).find("3132"),
        std::string::npos);
    EXPECT_EQ(redactedApdu(fromHex("00 CB 3F FF 03 5C 01 7E")), "00CB3FFF035C017E");
}

// `cardbridged doctor` on a real pcscd with a virtual card that another program holds exclusively: the
// reader is reported as held, with the known middleware process running named.
#include <gtest/gtest.h>
#include <winscard.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "free_port.hpp"
#include "pcsc_env.hpp"

using namespace cardbridge::test;
namespace fs = std::filesystem;

TEST(DoctorReaders, AReaderHeldExclusivelyIsNamedWithTheMiddlewareProcessRunning) {
    PcscEnv env;
    ::setenv("HOME", env.dir().c_str(), 1);
    ::setenv("XDG_CONFIG_HOME", (env.dir() / "config").c_str(), 1);
    provisionCard(env.dir() / "card.json", {});
    VirtualCard card(env, env.dir() / "card.json");
    card.waitPresent();
    // A stand-in for BJCA's assistant: its /proc/<pid>/comm is what doctor matches.
    const fs::path helperExe = env.dir() / "BJCAHelper";
    fs::copy_file("/bin/sleep", helperExe, fs::copy_options::overwrite_existing);
    ChildProcess helper({helperExe.string(), "60"}, env.dir() / "helper.out");

    SCARDCONTEXT context = 0;
    ASSERT_EQ(SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &context), SCARD_S_SUCCESS);
    SCARDHANDLE handle = 0;
    DWORD protocol = 0;
    ASSERT_EQ(SCardConnect(context, env.readerName(0).c_str(), SCARD_SHARE_EXCLUSIVE,
                           SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &handle, &protocol),
              SCARD_S_SUCCESS);

    const auto r = runCommand({CARDBRIDGED_EXE, "doctor", "--json", "--state-dir",
                               (env.dir() / "state").string(), "--port", std::to_string(freePort())});
    SCardDisconnect(handle, SCARD_LEAVE_CARD);
    SCardReleaseContext(context);

    auto report = nlohmann::json::parse(r.output, nullptr, false);
    ASSERT_FALSE(report.is_discarded()) << r.output;
    bool exclusive = false, middleware = false;
    for (const auto& f : report["findings"]) {
        const std::string en = f["en"], zh = f["zh"];
        if (f["code"] == "pcsc.exclusive") {
            exclusive = true;
            EXPECT_EQ(f["status"], "problem");
            EXPECT_NE(en.find(env.readerName(0)), std::string::npos) << en;
            EXPECT_NE(en.find("held exclusively"), std::string::npos) << en;
            EXPECT_NE(en.find("BJCAHelper"), std::string::npos) << en;
            EXPECT_NE(zh.find("可能与本程序争用读卡器"), std::string::npos) << zh;
        }
        if (f["code"] == "middleware" && en.find("BJCA") != std::string::npos) {
            middleware = true;
            EXPECT_EQ(f["status"], "info");
            EXPECT_NE(en.find("BJCAHelper"), std::string::npos) << en;
        }
        EXPECT_NE(f["code"], "pcsc.card") << "an exclusively held reader is not an unreadable card: " << en;
    }
    EXPECT_TRUE(exclusive) << r.output;
    EXPECT_TRUE(middleware) << r.output;
}

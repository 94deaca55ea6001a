// The state file: atomic owner-only writes, restart keeps counters, CLI provisioning and `show`.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cardbridge/common/error.hpp"
#include "cardbridge/vcard/piv_objects.hpp"
#include "cardbridge/vcard/provision.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"

using namespace vcardtest;

using cardbridge::test::TempDir;

TEST(VcardState, JsonRoundTrip) {
    CardState state = testState();
    state.objects[0x5FC105] = fromHex("53 03 70 01 00");
    state.keys[0x9E] = SlotKey{PivAlgorithm::EccP256, 1, 2, 1, "PEM"};
    state.pinTriesLeft = 1;
    CardState back = stateFromJson(stateToJson(state));
    EXPECT_EQ(back.serial, state.serial);
    EXPECT_EQ(back.guid, state.guid);
    EXPECT_EQ(back.pin, state.pin);
    EXPECT_EQ(back.pinTriesLeft, 1);
    EXPECT_EQ(back.objects, state.objects);
    EXPECT_EQ(back.keys.at(0x9E).pinPolicy, 1);
    EXPECT_EQ(back.keys.at(0x9E).pkcs8Pem, "PEM");
    nlohmann::json bad = stateToJson(state);
    bad["pinTriesLeft"] = 7;  // more than pinRetries
    EXPECT_THROW(stateFromJson(bad), InputError);
}

TEST(VcardState, RestartKeepsCountersAndFileIsOwnerOnly) {
    TempDir dir;
    std::string path = (dir.path() / "card.json").string();
    FileStateStore(path).save(testState());
    {
        FileStateStore store(path);
        CounterRandom random;
        PivApplet applet(store, random);
        applet.process(fromHex("00 A4 04 00 05 A0 00 00 03 08"));
        Bytes wrong = fromHex("00 20 00 80 08 39 39 39 39 39 39 FF FF");
        EXPECT_EQ(toHex(applet.process(wrong)), "63C2");
    }
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    FileStateStore store(path);
    CounterRandom random;
    PivApplet restarted(store, random);
    EXPECT_EQ(restarted.state().pinTriesLeft, 2);
    restarted.process(fromHex("00 A4 04 00 05 A0 00 00 03 08"));
    EXPECT_EQ(toHex(restarted.process(fromHex("00 20 00 80"))), "63C2");
    // No temp files left behind.
    int files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
    EXPECT_EQ(files, 1);
}

TEST(VcardState, RunningCardPicksUpCliChanges) {
    TempDir dir;
    std::string path = (dir.path() / "card.json").string();
    FileStateStore(path).save(testState());
    FileStateStore store(path);
    CounterRandom random;
    PivApplet applet(store, random);
    applet.process(fromHex("00 A4 04 00 05 A0 00 00 03 08"));
    EXPECT_EQ(toHex(applet.process(fromHex("00 20 00 80"))), "63C3");
    lockPin(path);  // e.g. the demo locks the PIN while the card is plugged in
    EXPECT_EQ(toHex(applet.process(fromHex("00 20 00 80"))), "6983");
}

TEST(VcardState, InitImportShowAndSet) {
    TempDir dir;
    std::string path = (dir.path() / "card.json").string();
    InitOptions init;
    init.serial = 424242;
    init.pin = "918273";
    init.puk = "55667788";
    initCard(path, init);
    EXPECT_THROW(initCard(path, init), InputError);  // exists, no --force
    init.force = true;
    initCard(path, init);

    EvpPkeyPtr key = makeP256();
    writeFile(dir.path().string() + "/cert.pem", selfSignedPem(key.get(), "Zhang San"));
    writeFile(dir.path().string() + "/key.pem", toPem(key.get()));
    EvpPkeyPtr other = makeP256();
    writeFile(dir.path().string() + "/other.pem", toPem(other.get()));

    ImportOptions import;
    import.slot = "9c";
    import.certPath = dir.path().string() + "/cert.pem";
    import.keyPath = dir.path().string() + "/other.pem";
    EXPECT_THROW(importIntoCard(path, import), InputError);  // key does not match
    import.keyPath = dir.path().string() + "/key.pem";
    import.compress = true;
    importIntoCard(path, import);
    import.slot = "9b";
    EXPECT_THROW(importIntoCard(path, import), InputError);

    nlohmann::json shown = showCard(path);
    EXPECT_EQ(shown["serial"], 424242);
    EXPECT_EQ(shown["pinTriesLeft"], 3);
    EXPECT_EQ(shown["slots"]["9c"]["certificate"], true);
    EXPECT_EQ(shown["slots"]["9c"]["compressed"], true);
    EXPECT_EQ(shown["slots"]["9c"]["keyAlgorithm"], "ECCP256");
    EXPECT_EQ(shown["slots"]["9a"]["certificate"], false);
    std::string text = shown.dump();
    EXPECT_EQ(text.find("918273"), std::string::npos);
    EXPECT_EQ(text.find(toHex(toBytes("918273"))), std::string::npos);
    EXPECT_EQ(text.find("55667788"), std::string::npos);

    CardState stored = FileStateStore(path).load();
    CertificateContent cert = parseCertificateObject(stored.objects.at(0x5FC10A));
    EXPECT_TRUE(cert.compressed);
    EXPECT_EQ(cert.der.front(), 0x30);

    SetOptions set;
    set.pinRetries = 5;
    set.pinTriesLeft = 1;
    set.pukTriesLeft = 0;
    setCard(path, set);
    shown = showCard(path);
    EXPECT_EQ(shown["pinRetries"], 5);
    EXPECT_EQ(shown["pinTriesLeft"], 1);
    EXPECT_EQ(shown["pukTriesLeft"], 0);
    SetOptions bad;
    bad.pin = "12";
    EXPECT_THROW(setCard(path, bad), InputError);
}

// The unlock state folder: atomic 0600 records, round trips, corrupt files moved aside, ids checked.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "cardbridge/daemon/unlock/unlock_store.hpp"
#include "temp_dir.hpp"

using namespace cardbridge::daemon::unlock;
namespace fs = std::filesystem;

namespace {

const std::string CARD = "0123456789ABCDEF0123456789ABCDEF";

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(UnlockStore, JournalRoundTripsAtomicallyWithOwnerOnlyMode) {
    cardbridge::test::TempDir dir;
    UnlockStore store(dir.path());
    EXPECT_FALSE(store.journal(CARD));
    JournalEntry e{CARD,
                   "20261127",
                   "5b0e9c1f6a2d4e8f9a7b3c2d1e0f4a5b",
                   4,
                   5,
                   JournalStep::Rotate,
                   "2026-12-01T00:00:00Z"};
    store.writeJournal(e);
    const fs::path file = store.dir() / ("journal-" + CARD + ".json");
    struct stat info {};
    ASSERT_EQ(::stat(file.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat(store.dir().c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0700u);
    EXPECT_FALSE(fs::exists(file.string() + ".tmp"));
    auto back = store.journal(CARD);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->requestId, e.requestId);
    EXPECT_EQ(back->epoch, 4u);
    EXPECT_EQ(back->nextEpoch, 5u);
    EXPECT_EQ(back->step, JournalStep::Rotate);
    EXPECT_EQ(store.journals().size(), 1u);
    // Nothing secret or personal: only ids, epochs, the step and a time.
    const std::string text = slurp(file);
    for (const char* key : {"puk", "pin", "code", "idNumber", "phone"}) {
        EXPECT_EQ(text.find(key), std::string::npos) << key;
    }
    store.removeJournal(CARD);
    EXPECT_FALSE(store.journal(CARD));
}

TEST(UnlockStore, PendingRequestsSurviveANewStoreOnTheSameFolder) {
    cardbridge::test::TempDir dir;
    {
        UnlockStore store(dir.path());
        store.writePending({CARD, "20261127", "5b0e9c1f6a2d4e8f9a7b3c2d1e0f4a5b", "AB12", "9a", "in_review",
                            "2026-12-01T00:00:00Z", "2026-12-01T00:10:00Z"});
    }
    UnlockStore again(dir.path());
    auto p = again.pending(CARD);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->step, "in_review");
    EXPECT_EQ(p->fingerprint, "AB12");
    EXPECT_EQ(again.pendings().size(), 1u);
}

TEST(UnlockStore, ACorruptRecordIsMovedAsideAndTreatedAsAbsent) {
    cardbridge::test::TempDir dir;
    UnlockStore store(dir.path());
    const fs::path file = store.dir() / ("journal-" + CARD + ".json");
    std::ofstream(file) << "{\"cardId\": truncated";
    EXPECT_FALSE(store.journal(CARD));
    EXPECT_FALSE(fs::exists(file));
    EXPECT_TRUE(fs::exists(file.string() + ".corrupt"));
    std::ofstream(file) << R"({"cardId":")" << CARD << R"(","requestId":"x","step":"teleport"})";
    EXPECT_FALSE(store.journal(CARD)) << "an unknown step is not a journal";
}

TEST(UnlockStore, AHandEditedStuckFlagNeverThrowsAndStaysStuck) {
    cardbridge::test::TempDir dir;
    UnlockStore store(dir.path());
    const fs::path file = store.dir() / ("journal-" + CARD + ".json");
    const std::string head = R"({"cardId":")" + CARD + R"(","requestId":"r1","step":"reset","stuck":)";
    // Anything but an explicit false keeps the card stuck: a damaged record never buys another PUK try.
    for (const char* value : {"\"no\"", "0", "null", "[]", "true"}) {
        std::ofstream(file, std::ios::trunc) << head << value << "}";
        std::optional<JournalEntry> back;
        ASSERT_NO_THROW(back = store.journal(CARD)) << value;
        ASSERT_TRUE(back) << value;
        EXPECT_TRUE(back->stuck) << value;
    }
    std::ofstream(file, std::ios::trunc) << head << "false}";
    ASSERT_TRUE(store.journal(CARD));
    EXPECT_FALSE(store.journal(CARD)->stuck);
    // A record that is valid JSON but not an object is no journal, and no exception either.
    std::ofstream(file, std::ios::trunc) << R"(["journal"])";
    EXPECT_NO_THROW(EXPECT_FALSE(store.journal(CARD)));
    const fs::path pending = store.dir() / ("pending-" + CARD + ".json");
    std::ofstream(pending, std::ios::trunc) << "42";
    EXPECT_NO_THROW(EXPECT_FALSE(store.pending(CARD)));
}

TEST(UnlockStore, OnlyHexCardIdsBecomeFileNames) {
    cardbridge::test::TempDir dir;
    UnlockStore store(dir.path());
    EXPECT_TRUE(isStoreCardId(CARD));
    EXPECT_FALSE(isStoreCardId("../../etc/passwd0123456789abcdef"));
    EXPECT_FALSE(isStoreCardId("0123"));
    EXPECT_THROW(store.journal("../x"), std::runtime_error);
    JournalEntry bad{"../../x", "s", "r", 0, 0, JournalStep::Credential, {}};
    EXPECT_THROW(store.writeJournal(bad), std::runtime_error);
}

TEST(UnlockStore, StepNamesRoundTrip) {
    for (JournalStep s :
         {JournalStep::Credential, JournalStep::Reset, JournalStep::Rotate, JournalStep::Complete}) {
        EXPECT_EQ(parseJournalStep(toString(s)), s);
    }
    EXPECT_FALSE(parseJournalStep("Reset"));
}

}  // namespace

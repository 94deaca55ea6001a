// The PUK rotation's invariants (docs/api.md §4.5 "PUK rotation"), against a model of a PIV card's PIN and
// PUK counters, with a fault at every command (before the card executes it, or after, the answer lost) and
// a crash after every journal write. After the repair: the card holds the next PUK, its counter is full, the
// PIN is the user's (or still blocked, never another), and no run spent more than one PUK try.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/daemon/core/errors.hpp"
#include "cardbridge/daemon/unlock/rotation.hpp"

using namespace cardbridge;
using namespace cardbridge::daemon;
using namespace cardbridge::daemon::unlock;
using card::PinResult;
using card::PinStatus;

namespace {

constexpr unsigned PUK_RETRIES = 3;
const std::string CURRENT = "11111111";
const std::string NEXT = "22222222";
const std::string OLD_PIN = "123456";
const std::string NEW_PIN = "258014";

/// How a command fails.
enum class Fault {
    None,
    Before,  ///< the card is pulled before the command reaches it
    After,   ///< the card executes the command, then the answer is lost (pulled mid-answer)
};

/// A PIV card's PIN and PUK, their counters, and a fault at command number `faultAt` (1-based).
class ModelCard final : public PukCard {
  public:
    std::string puk = CURRENT;
    unsigned pukTriesLeft = PUK_RETRIES;
    std::string pin = OLD_PIN;
    unsigned pinTriesLeft = 0;  // blocked: why the user is here
    unsigned commands = 0;
    unsigned wrongPukTries = 0;  // over the card's life
    unsigned faultAt = 0;
    Fault fault = Fault::None;

    PinResult unblockPin(const Secret& p, const Secret& newPin) override {
        return command([&] {
            const PinResult r = checkPuk(p);
            if (r.ok()) {
                pin = std::string(newPin.view());
                pinTriesLeft = 3;
            }
            return r;
        });
    }

    PinResult changePuk(const Secret& oldPuk, const Secret& newPuk) override {
        return command([&] {
            const PinResult r = checkPuk(oldPuk);
            if (r.ok()) puk = std::string(newPuk.view());
            return r;
        });
    }

  private:
    template <typename Op>
    PinResult command(Op op) {
        ++commands;
        const bool faulty = faultAt != 0 && commands == faultAt;
        if (faulty && fault == Fault::Before)
            throw card::CardRetryableError(card::CardErrorCode::CardRemoved, "pulled");
        const PinResult r = op();
        if (faulty && fault == Fault::After)
            throw card::CardRetryableError(card::CardErrorCode::CardRemoved, "pulled");
        return r;
    }

    PinResult checkPuk(const Secret& p) {
        if (pukTriesLeft == 0) return {PinStatus::PukBlocked, 0u};
        if (p.view() != puk) {
            --pukTriesLeft;
            ++wrongPukTries;
            return pukTriesLeft == 0 ? PinResult{PinStatus::PukBlocked, 0u}
                                     : PinResult{PinStatus::WrongPuk, pukTriesLeft};
        }
        pukTriesLeft = PUK_RETRIES;
        return {PinStatus::Success, std::nullopt};
    }
};

Credential credential(bool pendingRotation) {
    Credential c;
    c.currentPuk = Secret(CURRENT);
    c.nextPuk = Secret(NEXT);
    c.epoch = 4;
    c.nextEpoch = 5;
    c.pendingRotation = pendingRotation;
    return c;
}

JournalEntry freshEntry() {
    return {"0123456789ABCDEF0123456789ABCDEF",
            "20261127",
            "5b0e9c1f6a2d4e8f9a7b3c2d1e0f4a5b",
            4,
            5,
            JournalStep::Credential,
            {}};
}

/// The journal on "disk": what was written last, and every step in order.
struct Disk {
    std::optional<JournalEntry> journal;
    std::vector<JournalStep> steps;
    std::optional<JournalStep> crashAfter;  ///< throw right after writing this step (the daemon killed)
    JournalWriter writer() {
        return [this](const JournalEntry& e) {
            journal = e;
            steps.push_back(e.step);
            if (crashAfter && *crashAfter == e.step) {
                crashAfter.reset();
                throw std::runtime_error("killed");
            }
        };
    }
};

/// One call of the rotation as UnlockService makes it: from the journal on disk and a fresh credential.
RotationOutcome runOnce(ModelCard& card, Disk& disk, const Secret* pin) {
    const bool released = disk.journal.has_value();
    const Credential c = credential(released);  // the authority released the PUKs before: pending
    JournalEntry entry = disk.journal ? *disk.journal : freshEntry();
    if (!disk.journal) disk.writer()(entry);
    return rotateOnCard(card, entry, pukHolder(disk.journal, c), c, pin, disk.writer());
}

void expectRepaired(const ModelCard& card, const Disk& disk, const std::string& label) {
    EXPECT_EQ(card.puk, NEXT) << label;
    EXPECT_EQ(card.pukTriesLeft, PUK_RETRIES) << label << ": the PUK counter is refilled";
    ASSERT_TRUE(disk.journal) << label;
    EXPECT_EQ(disk.journal->step, JournalStep::Complete) << label;
    EXPECT_TRUE(card.pin == NEW_PIN || (card.pin == OLD_PIN && card.pinTriesLeft == 0))
        << label << ": the PIN is the user's or still blocked, never another";
}

TEST(Rotation, FreshRunResetsThePinAndRotatesInTwoCommands) {
    ModelCard card;
    Disk disk;
    const Secret pin(NEW_PIN);
    const RotationOutcome outcome = runOnce(card, disk, &pin);
    EXPECT_TRUE(outcome.pinReset);
    EXPECT_EQ(outcome.wrongPukTries, 0u);
    EXPECT_EQ(card.commands, 2u) << "the protocol's minimum: RESET RETRY COUNTER + CHANGE REFERENCE DATA";
    EXPECT_EQ(card.pin, NEW_PIN);
    EXPECT_EQ(card.pinTriesLeft, 3u);
    EXPECT_EQ(disk.steps, (std::vector<JournalStep>{JournalStep::Credential, JournalStep::Reset,
                                                    JournalStep::Rotate, JournalStep::Complete}));
    expectRepaired(card, disk, "fresh");
}

TEST(Rotation, PukHolderFollowsTheJournalAndTheAuthority) {
    const Credential fresh = credential(false);
    const Credential pending = credential(true);
    JournalEntry e = freshEntry();
    EXPECT_EQ(pukHolder(std::nullopt, fresh), PukHolder::Current);
    EXPECT_EQ(pukHolder(std::nullopt, pending), PukHolder::Unknown) << "journal lost, rotation pending";
    e.step = JournalStep::Reset;
    EXPECT_EQ(pukHolder(e, pending), PukHolder::Current) << "RESET RETRY COUNTER never changes the PUK";
    e.step = JournalStep::Rotate;
    EXPECT_EQ(pukHolder(e, pending), PukHolder::Unknown);
    e.step = JournalStep::Complete;
    EXPECT_EQ(pukHolder(e, pending), PukHolder::Next);
}

// A fault at each command (before or after the card executed it); then the user calls again (same flow).
TEST(Rotation, EveryCardFaultIsRepairedByTheNextCallAtACostOfAtMostOneTry) {
    unsigned points = 0;
    for (Fault fault : {Fault::Before, Fault::After}) {
        for (unsigned at = 1; at <= 2; ++at) {
            const std::string label =
                std::string(fault == Fault::Before ? "before" : "after") + " command " + std::to_string(at);
            ModelCard card;
            Disk disk;
            const Secret pin(NEW_PIN);
            card.faultAt = at;
            card.fault = fault;
            EXPECT_THROW(runOnce(card, disk, &pin), card::CardError) << label;
            card.faultAt = 0;
            const unsigned wrongBefore = card.wrongPukTries;
            const RotationOutcome retry = runOnce(card, disk, &pin);
            EXPECT_LE(card.wrongPukTries - wrongBefore, 1u) << label;
            EXPECT_EQ(retry.wrongPukTries, card.wrongPukTries - wrongBefore) << label;
            EXPECT_EQ(card.pin, NEW_PIN) << label << ": the user's PIN is set";
            expectRepaired(card, disk, label);
            ++points;
        }
    }
    EXPECT_EQ(points, 4u);
}

// The daemon killed right after each journal write; the next run comes from the user (with a PIN) or from
// the card's insertion (without one: only a rotation already past the PIN is finished).
TEST(Rotation, AKillAfterEveryJournalStepIsRepaired) {
    for (JournalStep crash :
         {JournalStep::Credential, JournalStep::Reset, JournalStep::Rotate, JournalStep::Complete}) {
        for (bool userReturns : {true, false}) {
            const std::string label = "killed after " + std::string(toString(crash)) +
                                      (userReturns ? ", user retries" : ", repair");
            ModelCard card;
            Disk disk;
            const Secret pin(NEW_PIN);
            disk.crashAfter = crash;
            if (crash == JournalStep::Complete) {
                EXPECT_THROW(runOnce(card, disk, &pin), std::runtime_error) << label;
                EXPECT_EQ(card.puk, NEXT) << label << ": the card was rotated before `complete`";
                continue;  // only the authority's `complete` is left (the service's job)
            }
            EXPECT_THROW(runOnce(card, disk, &pin), std::runtime_error) << label;
            const unsigned wrongBefore = card.wrongPukTries;
            if (!userReturns && disk.journal->step < JournalStep::Rotate) {
                // Without the user the PIN cannot be set: the service leaves such a journal alone.
                EXPECT_EQ(card.puk, CURRENT) << label;
                continue;
            }
            runOnce(card, disk, userReturns ? &pin : nullptr);
            EXPECT_LE(card.wrongPukTries - wrongBefore, 1u) << label;
            expectRepaired(card, disk, label);
        }
    }
}

TEST(Rotation, AJournalLostWhileTheCardHoldsTheNextPukCostsOneTryAndRefillsIt) {
    ModelCard card;
    card.puk = NEXT;  // an earlier run rotated; its journal is gone
    Disk disk;
    const Secret pin(NEW_PIN);
    const Credential c = credential(true);
    JournalEntry entry = freshEntry();
    const RotationOutcome outcome =
        rotateOnCard(card, entry, pukHolder(std::nullopt, c), c, &pin, disk.writer());
    EXPECT_EQ(outcome.wrongPukTries, 1u);
    EXPECT_EQ(card.pin, NEW_PIN);
    expectRepaired(card, disk, "journal lost");
}

TEST(Rotation, ACardHoldingNeitherPukIsNeverTriedAThirdTime) {
    ModelCard card;
    card.puk = "33333333";
    Disk disk;
    const Secret pin(NEW_PIN);
    const Credential c = credential(true);
    JournalEntry entry = freshEntry();
    try {
        rotateOnCard(card, entry, PukHolder::Unknown, c, &pin, disk.writer());
        FAIL() << "expected a refusal";
    } catch (const PinRefusedError& e) {
        EXPECT_EQ(e.result().status, PinStatus::WrongPuk);
        EXPECT_EQ(classify(std::make_exception_ptr(e)).reason, Reason::PukIncorrect);
    }
    EXPECT_EQ(card.wrongPukTries, 2u);
    EXPECT_EQ(card.pukTriesLeft, 1u) << "one try is left for the support desk";
    EXPECT_EQ(card.pin, OLD_PIN);
}

TEST(Rotation, AKnownCurrentPukThatTheCardRefusesIsNotFollowedByTheNextOne) {
    ModelCard card;
    card.puk = "33333333";
    Disk disk;
    const Secret pin(NEW_PIN);
    EXPECT_THROW(runOnce(card, disk, &pin), PinRefusedError);
    EXPECT_EQ(card.wrongPukTries, 1u);
}

TEST(Rotation, ABlockedPukIsReportedWithoutFurtherTries) {
    ModelCard card;
    card.pukTriesLeft = 0;
    Disk disk;
    const Secret pin(NEW_PIN);
    try {
        runOnce(card, disk, &pin);
        FAIL() << "expected a refusal";
    } catch (const PinRefusedError& e) {
        EXPECT_EQ(classify(std::make_exception_ptr(e)).reason, Reason::PukBlocked);
    }
    EXPECT_EQ(card.commands, 1u);
}

TEST(Rotation, AnEarlierRunThatSetThePinIsNotRepeatedWithANewOne) {
    // Killed after the PIN was set (journal at Rotate); the user calls again with another PIN.
    ModelCard card;
    Disk disk;
    const Secret first(NEW_PIN);
    disk.crashAfter = JournalStep::Rotate;
    EXPECT_THROW(runOnce(card, disk, &first), std::runtime_error);
    const Secret second("864209");
    const RotationOutcome outcome = runOnce(card, disk, &second);
    EXPECT_FALSE(outcome.pinReset);
    EXPECT_EQ(card.pin, NEW_PIN);
    expectRepaired(card, disk, "second PIN");
}

}  // namespace

// The PIV card application with YubiKey extensions: raw C-APDU in, raw R-APDU out, no I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/clock.hpp"
#include "cardbridge/vcard/card_state.hpp"

namespace cardbridge::vcard {

/// The YubiKey 5 ATR (T=1 only; OpenSC sees a YUBIKEY4-type card, ykpiv a YK5).
Bytes yubikey5Atr();

/// A PIV applet. Persistent state comes from and goes back to the StateStore after every change (before
/// the answer is returned, like a card's EEPROM write); volatile state is cleared by powerCycle().
/// Never throws from process(): every failure becomes a status word.
class PivApplet {
  public:
    /// Loads the state from `store`. `random` (challenges, GUIDs; injected so tests can be deterministic)
    /// must outlive the applet. Throws what StateStore::load throws.
    PivApplet(StateStore& store, Random& random);

    /// Handles one C-APDU (as bytes off the wire) and returns data ‖ SW1 SW2.
    Bytes process(ByteView command) noexcept;

    /// Power off / power on / warm reset: forgets the PIN, management key authentication, selection,
    /// pending response data and command chain.
    void powerCycle() noexcept;

    /// T=0 behaviour: data is announced with 61xx and fetched with GET RESPONSE; oversize Le gives 6Cxx.
    void setT0(bool on) noexcept { t0_ = on; }
    [[nodiscard]] bool t0() const noexcept { return t0_; }

    /// Current persistent state (for tests and `show`).
    [[nodiscard]] const CardState& state() const noexcept { return state_; }
    [[nodiscard]] bool pinVerified() const noexcept { return pinVerified_; }
    [[nodiscard]] bool mgmtAuthenticated() const noexcept { return mgmtAuthenticated_; }

  private:
    struct Reply {
        Bytes data;
        std::uint16_t sw = 0x9000;
    };
    struct Command {
        std::uint8_t cla, ins, p1, p2;
        Bytes data;
        std::optional<std::size_t> le;
    };

    Bytes dispatchRaw(ByteView raw);
    Bytes getResponse(std::uint8_t p1, std::uint8_t p2, std::size_t le);
    Bytes finish(Reply reply, std::size_t le);
    Reply dispatch(const Command& c);
    void save();

    Reply select(const Command& c);
    Reply getData(const Command& c);
    Reply putData(const Command& c);
    Reply verify(const Command& c);
    Reply changeReference(const Command& c);
    Reply resetRetryCounter(const Command& c);
    Reply generalAuthenticate(const Command& c);
    Reply mgmtAuthenticate(const Command& c, ByteView template7c);
    Reply keyOperation(const Command& c, ByteView template7c);
    Reply generateKeyPair(const Command& c);
    Reply importKey(const Command& c);
    Reply getMetadata(const Command& c);
    Reply setPinRetries(const Command& c);
    Reply resetCard(const Command& c);
    Reply setMgmtKey(const Command& c);

    std::optional<Bytes> findObject(std::uint32_t tag) const;
    std::uint8_t effectivePinPolicy(std::uint8_t slot) const;

    StateStore& store_;
    Random& random_;
    CardState state_;
    bool t0_ = false;

    // Volatile (cleared by powerCycle).
    bool selected_ = false;
    bool pinVerified_ = false;
    bool pinAlwaysArmed_ = false;  // one "PIN always" (9C) operation allowed after a VERIFY
    bool mgmtAuthenticated_ = false;
    std::optional<Bytes> mgmtWitness_;
    Bytes pending_;  // response data waiting for GET RESPONSE
    bool chaining_ = false;
    std::uint8_t chainIns_ = 0, chainP1_ = 0, chainP2_ = 0;
    Bytes chain_;
};

}  // namespace cardbridge::vcard

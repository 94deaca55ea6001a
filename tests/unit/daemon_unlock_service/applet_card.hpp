// The card seam over an in-process virtual PIV card: a card::Transport that hands each APDU to a vcard
// PivApplet, a reader that holds one such card at a time, and the connector CardService asks for. The real
// card layer (PivCard, its exclusive transaction) runs on top; the test reads and edits the card's PIN, PUK
// and counters, and can make the card lose the answer of one command (executed, then pulled).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/card/transport.hpp"
#include "cardbridge/common/bytes.hpp"
#include "cardbridge/vcard/card_state.hpp"
#include "cardbridge/vcard/piv_applet.hpp"

namespace cardbridge::test {

/// A card's state for these tests: serial, GUID, the certificate `certDer` in slot 9a, PIN blocked when
/// `pinBlocked` (tries left 0), PUK the factory default, counters 3/3.
vcard::CardState pivCardState(std::uint32_t serial, const Bytes& guid, const Bytes& certDer,
                              bool pinBlocked = true);

/// One virtual PIV card: a PivApplet over an in-memory state that the test may read and replace. Thread-safe:
/// the applet runs on the reader's worker thread, the test looks at it from its own.
class VirtualCard {
  public:
    /// A card holding `state`.
    explicit VirtualCard(vcard::CardState state);
    VirtualCard(const VirtualCard&) = delete;
    VirtualCard& operator=(const VirtualCard&) = delete;

    /// Runs one command on the applet and returns data ‖ SW. Throws the CardError set by loseAnswerOf() after
    /// the applet executed the command.
    Bytes exchange(ByteView command);
    /// Power cycle (reset): the applet forgets PIN verification and selection.
    void powerCycle();

    /// The state as the card would store it now.
    [[nodiscard]] vcard::CardState state() const;
    /// Changes the stored state; the applet adopts it before its next command.
    void edit(const std::function<void(vcard::CardState&)>& change);
    /// The PIN / PUK as text.
    [[nodiscard]] std::string pin() const;
    [[nodiscard]] std::string puk() const;
    /// cards.list's cardId of this card: its GUID, upper-case hex.
    [[nodiscard]] std::string cardId() const;

    /// The next command with instruction `ins` (and P2 `p2` when given) is executed, then its answer is lost:
    /// the transport throws `error` instead (a card pulled while answering).
    void loseAnswerOf(std::uint8_t ins, std::optional<std::uint8_t> p2,
                      card::CardErrorCode error = card::CardErrorCode::CardRemoved);
    /// The fewest PUK tries left the card had after any command so far.
    [[nodiscard]] int lowestPukTriesLeft() const;
    /// Commands with the PUK (RESET RETRY COUNTER, CHANGE REFERENCE DATA of the PUK) refused as wrong (63Cx).
    [[nodiscard]] int wrongPukAnswers() const;
    /// RESET RETRY COUNTER commands the card executed successfully.
    [[nodiscard]] int pinResets() const;

  private:
    class Store final : public vcard::StateStore {
      public:
        explicit Store(vcard::CardState state) : state_(std::move(state)) {}
        vcard::CardState load() override { return state_; }
        void save(const vcard::CardState& state) override { state_ = state; }
        std::optional<vcard::CardState> reloadIfChanged() noexcept override;
        vcard::CardState state_;
        bool replaced_ = false;
    };
    class CountingRandom final : public Random {
      public:
        Bytes bytes(std::size_t count) override;

      private:
        std::uint8_t counter_ = 0;
    };

    mutable std::mutex mutex_;
    Store store_;
    CountingRandom random_;
    vcard::PivApplet applet_;
    struct LostAnswer {
        std::uint8_t ins;
        std::optional<std::uint8_t> p2;
        card::CardErrorCode error;
    };
    std::optional<LostAnswer> lose_;
    int lowestPukTriesLeft_;
    int wrongPukAnswers_ = 0;
    int pinResets_ = 0;
};

/// A reader that holds at most one VirtualCard. Thread-safe.
class VirtualReader {
  public:
    explicit VirtualReader(std::string name) : name_(std::move(name)) {}
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    /// Puts `card` into the reader (replacing any other).
    void insert(std::shared_ptr<VirtualCard> card);
    /// Takes the card out.
    void remove();
    /// The card in the reader, or null.
    [[nodiscard]] std::shared_ptr<VirtualCard> card() const;

  private:
    std::string name_;
    mutable std::mutex mutex_;
    std::shared_ptr<VirtualCard> card_;
};

/// A card::Transport to the card that was in the reader when it connected; once another card is inserted or
/// the card is taken out, every exchange throws CardRemoved, as PC/SC does.
class AppletTransport final : public card::Transport {
  public:
    AppletTransport(const VirtualReader& reader, std::shared_ptr<VirtualCard> card);
    Bytes exchange(ByteView command) override;
    void beginTransaction() override;
    void endTransaction() override {}
    void reconnect() override;
    [[nodiscard]] std::string readerName() const override { return reader_.name(); }
    [[nodiscard]] Bytes atr() const override { return vcard::yubikey5Atr(); }

  private:
    void checkPresent() const;
    const VirtualReader& reader_;
    std::shared_ptr<VirtualCard> card_;
};

/// The CardConnector of one VirtualReader: connects to the card in it (CardAbsent without one,
/// ReaderUnavailable for any other reader name).
class AppletConnector final : public card::CardConnector {
  public:
    explicit AppletConnector(const VirtualReader& reader) : reader_(reader) {}
    std::shared_ptr<card::Transport> connect(const std::string& reader) override;
    void resetContext() noexcept override {}

  private:
    const VirtualReader& reader_;
};

}  // namespace cardbridge::test

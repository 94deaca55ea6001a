#include "applet_card.hpp"

#include <algorithm>

#include "cardbridge/vcard/piv_objects.hpp"

namespace cardbridge::test {

vcard::CardState pivCardState(std::uint32_t serial, const Bytes& guid, const Bytes& certDer,
                              bool pinBlocked) {
    vcard::CardState state = vcard::freshCardState(serial, guid);
    state.objects[*vcard::certTagForSlot(0x9a)] = vcard::certificateObject(certDer, false);
    if (pinBlocked) state.pinTriesLeft = 0;
    return state;
}

// ----- VirtualCard --------------------------------------------------------------------------------------

std::optional<vcard::CardState> VirtualCard::Store::reloadIfChanged() noexcept {
    if (!replaced_) return std::nullopt;
    replaced_ = false;
    return state_;
}

Bytes VirtualCard::CountingRandom::bytes(std::size_t count) {
    Bytes out(count);
    for (auto& b : out) b = ++counter_;
    return out;
}

VirtualCard::VirtualCard(vcard::CardState state)
    : store_(std::move(state)), applet_(store_, random_), lowestPukTriesLeft_(store_.state_.pukTriesLeft) {}

Bytes VirtualCard::exchange(ByteView command) {
    std::lock_guard lock(mutex_);
    Bytes answer = applet_.process(command);
    const vcard::CardState& s = store_.state_;
    lowestPukTriesLeft_ = std::min(lowestPukTriesLeft_, s.pukTriesLeft);
    if (command.size() >= 4 && answer.size() >= 2) {
        const std::uint8_t ins = command[1];
        const std::uint8_t p2 = command[3];
        const std::uint8_t sw1 = answer[answer.size() - 2];
        const std::uint8_t sw2 = answer[answer.size() - 1];
        const bool withPuk = ins == 0x2C || (ins == 0x24 && p2 == 0x81);
        if (withPuk && sw1 == 0x63 && (sw2 & 0xF0) == 0xC0) ++wrongPukAnswers_;
        if (ins == 0x2C && sw1 == 0x90 && sw2 == 0x00) ++pinResets_;
        if (lose_ && lose_->ins == ins && (!lose_->p2 || *lose_->p2 == p2)) {
            const card::CardErrorCode error = lose_->error;
            lose_.reset();
            card::throwCardError(error, "test: the card's answer was lost");
        }
    }
    return answer;
}

void VirtualCard::powerCycle() {
    std::lock_guard lock(mutex_);
    applet_.powerCycle();
}

vcard::CardState VirtualCard::state() const {
    std::lock_guard lock(mutex_);
    return store_.state_;
}

void VirtualCard::edit(const std::function<void(vcard::CardState&)>& change) {
    std::lock_guard lock(mutex_);
    change(store_.state_);
    store_.replaced_ = true;
    lowestPukTriesLeft_ = std::min(lowestPukTriesLeft_, store_.state_.pukTriesLeft);
}

std::string VirtualCard::pin() const {
    const Bytes b = state().pin;
    return {b.begin(), b.end()};
}

std::string VirtualCard::puk() const {
    const Bytes b = state().puk;
    return {b.begin(), b.end()};
}

std::string VirtualCard::cardId() const {
    return toHex(state().guid);
}

void VirtualCard::loseAnswerOf(std::uint8_t ins, std::optional<std::uint8_t> p2, card::CardErrorCode error) {
    std::lock_guard lock(mutex_);
    lose_ = LostAnswer{ins, p2, error};
}

int VirtualCard::lowestPukTriesLeft() const {
    std::lock_guard lock(mutex_);
    return lowestPukTriesLeft_;
}

int VirtualCard::wrongPukAnswers() const {
    std::lock_guard lock(mutex_);
    return wrongPukAnswers_;
}

int VirtualCard::pinResets() const {
    std::lock_guard lock(mutex_);
    return pinResets_;
}

// ----- VirtualReader ------------------------------------------------------------------------------------

void VirtualReader::insert(std::shared_ptr<VirtualCard> card) {
    card->powerCycle();
    std::lock_guard lock(mutex_);
    card_ = std::move(card);
}

void VirtualReader::remove() {
    std::lock_guard lock(mutex_);
    card_.reset();
}

std::shared_ptr<VirtualCard> VirtualReader::card() const {
    std::lock_guard lock(mutex_);
    return card_;
}

// ----- AppletTransport ----------------------------------------------------------------------------------

AppletTransport::AppletTransport(const VirtualReader& reader, std::shared_ptr<VirtualCard> card)
    : reader_(reader), card_(std::move(card)) {}

void AppletTransport::checkPresent() const {
    if (reader_.card() != card_) {
        card::throwCardError(card::CardErrorCode::CardRemoved, "test: the card was taken out");
    }
}

Bytes AppletTransport::exchange(ByteView command) {
    checkPresent();
    return card_->exchange(command);
}

void AppletTransport::beginTransaction() {
    checkPresent();
}

void AppletTransport::reconnect() {
    checkPresent();
}

std::shared_ptr<card::Transport> AppletConnector::connect(const std::string& reader) {
    if (reader != reader_.name()) {
        card::throwCardError(card::CardErrorCode::ReaderUnavailable, "test: no reader '" + reader + "'");
    }
    auto inserted = reader_.card();
    if (!inserted) card::throwCardError(card::CardErrorCode::CardAbsent, "test: no card in '" + reader + "'");
    return std::make_shared<AppletTransport>(reader_, std::move(inserted));
}

}  // namespace cardbridge::test

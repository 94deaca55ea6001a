#include "cardbridge/card/piv_card.hpp"

#include <spdlog/spdlog.h>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/card/pin_policy.hpp"

namespace cardbridge::card {

PivCard::PivCard(CardConnector& connector, std::string reader)
    : connector_(connector), reader_(std::move(reader)) {}

template <typename Operation>
auto PivCard::run(bool idempotent, Operation&& operation) {
    for (int attempt = 1;; ++attempt) {
        const bool lastAttempt = attempt >= 2;
        bool operationStarted = false;
        try {
            if (!transport_) transport_ = connector_.connect(reader_);
            TransactionGuard transaction(*transport_);
            PivApplication piv(*transport_);
            piv.select();  // once per transaction: the selection may be lost between transactions
            operationStarted = true;
            return operation(piv, *transport_);
        } catch (const CardError& e) {
            switch (e.code()) {
                case CardErrorCode::CardReset:
                    // pcscd reports a reset before it sends the command, so the interrupted command
                    // never reached the card and even a PIN operation may be repeated.
                    if (lastAttempt || !transport_) throw;
                    spdlog::debug("card in '{}' was reset; reconnecting", reader_);
                    try {
                        transport_->reconnect();
                    } catch (const CardError&) {
                        transport_.reset();  // connect afresh on the retry
                    }
                    continue;
                case CardErrorCode::ServiceUnavailable:
                    transport_.reset();
                    connector_.resetContext();
                    // A PIN command may have reached the card before pcscd went away: do not repeat it.
                    // Failing in connect, BEGIN TRANSACTION or SELECT, it never went out.
                    if (lastAttempt || (!idempotent && operationStarted)) throw;
                    continue;
                case CardErrorCode::CardRemoved:
                case CardErrorCode::CardAbsent:
                case CardErrorCode::ReaderUnavailable:
                case CardErrorCode::CardUnresponsive:
                    transport_.reset();
                    throw;
                default:
                    throw;
            }
        }
    }
}

CardInfo PivCard::readInfo() {
    return run(true, [](PivApplication& piv, Transport& transport) {
        CardInfo info;
        info.reader = transport.readerName();
        info.atrHex = toHex(transport.atr());
        info.version = piv.readVersion();
        // Only YubiKeys answer GET SERIAL, and every YubiKey answers GET VERSION: skip it otherwise.
        if (info.version) info.serial = piv.readSerial();
        if (auto guid = piv.readGuid()) info.guidHex = toHex(*guid);
        info.certificates = piv.readCertificates();
        info.pin = piv.pinRetries();
        return info;
    });
}

std::vector<PivCertificate> PivCard::readCertificates() {
    return run(true, [](PivApplication& piv, Transport&) { return piv.readCertificates(); });
}

PinRetries PivCard::pinRetries() {
    return run(true, [](PivApplication& piv, Transport&) { return piv.pinRetries(); });
}

PinResult PivCard::verifyPin(const Secret& pin) {
    return run(false, [&](PivApplication& piv, Transport&) { return piv.verifyPin(pin); });
}

PinResult PivCard::changePin(const Secret& oldPin, const Secret& newPin) {
    enforcePinPolicy(newPin);
    return run(false, [&](PivApplication& piv, Transport&) { return piv.changePin(oldPin, newPin); });
}

PinResult PivCard::unblockPin(const Secret& puk, const Secret& newPin) {
    enforcePinPolicy(newPin);
    return run(false, [&](PivApplication& piv, Transport&) { return piv.unblockPin(puk, newPin); });
}

PinResult PivCard::changePuk(const Secret& oldPuk, const Secret& newPuk) {
    return run(false, [&](PivApplication& piv, Transport&) { return piv.changePuk(oldPuk, newPuk); });
}

void PivCard::exclusive(const std::function<void(PivApplication&)>& work) {
    run(false, [&](PivApplication& piv, Transport&) { work(piv); });
}

void PivCard::disconnect() noexcept {
    transport_.reset();
}

}  // namespace cardbridge::card

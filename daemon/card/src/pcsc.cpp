#include "cardbridge/card/pcsc.hpp"
#include "cardbridge/card/errors.hpp"
#include "cardbridge/common/secret.hpp"
#include "pcsc_context.hpp"
#include "pcsc_error.hpp"
#include "pcsc_platform.hpp"

namespace cardbridge::card {

using detail::checkPcsc;
using detail::throwPcscError;

// ---- context ------------------------------------------------------------------------------------

PcscContext::PcscContext() : impl_(std::make_unique<Impl>()) {
    checkPcsc(SCardEstablishContext(SCARD_SCOPE_USER, nullptr, nullptr, &impl_->handle),
              "SCardEstablishContext");
}

PcscContext::~PcscContext() {
    // Fails harmlessly when pcscd is already gone.
    SCardReleaseContext(impl_->handle);
}

std::vector<std::string> PcscContext::listReaders() const {
    // SCARD_AUTOALLOCATE avoids the size-then-fetch race against a reader being added in between.
    detail::PcscChar* buffer = nullptr;
    DWORD size = SCARD_AUTOALLOCATE;
    LONG rv = detail::pcscListReaders(impl_->handle, &buffer, &size);
    if (rv == SCARD_E_NO_READERS_AVAILABLE) return {};
    checkPcsc(rv, "SCardListReaders");
    std::vector<std::string> readers;
    try {
        readers = detail::splitMultiString(buffer, size);
    } catch (...) {
        SCardFreeMemory(impl_->handle, buffer);
        throw;
    }
    SCardFreeMemory(impl_->handle, buffer);
    return readers;
}

void PcscContext::cancel() noexcept {
    SCardCancel(impl_->handle);
}

// ---- transport ----------------------------------------------------------------------------------

struct PcscTransport::Impl {
    std::shared_ptr<PcscContext> context;
    std::string reader;
    SCARDHANDLE card = 0;
    DWORD protocol = 0;
    Bytes atr;

    void readAtr() {
        BYTE atrBuffer[detail::PCSC_ATR_BUFFER];
        DWORD atrLength = sizeof atrBuffer;
        DWORD state = 0;
        DWORD activeProtocol = 0;
        checkPcsc(detail::pcscStatus(card, &state, &activeProtocol, atrBuffer, &atrLength), "SCardStatus");
        atr.assign(atrBuffer, atrBuffer + atrLength);
    }
};

PcscTransport::PcscTransport(std::shared_ptr<PcscContext> context, std::string reader)
    : impl_(std::make_unique<Impl>()) {
    impl_->context = std::move(context);
    impl_->reader = std::move(reader);
    checkPcsc(detail::pcscConnect(impl_->context->impl().handle, detail::toPcscString(impl_->reader).c_str(),
                                  SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &impl_->card,
                                  &impl_->protocol),
              "SCardConnect");
    try {
        impl_->readAtr();
    } catch (...) {
        SCardDisconnect(impl_->card, SCARD_LEAVE_CARD);
        throw;
    }
}

PcscTransport::~PcscTransport() {
    // LEAVE_CARD: a reset would log every other process out of the card.
    SCardDisconnect(impl_->card, SCARD_LEAVE_CARD);
}

Bytes PcscTransport::exchange(ByteView command) {
    const SCARD_IO_REQUEST* pci = impl_->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    Bytes sendBuffer;
    ByteView toSend = command;
    // T=0 (ISO 7816-3 §12.2.4): a case-4 command goes without Le; the card answers 61xx, which
    // Transport::transmit follows.
    if (impl_->protocol == SCARD_PROTOCOL_T0 && command.size() > 5 &&
        command.size() == std::size_t{5} + command[4] + 1) {
        sendBuffer.assign(command.begin(), command.end() - 1);
        toSend = sendBuffer;
    }
    Bytes response(detail::PCSC_RESPONSE_BUFFER);
    DWORD responseLength = static_cast<DWORD>(response.size());
    LONG rv = SCardTransmit(impl_->card, pci, toSend.data(), static_cast<DWORD>(toSend.size()), nullptr,
                            response.data(), &responseLength);
    wipe(sendBuffer);
    if (rv != SCARD_S_SUCCESS) throwPcscError(rv, "SCardTransmit");
    // Checked with vpcd: a card pulled mid-command gives success with no bytes at all. That is the card
    // going away, not a hostile answer, so the caller should reconnect rather than distrust the card.
    if (responseLength < 2) {
        throwCardError(CardErrorCode::CardUnresponsive,
                       "SCardTransmit: no status word (card mute or pulled)");
    }
    response.resize(responseLength);
    return response;
}

void PcscTransport::beginTransaction() {
    checkPcsc(SCardBeginTransaction(impl_->card), "SCardBeginTransaction");
}

void PcscTransport::endTransaction() {
    checkPcsc(SCardEndTransaction(impl_->card, SCARD_LEAVE_CARD), "SCardEndTransaction");
}

void PcscTransport::reconnect() {
    checkPcsc(SCardReconnect(impl_->card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                             SCARD_LEAVE_CARD, &impl_->protocol),
              "SCardReconnect");
    impl_->readAtr();
}

std::string PcscTransport::readerName() const {
    return impl_->reader;
}

Bytes PcscTransport::atr() const {
    return impl_->atr;
}

bool PcscTransport::isT0() const noexcept {
    return impl_->protocol == SCARD_PROTOCOL_T0;
}

// ---- connector ----------------------------------------------------------------------------------

std::shared_ptr<PcscContext> PcscConnector::context() {
    if (!context_) context_ = std::make_shared<PcscContext>();
    return context_;
}

std::shared_ptr<Transport> PcscConnector::connect(const std::string& reader) {
    try {
        return std::make_shared<PcscTransport>(context(), reader);
    } catch (const CardError& e) {
        if (e.code() == CardErrorCode::ServiceUnavailable) resetContext();
        throw;
    }
}

void PcscConnector::resetContext() noexcept {
    context_.reset();
}

std::vector<std::string> PcscConnector::listReaders() {
    try {
        return context()->listReaders();
    } catch (const CardError& e) {
        if (e.code() == CardErrorCode::ServiceUnavailable) resetContext();
        throw;
    }
}

}  // namespace cardbridge::card

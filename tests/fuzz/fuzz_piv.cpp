// APDU responses and PIV objects (daemon/card): a hostile card. The input is the card's side of the
// conversation — a list of responses, each a 2-byte big-endian length and that many bytes (data ‖ SW) —
// answered in order to whatever the daemon's card layer sends: SELECT, GET DATA of the CHUID (GUID), Key
// History, the certificate containers (gzip CertInfo), the YubiKey serial and version, the PIN status and
// PIN/PUK commands, with 61xx chaining and 6Cxx resends. Certificates read go into the certificate model as
// the daemon does. When the responses run out the card is "removed".
#include <cstdlib>
#include <memory>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/card/piv_card.hpp"
#include "cardbridge/common/certificate.hpp"
#include "cardbridge/common/secret.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace cardbridge;
using namespace cardbridge::card;

class FuzzTransport final : public Transport {
  public:
    explicit FuzzTransport(ByteView script) : script_(script) {}

    Bytes exchange(ByteView command) override {
        if (command.size() < 4) std::abort();  // the card layer never sends less than a header
        if (script_.size() < 2) throwCardError(CardErrorCode::CardRemoved, "script exhausted");
        std::size_t length = (std::size_t{script_[0]} << 8) | script_[1];
        script_ = script_.subspan(2);
        if (length > script_.size()) length = script_.size();
        Bytes response(script_.begin(), script_.begin() + static_cast<std::ptrdiff_t>(length));
        script_ = script_.subspan(length);
        return response;
    }
    void beginTransaction() override { ++open_; }
    void endTransaction() override {
        if (open_ == 0) std::abort();  // ended a transaction that was never begun
        --open_;
    }
    void reconnect() override {}
    [[nodiscard]] std::string readerName() const override { return "Fuzz Reader 00 00"; }
    [[nodiscard]] Bytes atr() const override { return {0x3B, 0x80, 0x80, 0x01, 0x01}; }
    [[nodiscard]] int openTransactions() const noexcept { return open_; }

  private:
    ByteView script_;
    int open_ = 0;
};

class FuzzConnector final : public CardConnector {
  public:
    explicit FuzzConnector(std::shared_ptr<FuzzTransport> transport) : transport_(std::move(transport)) {}
    std::shared_ptr<Transport> connect(const std::string&) override { return transport_; }
    void resetContext() noexcept override {}

  private:
    std::shared_ptr<FuzzTransport> transport_;
};

template <typename Call>
void cardCall(Call&& call) {
    try {
        call();
    } catch (const cardbridge::Error& e) {
        // Every failure of the card layer carries a card error code (the daemon maps it to a reason).
        if (dynamic_cast<const CardError*>(&e) == nullptr) {
            std::abort();
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto transport = std::make_shared<FuzzTransport>(fuzz::bytes(data, size));
    FuzzConnector connector(transport);
    PivCard card(connector, "Fuzz Reader 00 00");

    cardCall([&] {
        const CardInfo info = card.readInfo();
        if (info.guidHex && info.guidHex->size() != 32) std::abort();
        for (const PivCertificate& certificate : info.certificates) {
            if (certificate.der.size() > MAX_CERTIFICATE_SIZE) std::abort();
            fuzz::expectTyped([&] { (void)Certificate::fromDer(certificate.der); });
        }
    });
    cardCall([&] { (void)card.pinRetries(); });
    cardCall([&] {
        const PinResult result = card.verifyPin(Secret(std::string_view("123456")));
        // WrongPin reports the tries left when the card says them (63Cx, x > 0); a plain 6300 says none.
        if (result.status == PinStatus::WrongPin && result.retriesLeft && *result.retriesLeft == 0)
            std::abort();
        if (result.status == PinStatus::PinBlocked && result.retriesLeft != 0u) std::abort();
    });
    cardCall([&] {
        (void)card.unblockPin(Secret(std::string_view("12345678")), Secret(std::string_view("258014")));
    });
    cardCall([&] {
        (void)card.changePuk(Secret(std::string_view("12345678")), Secret(std::string_view("87654321")));
    });
    if (transport->openTransactions() != 0) std::abort();  // every transaction ended, whatever the card said
    return 0;
}

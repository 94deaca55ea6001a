#include "cardbridge/card/transport.hpp"

#include <string>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::card {
namespace {

ResponseApdu exchangeApdu(Transport& transport, const CommandApdu& command) {
    Bytes encoded = command.encode();
    Bytes raw;
    try {
        raw = transport.exchange(encoded);
    } catch (...) {
        wipe(encoded);
        throw;
    }
    // The command may carry a PIN or PUK: never leave it behind in freed memory.
    wipe(encoded);
    if (raw.size() < 2) {
        throwCardError(CardErrorCode::ProtocolError,
                       "card answered " + std::to_string(raw.size()) + " bytes, no status word");
    }
    return ResponseApdu::parse(raw);
}

// One command with at most one 6Cxx resend (ISO 7816-3: wrong Le, the card tells the right one).
ResponseApdu exchangeWithLeCorrection(Transport& transport, const CommandApdu& command) {
    ResponseApdu response = exchangeApdu(transport, command);
    if (response.sw1 != 0x6C) return response;
    CommandApdu again = command;
    again.le = response.sw2 == 0 ? 256 : response.sw2;
    try {
        response = exchangeApdu(transport, again);
    } catch (...) {
        wipe(again.data);
        throw;
    }
    wipe(again.data);
    if (response.sw1 == 0x6C) throwCardError(CardErrorCode::ProtocolError, "card answered 6Cxx twice");
    return response;
}

}  // namespace

ResponseApdu Transport::transmit(const CommandApdu& command) {
    ResponseApdu response = exchangeWithLeCorrection(*this, command);
    Bytes data = std::move(response.data);
    std::size_t rounds = 0;
    while (response.sw1 == 0x61) {
        // A hostile or broken card may announce more data forever: bound both rounds and size.
        if (++rounds > MAX_GET_RESPONSE_ROUNDS)
            throwCardError(CardErrorCode::ProtocolError, "card keeps answering 61xx");
        CommandApdu getResponse{0x00, 0xC0, 0x00, 0x00, {}, response.sw2 == 0 ? 256 : response.sw2};
        response = exchangeWithLeCorrection(*this, getResponse);
        if (data.size() + response.data.size() > MAX_RESPONSE_SIZE)
            throwCardError(CardErrorCode::ProtocolError, "card response exceeds the size bound");
        append(data, response.data);
    }
    response.data = std::move(data);
    return response;
}

TransactionGuard::TransactionGuard(Transport& transport) : transport_(transport) {
    transport_.beginTransaction();
}

TransactionGuard::~TransactionGuard() {
    try {
        transport_.endTransaction();
    } catch (...) {  // NOLINT(bugprone-empty-catch): a reset or removed card has no transaction to end
    }
}

}  // namespace cardbridge::card

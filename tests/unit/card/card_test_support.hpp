// APDU scripts as data for the card tests: command builders and chained-response steps.
#pragma once

#include <string>
#include <vector>

#include "cardbridge/card/errors.hpp"
#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/secret.hpp"
#include "cardbridge/common/tlv.hpp"
#include "fakes/scripted_transport.hpp"

namespace cardbridge::card::test {

inline const std::string SELECT = "00A404000BA00000030800001000010000";
inline const std::string SELECT_OK = "61114F0600001000010079074F05A0000003089000";
inline const std::string PIN_STATUS = "00200080";
inline const std::string GET_VERSION = "00FD000000";
inline const std::string GET_SERIAL = "00F8000000";

/// GET DATA for a 3-byte object tag, e.g. "5FC105".
inline std::string getData(const std::string& tagHex) {
    return "00CB3FFF055C03" + tagHex + "00";
}

/// A syntactically valid DER SEQUENCE of `total` bytes (>= 4 + 128), contents filled with `fill`.
inline Bytes fakeDer(std::size_t total, std::uint8_t fill = 0xAB) {
    Bytes body(total - 4, fill);
    Bytes der{0x30, 0x82, static_cast<std::uint8_t>(body.size() >> 8),
              static_cast<std::uint8_t>(body.size() & 0xFF)};
    append(der, body);
    return der;
}

/// 53 { 70 cert, 71 certInfo, FE 00 }.
inline Bytes certObject(const Bytes& certificate, std::uint8_t certInfo = 0x00) {
    Bytes inner = makeTlv(0x70, certificate);
    append(inner, makeTlv(0x71, Bytes{certInfo}));
    append(inner, Bytes{0xFE, 0x00});
    return makeTlv(0x53, inner);
}

/// Steps answering `command` with `payload` ‖ 9000 in 256-byte pieces via 61xx / GET RESPONSE.
inline std::vector<ScriptStep> chained(const std::string& command, const Bytes& payload) {
    std::vector<ScriptStep> steps;
    std::string current = command;
    std::size_t offset = 0;
    while (true) {
        const std::size_t remaining = payload.size() - offset;
        const std::size_t take = remaining > 256 ? 256 : remaining;
        std::string response = toHex(ByteView(payload).subspan(offset, take));
        offset += take;
        const std::size_t left = payload.size() - offset;
        if (left == 0) {
            steps.push_back(step(current, response + "9000"));
            return steps;
        }
        const std::string sw2 = toHex(Bytes{static_cast<std::uint8_t>(left >= 256 ? 0 : left)});
        steps.push_back(step(current, response + "61" + sw2));
        current = "00C00000" + sw2;
    }
}

/// Appends `more` to `steps`.
inline void add(std::vector<ScriptStep>& steps, const std::vector<ScriptStep>& more) {
    steps.insert(steps.end(), more.begin(), more.end());
}

/// The CardErrorCode of the CardError `call` throws; fails the test if it throws something else or nothing.
template <typename Call>
CardErrorCode errorCodeOf(Call&& call) {
    try {
        call();
    } catch (const CardError& e) {
        return e.code();
    }
    throw std::logic_error("expected a CardError");
}

}  // namespace cardbridge::card::test

namespace cardbridge::card::test {

/// Hex of a PIN/PUK block: ASCII FF-padded to 8 bytes.
inline std::string pinBlock(std::string_view value) {
    Bytes block = toBytes(value);
    block.resize(8, 0xFF);
    return toHex(block);
}
inline std::string verifyCmd(std::string_view pin) {
    return "0020008008" + pinBlock(pin);
}
inline std::string changePinCmd(std::string_view oldPin, std::string_view newPin) {
    return "0024008010" + pinBlock(oldPin) + pinBlock(newPin);
}
inline std::string unblockCmd(std::string_view puk, std::string_view newPin) {
    return "002C008010" + pinBlock(puk) + pinBlock(newPin);
}
inline std::string changePukCmd(std::string_view oldPuk, std::string_view newPuk) {
    return "0024008110" + pinBlock(oldPuk) + pinBlock(newPuk);
}
inline Secret secret(std::string_view text) {
    return Secret(text);
}

}  // namespace cardbridge::card::test

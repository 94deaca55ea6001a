#include "cardbridge/common/apdu.hpp"

#include "cardbridge/common/error.hpp"

namespace cardbridge {

Bytes CommandApdu::encode() const {
    if (data.size() > 255) throw InputError("APDU data longer than 255 bytes needs chaining");
    Bytes out{cla, ins, p1, p2};
    if (!data.empty()) {
        out.push_back(static_cast<std::uint8_t>(data.size()));
        append(out, data);
    }
    if (le) {
        if (*le == 0 || *le > 256) throw InputError("APDU Le out of range");
        out.push_back(static_cast<std::uint8_t>(*le == 256 ? 0 : *le));
    }
    return out;
}

CommandApdu CommandApdu::parse(ByteView raw) {
    if (raw.size() < 4) throw InputError("APDU shorter than its header");
    CommandApdu apdu;
    apdu.cla = raw[0];
    apdu.ins = raw[1];
    apdu.p1 = raw[2];
    apdu.p2 = raw[3];
    ByteView body = raw.subspan(4);
    if (body.empty()) return apdu;  // case 1
    if (body.size() == 1) {         // case 2
        apdu.le = body[0] == 0 ? 256 : body[0];
        return apdu;
    }
    std::size_t lc = body[0];
    if (lc == 0) throw InputError("extended-length APDUs are not supported");
    if (body.size() == 1 + lc) {  // case 3
        apdu.data.assign(body.begin() + 1, body.end());
        return apdu;
    }
    if (body.size() == 2 + lc) {  // case 4
        apdu.data.assign(body.begin() + 1, body.end() - 1);
        apdu.le = body.back() == 0 ? 256 : body.back();
        return apdu;
    }
    throw InputError("APDU length does not match Lc");
}

Bytes ResponseApdu::encode() const {
    Bytes out = data;
    out.push_back(sw1);
    out.push_back(sw2);
    return out;
}

ResponseApdu ResponseApdu::parse(ByteView raw) {
    if (raw.size() < 2) throw InputError("response APDU shorter than a status word");
    ResponseApdu r;
    r.data.assign(raw.begin(), raw.end() - 2);
    r.sw1 = raw[raw.size() - 2];
    r.sw2 = raw[raw.size() - 1];
    return r;
}

}  // namespace cardbridge

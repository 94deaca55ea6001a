#include "cardbridge/common/tlv.hpp"

#include "cardbridge/common/error.hpp"

namespace cardbridge {

bool TlvReader::next(Tlv& out) {
    if (pos_ >= data_.size()) return false;
    out = parseTlv(data_.subspan(pos_));
    pos_ += out.encodedSize;
    return true;
}

Tlv parseTlv(ByteView data) {
    std::size_t pos = 0;
    auto need = [&](std::size_t n) {
        if (data.size() - pos < n) throw InputError("TLV truncated");
    };
    need(1);
    std::uint32_t tag = data[pos++];
    if ((tag & 0x1F) == 0x1F) {  // subsequent tag bytes follow while b8 is set
        std::size_t tagBytes = 1;
        std::uint8_t b = 0;
        do {
            need(1);
            if (++tagBytes > 4) throw InputError("TLV tag too long");
            b = data[pos++];
            tag = (tag << 8) | b;
        } while ((b & 0x80) != 0);
    }
    need(1);
    std::size_t length = data[pos++];
    if (length == 0x80 || length > 0x84) throw InputError("TLV length form not supported");
    if (length > 0x80) {
        std::size_t count = length & 0x7F;
        need(count);
        length = 0;
        for (std::size_t i = 0; i < count; ++i) length = (length << 8) | data[pos++];
    }
    need(length);
    Tlv out;
    out.tag = tag;
    out.value = data.subspan(pos, length);
    out.encodedSize = pos + length;
    return out;
}

std::optional<ByteView> findTlv(ByteView data, std::uint32_t tag) {
    TlvReader reader(data);
    Tlv tlv;
    while (reader.next(tlv)) {
        if (tlv.tag == tag) return tlv.value;
    }
    return std::nullopt;
}

Bytes encodeLength(std::size_t length) {
    if (length < 0x80) return {static_cast<std::uint8_t>(length)};
    if (length <= 0xFF) return {0x81, static_cast<std::uint8_t>(length)};
    if (length <= 0xFFFF)
        return {0x82, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length & 0xFF)};
    throw InputError("TLV value too long");
}

void appendTlv(Bytes& out, std::uint32_t tag, ByteView value) {
    bool started = false;
    for (int shift = 24; shift >= 0; shift -= 8) {
        auto b = static_cast<std::uint8_t>((tag >> shift) & 0xFF);
        if (b != 0 || started || shift == 0) {
            out.push_back(b);
            started = true;
        }
    }
    append(out, encodeLength(value.size()));
    append(out, value);
}

Bytes makeTlv(std::uint32_t tag, ByteView value) {
    Bytes out;
    out.reserve(value.size() + 8);
    appendTlv(out, tag, value);
    return out;
}

}  // namespace cardbridge

#include "cardbridge/vcard/piv_objects.hpp"

#include <string>

#include "cardbridge/common/error.hpp"
#include "cardbridge/common/gzip.hpp"
#include "cardbridge/common/tlv.hpp"

namespace cardbridge::vcard {

Bytes pivAid() {
    return {0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00};
}

bool isKeySlot(std::uint8_t slot) noexcept {
    return slot == 0x9A || slot == 0x9C || slot == 0x9D || slot == 0x9E || (slot >= 0x82 && slot <= 0x95);
}

std::optional<std::uint32_t> certTagForSlot(std::uint8_t slot) noexcept {
    switch (slot) {
        case 0x9A:
            return 0x5FC105;
        case 0x9C:
            return 0x5FC10A;
        case 0x9D:
            return 0x5FC10B;
        case 0x9E:
            return 0x5FC101;
        default:
            break;
    }
    if (slot >= 0x82 && slot <= 0x95) return 0x5FC10Du + (slot - 0x82u);
    return std::nullopt;
}

std::uint8_t parseSlot(std::string_view text) {
    if (text.size() == 2) {
        try {
            Bytes b = fromHex(text);
            if (b.size() == 1 && isKeySlot(b[0])) return b[0];
        } catch (const InputError&) {
        }
    }
    throw InputError("unknown slot '" + std::string(text) + "' (use 9a, 9c, 9d, 9e or 82..95)");
}

bool objectNeedsPin(std::uint32_t tag) noexcept {
    // Fingerprints, facial image, printed information, iris.
    return tag == 0x5FC103 || tag == 0x5FC108 || tag == 0x5FC109 || tag == 0x5FC121;
}

bool isWritableObjectTag(std::uint32_t tag) noexcept {
    return tag == TAG_DISCOVERY || (tag >= 0x5FC101 && tag <= 0x5FC123) ||
           (tag >= 0x5FFF00 && tag <= 0x5FFF15);
}

Bytes selectResponse() {
    return fromHex("61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08");
}

Bytes discoveryObject() {
    return fromHex("7E 12 4F 0B A0 00 00 03 08 00 00 10 00 01 00 5F 2F 02 40 00");
}

Bytes chuidObject(ByteView guid) {
    Bytes v = fromHex("30 19 D4 E7 39 DA 73 9C ED 39 CE 73 9D 83 68 58 21 08 42 10 84 21 C8 42 10 C3 EB");
    appendTlv(v, 0x34, guid);
    append(v, fromHex("35 08 32 30 33 30 30 31 30 31 3E 00 FE 00"));
    return makeTlv(0x53, v);
}

Bytes cccObject(ByteView guid) {
    Bytes f0 = fromHex("A0 00 00 01 16 FF 02");
    for (std::size_t i = 0; i < 14; ++i) f0.push_back(i < guid.size() ? guid[i] : 0);
    Bytes v = makeTlv(0xF0, f0);
    append(v, fromHex("F1 01 21 F2 01 21 F3 00 F4 01 00 F5 01 10 F6 00 F7 00 FA 00 FB 00 FC 00 FD 00 FE 00"));
    return makeTlv(0x53, v);
}

Bytes keyHistoryObject(std::uint8_t retiredWithCerts) {
    return {0x53, 0x08, 0xC1, 0x01, retiredWithCerts, 0xC2, 0x01, 0x00, 0xFE, 0x00};
}

Bytes certificateObject(ByteView der, bool compress) {
    Bytes inner;
    if (compress) {
        appendTlv(inner, 0x70, gzipCompress(der));
        append(inner, Bytes{0x71, 0x01, 0x01});
    } else {
        appendTlv(inner, 0x70, der);
        append(inner, Bytes{0x71, 0x01, 0x00});
    }
    append(inner, Bytes{0xFE, 0x00});
    return makeTlv(0x53, inner);
}

CertificateContent parseCertificateObject(ByteView object) {
    Tlv outer = parseTlv(object);
    if (outer.tag != 0x53) throw InputError("certificate object does not start with 53");
    auto cert = findTlv(outer.value, 0x70);
    if (!cert) throw InputError("certificate object has no 70");
    auto info = findTlv(outer.value, 0x71);
    CertificateContent out;
    out.compressed = info && !info->empty() && ((*info)[0] & 0x81) != 0;
    out.der = out.compressed ? gzipDecompress(*cert) : Bytes(cert->begin(), cert->end());
    return out;
}

}  // namespace cardbridge::vcard

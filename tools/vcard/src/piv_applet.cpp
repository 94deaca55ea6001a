#include "cardbridge/vcard/piv_applet.hpp"

#include <algorithm>

#include "cardbridge/common/apdu.hpp"
#include "cardbridge/common/digest.hpp"
#include "cardbridge/common/error.hpp"
#include "cardbridge/common/secret.hpp"
#include "cardbridge/common/tlv.hpp"
#include "cardbridge/vcard/piv_keys.hpp"
#include "cardbridge/vcard/piv_objects.hpp"

namespace cardbridge::vcard {

namespace {

constexpr std::uint16_t SW_OK = 0x9000;
constexpr std::uint16_t SW_WRONG_LENGTH = 0x6700;
constexpr std::uint16_t SW_SECURITY = 0x6982;
constexpr std::uint16_t SW_BLOCKED = 0x6983;
constexpr std::uint16_t SW_CONDITIONS = 0x6985;
constexpr std::uint16_t SW_WRONG_DATA = 0x6A80;
constexpr std::uint16_t SW_NOT_FOUND = 0x6A82;
constexpr std::uint16_t SW_NO_SPACE = 0x6A84;
constexpr std::uint16_t SW_WRONG_P1P2 = 0x6A86;
constexpr std::uint16_t SW_REF_NOT_FOUND = 0x6A88;
constexpr std::uint16_t SW_WRONG_P1P2_B = 0x6B00;
constexpr std::uint16_t SW_UNKNOWN_INS = 0x6D00;
constexpr std::uint16_t SW_BAD_CLA = 0x6E00;
constexpr std::uint16_t SW_UNKNOWN = 0x6F00;

constexpr std::size_t MAX_CHAIN = 16 * 1024;  // far above any PIV object, small enough to bound memory
constexpr std::size_t MAX_OBJECT = 3072;      // what yubico-piv-tool can read back in one object

Bytes sw(std::uint16_t value) {
    return {static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value & 0xFF)};
}

std::uint16_t triesSw(int left) {
    return static_cast<std::uint16_t>(0x63C0 | (left & 0x0F));
}

Bytes padded(ByteView secret) {
    Bytes out(secret.begin(), secret.end());
    out.resize(8, 0xFF);
    return out;
}

// 8 bytes, FF-padded, 6-8 significant bytes and nothing but FF after the first FF.
std::optional<Bytes> unpadReference(ByteView block) {
    if (block.size() != 8) return std::nullopt;
    auto firstPad = std::find(block.begin(), block.end(), 0xFF);
    if (!std::all_of(firstPad, block.end(), [](std::uint8_t b) { return b == 0xFF; })) return std::nullopt;
    auto length = static_cast<std::size_t>(firstPad - block.begin());
    if (length < 6) return std::nullopt;
    return Bytes(block.begin(), firstPad);
}

std::uint32_t tagValue(ByteView tagBytes) {
    std::uint32_t tag = 0;
    for (std::uint8_t b : tagBytes) tag = (tag << 8) | b;
    return tag;
}

Bytes wrap7c(std::uint32_t tag, ByteView value) {
    return makeTlv(0x7C, makeTlv(tag, value));
}

}  // namespace

Bytes yubikey5Atr() {
    return fromHex("3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 40");
}

PivApplet::PivApplet(StateStore& store, Random& random)
    : store_(store), random_(random), state_(store_.load()) {}

void PivApplet::powerCycle() noexcept {
    selected_ = false;
    pinVerified_ = false;
    pinAlwaysArmed_ = false;
    mgmtAuthenticated_ = false;
    mgmtWitness_.reset();
    wipe(pending_);
    chaining_ = false;
    wipe(chain_);
}

void PivApplet::save() {
    store_.save(state_);
}

Bytes PivApplet::process(ByteView command) noexcept {
    try {
        // Someone (the CLI) rewrote the state file while we run: adopt it like a re-personalised card.
        if (auto fresh = store_.reloadIfChanged()) state_ = std::move(*fresh);
        return dispatchRaw(command);
    } catch (...) {
        wipe(pending_);
        chaining_ = false;
        wipe(chain_);
        return sw(SW_UNKNOWN);
    }
}

Bytes PivApplet::dispatchRaw(ByteView raw) {
    CommandApdu apdu;
    try {
        apdu = CommandApdu::parse(raw);
    } catch (const InputError&) {
        wipe(pending_);
        return sw(SW_WRONG_LENGTH);
    }
    if (apdu.cla != 0x00 && apdu.cla != 0x10) {
        wipe(pending_);
        return sw(SW_BAD_CLA);
    }
    if (apdu.ins == 0xC0 && apdu.cla == 0x00) return getResponse(apdu.p1, apdu.p2, apdu.le.value_or(256));
    // Any other command abandons unread response data (OpenSC's Le=08 probe relies on this).
    wipe(pending_);
    std::size_t le = apdu.le.value_or(256);  // ykpiv 2.2.0 sends case 3 and still expects data

    if (apdu.cla == 0x10) {
        if (!chaining_ || chainIns_ != apdu.ins || chainP1_ != apdu.p1 || chainP2_ != apdu.p2) {
            wipe(chain_);
            chaining_ = true;
            chainIns_ = apdu.ins;
            chainP1_ = apdu.p1;
            chainP2_ = apdu.p2;
        }
        if (chain_.size() + apdu.data.size() > MAX_CHAIN) {
            chaining_ = false;
            wipe(chain_);
            wipe(apdu.data);
            return sw(SW_NO_SPACE);
        }
        append(chain_, apdu.data);
        wipe(apdu.data);
        return sw(SW_OK);
    }

    Command c{apdu.cla, apdu.ins, apdu.p1, apdu.p2, {}, apdu.le};
    if (chaining_ && chainIns_ == apdu.ins && chainP1_ == apdu.p1 && chainP2_ == apdu.p2) {
        c.data = chain_;
        append(c.data, apdu.data);
    } else {
        c.data = apdu.data;
    }
    chaining_ = false;
    wipe(chain_);
    wipe(apdu.data);
    Reply reply;
    try {
        reply = dispatch(c);
    } catch (const InputError&) {
        reply = {{}, SW_WRONG_DATA};  // malformed TLVs and the like
    }
    wipe(c.data);  // it may have held a PIN, PUK or private key
    return finish(std::move(reply), le);
}

Bytes PivApplet::finish(Reply reply, std::size_t le) {
    if (reply.data.empty() || reply.sw != SW_OK) return sw(reply.sw);
    pending_ = std::move(reply.data);
    if (t0_) return {0x61, static_cast<std::uint8_t>(std::min<std::size_t>(pending_.size(), 256) & 0xFF)};
    return getResponse(0, 0, le);
}

Bytes PivApplet::getResponse(std::uint8_t p1, std::uint8_t p2, std::size_t le) {
    if (p1 != 0 || p2 != 0) {
        wipe(pending_);
        return sw(SW_WRONG_P1P2);
    }
    if (pending_.empty()) return sw(SW_CONDITIONS);
    // Under T=0 the card must be told the exact count, as a real T=0 card does with 6Cxx.
    if (t0_ && le > pending_.size()) return {0x6C, static_cast<std::uint8_t>(pending_.size())};
    std::size_t n = std::min({le, std::size_t{256}, pending_.size()});
    Bytes out(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    if (pending_.empty()) {
        append(out, sw(SW_OK));
    } else {
        out.push_back(0x61);
        out.push_back(static_cast<std::uint8_t>(pending_.size() >= 256 ? 0 : pending_.size()));
    }
    return out;
}

PivApplet::Reply PivApplet::dispatch(const Command& c) {
    if (c.ins == 0xA4) return select(c);
    if (!selected_) return {{}, SW_UNKNOWN_INS};  // no application selected answers nothing but SELECT
    switch (c.ins) {
        case 0xCB:
            return getData(c);
        case 0xDB:
            return putData(c);
        case 0x20:
            return verify(c);
        case 0x24:
            return changeReference(c);
        case 0x2C:
            return resetRetryCounter(c);
        case 0x87:
            return generalAuthenticate(c);
        case 0x47:
            return generateKeyPair(c);
        case 0xFE:
            return importKey(c);
        case 0xF7:
            return getMetadata(c);
        case 0xFA:
            return setPinRetries(c);
        case 0xFB:
            return resetCard(c);
        case 0xFF:
            return setMgmtKey(c);
        case 0xFD:
            return {{0x05, 0x04, 0x03}, SW_OK};
        case 0xF8:
            return {{static_cast<std::uint8_t>(state_.serial >> 24),
                     static_cast<std::uint8_t>(state_.serial >> 16),
                     static_cast<std::uint8_t>(state_.serial >> 8), static_cast<std::uint8_t>(state_.serial)},
                    SW_OK};
        default:
            return {{}, SW_UNKNOWN_INS};
    }
}

PivApplet::Reply PivApplet::select(const Command& c) {
    Bytes aid = pivAid();
    bool matches = c.p1 == 0x04 && c.data.size() >= 5 && c.data.size() <= aid.size() &&
                   std::equal(c.data.begin(), c.data.end(), aid.begin());
    if (!matches) return {{}, SW_NOT_FOUND};  // unknown AIDs leave the current selection alone
    selected_ = true;
    if (c.p2 == 0x0C) return {{}, SW_OK};
    return {selectResponse(), SW_OK};
}

std::optional<Bytes> PivApplet::findObject(std::uint32_t tag) const {
    if (auto it = state_.objects.find(tag); it != state_.objects.end()) return it->second;
    switch (tag) {
        case TAG_DISCOVERY:
            return discoveryObject();
        case TAG_CHUID:
            return chuidObject(state_.guid);
        case TAG_CCC:
            return cccObject(state_.guid);
        case TAG_KEY_HISTORY: {
            // OpenSC reads that many retired certificates starting at 82, so count the unbroken run.
            std::uint8_t count = 0;
            while (count < 20 && state_.objects.count(0x5FC10Du + count) != 0) ++count;
            return keyHistoryObject(count);
        }
        default:
            return std::nullopt;
    }
}

PivApplet::Reply PivApplet::getData(const Command& c) {
    if (c.p1 != 0x3F || c.p2 != 0xFF) return {{}, SW_WRONG_P1P2};
    Tlv list = parseTlv(c.data);
    if (list.tag != 0x5C || list.encodedSize != c.data.size() || list.value.empty() || list.value.size() > 3)
        return {{}, SW_WRONG_DATA};
    std::uint32_t tag = tagValue(list.value);
    if (objectNeedsPin(tag) && !pinVerified_) return {{}, SW_SECURITY};
    auto object = findObject(tag);
    if (!object) return {{}, SW_NOT_FOUND};
    return {std::move(*object), SW_OK};
}

PivApplet::Reply PivApplet::putData(const Command& c) {
    if (c.p1 != 0x3F || c.p2 != 0xFF) return {{}, SW_WRONG_P1P2};
    if (!mgmtAuthenticated_) return {{}, SW_SECURITY};
    Tlv list = parseTlv(c.data);
    if (list.tag != 0x5C || list.value.empty() || list.value.size() > 3) return {{}, SW_WRONG_DATA};
    std::uint32_t tag = tagValue(list.value);
    if (!isWritableObjectTag(tag)) return {{}, SW_WRONG_DATA};
    ByteView rest = ByteView(c.data).subspan(list.encodedSize);
    Tlv object = parseTlv(rest);
    if (object.tag != (tag == TAG_DISCOVERY ? TAG_DISCOVERY : 0x53u)) return {{}, SW_WRONG_DATA};
    if (object.value.empty()) {
        state_.objects.erase(tag);
    } else {
        if (object.encodedSize > MAX_OBJECT) return {{}, SW_NO_SPACE};
        state_.objects[tag] =
            Bytes(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(object.encodedSize));
    }
    save();
    return {};
}

PivApplet::Reply PivApplet::verify(const Command& c) {
    if (c.p2 != 0x80) return {{}, SW_REF_NOT_FOUND};
    if (c.p1 == 0xFF) {
        pinVerified_ = false;
        pinAlwaysArmed_ = false;
        return {};
    }
    if (c.p1 != 0x00) return {{}, SW_WRONG_P1P2};
    if (c.data.empty()) {  // status query, no try consumed
        if (state_.pinTriesLeft == 0) return {{}, SW_BLOCKED};
        if (pinVerified_) return {};
        return {{}, triesSw(state_.pinTriesLeft)};
    }
    if (c.data.size() != 8) return {{}, SW_WRONG_DATA};
    if (state_.pinTriesLeft == 0) return {{}, SW_BLOCKED};
    Bytes expected = padded(state_.pin);
    bool ok = constantTimeEquals(c.data, expected);
    wipe(expected);
    if (!ok) {
        pinVerified_ = false;
        pinAlwaysArmed_ = false;
        --state_.pinTriesLeft;
        save();
        return {{}, triesSw(state_.pinTriesLeft)};
    }
    pinVerified_ = true;
    pinAlwaysArmed_ = true;
    if (state_.pinTriesLeft != state_.pinRetries) {
        state_.pinTriesLeft = state_.pinRetries;
        save();
    }
    return {};
}

PivApplet::Reply PivApplet::changeReference(const Command& c) {
    if (c.p1 != 0x00) return {{}, SW_WRONG_P1P2};
    if (c.p2 != 0x80 && c.p2 != 0x81) return {{}, SW_REF_NOT_FOUND};
    if (c.data.size() != 16) return {{}, SW_WRONG_DATA};
    bool isPin = c.p2 == 0x80;
    Bytes& value = isPin ? state_.pin : state_.puk;
    int& left = isPin ? state_.pinTriesLeft : state_.pukTriesLeft;
    int max = isPin ? state_.pinRetries : state_.pukRetries;
    if (left == 0) return {{}, SW_BLOCKED};
    // Checking the new value first means a typo in it never costs a try.
    auto fresh = unpadReference(ByteView(c.data).subspan(8, 8));
    if (!fresh) return {{}, SW_WRONG_DATA};
    Bytes expected = padded(value);
    bool ok = constantTimeEquals(ByteView(c.data).first(8), expected);
    wipe(expected);
    if (!ok) {
        wipe(*fresh);
        if (isPin) {
            pinVerified_ = false;
            pinAlwaysArmed_ = false;
        }
        --left;
        save();
        return {{}, triesSw(left)};
    }
    wipe(value);
    value = std::move(*fresh);
    left = max;
    save();
    return {};
}

PivApplet::Reply PivApplet::resetRetryCounter(const Command& c) {
    if (c.p1 != 0x00) return {{}, SW_WRONG_P1P2};
    if (c.p2 != 0x80) return {{}, SW_REF_NOT_FOUND};
    if (c.data.size() != 16) return {{}, SW_WRONG_DATA};
    if (state_.pukTriesLeft == 0) return {{}, SW_BLOCKED};
    auto fresh = unpadReference(ByteView(c.data).subspan(8, 8));
    if (!fresh) return {{}, SW_WRONG_DATA};
    Bytes expected = padded(state_.puk);
    bool ok = constantTimeEquals(ByteView(c.data).first(8), expected);
    wipe(expected);
    if (!ok) {
        wipe(*fresh);
        --state_.pukTriesLeft;
        save();
        return {{}, triesSw(state_.pukTriesLeft)};
    }
    wipe(state_.pin);
    state_.pin = std::move(*fresh);
    state_.pinTriesLeft = state_.pinRetries;
    state_.pukTriesLeft = state_.pukRetries;
    pinVerified_ = false;
    pinAlwaysArmed_ = false;
    save();
    return {};
}

PivApplet::Reply PivApplet::generalAuthenticate(const Command& c) {
    Tlv outer = parseTlv(c.data);
    if (outer.tag != 0x7C || outer.encodedSize != c.data.size()) return {{}, SW_WRONG_DATA};
    if (c.p2 == 0x9B) return mgmtAuthenticate(c, outer.value);
    if (isKeySlot(c.p2)) return keyOperation(c, outer.value);
    return {{}, SW_WRONG_P1P2};
}

PivApplet::Reply PivApplet::mgmtAuthenticate(const Command& c, ByteView template7c) {
    std::optional<ByteView> witness, challenge, response;
    TlvReader reader(template7c);
    Tlv item;
    while (reader.next(item)) {
        if (item.tag == 0x80)
            witness = item.value;
        else if (item.tag == 0x81)
            challenge = item.value;
        else if (item.tag == 0x82)
            response = item.value;
        else
            return {{}, SW_WRONG_DATA};
    }
    // OpenSC's "get challenge": 7C 02 81 00 asks for random bytes, any algorithm byte.
    if (!witness && challenge && challenge->empty() && !response)
        return {wrap7c(0x81, random_.bytes(8)), SW_OK};
    if (c.p1 != static_cast<std::uint8_t>(PivAlgorithm::TripleDes)) return {{}, SW_WRONG_DATA};
    if (witness && witness->empty() && !challenge) {
        // Step 1 (ykpiv): the card picks W and sends it encrypted; the host proves the key by decrypting.
        mgmtAuthenticated_ = false;
        mgmtWitness_ = random_.bytes(8);
        return {wrap7c(0x80, tripleDesEcb(state_.mgmtKey, *mgmtWitness_, true)), SW_OK};
    }
    if (witness && witness->size() == 8 && challenge && challenge->size() == 8 &&
        (!response || response->empty())) {
        std::optional<Bytes> expected = std::move(mgmtWitness_);
        mgmtWitness_.reset();
        if (!expected || !constantTimeEquals(*witness, *expected)) {
            mgmtAuthenticated_ = false;
            return {{}, SW_SECURITY};
        }
        mgmtAuthenticated_ = true;
        return {wrap7c(0x82, tripleDesEcb(state_.mgmtKey, *challenge, true)), SW_OK};
    }
    return {{}, SW_WRONG_DATA};
}

std::uint8_t PivApplet::effectivePinPolicy(std::uint8_t slot) const {
    if (auto it = state_.keys.find(slot); it != state_.keys.end() && it->second.pinPolicy != 0)
        return it->second.pinPolicy;
    switch (slot) {
        case 0x9C:
            return 3;  // signature key: PIN always
        case 0x9E:
            return 1;  // card authentication: no PIN
        default:
            return 2;  // once per session
    }
}

PivApplet::Reply PivApplet::keyOperation(const Command& c, ByteView template7c) {
    auto it = state_.keys.find(c.p2);
    if (it == state_.keys.end()) return {{}, SW_REF_NOT_FOUND};
    const SlotKey& slotKey = it->second;
    if (c.p1 != static_cast<std::uint8_t>(slotKey.algorithm)) return {{}, SW_WRONG_DATA};
    std::optional<ByteView> input, peer, response;
    TlvReader reader(template7c);
    Tlv item;
    while (reader.next(item)) {
        if (item.tag == 0x81)
            input = item.value;
        else if (item.tag == 0x85)
            peer = item.value;
        else if (item.tag == 0x82)
            response = item.value;
        else
            return {{}, SW_WRONG_DATA};
    }
    if (!response || !response->empty() || (input.has_value() == peer.has_value()))
        return {{}, SW_WRONG_DATA};

    switch (effectivePinPolicy(c.p2)) {
        case 1:
            break;
        case 3:
            if (!pinVerified_ || !pinAlwaysArmed_) return {{}, SW_SECURITY};
            pinAlwaysArmed_ = false;  // one operation per VERIFY
            break;
        default:
            if (!pinVerified_) return {{}, SW_SECURITY};
    }

    EvpPkeyPtr key = loadPrivateKeyPem(slotKey.pkcs8Pem);
    Bytes out;
    if (slotKey.algorithm == PivAlgorithm::EccP256) {
        out = input ? ecdsaSignDigest(key.get(), *input) : ecdhSharedSecret(key.get(), *peer);
    } else {
        if (!input) return {{}, SW_WRONG_DATA};
        out = rsaRawPrivate(key.get(), *input);
    }
    return {wrap7c(0x82, out), SW_OK};
}

PivApplet::Reply PivApplet::generateKeyPair(const Command& c) {
    if (!mgmtAuthenticated_) return {{}, SW_SECURITY};
    if (c.p1 != 0x00) return {{}, SW_WRONG_P1P2};
    if (!isKeySlot(c.p2)) return {{}, SW_WRONG_P1P2_B};
    Tlv control = parseTlv(c.data);
    if (control.tag != 0xAC) return {{}, SW_WRONG_DATA};
    auto alg = findTlv(control.value, 0x80);
    if (!alg || alg->size() != 1) return {{}, SW_WRONG_DATA};
    auto pinPolicy = findTlv(control.value, 0xAA);
    auto touchPolicy = findTlv(control.value, 0xAB);
    std::uint8_t algByte = (*alg)[0];
    if (algByte != 0x06 && algByte != 0x07 && algByte != 0x11) return {{}, SW_WRONG_DATA};
    SlotKey slotKey;
    slotKey.algorithm = static_cast<PivAlgorithm>(algByte);
    slotKey.pinPolicy = pinPolicy && pinPolicy->size() == 1 ? (*pinPolicy)[0] : 0;
    slotKey.touchPolicy = touchPolicy && touchPolicy->size() == 1 ? (*touchPolicy)[0] : 0;
    if (slotKey.pinPolicy > 3) return {{}, SW_WRONG_DATA};
    slotKey.origin = 1;
    EvpPkeyPtr key = generateKey(slotKey.algorithm);
    slotKey.pkcs8Pem = privateKeyToPem(key.get());
    state_.keys[c.p2] = std::move(slotKey);
    save();
    return {makeTlv(0x7F49, publicKeyTlvs(key.get())), SW_OK};
}

PivApplet::Reply PivApplet::importKey(const Command& c) {
    if (!mgmtAuthenticated_) return {{}, SW_SECURITY};
    if (c.p1 != 0x06 && c.p1 != 0x07 && c.p1 != 0x11) return {{}, SW_WRONG_DATA};
    if (!isKeySlot(c.p2)) return {{}, SW_WRONG_P1P2_B};
    std::optional<ByteView> parts[7];
    std::optional<ByteView> pinPolicy, touchPolicy;
    TlvReader reader(c.data);
    Tlv item;
    while (reader.next(item)) {
        if (item.tag >= 0x01 && item.tag <= 0x06)
            parts[item.tag] = item.value;
        else if (item.tag == 0xAA)
            pinPolicy = item.value;
        else if (item.tag == 0xAB)
            touchPolicy = item.value;
        else
            return {{}, SW_WRONG_DATA};
    }
    auto algorithm = static_cast<PivAlgorithm>(c.p1);
    EvpPkeyPtr key;
    if (algorithm == PivAlgorithm::EccP256) {
        if (!parts[6] || parts[6]->size() != 32) return {{}, SW_WRONG_DATA};
        key = ecP256FromPrivate(*parts[6]);
    } else {
        for (int i = 1; i <= 5; ++i)
            if (!parts[i] || parts[i]->empty()) return {{}, SW_WRONG_DATA};
        key = rsaFromCrt(*parts[1], *parts[2], *parts[3], *parts[4], *parts[5]);
    }
    if (pivAlgorithmOf(key.get()) != algorithm) return {{}, SW_WRONG_DATA};
    SlotKey slotKey;
    slotKey.algorithm = algorithm;
    slotKey.pinPolicy = pinPolicy && pinPolicy->size() == 1 ? (*pinPolicy)[0] : 0;
    slotKey.touchPolicy = touchPolicy && touchPolicy->size() == 1 ? (*touchPolicy)[0] : 0;
    if (slotKey.pinPolicy > 3) return {{}, SW_WRONG_DATA};
    slotKey.origin = 2;
    slotKey.pkcs8Pem = privateKeyToPem(key.get());
    state_.keys[c.p2] = std::move(slotKey);
    save();
    return {};
}

PivApplet::Reply PivApplet::getMetadata(const Command& c) {
    if (c.p1 != 0x00) return {{}, SW_WRONG_P1P2};
    if (c.p2 == 0x80 || c.p2 == 0x81) {
        bool isPin = c.p2 == 0x80;
        bool isDefault = isPin ? state_.pin == toBytes(DEFAULT_PIN) : state_.puk == toBytes(DEFAULT_PUK);
        int max = isPin ? state_.pinRetries : state_.pukRetries;
        int left = isPin ? state_.pinTriesLeft : state_.pukTriesLeft;
        return {{0x01, 0x01, 0xFF, 0x05, 0x01, static_cast<std::uint8_t>(isDefault ? 1 : 0), 0x06, 0x02,
                 static_cast<std::uint8_t>(max), static_cast<std::uint8_t>(left)},
                SW_OK};
    }
    if (c.p2 == 0x9B) {
        bool isDefault = state_.mgmtKey == defaultMgmtKey();
        return {{0x01, 0x01, 0x03, 0x02, 0x02, 0x00, 0x01, 0x05, 0x01,
                 static_cast<std::uint8_t>(isDefault ? 1 : 0)},
                SW_OK};
    }
    auto it = state_.keys.find(c.p2);
    if (!isKeySlot(c.p2) || it == state_.keys.end()) return {{}, SW_REF_NOT_FOUND};
    EvpPkeyPtr key = loadPrivateKeyPem(it->second.pkcs8Pem);
    Bytes out{0x01,
              0x01,
              static_cast<std::uint8_t>(it->second.algorithm),
              0x02,
              0x02,
              effectivePinPolicy(c.p2),
              static_cast<std::uint8_t>(it->second.touchPolicy == 0 ? 1 : it->second.touchPolicy),
              0x03,
              0x01,
              it->second.origin};
    appendTlv(out, 0x04, publicKeyTlvs(key.get()));
    return {std::move(out), SW_OK};
}

PivApplet::Reply PivApplet::setPinRetries(const Command& c) {
    if (!mgmtAuthenticated_ || !pinVerified_) return {{}, SW_SECURITY};
    if (c.p1 == 0 || c.p2 == 0) return {{}, SW_WRONG_P1P2};
    state_.pinRetries = state_.pinTriesLeft = c.p1;
    state_.pukRetries = state_.pukTriesLeft = c.p2;
    wipe(state_.pin);
    wipe(state_.puk);
    state_.pin = toBytes(DEFAULT_PIN);
    state_.puk = toBytes(DEFAULT_PUK);
    pinVerified_ = false;
    pinAlwaysArmed_ = false;
    save();
    return {};
}

PivApplet::Reply PivApplet::resetCard(const Command& c) {
    if (c.p1 != 0x00 || c.p2 != 0x00) return {{}, SW_WRONG_P1P2};
    if (state_.pinTriesLeft != 0 || state_.pukTriesLeft != 0) return {{}, SW_CONDITIONS};
    state_ = freshCardState(state_.serial, random_.bytes(16));
    bool wasSelected = selected_;
    powerCycle();
    selected_ = wasSelected;
    save();
    return {};
}

PivApplet::Reply PivApplet::setMgmtKey(const Command& c) {
    if (!mgmtAuthenticated_) return {{}, SW_SECURITY};
    if (c.p1 != 0xFF || (c.p2 != 0xFF && c.p2 != 0xFE)) return {{}, SW_WRONG_P1P2};
    if (c.data.size() != 27 || c.data[1] != 0x9B || c.data[2] != 24) return {{}, SW_WRONG_DATA};
    if (c.data[0] != static_cast<std::uint8_t>(PivAlgorithm::TripleDes)) return {{}, SW_WRONG_DATA};
    wipe(state_.mgmtKey);
    state_.mgmtKey.assign(c.data.begin() + 3, c.data.end());
    save();
    return {};
}

}  // namespace cardbridge::vcard

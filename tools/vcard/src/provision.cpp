#include "cardbridge/vcard/provision.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cardbridge/common/error.hpp"
#include "cardbridge/common/openssl.hpp"
#include "cardbridge/common/secret.hpp"
#include "cardbridge/vcard/card_state.hpp"
#include "cardbridge/vcard/piv_keys.hpp"
#include "cardbridge/vcard/piv_objects.hpp"

namespace cardbridge::vcard {

namespace {

std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError("cannot read " + path.string());
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

Bytes checkedReference(const std::string& value, const char* what) {
    if (value.size() < 6 || value.size() > 8) throw InputError(std::string(what) + " must be 6-8 characters");
    for (char ch : value)
        if (static_cast<unsigned char>(ch) == 0xFF || ch == '\0')
            throw InputError(std::string(what) + " contains a byte the card uses as padding");
    return toBytes(value);
}

int checkedRetries(int value, const char* what) {
    if (value < 1 || value > 255) throw InputError(std::string(what) + " must be 1-255");
    return value;
}

Bytes checkedMgmtKey(const std::string& hex) {
    Bytes key = fromHex(hex);
    if (key.size() != 24) throw InputError("management key must be 24 bytes (48 hex digits, 3DES)");
    return key;
}

std::uint32_t randomSerial() {
    Bytes r = randomBytes(4);
    std::uint32_t v =
        (std::uint32_t{r[0]} << 24) | (std::uint32_t{r[1]} << 16) | (std::uint32_t{r[2]} << 8) | r[3];
    return 10000000u + v % 90000000u;  // eight digits, like a YubiKey serial
}

X509Ptr readCertificate(const std::filesystem::path& path) {
    std::string text = readFile(path);
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (!bio) throwOpenSsl("BIO_new_mem_buf");
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
        // Not PEM: try DER.
        const auto* p = reinterpret_cast<const unsigned char*>(text.data());
        cert.reset(d2i_X509(nullptr, &p, static_cast<long>(text.size())));
    }
    ERR_clear_error();
    if (!cert) throw InputError(path.string() + " is not a PEM or DER X.509 certificate");
    return cert;
}

Bytes certificateDer(X509* cert) {
    int len = i2d_X509(cert, nullptr);
    if (len <= 0) throwOpenSsl("i2d_X509");
    Bytes der(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    if (i2d_X509(cert, &p) != len) throwOpenSsl("i2d_X509");
    return der;
}

}  // namespace

void initCard(const std::filesystem::path& statePath, const InitOptions& options) {
    if (std::filesystem::exists(statePath) && !options.force)
        throw InputError(statePath.string() + " exists (use --force to replace it)");
    CardState state = freshCardState(options.serial ? *options.serial : randomSerial(), randomBytes(16));
    state.pin = checkedReference(options.pin, "PIN");
    state.puk = checkedReference(options.puk, "PUK");
    state.pinRetries = state.pinTriesLeft = checkedRetries(options.pinRetries, "PIN retries");
    state.pukRetries = state.pukTriesLeft = checkedRetries(options.pukRetries, "PUK retries");
    if (options.mgmtKeyHex) state.mgmtKey = checkedMgmtKey(*options.mgmtKeyHex);
    FileStateStore(statePath).save(state);
}

void importIntoCard(const std::filesystem::path& statePath, const ImportOptions& options) {
    std::uint8_t slot = parseSlot(options.slot);
    FileStateStore store(statePath);
    CardState state = store.load();
    X509Ptr cert = readCertificate(options.certPath);
    if (options.keyPath) {
        std::string pem = readFile(*options.keyPath);
        EvpPkeyPtr key = loadPrivateKeyPem(pem);
        wipe(pem);
        auto alg = pivAlgorithmOf(key.get());
        if (!alg) throw InputError("unsupported key (use RSA 1024/2048 with e=65537, or EC P-256)");
        if (X509_check_private_key(cert.get(), key.get()) != 1) {
            ERR_clear_error();
            throw InputError("the private key does not belong to the certificate");
        }
        SlotKey slotKey;
        slotKey.algorithm = *alg;
        slotKey.origin = 2;
        slotKey.pkcs8Pem = privateKeyToPem(key.get());
        state.keys[slot] = std::move(slotKey);
    }
    Bytes object = certificateObject(certificateDer(cert.get()), options.compress);
    if (object.size() > 3072)
        throw InputError("certificate object is " + std::to_string(object.size()) +
                         " bytes, more than a PIV object holds (3072); try --compress");
    state.objects[*certTagForSlot(slot)] = std::move(object);
    store.save(state);
}

void setCard(const std::filesystem::path& statePath, const SetOptions& options) {
    FileStateStore store(statePath);
    CardState state = store.load();
    if (options.pin) state.pin = checkedReference(*options.pin, "PIN");
    if (options.puk) state.puk = checkedReference(*options.puk, "PUK");
    if (options.pinRetries)
        state.pinRetries = state.pinTriesLeft = checkedRetries(*options.pinRetries, "PIN retries");
    if (options.pukRetries)
        state.pukRetries = state.pukTriesLeft = checkedRetries(*options.pukRetries, "PUK retries");
    if (options.pinTriesLeft) {
        if (*options.pinTriesLeft < 0 || *options.pinTriesLeft > state.pinRetries)
            throw InputError("PIN tries left must be 0.." + std::to_string(state.pinRetries));
        state.pinTriesLeft = *options.pinTriesLeft;
    }
    if (options.pukTriesLeft) {
        if (*options.pukTriesLeft < 0 || *options.pukTriesLeft > state.pukRetries)
            throw InputError("PUK tries left must be 0.." + std::to_string(state.pukRetries));
        state.pukTriesLeft = *options.pukTriesLeft;
    }
    if (options.serial) state.serial = *options.serial;
    if (options.mgmtKeyHex) state.mgmtKey = checkedMgmtKey(*options.mgmtKeyHex);
    store.save(state);
}

void lockPin(const std::filesystem::path& statePath) {
    FileStateStore store(statePath);
    CardState state = store.load();
    state.pinTriesLeft = 0;
    store.save(state);
}

nlohmann::json showCard(const std::filesystem::path& statePath) {
    CardState state = FileStateStore(statePath).load();
    nlohmann::json out;
    out["serial"] = state.serial;
    out["guid"] = toHex(state.guid);
    out["pinRetries"] = state.pinRetries;
    out["pinTriesLeft"] = state.pinTriesLeft;
    out["pukRetries"] = state.pukRetries;
    out["pukTriesLeft"] = state.pukTriesLeft;
    out["pinIsDefault"] = state.pin == toBytes(DEFAULT_PIN);
    out["pukIsDefault"] = state.puk == toBytes(DEFAULT_PUK);
    out["mgmtKeyIsDefault"] = state.mgmtKey == defaultMgmtKey();
    out["slots"] = nlohmann::json::object();
    std::vector<std::uint8_t> slots{0x9A, 0x9C, 0x9D, 0x9E};
    for (std::uint8_t s = 0x82; s <= 0x95; ++s) slots.push_back(s);
    for (std::uint8_t slot : slots) {
        auto objectIt = state.objects.find(*certTagForSlot(slot));
        auto keyIt = state.keys.find(slot);
        bool hasCert = objectIt != state.objects.end();
        bool hasKey = keyIt != state.keys.end();
        if (slot < 0x9A && !hasCert && !hasKey) continue;  // retired slots only when used
        nlohmann::json entry;
        entry["certificate"] = hasCert;
        entry["compressed"] = false;
        if (hasCert) {
            try {
                entry["compressed"] = parseCertificateObject(objectIt->second).compressed;
            } catch (const InputError&) {
                entry["certificateValid"] = false;
            }
        }
        entry["key"] = hasKey;
        entry["keyAlgorithm"] =
            hasKey ? nlohmann::json(algorithmName(keyIt->second.algorithm)) : nlohmann::json();
        char name[3];
        std::snprintf(name, sizeof name, "%02x", slot);
        out["slots"][name] = entry;
    }
    return out;
}

}  // namespace cardbridge::vcard

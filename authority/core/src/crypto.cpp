#include "crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <limits>

#include "cardbridge/common/openssl.hpp"

namespace cardbridge::authority::crypto {

namespace {

std::string lowerHex(const unsigned char* data, std::size_t size) {
    static constexpr char DIGITS[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(DIGITS[data[i] >> 4]);
        out.push_back(DIGITS[data[i] & 0x0F]);
    }
    return out;
}

int toInt(std::size_t size) {
    if (size > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw InputError("buffer too large");
    return static_cast<int>(size);
}

}  // namespace

std::string sha256Hex(ByteView data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throwOpenSsl("EVP_Digest");
    }
    return toHex(ByteView(digest, length));
}

std::string hmacHex(const Secret& key, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key.bytes().data(), toInt(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &length) == nullptr) {
        throwOpenSsl("HMAC");
    }
    return lowerHex(mac, length);
}

Sealed seal(const Secret& key, ByteView nonce, ByteView aad, ByteView plaintext) {
    EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    if (!ctx) throwOpenSsl("EVP_CIPHER_CTX_new");
    if (key.size() != 32 || nonce.size() != 12)
        throw InputError("AES-256-GCM needs a 32-byte key and 12-byte nonce");
    if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) != 1 ||
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes().data(), nonce.data()) != 1) {
        throwOpenSsl("AES-256-GCM init");
    }
    int length = 0;
    if (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &length, aad.data(), toInt(aad.size())) != 1) {
        throwOpenSsl("AES-256-GCM aad");
    }
    Sealed out;
    out.ciphertext.resize(plaintext.size() + 16);
    int written = 0;
    if (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), out.ciphertext.data(), &written, plaintext.data(),
                                                toInt(plaintext.size())) != 1) {
        throwOpenSsl("AES-256-GCM encrypt");
    }
    int tail = 0;
    if (EVP_EncryptFinal_ex(ctx.get(), out.ciphertext.data() + written, &tail) != 1)
        throwOpenSsl("AES-256-GCM final");
    out.ciphertext.resize(static_cast<std::size_t>(written + tail));
    out.tag.resize(16);
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, out.tag.data()) != 1)
        throwOpenSsl("AES-256-GCM tag");
    return out;
}

std::optional<Bytes> open(const Secret& key, ByteView nonce, ByteView aad, ByteView ciphertext,
                          ByteView tag) {
    if (key.size() != 32 || nonce.size() != 12 || tag.size() != 16) return std::nullopt;
    EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    if (!ctx) throwOpenSsl("EVP_CIPHER_CTX_new");
    if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) != 1 ||
        EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes().data(), nonce.data()) != 1) {
        throwOpenSsl("AES-256-GCM init");
    }
    int length = 0;
    if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &length, aad.data(), toInt(aad.size())) != 1) {
        throwOpenSsl("AES-256-GCM aad");
    }
    Bytes plain(ciphertext.size() + 16);
    int written = 0;
    if (!ciphertext.empty() && EVP_DecryptUpdate(ctx.get(), plain.data(), &written, ciphertext.data(),
                                                 toInt(ciphertext.size())) != 1) {
        throwOpenSsl("AES-256-GCM decrypt");
    }
    Bytes tagCopy(tag.begin(), tag.end());
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tagCopy.data()) != 1)
        throwOpenSsl("AES-256-GCM tag");
    int tail = 0;
    if (EVP_DecryptFinal_ex(ctx.get(), plain.data() + written, &tail) != 1) {
        ERR_clear_error();
        wipe(plain);
        return std::nullopt;
    }
    plain.resize(static_cast<std::size_t>(written + tail));
    return plain;
}

bool constantTimeEquals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace cardbridge::authority::crypto

#include "crypto.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <limits>

#include "cardbridge/common/openssl.hpp"

namespace cardbridge::authority::crypto {

namespace {

int toInt(std::size_t size) {
    if (size > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw InputError("buffer too large");
    return static_cast<int>(size);
}

}  // namespace

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

}  // namespace cardbridge::authority::crypto

#include "cardbridge/common/base64.hpp"

#include <openssl/evp.h>

#include <climits>

#include "cardbridge/common/error.hpp"

namespace cardbridge {

namespace {

constexpr std::string_view ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The largest input EVP_EncodeBlock's int length can take whole.
constexpr std::size_t MAX_ENCODE_INPUT = static_cast<std::size_t>(INT_MAX) / 4 * 3;

}  // namespace

std::string base64Encode(ByteView data) {
    if (data.size() > MAX_ENCODE_INPUT) throw InputError("base64: input too large");
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');  // + 1: EVP_EncodeBlock writes a NUL
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                        static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

std::optional<Bytes> base64Decode(std::string_view text) {
    // EVP_DecodeBlock skips leading/trailing whitespace and decodes '=' as zero bits without telling how
    // many there were, so the strictness checks happen here and it only does the arithmetic.
    if (text.size() % 4 != 0 || text.size() / 4 * 3 > static_cast<std::size_t>(INT_MAX)) return std::nullopt;
    if (text.empty()) return Bytes();
    std::size_t padding = 0;
    if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
    const std::size_t dataChars = text.size() - padding;
    for (std::size_t i = 0; i < dataChars; ++i) {
        if (ALPHABET.find(text[i]) == std::string_view::npos) return std::nullopt;
    }
    Bytes out(text.size() / 4 * 3);
    const int written = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                        static_cast<int>(text.size()));
    if (written < 0 || static_cast<std::size_t>(written) != out.size()) return std::nullopt;
    out.resize(out.size() - padding);
    return out;
}

}  // namespace cardbridge

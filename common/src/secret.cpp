#include "cardbridge/common/secret.hpp"

#include <openssl/crypto.h>

namespace cardbridge {

void wipe(void* data, std::size_t size) noexcept {
    if (data != nullptr && size > 0) OPENSSL_cleanse(data, size);
}

void wipe(std::vector<std::uint8_t>& bytes) noexcept {
    // Wipe the whole capacity: earlier contents may live beyond size().
    bytes.resize(bytes.capacity());
    wipe(bytes.data(), bytes.size());
    bytes.clear();
}

void wipe(std::string& text) noexcept {
    // Wipe the whole capacity: a longer earlier value may live beyond size().
    text.resize(text.capacity());
    wipe(text.data(), text.size());
    text.clear();
}

Secret::Secret(std::string_view text) : bytes_(text.begin(), text.end()) {}

Secret::Secret(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}

Secret::Secret(const Secret& other) : bytes_(other.bytes_) {}

// A moved-from vector hands over its buffer, so nothing is left behind to wipe.
Secret::Secret(Secret&& other) noexcept : bytes_(std::move(other.bytes_)) {
    other.bytes_.clear();
}

Secret& Secret::operator=(const Secret& other) {
    if (this != &other) {
        clear();
        bytes_ = other.bytes_;
    }
    return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        clear();
        bytes_ = std::move(other.bytes_);
        other.bytes_.clear();
    }
    return *this;
}

Secret::~Secret() {
    clear();
}

std::string_view Secret::view() const noexcept {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
}

bool Secret::equals(const Secret& other) const noexcept {
    if (bytes_.size() != other.bytes_.size()) return false;
    if (bytes_.empty()) return true;
    return CRYPTO_memcmp(bytes_.data(), other.bytes_.data(), bytes_.size()) == 0;
}

void Secret::clear() noexcept {
    wipe(bytes_);
}

}  // namespace cardbridge

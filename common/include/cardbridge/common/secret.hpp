// A PIN, PUK, code or key: wiped from memory when destroyed, never printable, compared in constant time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cardbridge {

namespace detail {
/// Whole pages of their own for `size` bytes (at least one page), marked MADV_DONTDUMP so no core dump
/// holds them. Throws std::bad_alloc.
void* allocateSecretPages(std::size_t size);
/// Wipes and unmaps what allocateSecretPages(size) returned.
void freeSecretPages(void* pages, std::size_t size) noexcept;

/// std::allocator for secret storage: page-aligned, excluded from core dumps, wiped when freed. Costs a
/// page (4 KiB) and an mmap + madvise + munmap per buffer: meant for a few short-lived secrets, not bulk.
template <class T>
struct SecretAllocator {
    using value_type = T;
    SecretAllocator() noexcept = default;
    template <class U>
    SecretAllocator(const SecretAllocator<U>& /*other*/) noexcept {}  // NOLINT: allocator rebinding
    T* allocate(std::size_t n) { return static_cast<T*>(allocateSecretPages(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { freeSecretPages(p, n * sizeof(T)); }
    template <class U>
    bool operator==(const SecretAllocator<U>& /*other*/) const noexcept {
        return true;
    }
};
}  // namespace detail

/// Secret bytes, kept in pages of their own that core dumps leave out (MADV_DONTDUMP). The buffer is wiped
/// (OPENSSL_cleanse) on destruction, on assignment and on clear(). There is deliberately no operator<< and no
/// fmt formatter: logging a Secret does not compile.
class Secret {
  public:
    Secret() = default;
    /// Copies `text` (for example the digits of a PIN). The caller should wipe its own copy.
    explicit Secret(std::string_view text);
    explicit Secret(std::span<const std::uint8_t> bytes);
    Secret(const Secret& other);
    Secret(Secret&& other) noexcept;
    Secret& operator=(const Secret& other);
    Secret& operator=(Secret&& other) noexcept;
    ~Secret();

    [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }
    [[nodiscard]] bool empty() const noexcept { return bytes_.empty(); }
    [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }
    /// The secret as characters, for validation (e.g. "all digits"). Do not copy it into a std::string.
    [[nodiscard]] std::string_view view() const noexcept;

    /// Constant-time comparison over the contents (the length is not hidden).
    [[nodiscard]] bool equals(const Secret& other) const noexcept;

    /// Wipes and empties.
    void clear() noexcept;

  private:
    std::vector<std::uint8_t, detail::SecretAllocator<std::uint8_t>> bytes_;
};

/// Overwrites a buffer that held secret data (OPENSSL_cleanse, which the optimiser cannot drop).
void wipe(void* data, std::size_t size) noexcept;
/// Wipes and clears a byte vector that held secret data.
void wipe(std::vector<std::uint8_t>& bytes) noexcept;
/// Wipes and clears a string that held secret data.
void wipe(std::string& text) noexcept;

}  // namespace cardbridge

// A PIN, PUK, code or key: wiped from memory when destroyed, never printable, compared in constant time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cardbridge {

/// Secret bytes. The buffer is wiped (OPENSSL_cleanse) on destruction, on assignment and on clear().
/// There is deliberately no operator<< and no fmt formatter: logging a Secret does not compile.
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
    std::vector<std::uint8_t> bytes_;
};

/// Overwrites a buffer that held secret data (OPENSSL_cleanse, which the optimiser cannot drop).
void wipe(void* data, std::size_t size) noexcept;
/// Wipes and clears a byte vector that held secret data.
void wipe(std::vector<std::uint8_t>& bytes) noexcept;
/// Wipes and clears a string that held secret data.
void wipe(std::string& text) noexcept;

}  // namespace cardbridge

// Shared by the libFuzzer targets: the one way a target treats our typed errors. A cardbridge::Error (bad
// input, retry, fatal) and nlohmann's json errors are answers, not findings; anything else escapes and
// libFuzzer reports it as a crash, as it does ASan and UBSan reports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/error.hpp"

namespace cardbridge::fuzz {

/// The input as a byte view.
inline ByteView bytes(const std::uint8_t* data, std::size_t size) {
    return {data, size};
}

/// The input as text.
inline std::string_view text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// Runs `parse`, swallowing the typed errors a parser of outside bytes is allowed to throw.
template <typename Parse>
void expectTyped(Parse&& parse) {
    try {
        parse();
    } catch (const cardbridge::Error&) {
        // the documented answer to bad input
    }
}

}  // namespace cardbridge::fuzz

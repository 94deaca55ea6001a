// BER-TLV as smart cards use it (ISO/IEC 7816-4 §5.2): multi-byte tags, DER lengths of up to 4 length bytes
// (values are bounded by the buffer they come from).
#pragma once

#include <cstdint>
#include <optional>

#include "cardbridge/common/bytes.hpp"

namespace cardbridge {

/// One TLV element; `value` points into the parsed buffer.
struct Tlv {
    std::uint32_t tag = 0;  ///< tag bytes big-endian, e.g. 0x5FC105, 0x7F49, 0x53
    ByteView value;
    std::size_t encodedSize = 0;  ///< tag + length + value bytes
};

/// Walks the TLVs of one level of a buffer. Throws InputError on truncated or malformed data.
class TlvReader {
  public:
    explicit TlvReader(ByteView data) : data_(data) {}
    /// Reads the next element; returns false at the end of the buffer.
    bool next(Tlv& out);
    /// Bytes not yet read.
    [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }

  private:
    ByteView data_;
    std::size_t pos_ = 0;
};

/// Parses exactly one TLV at the start of `data`. Throws InputError when malformed.
Tlv parseTlv(ByteView data);

/// First element with `tag` on this level of `data`, or nothing. Throws InputError when malformed.
std::optional<ByteView> findTlv(ByteView data, std::uint32_t tag);

/// DER length encoding (1, 2 or 3 bytes; up to 65535).
Bytes encodeLength(std::size_t length);

/// Appends tag ‖ length ‖ value.
void appendTlv(Bytes& out, std::uint32_t tag, ByteView value);

/// tag ‖ length ‖ value as a new buffer.
Bytes makeTlv(std::uint32_t tag, ByteView value);

}  // namespace cardbridge

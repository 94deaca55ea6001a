// gzip (RFC 1952) with zlib, as PIV uses for compressed certificates (CertInfo 01).
#pragma once

#include "cardbridge/common/bytes.hpp"

namespace cardbridge {

/// gzip-compresses `data`. Throws FatalError if zlib fails.
Bytes gzipCompress(ByteView data);

/// Inflates a gzip (or zlib) stream. Throws InputError on corrupt data or when the output would exceed
/// `maxSize` bytes (a zip bomb is hostile input).
Bytes gzipDecompress(ByteView data, std::size_t maxSize = 64 * 1024);

}  // namespace cardbridge

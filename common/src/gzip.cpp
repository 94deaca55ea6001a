#include "cardbridge/common/gzip.hpp"

#include <zlib.h>

#include "cardbridge/common/error.hpp"

namespace cardbridge {

namespace {
constexpr int kGzipWindowBits = 15 + 16;  // 16: gzip header instead of zlib's
constexpr int kAutoWindowBits = 15 + 32;  // 32: detect gzip or zlib header
}  // namespace

Bytes gzipCompress(ByteView data) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        throw FatalError("zlib: deflateInit2 failed");
    Bytes out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
    zs.next_in = const_cast<Bytef*>(data.data());
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&zs, Z_FINISH);
    std::size_t produced = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw FatalError("zlib: deflate did not finish");
    out.resize(produced);
    return out;
}

Bytes gzipDecompress(ByteView data, std::size_t maxSize) {
    z_stream zs{};
    if (inflateInit2(&zs, kAutoWindowBits) != Z_OK) throw FatalError("zlib: inflateInit2 failed");
    zs.next_in = const_cast<Bytef*>(data.data());
    zs.avail_in = static_cast<uInt>(data.size());
    Bytes out;
    std::uint8_t chunk[4096];
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        zs.next_out = chunk;
        zs.avail_out = sizeof(chunk);
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&zs);
            throw InputError("gzip: corrupt or truncated data");
        }
        std::size_t produced = sizeof(chunk) - zs.avail_out;
        if (out.size() + produced > maxSize) {
            inflateEnd(&zs);
            throw InputError("gzip: inflated data larger than allowed");
        }
        out.insert(out.end(), chunk, chunk + produced);
        if (rc == Z_OK && produced == 0 && zs.avail_in == 0) {
            inflateEnd(&zs);
            throw InputError("gzip: truncated data");
        }
    }
    bool trailing = zs.avail_in > 0;
    inflateEnd(&zs);
    if (trailing) throw InputError("gzip: data after the end of the stream");
    return out;
}

}  // namespace cardbridge

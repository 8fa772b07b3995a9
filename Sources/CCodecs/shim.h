// The C APIs of Debian's compression libraries, for Kafka's four codecs: zlib (gzip), snappy (its C binding),
// lz4 (the frame format) and zstd.
#ifndef SWIFTKAFKA_CCODECS_SHIM_H
#define SWIFTKAFKA_CCODECS_SHIM_H

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

// zlib's inflateInit2/deflateInit2 are macros, which Swift cannot call.
static inline int czlib_inflate_init(z_stream *stream, int window_bits) {
    return inflateInit2(stream, window_bits);
}
static inline int czlib_deflate_init(z_stream *stream, int level, int window_bits) {
    return deflateInit2(stream, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
}

#endif

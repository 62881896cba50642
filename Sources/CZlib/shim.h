// zlib (Debian: zlib1g-dev), to inflate a copy of gzip- and deflate-encoded bodies for the tap.
#include <zlib.h>

// inflateInit2 is a macro that passes the library's version and struct size.
static inline int usagetap_inflate_init(z_streamp stream, int window_bits) {
    return inflateInit2(stream, window_bits);
}

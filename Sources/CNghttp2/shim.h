// nghttp2's single public header (Debian: libnghttp2-dev). Imported privately by TapProxy only.
#include <nghttp2/nghttp2.h>

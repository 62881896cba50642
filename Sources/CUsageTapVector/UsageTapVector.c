// Everything is static inline in include/UsageTapVector.h; SwiftPM needs one source file.
#include "UsageTapVector.h"

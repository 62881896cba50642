// The two answers of the C interface that need no Swift: the rest is in Sources/UsageTapC.
#include "usagetap.h"

const char *usagetap_version(void) { return "0.1.0"; }

int usagetap_abi_version(void) { return USAGETAP_ABI_VERSION; }

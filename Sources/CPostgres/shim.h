// libpq (Debian: libpq-dev), the client of a PostgreSQL ledger shared by several proxies.
// Imported privately by Metering.
#include <libpq-fe.h>

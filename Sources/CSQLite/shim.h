// SQLite 3 (Debian: libsqlite3-dev), the default usage ledger. Imported privately by Metering.
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift cannot import: text
// bound through this is copied by SQLite before the call returns.
static inline int usagetap_sqlite3_bind_text_copy(sqlite3_stmt *statement, int index, const char *text, int length) {
    return sqlite3_bind_text(statement, index, text, length, SQLITE_TRANSIENT);
}

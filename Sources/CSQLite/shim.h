// SQLite 3 (Debian: libsqlite3-dev), the default usage ledger. Imported privately by Metering.
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift cannot import: text
// bound through this is copied by SQLite before the call returns.
static inline int usagetap_sqlite3_bind_text_copy(sqlite3_stmt *statement, int index, const char *text, int length) {
    return sqlite3_bind_text(statement, index, text, length, SQLITE_TRANSIENT);
}

// SQLITE_STATIC: SQLite reads the text where it is, which the caller keeps valid and unchanged
// until the parameter is bound again or the statement is finalized.
static inline int usagetap_sqlite3_bind_text_in_place(sqlite3_stmt *statement, int index, const char *text, int length) {
    return sqlite3_bind_text(statement, index, text, length, SQLITE_STATIC);
}

// sqlite3_config is variadic, which Swift cannot call. Without the memory statistics SQLite
// keeps no global lock around every allocation. Only possible before SQLite is initialized.
static inline int usagetap_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

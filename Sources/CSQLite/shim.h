// SQLite from Debian's libsqlite3-dev (installed by scripts/setup): the study files of
// search(..., study: FILE). The system library rather than a Swift package: nothing to compile.
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift cannot import.
static inline sqlite3_destructor_type psearch_sqlite_transient(void) { return SQLITE_TRANSIENT; }

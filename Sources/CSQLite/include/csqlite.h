// SQLite from Debian's libsqlite3 (the headers from libsqlite3-dev, installed by scripts/setup):
// the study files of search(..., study: FILE). The system library rather than a Swift package:
// nothing of SQLite to compile. shim.c loads it on first use.
#include <sqlite3.h>

// 1 once libsqlite3.so.0 is loaded (loading it on the first call), else 0.
int psearch_sqlite_available(void);

// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift cannot import.
static inline sqlite3_destructor_type psearch_sqlite_transient(void) { return SQLITE_TRANSIENT; }

// The SQLite functions the study store calls, loaded from libsqlite3.so.0 on first use: a
// psearch that never opens a study does not load the library at start-up (a linked
// libsqlite3 cost every start 1.25M instructions of symbol lookups, about 0.4 ms). Each
// function has SQLite's own name and prototype (sqlite3.h, from libsqlite3-dev), so the Swift
// side calls SQLite as documented. If the library cannot be loaded, sqlite3_open_v2 fails
// with SQLITE_CANTOPEN and sqlite3_errstr says why; nothing else runs without an open database.
// Every pointer is set once under pthread_once, which also orders it before any call.
#include "csqlite.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static char load_error[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;

static struct {
    const char *(*sqlite3_errstr)(int);
    int (*sqlite3_open_v2)(const char *filename, sqlite3 **ppDb, int flags, const char *zVfs);
    int (*sqlite3_close_v2)(sqlite3 *db);
    const char * (*sqlite3_errmsg)(sqlite3 *db);
    int (*sqlite3_exec)(sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **), void *arg, char **errmsg);
    int (*sqlite3_busy_timeout)(sqlite3 *db, int ms);
    int (*sqlite3_prepare_v2)(sqlite3 *db, const char *zSql, int nByte, sqlite3_stmt **ppStmt, const char **pzTail);
    int (*sqlite3_step)(sqlite3_stmt *stmt);
    int (*sqlite3_reset)(sqlite3_stmt *stmt);
    int (*sqlite3_finalize)(sqlite3_stmt *stmt);
    int (*sqlite3_clear_bindings)(sqlite3_stmt *stmt);
    int (*sqlite3_bind_text)(sqlite3_stmt *stmt, int i, const char *text, int n, void (*destructor)(void *));
    int (*sqlite3_bind_blob)(sqlite3_stmt *stmt, int i, const void *blob, int n, void (*destructor)(void *));
    int (*sqlite3_bind_int64)(sqlite3_stmt *stmt, int i, sqlite3_int64 value);
    int (*sqlite3_bind_double)(sqlite3_stmt *stmt, int i, double value);
    int (*sqlite3_bind_null)(sqlite3_stmt *stmt, int i);
    int (*sqlite3_column_type)(sqlite3_stmt *stmt, int i);
    const unsigned char * (*sqlite3_column_text)(sqlite3_stmt *stmt, int i);
    sqlite3_int64 (*sqlite3_column_int64)(sqlite3_stmt *stmt, int i);
    double (*sqlite3_column_double)(sqlite3_stmt *stmt, int i);
    int (*sqlite3_column_bytes)(sqlite3_stmt *stmt, int i);
    const void * (*sqlite3_column_blob)(sqlite3_stmt *stmt, int i);
    sqlite3_int64 (*sqlite3_last_insert_rowid)(sqlite3 *db);
} real;

static void load(void) {
    void *library = dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "cannot load SQLite (libsqlite3.so.0): %s", why ? why : "unknown error");
        return;
    }
    real.sqlite3_errstr = dlsym(library, "sqlite3_errstr");
    real.sqlite3_open_v2 = dlsym(library, "sqlite3_open_v2");
    real.sqlite3_close_v2 = dlsym(library, "sqlite3_close_v2");
    real.sqlite3_errmsg = dlsym(library, "sqlite3_errmsg");
    real.sqlite3_exec = dlsym(library, "sqlite3_exec");
    real.sqlite3_busy_timeout = dlsym(library, "sqlite3_busy_timeout");
    real.sqlite3_prepare_v2 = dlsym(library, "sqlite3_prepare_v2");
    real.sqlite3_step = dlsym(library, "sqlite3_step");
    real.sqlite3_reset = dlsym(library, "sqlite3_reset");
    real.sqlite3_finalize = dlsym(library, "sqlite3_finalize");
    real.sqlite3_clear_bindings = dlsym(library, "sqlite3_clear_bindings");
    real.sqlite3_bind_text = dlsym(library, "sqlite3_bind_text");
    real.sqlite3_bind_blob = dlsym(library, "sqlite3_bind_blob");
    real.sqlite3_bind_int64 = dlsym(library, "sqlite3_bind_int64");
    real.sqlite3_bind_double = dlsym(library, "sqlite3_bind_double");
    real.sqlite3_bind_null = dlsym(library, "sqlite3_bind_null");
    real.sqlite3_column_type = dlsym(library, "sqlite3_column_type");
    real.sqlite3_column_text = dlsym(library, "sqlite3_column_text");
    real.sqlite3_column_int64 = dlsym(library, "sqlite3_column_int64");
    real.sqlite3_column_double = dlsym(library, "sqlite3_column_double");
    real.sqlite3_column_bytes = dlsym(library, "sqlite3_column_bytes");
    real.sqlite3_column_blob = dlsym(library, "sqlite3_column_blob");
    real.sqlite3_last_insert_rowid = dlsym(library, "sqlite3_last_insert_rowid");
    loaded = 1;
}

int psearch_sqlite_available(void) {
    pthread_once(&once, load);
    return loaded;
}

// sqlite3_errstr is the one message a failed open can give: it names a load failure.
const char *sqlite3_errstr(int rc) {
    if (!psearch_sqlite_available()) return load_error;
    return real.sqlite3_errstr ? real.sqlite3_errstr(rc) : "sqlite3_errstr is missing from libsqlite3.so.0";
}

int sqlite3_open_v2(const char *filename, sqlite3 **ppDb, int flags, const char *zVfs) {
    pthread_once(&once, load);
    return real.sqlite3_open_v2 ? real.sqlite3_open_v2(filename, ppDb, flags, zVfs) : (*ppDb = NULL, SQLITE_CANTOPEN);
}

int sqlite3_close_v2(sqlite3 *db) {
    pthread_once(&once, load);
    return real.sqlite3_close_v2 ? real.sqlite3_close_v2(db) : SQLITE_MISUSE;
}

const char * sqlite3_errmsg(sqlite3 *db) {
    pthread_once(&once, load);
    return real.sqlite3_errmsg ? real.sqlite3_errmsg(db) : NULL;
}

int sqlite3_exec(sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **), void *arg, char **errmsg) {
    pthread_once(&once, load);
    return real.sqlite3_exec ? real.sqlite3_exec(db, sql, callback, arg, errmsg) : SQLITE_MISUSE;
}

int sqlite3_busy_timeout(sqlite3 *db, int ms) {
    pthread_once(&once, load);
    return real.sqlite3_busy_timeout ? real.sqlite3_busy_timeout(db, ms) : SQLITE_MISUSE;
}

int sqlite3_prepare_v2(sqlite3 *db, const char *zSql, int nByte, sqlite3_stmt **ppStmt, const char **pzTail) {
    pthread_once(&once, load);
    return real.sqlite3_prepare_v2 ? real.sqlite3_prepare_v2(db, zSql, nByte, ppStmt, pzTail) : SQLITE_MISUSE;
}

int sqlite3_step(sqlite3_stmt *stmt) {
    pthread_once(&once, load);
    return real.sqlite3_step ? real.sqlite3_step(stmt) : SQLITE_MISUSE;
}

int sqlite3_reset(sqlite3_stmt *stmt) {
    pthread_once(&once, load);
    return real.sqlite3_reset ? real.sqlite3_reset(stmt) : SQLITE_MISUSE;
}

int sqlite3_finalize(sqlite3_stmt *stmt) {
    pthread_once(&once, load);
    return real.sqlite3_finalize ? real.sqlite3_finalize(stmt) : SQLITE_MISUSE;
}

int sqlite3_clear_bindings(sqlite3_stmt *stmt) {
    pthread_once(&once, load);
    return real.sqlite3_clear_bindings ? real.sqlite3_clear_bindings(stmt) : SQLITE_MISUSE;
}

int sqlite3_bind_text(sqlite3_stmt *stmt, int i, const char *text, int n, void (*destructor)(void *)) {
    pthread_once(&once, load);
    return real.sqlite3_bind_text ? real.sqlite3_bind_text(stmt, i, text, n, destructor) : SQLITE_MISUSE;
}

int sqlite3_bind_blob(sqlite3_stmt *stmt, int i, const void *blob, int n, void (*destructor)(void *)) {
    pthread_once(&once, load);
    return real.sqlite3_bind_blob ? real.sqlite3_bind_blob(stmt, i, blob, n, destructor) : SQLITE_MISUSE;
}

int sqlite3_bind_int64(sqlite3_stmt *stmt, int i, sqlite3_int64 value) {
    pthread_once(&once, load);
    return real.sqlite3_bind_int64 ? real.sqlite3_bind_int64(stmt, i, value) : SQLITE_MISUSE;
}

int sqlite3_bind_double(sqlite3_stmt *stmt, int i, double value) {
    pthread_once(&once, load);
    return real.sqlite3_bind_double ? real.sqlite3_bind_double(stmt, i, value) : SQLITE_MISUSE;
}

int sqlite3_bind_null(sqlite3_stmt *stmt, int i) {
    pthread_once(&once, load);
    return real.sqlite3_bind_null ? real.sqlite3_bind_null(stmt, i) : SQLITE_MISUSE;
}

int sqlite3_column_type(sqlite3_stmt *stmt, int i) {
    pthread_once(&once, load);
    return real.sqlite3_column_type ? real.sqlite3_column_type(stmt, i) : SQLITE_MISUSE;
}

const unsigned char * sqlite3_column_text(sqlite3_stmt *stmt, int i) {
    pthread_once(&once, load);
    return real.sqlite3_column_text ? real.sqlite3_column_text(stmt, i) : NULL;
}

sqlite3_int64 sqlite3_column_int64(sqlite3_stmt *stmt, int i) {
    pthread_once(&once, load);
    return real.sqlite3_column_int64 ? real.sqlite3_column_int64(stmt, i) : 0;
}

double sqlite3_column_double(sqlite3_stmt *stmt, int i) {
    pthread_once(&once, load);
    return real.sqlite3_column_double ? real.sqlite3_column_double(stmt, i) : 0;
}

int sqlite3_column_bytes(sqlite3_stmt *stmt, int i) {
    pthread_once(&once, load);
    return real.sqlite3_column_bytes ? real.sqlite3_column_bytes(stmt, i) : SQLITE_MISUSE;
}

const void * sqlite3_column_blob(sqlite3_stmt *stmt, int i) {
    pthread_once(&once, load);
    return real.sqlite3_column_blob ? real.sqlite3_column_blob(stmt, i) : NULL;
}

sqlite3_int64 sqlite3_last_insert_rowid(sqlite3 *db) {
    pthread_once(&once, load);
    return real.sqlite3_last_insert_rowid ? real.sqlite3_last_insert_rowid(db) : 0;
}

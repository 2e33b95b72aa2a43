import CSQLite

/// An SQLite failure: the library's message and result code.
struct SQLiteError: Error {
    var code: Int32
    var message: String
}

/// One connection, used under the caller's lock (StudyFile serialises its workers).
final class SQLiteConnection {
    let handle: OpaquePointer

    /// Opens `path`; `create` makes it when missing, `readOnly` never writes.
    init(path: String, create: Bool, readOnly: Bool) throws(SQLiteError) {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message)
        }
        handle = db
        // Another psearch writing the same file holds its lock for one short transaction.
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { sqlite3_close_v2(handle) }

    func error(_ rc: Int32) -> SQLiteError { SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle))) }

    /// Runs statements that return nothing.
    func execute(_ sql: String) throws(SQLiteError) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc) }
    }

    func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc) }
        return SQLiteStatement(stmt, self)
    }

    /// The first column of the first row of a query (a pragma's value).
    func scalar(_ sql: String) throws(SQLiteError) -> Int64 {
        let s = try prepare(sql)
        guard try s.step() else { return 0 }
        return s.int(0)
    }

    /// Runs `body` in one transaction: all of it is stored, or none.
    func transaction<T>(_ body: () throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let out = try body()
            try execute("COMMIT")
            return out
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

/// A prepared statement; parameters are numbered from 1, columns from 0, as in SQLite.
final class SQLiteStatement {
    let stmt: OpaquePointer
    let db: SQLiteConnection

    init(_ stmt: OpaquePointer, _ db: SQLiteConnection) {
        self.stmt = stmt
        self.db = db
    }

    deinit { sqlite3_finalize(stmt) }

    enum Binding {
        case int(Int64), double(Double), text(String), blob([UInt8]), null
    }

    func bind(_ values: [Binding]) {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
        for (i, v) in values.enumerated() {
            let k = Int32(i + 1)
            switch v {
            case .int(let x): sqlite3_bind_int64(stmt, k, x)
            // SQLite stores nan as NULL: a NULL loss reads back as nan.
            case .double(let x): sqlite3_bind_double(stmt, k, x)
            case .text(let s): sqlite3_bind_text(stmt, k, s, -1, psearch_sqlite_transient())
            case .blob(let b): b.withUnsafeBytes { _ = sqlite3_bind_blob(stmt, k, $0.baseAddress, Int32($0.count), psearch_sqlite_transient()) }
            case .null: sqlite3_bind_null(stmt, k)
            }
        }
    }

    /// Advances to the next row: true when there is one.
    func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw db.error(rc)
    }

    /// Binds and runs a statement that returns no rows.
    func run(_ values: [Binding]) throws(SQLiteError) {
        bind(values)
        defer { sqlite3_reset(stmt) }
        _ = try step()
    }

    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(stmt, i) == SQLITE_NULL }
    func int(_ i: Int32) -> Int64 { sqlite3_column_int64(stmt, i) }
    func double(_ i: Int32) -> Double { isNull(i) ? .nan : sqlite3_column_double(stmt, i) }
    func text(_ i: Int32) -> String { sqlite3_column_text(stmt, i).map { String(cString: $0) } ?? "" }
    func blob(_ i: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(stmt, i))
        guard n > 0, let p = sqlite3_column_blob(stmt, i) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}

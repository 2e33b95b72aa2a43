import CSQLite
import Foundation
import PsearchCore

/// What identifies a search in a study file: a resumed search must match it.
public struct StudySpec: Sendable, Equatable {
    /// The objective function's name (informative: a changed objective is not checked).
    public var objective: String
    /// The space as psearch source, choices by their values: `{lr: logrange(0.0001, 1), hidden: [4, 8]}`.
    public var space: String
    public var method: String
    public var seed: UInt64
    /// The prune rule's name, or "none".
    public var prune: String
    /// Other settings that change which trials are proposed (halving's trial count), as text.
    public var settings: String
    /// Trials asked for (grid: the grid's size); a resumed search may ask for more.
    public var trials: Int
    /// FNV-1a of the script that ran the search (informative).
    public var scriptHash: String

    public init(objective: String, space: String, method: String, seed: UInt64, prune: String, settings: String,
                trials: Int, scriptHash: String) {
        self.objective = objective
        self.space = space
        self.method = method
        self.seed = seed
        self.prune = prune
        self.settings = settings
        self.trials = trials
        self.scriptHash = scriptHash
    }

    /// How this spec differs from `other` (the stored one) in what decides the trials, in words; nil when it does not.
    func difference(from stored: StudySpec) -> String? {
        if method != stored.method { return "holds a \"\(stored.method)\" search, this one is \"\(method)\"" }
        if seed != stored.seed { return "was made with seed \(stored.seed), this search has seed \(seed)" }
        if space != stored.space { return "has the space \(stored.space), this search has \(space)" }
        if prune != stored.prune { return "was made with prune: \(stored.prune), this search has prune: \(prune)" }
        if settings != stored.settings { return "was made with \(stored.settings), this search has \(settings)" }
        return nil
    }
}

/// One study of a file as read back.
public struct StudyInfo: Sendable, Equatable {
    /// 1 for the file's first study; `resume: false` adds the next.
    public var number: Int
    /// How many studies the file holds (the newest is the one resumed and shown).
    public var count: Int
    public var spec: StudySpec
    /// Wall-clock seconds since 1970.
    public var created: Double
}

/// A study file that cannot be opened, read or written, in words for the user.
public struct StudyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A study in an SQLite file: the search's settings and every trial, one transaction per state
/// change, in WAL mode with synchronous=NORMAL (a killed process loses nothing committed; a
/// power cut may lose the last commits, which a resumed search runs again).
///
/// A file holds several studies (`resume: false` adds one); the newest is the one resumed.
public final class StudyFile: TrialStore, @unchecked Sendable {
    /// The layout version in `PRAGMA user_version`; a file of another version is refused.
    public static let format = 1
    /// `PRAGMA application_id` of a study file ("psst"), so another program's database is told apart.
    static let applicationID: Int64 = 0x7073_7374

    public let path: String
    /// The study's number in the file.
    public let study: Int
    public let finished: [Int: StoredTrial]
    /// Serialises the workers' writes: one connection, used by one thread at a time.
    private let lock = NSLock()
    private let db: SQLiteConnection
    private let upsert: SQLiteStatement

    private init(path: String, db: SQLiteConnection, study: Int, finished: [Int: StoredTrial]) throws(SQLiteError) {
        self.path = path
        self.db = db
        self.study = study
        self.finished = finished
        upsert = try db.prepare("""
            INSERT INTO trials (study, idx, round, budget, params, state, loss, reports, started, ended, seconds, worker, error, runs)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1)
            ON CONFLICT (study, idx) DO UPDATE SET round = excluded.round, budget = excluded.budget, params = excluded.params,
              state = excluded.state, loss = excluded.loss, reports = excluded.reports, started = excluded.started,
              ended = excluded.ended, seconds = excluded.seconds, worker = excluded.worker, error = excluded.error,
              runs = trials.runs + (excluded.state = 'running')
            """)
    }

    /// Opens (or creates) the study file at `path` for a search with `spec`: with `resume`, the
    /// newest study if it matches (an error naming the difference if not); otherwise a new study.
    public static func open(_ path: String, spec: StudySpec, resume: Bool) throws(StudyError) -> StudyFile {
        let exists = try checkPath(path, writing: true)
        let db: SQLiteConnection
        do {
            db = try SQLiteConnection(path: path, create: true, readOnly: false)
        } catch {
            throw explain(error, path)
        }
        do {
            let fresh = try checkLayout(db, path, existed: exists)
            try db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
            if fresh { try create(db) }
            var number: Int?
            if resume, let newest = try newestStudy(db) {
                if let d = spec.difference(from: newest.spec) {
                    throw StudyError("study file '\(path)' \(d): pass resume: false to start a new study in the file (the old one stays readable), or give another study file")
                }
                number = newest.number
                try db.prepare("UPDATE studies SET trials = max(trials, ?1), script_hash = ?2 WHERE id = ?3")
                    .run([.int(Int64(spec.trials)), .text(spec.scriptHash), .int(Int64(newest.number))])
            }
            if number == nil {
                let insert = try db.prepare("""
                    INSERT INTO studies (objective, space, method, seed, prune, settings, trials, script_hash, created)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                    """)
                try insert.run([.text(spec.objective), .text(spec.space), .text(spec.method), .text(String(spec.seed)), .text(spec.prune),
                                .text(spec.settings), .int(Int64(spec.trials)), .text(spec.scriptHash), .double(Date().timeIntervalSince1970)])
                number = Int(sqlite3_last_insert_rowid(db.handle))
            }
            let finished = try trials(db, study: number!, onlyFinished: true)
            return try StudyFile(path: path, db: db, study: number!, finished: Dictionary(uniqueKeysWithValues: finished.map { ($0.index, $0) }))
        } catch {
            throw explain(error, path)
        }
    }

    /// Reads study `number` (by default the newest) of the file at `path`, trials in index order.
    public static func read(_ path: String, study number: Int? = nil) throws(StudyError) -> (info: StudyInfo, trials: [StoredTrial]) {
        guard try checkPath(path, writing: false) else { throw StudyError("no study file '\(path)'") }
        do {
            let db = try SQLiteConnection(path: path, create: false, readOnly: true)
            guard !(try checkLayout(db, path, existed: true)) else { throw StudyError("study file '\(path)' holds no study") }
            let count = Int(try db.scalar("SELECT count(*) FROM studies"))
            let info: StudyInfo?
            if let number {
                info = try studies(db, where: "WHERE id = \(number)").first
                guard info != nil else { throw StudyError("study file '\(path)' has no study \(number): it holds \(count)") }
            } else {
                info = try newestStudy(db)
            }
            guard var info else { throw StudyError("study file '\(path)' holds no study") }
            info.count = count
            return (info, try trials(db, study: info.number, onlyFinished: false))
        } catch {
            throw explain(error, path)
        }
    }

    public func record(_ t: StoredTrial) throws {
        lock.lock()
        defer { lock.unlock() }
        do {
            try upsert.run([
                .int(Int64(study)), .int(Int64(t.index)), .int(Int64(t.round)), t.budget.map { .int(Int64($0)) } ?? .null,
                .text(Self.encode(t.params)), .text(t.state.rawValue), .double(t.loss), .blob(Self.encode(t.reports)),
                .double(t.started), t.ended.map { .double($0) } ?? .null, .double(t.seconds), .int(Int64(t.worker)),
                t.error.map { .text($0) } ?? .null,
            ])
        } catch {
            throw Self.explain(error, path)
        }
    }

    // MARK: opening

    /// Whether the file exists; errors for a directory, a missing or unwritable parent directory.
    private static func checkPath(_ path: String, writing: Bool) throws(StudyError) -> Bool {
        var isDir: ObjCBool = false
        let fm = FileManager.default
        if fm.fileExists(atPath: path, isDirectory: &isDir) {
            if isDir.boolValue { throw StudyError("'\(path)' is a directory, not a study file") }
            guard writing else { return true }
            if access(path, W_OK) != 0 { throw StudyError("study file '\(path)' is read-only: psearch study '\(path)' still reads it; give search another file to write") }
            let dir = directory(of: path)
            // WAL mode keeps its log and shared-memory index beside the file.
            if access(dir, W_OK) != 0 { throw StudyError("the directory '\(dir)' of study file '\(path)' is not writable (SQLite keeps its log beside the file)") }
            return true
        }
        guard writing else { return false }
        let dir = directory(of: path)
        guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw StudyError("cannot create study file '\(path)': directory '\(dir)' does not exist (create it first)")
        }
        if access(dir, W_OK) != 0 { throw StudyError("cannot create study file '\(path)': directory '\(dir)' is not writable") }
        return false
    }

    private static func directory(of path: String) -> String {
        let d = (path as NSString).deletingLastPathComponent
        return d.isEmpty ? "." : d
    }

    /// True for an empty database (a new file); throws for another program's database or
    /// another format. Reads only: a file that is not a study is left as it was.
    private static func checkLayout(_ db: SQLiteConnection, _ path: String, existed: Bool) throws -> Bool {
        let tables = try db.scalar("SELECT count(*) FROM sqlite_master")
        let app = try db.scalar("PRAGMA application_id")
        let version = try db.scalar("PRAGMA user_version")
        if tables == 0 && app == 0 { return true }
        guard app == applicationID else {
            throw StudyError("'\(path)' is an SQLite database but not a psearch study file: it was left as it is; give search another file")
        }
        if version != format {
            let who = version < format ? "an older" : "a newer"
            throw StudyError("study file '\(path)' has format \(version), written by \(who) psearch; this one reads format \(format): it was left as it is; give search another file")
        }
        return false
    }

    private static func create(_ db: SQLiteConnection) throws(SQLiteError) {
        try db.transaction { () throws(SQLiteError) in
            try db.execute("""
                PRAGMA application_id = \(applicationID);
                PRAGMA user_version = \(format);
                CREATE TABLE studies (
                  id INTEGER PRIMARY KEY AUTOINCREMENT, objective TEXT NOT NULL, space TEXT NOT NULL, method TEXT NOT NULL,
                  seed TEXT NOT NULL, prune TEXT NOT NULL, settings TEXT NOT NULL, trials INTEGER NOT NULL,
                  script_hash TEXT NOT NULL, created REAL NOT NULL);
                CREATE TABLE trials (
                  study INTEGER NOT NULL REFERENCES studies (id), idx INTEGER NOT NULL, round INTEGER NOT NULL,
                  budget INTEGER, params TEXT NOT NULL, state TEXT NOT NULL, loss REAL, reports BLOB NOT NULL,
                  started REAL NOT NULL, ended REAL, seconds REAL NOT NULL, worker INTEGER NOT NULL, error TEXT,
                  runs INTEGER NOT NULL, PRIMARY KEY (study, idx)) WITHOUT ROWID;
                """)
        }
    }

    /// Turns an SQLite failure into words about the file.
    /// Any error of opening or reading a study as the user sees it.
    static func explain(_ error: any Error, _ path: String) -> StudyError {
        if let e = error as? StudyError { return e }
        if let e = error as? SQLiteError { return explain(e, path) }
        return StudyError("study file '\(path)': \(error)")
    }

    static func explain(_ e: SQLiteError, _ path: String) -> StudyError {
        switch e.code & 0xFF {
        case SQLITE_NOTADB, SQLITE_CORRUPT:
            return StudyError("'\(path)' is not a psearch study file: it is not an SQLite database, or it is damaged (\(e.message)); it was left as it is")
        case SQLITE_READONLY:
            return StudyError("study file '\(path)' cannot be written: \(e.message)")
        case SQLITE_FULL:
            return StudyError("study file '\(path)' cannot grow: the disk is full")
        case SQLITE_CANTOPEN:
            return StudyError("cannot open study file '\(path)': \(e.message)")
        case SQLITE_BUSY, SQLITE_LOCKED:
            return StudyError("study file '\(path)' is busy: another psearch is writing it")
        default:
            return StudyError("study file '\(path)': \(e.message)")
        }
    }

    // MARK: reading

    private static func newestStudy(_ db: SQLiteConnection) throws -> StudyInfo? {
        try studies(db, where: "ORDER BY id DESC LIMIT 1").first
    }

    private static func studies(_ db: SQLiteConnection, where clause: String) throws -> [StudyInfo] {
        let s = try db.prepare("SELECT id, objective, space, method, seed, prune, settings, trials, script_hash, created FROM studies \(clause)")
        var out = [StudyInfo]()
        while try s.step() {
            let spec = StudySpec(objective: s.text(1), space: s.text(2), method: s.text(3), seed: UInt64(s.text(4)) ?? 0,
                                 prune: s.text(5), settings: s.text(6), trials: Int(s.int(7)), scriptHash: s.text(8))
            out.append(StudyInfo(number: Int(s.int(0)), count: 1, spec: spec, created: s.double(9)))
        }
        return out
    }

    private static func trials(_ db: SQLiteConnection, study: Int, onlyFinished: Bool) throws -> [StoredTrial] {
        let filter = onlyFinished ? " AND state IN ('complete', 'pruned')" : ""
        let s = try db.prepare("""
            SELECT idx, round, budget, params, state, loss, reports, started, ended, seconds, worker, error
            FROM trials WHERE study = ?1\(filter) ORDER BY idx
            """)
        s.bind([.int(Int64(study))])
        var out = [StoredTrial]()
        while try s.step() {
            let index = Int(s.int(0))
            guard let state = TrialState(rawValue: s.text(4)), let params = decodeParams(s.text(3)),
                  var reports = decodeReports(s.blob(6)) else {
                throw StudyError("study file's trial \(index) is damaged")
            }
            reports.pruned = state == .pruned
            out.append(StoredTrial(index: index, params: params, budget: s.isNull(2) ? nil : Int(s.int(2)), round: Int(s.int(1)),
                                   state: state, loss: s.double(5), reports: reports, started: s.double(7),
                                   ended: s.isNull(8) ? nil : s.double(8), seconds: s.double(9), worker: Int(s.int(10)),
                                   error: s.isNull(11) ? nil : s.text(11)))
        }
        return out
    }

    // MARK: encoding

    /// A parameter value in JSON: a number, a string or a flag.
    struct Coded: Codable {
        var value: ParamValue

        init(_ value: ParamValue) { self.value = value }

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) {
                value = .bool(b)
            } else if let x = try? c.decode(Double.self) {
                value = .number(x)
            } else {
                value = .string(try c.decode(String.self))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch value {
            case .number(let x): try c.encode(x)
            case .string(let s): try c.encode(s)
            case .bool(let b): try c.encode(b)
            }
        }
    }

    /// Parameters as a JSON object, keys sorted (readable with the sqlite3 shell; numbers round-trip).
    static func encode(_ params: [String: ParamValue]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Parameters are finite (the space's values): encoding cannot fail.
        let data = (try? encoder.encode(params.mapValues(Coded.init))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func decodeParams(_ text: String) -> [String: ParamValue]? {
        (try? JSONDecoder().decode([String: Coded].self, from: Data(text.utf8)))?.mapValues(\.value)
    }

    /// Reports as little-endian 64-bit words: the count, the steps, the values' bits, the rung
    /// count and the rungs' bits (nan and inf stay as they were).
    static func encode(_ r: TrialReports) -> [UInt8] {
        var words = [UInt64(r.steps.count)]
        words += r.steps.map { UInt64(bitPattern: Int64($0)) }
        words += r.values.map(\.bitPattern)
        words.append(UInt64(r.rungs.count))
        words += r.rungs.map(\.bitPattern)
        var out = [UInt8]()
        out.reserveCapacity(words.count * 8)
        for w in words { withUnsafeBytes(of: w.littleEndian) { out += $0 } }
        return out
    }

    static func decodeReports(_ bytes: [UInt8]) -> TrialReports? {
        guard bytes.count % 8 == 0 else { return nil }
        var words = [UInt64]()
        words.reserveCapacity(bytes.count / 8)
        for i in stride(from: 0, to: bytes.count, by: 8) {
            var w: UInt64 = 0
            for j in 0..<8 { w |= UInt64(bytes[i + j]) << (8 * j) }
            words.append(w)
        }
        guard let n = words.first.flatMap({ Int(exactly: $0) }), n <= words.count, words.count >= 2 + 2 * n else { return nil }
        let steps = words[1..<(1 + n)].map { Int(Int64(bitPattern: $0)) }
        let values = words[(1 + n)..<(1 + 2 * n)].map(Double.init(bitPattern:))
        guard let m = Int(exactly: words[1 + 2 * n]), m <= words.count, words.count == 2 + 2 * n + m else { return nil }
        let rungs = words[(2 + 2 * n)...].map(Double.init(bitPattern:))
        return TrialReports(steps: Array(steps), values: Array(values), rungs: Array(rungs))
    }
}

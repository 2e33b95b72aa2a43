import Foundation
import Synchronization
import Testing
@testable import PsearchCore
@testable import PsearchStore

@Suite struct StudyFileTests {
    let space = SearchSpace([
        .init("lr", .logRange(1e-3, 1)),
        .init("hidden", .choices([.number(0), .number(1), .number(2)])),
        .init("x", .range(-1, 1)),
    ])

    /// A bowl with noise from the trial's stream, reporting 6 steps (so pruning has something to cut).
    static let objective: Trials.Objective = { input in
        var rng = input.random
        let lr = input.params["lr"]!.double!, h = input.params["hidden"]!.double!, x = input.params["x"]!.double!
        let a = log10(lr) + 1
        let base = a * a + (h - 1) * (h - 1) + x * x
        for step in 1...6 {
            if try input.reporter?.report(base + 1 / Double(step) + 0.01 * rng.uniform(), step: step) == true { break }
        }
        return base + 0.01 * rng.uniform()
    }

    /// A fresh directory for one test's files.
    static func scratch() -> String {
        let dir = NSTemporaryDirectory() + "psearch-store-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func spec(_ method: SearchMethod = .tpe, seed: UInt64 = 3, trials: Int = 30) -> StudySpec {
        StudySpec(objective: "f", space: "{lr: logrange(0.001, 1), hidden: [4, 8, 16], x: uniform(-1, 1)}", method: method.rawValue,
                  seed: seed, prune: "median", settings: "", trials: trials, scriptHash: "fnv1a64:0")
    }

    func options(_ method: SearchMethod = .tpe, workers: Int = 1) -> SearchOptions {
        var o = SearchOptions(method: method, trials: 30, seed: 3, workers: workers)
        if method != .halving { o.prune = .median }
        o.maxBudget = 9
        return o
    }

    func same(_ a: SearchResult, _ b: SearchResult) {
        #expect(a.best == b.best)
        #expect(a.bestLoss == b.bestLoss)
        #expect(a.trials.map(\.index) == b.trials.map(\.index))
        #expect(a.trials.map(\.params) == b.trials.map(\.params))
        #expect(a.trials.map(\.loss) == b.trials.map(\.loss))
        #expect(a.trials.map(\.pruned) == b.trials.map(\.pruned))
        #expect(a.trials.map(\.reports) == b.trials.map(\.reports))
        #expect(a.trials.map(\.budget) == b.trials.map(\.budget))
    }

    @Test func encodingsRoundTrip() {
        var rng = Random(seed: 9)
        for _ in 0..<2000 {
            let x = Double(bitPattern: UInt64(rng.int(below: Int.max)) << 1)
            guard x.isFinite else { continue }
            let p: [String: ParamValue] = ["a": .number(x), "b b": .string("q\"\n"), "c": .bool(true), "d": .number(3)]
            #expect(StudyFile.decodeParams(StudyFile.encode(p)) == p)
        }
        let r = TrialReports(steps: [0, 1, 5], values: [.nan, -.infinity, 1e-300], rungs: [2, .nan])
        let back = StudyFile.decodeReports(StudyFile.encode(r))!
        #expect(back.steps == r.steps && back.rungs.count == 2 && back.values[0].isNaN && back.values[1] == -.infinity)
        #expect(StudyFile.decodeReports(StudyFile.encode(TrialReports())) == TrialReports())
        #expect(StudyFile.decodeReports([1, 2, 3]) == nil)
    }

    @Test func trialsRoundTrip() throws {
        let path = Self.scratch() + "/a.db"
        let store = try StudyFile.open(path, spec: spec(), resume: true)
        #expect(store.finished.isEmpty && store.study == 1)
        let t = StoredTrial(index: 0, params: ["lr": .number(0.1), "hidden": .number(2), "x": .number(-0.25)], state: .pruned, loss: .nan,
                            reports: TrialReports(steps: [1, 2], values: [3, 2.5], rungs: [3], pruned: true), started: 100, ended: 101,
                            seconds: 0.5, worker: 1)
        try store.record(StoredTrial(index: 0, params: t.params, state: .running, started: 100))
        try store.record(t)
        try store.record(StoredTrial(index: 1, params: t.params, state: .running, started: 102))
        let (info, trials) = try StudyFile.read(path)
        #expect(info.spec == spec() && info.number == 1 && info.count == 1)
        #expect(trials.count == 2)
        #expect(trials[0].params == t.params && trials[0].state == .pruned && trials[0].loss.isNaN && trials[0].reports == t.reports)
        #expect(trials[0].started == 100 && trials[0].ended == 101 && trials[0].worker == 1)
        #expect(trials[1].state == .running && trials[1].ended == nil)
        let again = try StudyFile.open(path, spec: spec(), resume: true)
        #expect(again.finished.keys.sorted() == [0])
    }

    /// Stops the search after `n` trials have started: as a kill would, but in process.
    func interrupted(_ path: String, _ o: SearchOptions, after n: Int) throws {
        let started = Atomic<Int>(0)
        let store = try StudyFile.open(path, spec: spec(o.method), resume: true)
        _ = try? Trials.search(space: space, options: o, store: store, shouldStop: { started.load(ordering: .relaxed) >= n }) { input in
            started.add(1, ordering: .relaxed)
            return try Self.objective(input)
        }
    }

    @Test(arguments: SearchMethod.allCases, [1, 2])
    func resumeGivesTheUninterruptedResult(method: SearchMethod, workers: Int) throws {
        let o = options(method, workers: workers)
        let plain = try Trials.search(space: space, options: o, shouldStop: { false }, objective: Self.objective)
        let path = Self.scratch() + "/r.db"
        for n in [3, 7, 12, 20] { try interrupted(path, o, after: n) }
        let ran = Atomic<Int>(0)
        let store = try StudyFile.open(path, spec: spec(method), resume: true)
        let before = store.finished.count
        let resumed = try Trials.search(space: space, options: o, store: store, shouldStop: { false }) { input in
            ran.add(1, ordering: .relaxed)
            return try Self.objective(input)
        }
        same(plain, resumed)
        #expect(ran.load(ordering: .relaxed) == plain.trials.count - before)
        // Everything is stored once the search ends: a third run runs nothing.
        let done = try StudyFile.open(path, spec: spec(method), resume: true)
        #expect(done.finished.count == plain.trials.count)
        let replayed = try Trials.search(space: space, options: o, store: done, shouldStop: { false }) { _ in
            Issue.record("a finished trial ran again")
            return 0
        }
        same(plain, replayed)
    }

    @Test func mismatchNamesTheDifference() throws {
        let path = Self.scratch() + "/m.db"
        _ = try StudyFile.open(path, spec: spec(), resume: true)
        #expect(throws: StudyError.self) { try StudyFile.open(path, spec: spec(seed: 4), resume: true) }
        do {
            _ = try StudyFile.open(path, spec: spec(.random), resume: true)
        } catch {
            #expect(error.message.contains("holds a \"tpe\" search, this one is \"random\"") && error.message.contains("resume: false"))
        }
        var other = spec()
        other.space = "{lr: logrange(0.001, 1)}"
        do {
            _ = try StudyFile.open(path, spec: other, resume: true)
        } catch {
            #expect(error.message.contains("has the space {lr: logrange(0.001, 1), hidden: [4, 8, 16], x: uniform(-1, 1)}, this search has {lr: logrange(0.001, 1)}"))
        }
        // resume: false starts study 2; the first stays readable, and a resume now takes the second.
        let second = try StudyFile.open(path, spec: spec(seed: 4), resume: false)
        #expect(second.study == 2)
        #expect(try StudyFile.read(path, study: 1).info.spec.seed == 3)
        #expect(try StudyFile.read(path).info.spec.seed == 4 && StudyFile.read(path).info.count == 2)
        #expect(try StudyFile.open(path, spec: spec(seed: 4), resume: true).study == 2)
        // More trials for the same search continue the study.
        #expect(try StudyFile.open(path, spec: spec(seed: 4, trials: 50), resume: true).study == 2)
    }

    @Test func notAStudyFileIsLeftAlone() throws {
        let dir = Self.scratch()
        let path = dir + "/notes.db"
        let text = Data(String(repeating: "these are not the trials you are looking for\n", count: 100).utf8)
        try text.write(to: URL(fileURLWithPath: path))
        do {
            _ = try StudyFile.open(path, spec: spec(), resume: true)
            Issue.record("opened a text file")
        } catch {
            #expect(error.message == "'\(path)' is not a psearch study file: it is not an SQLite database, or it is damaged (file is not a database); it was left as it is")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == text)
        #expect(throws: StudyError.self) { try StudyFile.read(path) }
        // Another program's database.
        let other = dir + "/other.db"
        let db = try SQLiteConnection(path: other, create: true, readOnly: false)
        try db.execute("CREATE TABLE t (x)")
        do {
            _ = try StudyFile.open(other, spec: spec(), resume: true)
            Issue.record("opened another program's database")
        } catch {
            #expect(error.message.contains("is an SQLite database but not a psearch study file"))
        }
    }

    @Test func olderFormatIsRefused() throws {
        let path = Self.scratch() + "/old.db"
        _ = try StudyFile.open(path, spec: spec(), resume: true)
        let db = try SQLiteConnection(path: path, create: false, readOnly: false)
        try db.execute("PRAGMA user_version = 0")
        do {
            _ = try StudyFile.open(path, spec: spec(), resume: true)
            Issue.record("opened a file of format 0")
        } catch {
            #expect(error.message.contains("has format 0, written by an older psearch; this one reads format 1"))
        }
        #expect(throws: StudyError.self) { try StudyFile.read(path) }
    }

    @Test func missingAndUnwritablePlaces() throws {
        let dir = Self.scratch()
        do {
            _ = try StudyFile.open(dir + "/runs/lr.db", spec: spec(), resume: true)
            Issue.record("created a file in a missing directory")
        } catch {
            #expect(error.message == "cannot create study file '\(dir)/runs/lr.db': directory '\(dir)/runs' does not exist (create it first)")
        }
        do {
            _ = try StudyFile.open(dir, spec: spec(), resume: true)
            Issue.record("opened a directory")
        } catch {
            #expect(error.message == "'\(dir)' is a directory, not a study file")
        }
        #expect(throws: StudyError("no study file '\(dir)/none.db'")) { try StudyFile.read(dir + "/none.db") }
        // Permissions do not stop root.
        guard getuid() != 0 else { return }
        let locked = dir + "/locked"
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
        chmod(locked, 0o555)
        defer { chmod(locked, 0o755) }
        #expect(throws: StudyError("cannot create study file '\(locked)/a.db': directory '\(locked)' is not writable")) {
            try StudyFile.open(locked + "/a.db", spec: spec(), resume: true)
        }
    }
}

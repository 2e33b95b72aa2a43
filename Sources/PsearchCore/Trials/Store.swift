import Foundation

/// Where a trial stands in a study on disk.
public enum TrialState: String, Sendable, Equatable, CaseIterable {
    /// Started and not finished: the process may have died. A resumed search runs it again.
    case running
    case complete
    /// Stopped by the prune rule; its loss is the last value it reported.
    case pruned
    /// The objective threw. A resumed search runs it again.
    case failed

    /// Finished trials are read back on resume instead of being run again.
    public var isFinished: Bool { self == .complete || self == .pruned }
}

/// One trial as a store keeps it: what `TrialRecord` holds plus its state, times and worker.
public struct StoredTrial: Sendable, Equatable {
    public var index: Int
    public var params: [String: ParamValue]
    public var budget: Int?
    public var round: Int
    public var state: TrialState
    /// nan until the trial finishes (and for an objective that returned nan).
    public var loss: Double
    public var reports: TrialReports
    /// Wall-clock seconds since 1970 at the start and end (nil while running).
    public var started: Double
    public var ended: Double?
    public var seconds: Double
    /// The executor's thread that ran it (0 with one worker).
    public var worker: Int
    /// The objective's error, for a failed trial.
    public var error: String?

    public init(index: Int, params: [String: ParamValue], budget: Int? = nil, round: Int = 0, state: TrialState,
                loss: Double = .nan, reports: TrialReports = TrialReports(), started: Double, ended: Double? = nil,
                seconds: Double = 0, worker: Int = 0, error: String? = nil) {
        self.index = index
        self.params = params
        self.budget = budget
        self.round = round
        self.state = state
        self.loss = loss
        self.reports = reports
        self.started = started
        self.ended = ended
        self.seconds = seconds
        self.worker = worker
        self.error = error
    }

    /// The trial as a search result lists it.
    public var record: TrialRecord {
        TrialRecord(index: index, params: params, budget: budget, round: round, loss: loss, seconds: seconds,
                    pruned: state == .pruned, reports: reports)
    }
}

/// Keeps a search's trials somewhere that outlives the process (PsearchStore's SQLite file).
///
/// The search calls `record` at every state change (started, then complete, pruned or failed),
/// from any worker thread; an implementation serialises the calls. `finished` is what an
/// earlier run left: those trials are replayed into the search instead of being run, which
/// gives the same result as an uninterrupted run because trial k's proposal depends only on the
/// results of earlier trials, never on timing.
public protocol TrialStore: AnyObject, Sendable {
    /// Complete and pruned trials of earlier runs, by index.
    var finished: [Int: StoredTrial] { get }
    func record(_ trial: StoredTrial) throws
}

extension Trials {
    /// Wall-clock seconds since 1970, for a stored trial's start and end.
    static func now() -> Double { Date().timeIntervalSince1970 }

    /// The stored result of trial `index` when an earlier run finished it with these parameters
    /// (and budget); a stored trial with other parameters means the study belongs to another search.
    static func replay(_ store: (any TrialStore)?, _ index: Int, _ params: [String: ParamValue], budget: Int?) throws -> StoredTrial? {
        guard let s = store?.finished[index] else { return nil }
        guard s.params == params, s.budget == budget else {
            throw TrialError.badArgument(
                "the study's trial \(index) was run with other parameters than this search proposes (the space or the settings changed): "
                    + "pass resume: false to start a new study in the file, or give another study file")
        }
        return s
    }

    /// Runs trial `index` with the store told when it starts and how it ends; the seconds it
    /// stored go in `times`, so the result lists what a later `study()` reads back.
    static func stored(
        _ store: (any TrialStore)?, index: Int, params: [String: ParamValue], budget: Int?, round: Int, worker: Int,
        times: Locked<[Int: Double]>, _ run: () throws -> (loss: Double, reports: TrialReports)
    ) throws -> (loss: Double, reports: TrialReports) {
        guard let store else { return try run() }
        var t = StoredTrial(index: index, params: params, budget: budget, round: round, state: .running, started: now(), worker: worker)
        try store.record(t)
        let clock = ContinuousClock()
        let start = clock.now
        func seconds() -> Double {
            let d = clock.now - start
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        let out: (loss: Double, reports: TrialReports)
        do {
            out = try run()
        } catch {
            t.state = .failed
            t.error = "\(error)"
            t.ended = now()
            t.seconds = seconds()
            // The objective's error is the one to report; a store that cannot write it says so next time.
            try? store.record(t)
            throw error
        }
        t.state = out.reports.pruned ? .pruned : .complete
        t.loss = out.loss
        t.reports = out.reports
        t.ended = now()
        t.seconds = seconds()
        try store.record(t)
        times.withLock { $0[index] = t.seconds }
        return out
    }
}

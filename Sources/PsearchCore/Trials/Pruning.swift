import Foundation

/// How a search stops trials that report hopeless intermediate values.
public enum PruneRule: String, Sendable, Equatable, CaseIterable {
    /// Optuna's MedianPruner: after 5 finished trials, stop a trial whose best value so far is
    /// worse than the median of the finished trials' values at the same step.
    case median
    /// Asynchronous successive halving (Li et al. 2020; Optuna's SuccessiveHalvingPruner):
    /// rungs at steps 1, 3, 9, …; at each rung a trial goes on only if its value is in the best
    /// third of the values recorded there (its own included).
    case asha

    /// Finished trials the median rule waits for (n_startup_trials).
    static let medianStartup = 5
    /// ASHA's first rung and reduction factor (min_resource, reduction_factor).
    static let ashaMinResource = 1, ashaFactor = 3
}

/// What a trial has reported so far.
public struct TrialReports: Sendable, Equatable {
    public var steps: [Int] = []
    public var values: [Double] = []
    /// The value at each ASHA rung the trial reached (rung r: the first report at step ≥ 3^r).
    public var rungs: [Double] = []
    public var pruned = false

    public init(steps: [Int] = [], values: [Double] = [], rungs: [Double] = [], pruned: Bool = false) {
        self.steps = steps
        self.values = values
        self.rungs = rungs
        self.pruned = pruned
    }

    /// The value at `step`, if the trial reported one there.
    func value(at step: Int) -> Double? {
        // Steps increase: a binary search (the median rule asks this of every earlier trial at
        // every report).
        var lo = 0, hi = steps.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if steps[mid] < step { lo = mid + 1 } else { hi = mid }
        }
        return lo < steps.count && steps[lo] == step ? values[lo] : nil
    }
}

/// A trial's line to its search: `report(value, step)` records an intermediate value and says
/// whether the trial should stop. Decisions use only trials 0 ..< index − lag, all finished by
/// then (the first report waits for them), so they do not depend on timing or worker count.
public final class TrialReporter: @unchecked Sendable {
    let index: Int
    let rule: PruneRule?
    let board: TrialBoard
    let lag: Int
    private var reports = TrialReports()
    /// Finished trials below index − lag, fetched at the first report.
    private var earlier: [TrialBoard.Finished]?

    init(index: Int, rule: PruneRule?, board: TrialBoard, lag: Int) {
        self.index = index
        self.rule = rule
        self.board = board
        self.lag = lag
    }

    public var isPruned: Bool { reports.pruned }

    /// The rule this trial's reports answer to (nil: reports are only recorded).
    public var pruneRule: PruneRule? { rule }

    /// A reporter for a trial evaluated in another process (engine "ray"): it decides from
    /// `history`, the reports of trials 0 ..< index − lag that the driver's reporter reads.
    public convenience init(index: Int, rule: PruneRule?, history: [TrialReports]) {
        self.init(index: index, rule: rule, board: TrialBoard(count: 0), lag: 0)
        earlier = history.map { TrialBoard.Finished(params: [:], loss: .nan, reports: $0) }
    }

    /// What this trial's decisions read, waiting until those trials have finished: what the
    /// driver sends with a trial that runs in another process.
    public func decisionHistory() throws -> [TrialReports] {
        if earlier == nil { earlier = try board.finished(below: index - lag) }
        return earlier!.map(\.reports)
    }

    /// What the trial reported so far (a remote worker sends it back).
    public var reportsSoFar: TrialReports { reports }

    /// Takes the reports a trial made in another process as this trial's own.
    public func adopt(_ remote: TrialReports) { reports = remote }

    /// Records `value` at `step` (steps must increase) and returns true when the trial should
    /// stop; once it has said so, it says so again. Without a prune rule it only records.
    public func report(_ value: Double, step: Int) throws -> Bool {
        if let last = reports.steps.last, step <= last {
            throw TrialError.badArgument("steps must increase: got step \(step) after step \(last)")
        }
        guard step >= 0 else { throw TrialError.badArgument("step must not be negative, got \(step)") }
        reports.steps.append(step)
        reports.values.append(value)
        if reports.pruned { return true }
        guard let rule else { return false }
        if earlier == nil { earlier = try board.finished(below: index - lag) }
        let stop: Bool
        switch rule {
        case .median: stop = TrialReporter.medianPrunes(reports, step: step, value: value, earlier!)
        case .asha: stop = TrialReporter.ashaPrunes(&reports, step: step, value: value, earlier!)
        }
        reports.pruned = stop
        return stop
    }

    /// What the trial reported, for its record (the board keeps it once the trial finishes).
    var finalReports: TrialReports { reports }

    /// The median rule: prune when the trial's best value so far is worse than the median of
    /// the values that finished, unpruned trials reported at this step (nan prunes), once 5 have
    /// finished and at least one of them reported at this step.
    static func medianPrunes(_ r: TrialReports, step: Int, value: Double, _ earlier: [TrialBoard.Finished]) -> Bool {
        let complete = earlier.filter { !$0.reports.pruned }
        guard complete.count >= PruneRule.medianStartup else { return false }
        let best = r.values.filter { !$0.isNaN }.min()
        guard let best else { return true }
        let there = complete.compactMap { $0.reports.value(at: step) }.filter { !$0.isNaN }.sorted()
        guard !there.isEmpty else { return false }
        // numpy's percentile 50 (linear): the middle value, or the mean of the middle two.
        let m = there.count
        let median = m % 2 == 1 ? there[m / 2] : (there[m / 2 - 1] + there[m / 2]) / 2
        return best > median
    }

    /// ASHA: for each rung the step has reached and the trial has not passed yet, the trial's
    /// value joins that rung; it goes on only if it is within the best 1/3 (at least the best one)
    /// of the rung's values from earlier trials and itself. nan prunes.
    static func ashaPrunes(_ r: inout TrialReports, step: Int, value: Double, _ earlier: [TrialBoard.Finished]) -> Bool {
        while true {
            let rung = r.rungs.count
            var promotion = PruneRule.ashaMinResource
            for _ in 0..<rung { promotion = promotion > Int.max / PruneRule.ashaFactor ? Int.max : promotion * PruneRule.ashaFactor }
            if step < promotion { return false }
            if value.isNaN { return true }
            r.rungs.append(value)
            var competing = earlier.compactMap { $0.reports.rungs.count > rung ? $0.reports.rungs[rung] : nil }.filter { !$0.isNaN }
            competing.append(value)
            competing.sort()
            let k = Swift.max(competing.count / PruneRule.ashaFactor - 1, 0)
            if value > competing[k] { return true }
        }
    }
}

/// The trials of a search as they start and finish, shared by the workers: what a proposal
/// (TPE) or a pruning decision for trial k may read is trials 0 ..< k − lag, once finished.
final class TrialBoard: @unchecked Sendable {
    struct Finished: Sendable {
        var params: [String: ParamValue]
        var loss: Double
        var reports: TrialReports
    }

    private let condition = NSCondition()
    private var started: [[String: ParamValue]?]
    private var done: [Finished?]
    /// The lowest trial whose objective failed, if any.
    private var lowestFailure: Int?

    /// A trial the waiting one depends on failed: it gives up (the search rethrows the lower
    /// trial's error). A failure above what it waits for does not stop it: it runs, so the
    /// error the search reports is the lowest failing trial's whatever the timing.
    struct Abandoned: Error {}

    init(count: Int) {
        started = Array(repeating: nil, count: count)
        done = Array(repeating: nil, count: count)
    }

    func start(_ k: Int, _ params: [String: ParamValue]) {
        condition.lock()
        started[k] = params
        condition.unlock()
    }

    func finish(_ k: Int, _ loss: Double, _ reports: TrialReports) {
        condition.lock()
        done[k] = Finished(params: started[k]!, loss: loss, reports: reports)
        condition.broadcast()
        condition.unlock()
    }

    func fail(_ k: Int) {
        condition.lock()
        lowestFailure = min(lowestFailure ?? k, k)
        condition.broadcast()
        condition.unlock()
    }

    func trial(_ k: Int) -> Finished? {
        condition.lock()
        defer { condition.unlock() }
        return done[k]
    }

    /// Trials 0 ..< n once all have finished, in index order. Every one of them has been taken
    /// by a worker already (the executor hands out indices in order), so the wait ends.
    func finished(below n: Int) throws -> [Finished] {
        guard n > 0 else { return [] }
        condition.lock()
        defer { condition.unlock() }
        func dependencyFailed() -> Bool { lowestFailure.map { $0 < n } ?? false }
        while !dependencyFailed() && done[..<n].contains(where: { $0 == nil }) { condition.wait() }
        if dependencyFailed() { throw Abandoned() }
        return done[..<n].map { $0! }
    }
}

extension Trials {
    /// Runs `count` trials on the board: trial k's parameters come from `propose(k, board)`
    /// (which may wait for earlier trials), its reports go through its own `TrialReporter`,
    /// and a pruned trial's loss is the last value it reported.
    static func runOnBoard(
        count: Int, _ space: SearchSpace, _ o: SearchOptions, _ store: (any TrialStore)?,
        _ shouldStop: @escaping @Sendable () -> Bool, _ objective: @escaping Objective,
        propose: @escaping @Sendable (Int, TrialBoard) throws -> [String: ParamValue]
    ) throws -> SearchResult {
        let root = Random(seed: o.seed)
        let board = TrialBoard(count: count)
        let times = Locked<[Int: Double]>([:])
        let outcomes = Executor.run(count: count, workers: o.workers, stackSize: o.threadStackSize, shouldStop: shouldStop) { k, worker in
            do {
                let params = try propose(k, board)
                board.start(k, params)
                // A trial an earlier run finished goes on the board as it ended then: later
                // proposals and pruning decisions read the same history as in that run.
                if let s = try replay(store, k, params, budget: nil) {
                    board.finish(k, s.loss, s.reports)
                    return s.loss
                }
                let (loss, reports) = try stored(store, index: k, params: params, budget: nil, round: 0, worker: worker, times: times) {
                    let reporter = TrialReporter(index: k, rule: o.prune, board: board, lag: o.tpe.lag)
                    var loss = try objective(TrialInput(index: k, params: params, budget: nil, random: root.stream(k), reporter: reporter))
                    let reports = reporter.finalReports
                    if reports.pruned, let last = reports.values.last { loss = last }
                    return (loss, reports)
                }
                board.finish(k, loss, reports)
                return loss
            } catch {
                board.fail(k)
                throw error
            }
        }
        var records = [TrialRecord]()
        var interrupted = false
        for (k, outcome) in outcomes.enumerated() {
            switch outcome {
            case nil: interrupted = true
            case .failure(let e)?: throw e
            case .success(let (loss, seconds))?:
                let t = board.trial(k)!
                records.append(TrialRecord(index: k, params: t.params, budget: nil, round: 0, loss: loss,
                                           seconds: times.withLock { $0[k] } ?? store?.finished[k]?.seconds ?? seconds,
                                           pruned: t.reports.pruned, reports: t.reports))
            }
        }
        return try finish(Round(records: records, interrupted: interrupted), space, o, lastRound: nil)
    }

    /// TPE search: the first `startup` trials are random search's first draws; trial k ≥ startup
    /// is proposed from trials 0 ..< k − lag, with its own stream, whatever the worker count.
    /// A worker that takes trial k waits until those have finished: with lag + 1 workers and
    /// trials of equal length nobody waits, and with one worker the rule is the same (trial k
    /// does not see the lag trials before it), so the trials do not depend on `workers`.
    static func tpe(
        _ space: SearchSpace, _ o: SearchOptions, _ store: (any TrialStore)?,
        _ shouldStop: @escaping @Sendable () -> Bool, _ objective: @escaping Objective
    ) throws -> SearchResult {
        let startup = sample(space, count: Swift.min(o.trials, o.tpe.startup), seed: o.seed)
        let root = Random(seed: o.seed)
        return try runOnBoard(count: o.trials, space, o, store, shouldStop, objective) { k, board in
            if k < startup.count { return startup[k] }
            let history = try board.finished(below: k - o.tpe.lag)
            var random = root.stream(k).stream(0)
            return TPE.propose(space, history: history.map { ($0.params, $0.loss, $0.reports) }, options: o.tpe, random: &random)
        }
    }
}

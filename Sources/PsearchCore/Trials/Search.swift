import Foundation
import Synchronization

/// One hyper-parameter value: a number (integers too), a string or a flag.
public enum ParamValue: Sendable, Hashable, CustomStringConvertible {
    case number(Double)
    case string(String)
    case bool(Bool)

    public var double: Double? { if case .number(let x) = self { return x } else { return nil } }
    public var int: Int? { double.flatMap { $0 == $0.rounded() && abs($0) < 1e15 ? Int($0) : nil } }
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }

    public var description: String {
        switch self {
        case .number(let x): return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
        case .string(let s): return "\"\(s)\""
        case .bool(let b): return b ? "true" : "false"
        }
    }
}

/// Where one hyper-parameter may range.
public enum ParamDomain: Sendable, Equatable {
    /// A finite list, tried in this order by grid search.
    case choices([ParamValue])
    /// Uniform on [lo, hi].
    case range(Double, Double)
    /// Log-uniform on [lo, hi], both > 0 (`logrange(1e-4, 1)` for learning rates).
    case logRange(Double, Double)
    /// Integers lo...hi, uniform.
    case intRange(Int, Int)
}

/// An ordered list of named domains; the order fixes grid order and sampling order.
public struct SearchSpace: Sendable, Equatable {
    public var dimensions: [Dimension]

    public struct Dimension: Sendable, Equatable {
        public var name: String
        public var domain: ParamDomain
        public init(_ name: String, _ domain: ParamDomain) {
            self.name = name
            self.domain = domain
        }
    }

    public init(_ dimensions: [Dimension]) { self.dimensions = dimensions }

    public var names: [String] { dimensions.map(\.name) }

    /// True when every dimension is a list of choices (so the grid is exactly the space).
    public var isDiscrete: Bool {
        dimensions.allSatisfy { if case .choices = $0.domain { true } else { false } }
    }
}

public enum SearchMethod: String, Sendable, Equatable, CaseIterable {
    case grid, random, halving
    /// The tree-structured Parzen estimator (`TPE`): random start-up trials, then each trial
    /// proposed from the finished ones.
    case tpe
}

/// Settings of `Trials.search`.
public struct SearchOptions: Sendable, Equatable {
    public var method: SearchMethod
    /// Candidates for random search, and for halving over a space with ranges.
    public var trials: Int
    public var seed: UInt64
    /// Threads running trials at once; results do not depend on it.
    public var workers: Int
    /// Points per continuous range when a grid is built from it (log-spaced for log ranges).
    public var gridPoints: Int = 5
    /// Successive halving keeps the best 1/factor of the candidates each round (3, as scikit-learn).
    public var factor: Int = 3
    /// Stack size of each worker thread. Objectives that recurse deeply (an interpreter
    /// running a script's function) need more than the default; untouched pages cost nothing.
    public var threadStackSize: Int = 16 << 20
    /// Budget of a first-round halving trial (scikit-learn's min_resources); by default
    /// max(1, maxBudget / factor^(rounds - 1)), so the last round gets `maxBudget`.
    public var minBudget: Int?
    /// Budget of a last-round halving trial (max_resources); by default minBudget·factor^(rounds-1).
    public var maxBudget: Int?
    public var tpe = TPEOptions()
    /// Stops trials whose reported values are hopeless (grid, random and tpe).
    public var prune: PruneRule?

    /// Trials of a random or TPE search unless told otherwise.
    public static let defaultTrials = 20

    public init(method: SearchMethod = .random, trials: Int = SearchOptions.defaultTrials, seed: UInt64 = Random.defaultSeed, workers: Int? = nil) {
        self.method = method
        self.trials = trials
        self.seed = seed
        self.workers = workers ?? ProcessInfo.processInfo.activeProcessorCount
    }
}

/// What an objective receives: the parameters, the halving budget and a private random stream.
public struct TrialInput: Sendable {
    /// 0, 1, 2, ... in the order trials are issued (round by round for halving).
    public var index: Int
    public var params: [String: ParamValue]
    /// Resource for this trial under successive halving (epochs, samples, ...); nil otherwise.
    public var budget: Int?
    /// `Random(seed: options.seed).stream(index)`: the same for any number of workers.
    public var random: Random
    /// Where the trial reports intermediate values (nil under halving, which sets budgets instead).
    public var reporter: TrialReporter?

    public init(index: Int, params: [String: ParamValue], budget: Int?, random: Random, reporter: TrialReporter? = nil) {
        self.index = index
        self.params = params
        self.budget = budget
        self.random = random
        self.reporter = reporter
    }
}

/// One evaluated trial.
public struct TrialRecord: Sendable, Equatable {
    public var index: Int
    public var params: [String: ParamValue]
    public var budget: Int?
    /// Halving round (0 first), 0 for grid and random.
    public var round: Int
    /// The objective's value (a pruned trial's last reported value); nan ranks last.
    public var loss: Double
    public var seconds: Double
    /// The prune rule stopped the trial.
    public var pruned = false
    /// The intermediate values the trial reported.
    public var reports = TrialReports()

    public init(index: Int, params: [String: ParamValue], budget: Int? = nil, round: Int = 0, loss: Double, seconds: Double,
                pruned: Bool = false, reports: TrialReports? = nil) {
        self.index = index
        self.reports = reports ?? TrialReports()
        self.params = params
        self.budget = budget
        self.round = round
        self.loss = loss
        self.seconds = seconds
        self.pruned = pruned
    }
}

/// The outcome of a search: the best parameters and every trial in index order.
public struct SearchResult: Sendable {
    public var best: [String: ParamValue]
    public var bestLoss: Double
    public var trials: [TrialRecord]
    public var method: SearchMethod
    /// Names of the parameters in the space's order, for printing `best` as a record.
    public var names: [String]
    public var interrupted: Bool
    public var note: String?
    /// The space searched: plots take each parameter's scale (log for a log range) from it.
    public var space: SearchSpace

    public init(best: [String: ParamValue], bestLoss: Double, trials: [TrialRecord], method: SearchMethod, names: [String],
                interrupted: Bool, note: String?, space: SearchSpace) {
        self.best = best
        self.bestLoss = bestLoss
        self.trials = trials
        self.method = method
        self.names = names
        self.interrupted = interrupted
        self.note = note
        self.space = space
    }
}

public enum TrialError: Error, Equatable, Sendable, CustomStringConvertible {
    case badArgument(String)
    case noTrials

    public var description: String {
        switch self {
        case .badArgument(let m): return m
        case .noTrials: return "search was stopped before any trial finished"
        }
    }
}

/// Hyper-parameter search: grid, random and successive halving, with trials in parallel.
///
/// Thread safety: the objective is called from up to `workers` threads at once (worker
/// threads have 16 MB stacks; with `workers: 1` it runs on the calling thread). It must not
/// touch shared mutable state without its own lock, and should draw randomness only from
/// `TrialInput.random`, which is what makes the result independent of the worker count. A
/// language closure that cannot run concurrently should be wrapped to serialise or be run
/// with `workers: 1`.
public enum Trials {
    public typealias Objective = @Sendable (TrialInput) throws -> Double

    /// Runs a search; an objective error stops it and is rethrown (the lowest-index failing trial's).
    ///
    /// `shouldStop` is polled before every trial (by default: Ctrl-C). Stopping keeps the
    /// finished trials and marks the result interrupted; the flag is not cleared.
    ///
    /// With a `store`, every trial's start and end are recorded there, and the trials it already
    /// holds as finished are read back instead of run (a resumed study gives the same result).
    public static func search(
        space: SearchSpace, options: SearchOptions, store: (any TrialStore)? = nil,
        shouldStop: @escaping @Sendable () -> Bool = { Interrupt.isRequested },
        objective: @escaping Objective
    ) throws -> SearchResult {
        try validate(space, options)
        switch options.method {
        case .grid:
            let cands = try grid(space, points: options.gridPoints)
            return try runOnBoard(count: cands.count, space, options, store, shouldStop, objective) { k, _ in cands[k] }
        case .random:
            let cands = sample(space, count: options.trials, seed: options.seed)
            return try runOnBoard(count: cands.count, space, options, store, shouldStop, objective) { k, _ in cands[k] }
        case .halving:
            let cands = space.isDiscrete ? try grid(space, points: options.gridPoints)
                : sample(space, count: options.trials, seed: options.seed)
            return try halving(cands, space, options, store, shouldStop, objective)
        case .tpe:
            return try tpe(space, options, store, shouldStop, objective)
        }
    }

    private static func validate(_ space: SearchSpace, _ o: SearchOptions) throws(TrialError) {
        guard !space.dimensions.isEmpty else { throw .badArgument("search space is empty") }
        var seen = Set<String>()
        for d in space.dimensions {
            guard seen.insert(d.name).inserted else { throw .badArgument("parameter '\(d.name)' appears twice in the space") }
            switch d.domain {
            case .choices(let c):
                guard !c.isEmpty else { throw .badArgument("parameter '\(d.name)' has no choices") }
            case .range(let lo, let hi):
                guard lo.isFinite && hi.isFinite && lo <= hi else { throw .badArgument("range of '\(d.name)' must have finite lo <= hi, got \(lo)...\(hi)") }
            case .logRange(let lo, let hi):
                guard lo > 0 && hi.isFinite && lo <= hi else { throw .badArgument("logrange of '\(d.name)' needs 0 < lo <= hi, got \(lo)...\(hi)") }
            case .intRange(let lo, let hi):
                guard lo <= hi else { throw .badArgument("integer range of '\(d.name)' needs lo <= hi, got \(lo)...\(hi)") }
            }
        }
        guard o.trials >= 1 else { throw .badArgument("trials must be at least 1, got \(o.trials)") }
        guard o.workers >= 1 else { throw .badArgument("workers must be at least 1, got \(o.workers)") }
        guard o.gridPoints >= 2 else { throw .badArgument("grid points per range must be at least 2, got \(o.gridPoints)") }
        guard o.factor >= 2 else { throw .badArgument("halving factor must be at least 2, got \(o.factor)") }
        if let m = o.minBudget, m < 1 { throw .badArgument("minimum budget must be at least 1, got \(m)") }
        if let m = o.maxBudget, m < 1 { throw .badArgument("maximum budget must be at least 1, got \(m)") }
        if o.prune != nil && o.method == .halving {
            throw .badArgument("halving already stops trials early by their budget: prune is for grid, random and tpe")
        }
        guard o.tpe.startup >= 1 else { throw .badArgument("tpe start-up trials must be at least 1, got \(o.tpe.startup)") }
        guard o.tpe.candidates >= 1 else { throw .badArgument("tpe candidates must be at least 1, got \(o.tpe.candidates)") }
        guard o.tpe.lag >= 0 else { throw .badArgument("tpe lag must not be negative, got \(o.tpe.lag)") }
        guard o.tpe.priorWeight > 0, o.tpe.priorWeight.isFinite else { throw .badArgument("tpe prior weight must be a positive number, got \(o.tpe.priorWeight)") }
    }

    // MARK: candidates

    /// The values a grid takes along one dimension.
    static func gridValues(_ domain: ParamDomain, points: Int) -> [ParamValue] {
        switch domain {
        case .choices(let c): return c
        case .range(let lo, let hi):
            if lo == hi { return [.number(lo)] }
            return (0..<points).map { .number(lo + (hi - lo) * Double($0) / Double(points - 1)) }
        case .logRange(let lo, let hi):
            if lo == hi { return [.number(lo)] }
            let (a, b) = (log(lo), log(hi))
            // Endpoints exactly, so logrange(1e-4, 1) includes 1e-4 and 1.
            return (0..<points).map { i in
                i == 0 ? .number(lo) : i == points - 1 ? .number(hi) : .number(exp(a + (b - a) * Double(i) / Double(points - 1)))
            }
        case .intRange(let lo, let hi):
            if hi - lo + 1 <= points { return (lo...hi).map { .number(Double($0)) } }
            var out = [Int]()
            for i in 0..<points {
                let v = lo + Int((Double(hi - lo) * Double(i) / Double(points - 1)).rounded())
                if out.last != v { out.append(v) }
            }
            return out.map { .number(Double($0)) }
        }
    }

    /// Every combination, the last dimension varying fastest.
    static func grid(_ space: SearchSpace, points: Int) throws(TrialError) -> [[String: ParamValue]] {
        let axes = space.dimensions.map { gridValues($0.domain, points: points) }
        let total = axes.reduce(1.0) { $0 * Double($1.count) }
        // The count is a Double (20 choices of 10 make 10^20, past Int.max): printed, not converted.
        guard total <= 100_000 else { throw .badArgument("grid of \(total < 1e15 ? String(Int(total)) : "\(total)") combinations is too large (at most 100,000)") }
        var out: [[String: ParamValue]] = [[:]]
        for (d, values) in zip(space.dimensions, axes) {
            out = out.flatMap { partial in values.map { v in var p = partial; p[d.name] = v; return p } }
        }
        return out
    }

    /// `count` independent draws from the space with one generator seeded by `seed`.
    static func sample(_ space: SearchSpace, count: Int, seed: UInt64) -> [[String: ParamValue]] {
        var rng = Random(seed: seed)
        return (0..<count).map { _ in
            var p = [String: ParamValue]()
            for d in space.dimensions {
                switch d.domain {
                case .choices(let c): p[d.name] = c[rng.int(below: c.count)]
                case .range(let lo, let hi): p[d.name] = .number(rng.uniform(lo, hi))
                case .logRange(let lo, let hi): p[d.name] = .number(exp(rng.uniform(log(lo), log(hi))))
                case .intRange(let lo, let hi): p[d.name] = .number(Double(lo + rng.int(below: hi - lo + 1)))
                }
            }
            return p
        }
    }

    // MARK: running

    struct Round {
        var records: [TrialRecord]
        var interrupted: Bool
    }

    /// Runs one batch of trials in parallel; records come back in index order.
    private static func runRound(
        _ candidates: [[String: ParamValue]], budget: Int?, round: Int, firstIndex: Int,
        _ o: SearchOptions, _ store: (any TrialStore)?, _ shouldStop: @escaping @Sendable () -> Bool, _ objective: @escaping Objective
    ) throws -> Round {
        let root = Random(seed: o.seed)
        let times = Locked<[Int: Double]>([:])
        let outcomes = Executor.run(count: candidates.count, workers: o.workers, stackSize: o.threadStackSize, shouldStop: shouldStop) { i, worker in
            let k = firstIndex + i
            if let s = try replay(store, k, candidates[i], budget: budget) { return s.loss }
            return try stored(store, index: k, params: candidates[i], budget: budget, round: round, worker: worker, times: times) {
                (try objective(TrialInput(index: k, params: candidates[i], budget: budget, random: root.stream(k))), TrialReports())
            }.loss
        }
        var records = [TrialRecord]()
        var interrupted = false
        for (i, outcome) in outcomes.enumerated() {
            switch outcome {
            case nil: interrupted = true
            case .failure(let e)?: throw e
            case .success(let (loss, seconds))?:
                // A replayed trial keeps the time it took when it ran.
                records.append(TrialRecord(index: firstIndex + i, params: candidates[i], budget: budget, round: round,
                                           loss: loss, seconds: times.withLock { $0[firstIndex + i] } ?? store?.finished[firstIndex + i]?.seconds ?? seconds))
            }
        }
        return Round(records: records, interrupted: interrupted)
    }

    /// Orders trial records best first: lower loss, nan last, ties by index.
    static func ranked(_ records: [TrialRecord]) -> [TrialRecord] {
        records.sorted { a, b in
            let (la, lb) = (a.loss.isNaN ? .infinity : a.loss, b.loss.isNaN ? .infinity : b.loss)
            return la != lb ? la < lb : a.index < b.index
        }
    }

    static func finish(_ round: Round, _ space: SearchSpace, _ o: SearchOptions, lastRound: [TrialRecord]?) throws -> SearchResult {
        let pool = lastRound ?? round.records
        guard let best = ranked(pool).first else { throw TrialError.noTrials }
        return SearchResult(
            best: best.params, bestLoss: best.loss, trials: round.records, method: o.method, names: space.names,
            interrupted: round.interrupted,
            note: round.interrupted ? "interrupted after \(round.records.count) trial\(round.records.count == 1 ? "" : "s"): best of those so far" : nil,
            space: space)
    }

    /// Successive halving as scikit-learn's HalvingGridSearchCV: each round gives every
    /// surviving candidate `factor` times the previous budget and keeps the best
    /// ceil(candidates / factor) for the next round.
    private static func halving(
        _ candidates: [[String: ParamValue]], _ space: SearchSpace, _ o: SearchOptions, _ store: (any TrialStore)?,
        _ shouldStop: @escaping @Sendable () -> Bool, _ objective: @escaping Objective
    ) throws -> SearchResult {
        let schedule = halvingSchedule(candidates: candidates.count, factor: o.factor, minBudget: o.minBudget, maxBudget: o.maxBudget)
        var survivors = candidates
        var all = [TrialRecord]()
        var lastRound = [TrialRecord]()
        var interrupted = false
        var index = 0
        for (r, budget) in schedule.enumerated() {
            let round = try runRound(survivors, budget: budget, round: r, firstIndex: index, o, store, shouldStop, objective)
            all += round.records
            index += survivors.count
            if !round.records.isEmpty { lastRound = round.records }
            if round.interrupted {
                interrupted = true
                break
            }
            let keep = (survivors.count + o.factor - 1) / o.factor
            survivors = ranked(round.records).prefix(keep).map(\.params)
        }
        return try finish(Round(records: all, interrupted: interrupted), space, o, lastRound: lastRound)
    }

    /// Budgets per round for `candidates` candidates (scikit-learn's 'exhaust' rule when only
    /// maxBudget is given): rounds = min(1 + floor(log_factor(candidates)), rounds the budgets allow).
    public static func halvingSchedule(candidates: Int, factor: Int, minBudget: Int?, maxBudget: Int?) -> [Int] {
        // 1 + floor(log_factor(candidates)), as scikit-learn's n_required_iterations.
        var required = 1
        var c = candidates
        while c >= factor {
            c /= factor
            required += 1
        }
        func power(_ e: Int) -> Int { (0..<e).reduce(1) { r, _ in r > Int.max / factor ? r : r * factor } }
        let minB: Int, rounds: Int
        switch (minBudget, maxBudget) {
        case (let lo?, let hi?):
            minB = lo
            var possible = 1
            while lo * power(possible) <= hi { possible += 1 }
            rounds = min(required, possible)
        case (let lo?, nil):
            minB = lo
            rounds = required
        case (nil, let hi?):
            minB = max(1, hi / power(required - 1))
            var possible = 1
            while minB * power(possible) <= hi { possible += 1 }
            rounds = min(required, possible)
        case (nil, nil):
            minB = 1
            rounds = required
        }
        return (0..<rounds).map { minB * power($0) }
    }
}

/// Runs indexed jobs on worker threads, taking indices in order.
enum Executor {
    /// Results by index: nil for jobs never started because `shouldStop` fired or an earlier
    /// job failed; (value, seconds) or the job's error otherwise. A job gets its index and its
    /// worker's number (0 ..< workers).
    static func run(
        count: Int, workers: Int, stackSize: Int = 16 << 20, shouldStop: @escaping @Sendable () -> Bool,
        _ job: @escaping @Sendable (Int, Int) throws -> Double
    ) -> [Result<(Double, Double), any Error>?] {
        let results = Locked<[Result<(Double, Double), any Error>?]>(Array(repeating: nil, count: count))
        let next = Atomic<Int>(0)
        let failed = Atomic<Bool>(false)
        let work: @Sendable (Int) -> Void = { worker in
            while !failed.load(ordering: .relaxed) && !shouldStop() {
                let i = next.add(1, ordering: .relaxed).oldValue
                if i >= count { return }
                let clock = ContinuousClock()
                let start = clock.now
                let outcome: Result<(Double, Double), any Error>
                do {
                    let v = try job(i, worker)
                    let d = clock.now - start
                    outcome = .success((v, Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18))
                } catch {
                    failed.store(true, ordering: .relaxed)
                    outcome = .failure(error)
                }
                results.withLock { $0[i] = outcome }
            }
        }
        let threads = min(workers, count)
        if threads <= 1 {
            work(0)
        } else {
            let group = DispatchGroup()
            for w in 0..<threads {
                group.enter()
                let t = Thread {
                    work(w)
                    group.leave()
                }
                t.stackSize = stackSize
                t.start()
            }
            group.wait()
        }
        return results.withLock { $0 }
    }
}

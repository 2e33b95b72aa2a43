import Foundation
import Synchronization

/// How much search `AutoML.run` may spend.
public enum AutoMLBudget: Sendable, Equatable {
    /// Sample this many candidate designs and race them by successive halving. Deterministic.
    case trials(Int)
    /// Race 81 candidates but stop starting trials after this many seconds. The result then
    /// depends on the machine's speed and load: use `.trials` where results must repeat.
    case seconds(Double)
}

public struct AutoMLOptions: Sendable, Equatable {
    public var budget: AutoMLBudget
    public var seed: UInt64
    public var workers: Int
    /// Held out from `data` to rank candidates.
    public var validation: Double = 0.2
    /// Epochs of a last-round trial; the first round gets maxEpochs / 3^(rounds-1).
    public var maxEpochs: Int = 81
    public var batch: Int = 32

    /// The budget unless told otherwise (a constant, so reading it does not ask the system for its cores).
    public static let defaultBudget = AutoMLBudget.trials(27)

    public init(budget: AutoMLBudget = AutoMLOptions.defaultBudget, seed: UInt64 = Random.defaultSeed, workers: Int? = nil) {
        self.budget = budget
        self.seed = seed
        self.workers = workers ?? ProcessInfo.processInfo.activeProcessorCount
    }
}

/// One row of the leaderboard: a candidate at the largest budget it reached.
public struct LeaderboardEntry: Sendable, Equatable {
    /// "mlp R^64 -> R^64 -> R^10 (4,810 weights)", plus the activation for MLPs.
    public var model: String
    public var params: [String: ParamValue]
    /// The model's number of weights.
    public var weights: Int
    public var epochs: Int
    public var valLoss: Double
    /// nan for regression.
    public var valAccuracy: Double
    public var seconds: Double

    /// The design in a few words: "mlp 64-32-16 tanh" (hidden layer sizes and activation),
    /// "softmax" or "linear".
    public var design: String {
        let depth = params["depth"]?.int ?? 0
        guard depth > 0 else { return String(model.prefix { $0 != " " }) }
        let width = params["width"]?.int ?? 32
        let hidden = (0..<depth).map { String(max(4, width >> $0)) }.joined(separator: "-")
        return "mlp \(hidden) \(params["act"]?.string ?? "relu")"
    }
}

public struct AutoMLResult: Sendable {
    /// The best design, trained on the non-validation rows for `maxEpochs`.
    public var model: Model
    /// Best first; every candidate once, at the largest budget it reached.
    public var leaderboard: [LeaderboardEntry]
    public var trials: Int
    public var note: String?
}

/// The machine designs the model: samples families (softmax or linear, MLPs with 1-3 hidden
/// layers of 4-128 units and each activation) with Adam learning rates in [1e-3, 3e-2], and
/// races them by successive halving over epochs on a held-out validation split.
public enum AutoML {
    static let widths = [4, 8, 16, 32, 64, 128]

    /// The search space: `depth` 0 is the single-layer family (softmax, or linear for regression).
    public static let space = SearchSpace([
        .init("depth", .choices([0, 1, 2, 3].map { .number(Double($0)) })),
        .init("width", .choices(widths.map { .number(Double($0)) })),
        .init("act", .choices(Activation.allCases.map { .string($0.rawValue) })),
        .init("lr", .logRange(1e-3, 3e-2)),
    ])

    /// The model a parameter record describes, for data with d features and k outputs.
    /// Hidden layers narrow by half per layer (width, width/2, ...), at least 4 units.
    public static func model(_ p: [String: ParamValue], d: Int, k: Int, regression: Bool, seed: UInt64) throws(ModelError) -> Model {
        let depth = p["depth"]?.int ?? 0
        if depth == 0 {
            return regression ? try .linear(d: d, k: 1) : try .softmax(d: d, k: max(k, 2))
        }
        let width = p["width"]?.int ?? 32
        let act = Activation(rawValue: p["act"]?.string ?? "relu") ?? .relu
        var sizes = [d]
        for l in 0..<depth { sizes.append(max(4, width >> l)) }
        sizes.append(regression ? 1 : max(k, 2))
        return try .mlp(sizes: sizes, activation: act, head: regression ? .identity : nil, seed: seed)
    }

    static func label(_ m: Model) -> String {
        m.family == .mlp ? "\(m) \(m.activation.rawValue)" : m.description
    }

    /// Searches, then returns the best design's trained model and the leaderboard.
    public static func run(
        _ data: Dataset, options: AutoMLOptions = AutoMLOptions(),
        shouldStop: @escaping @Sendable () -> Bool = { Interrupt.isRequested }
    ) throws -> AutoMLResult {
        guard data.n >= 10 else { throw ModelError.badArgument("automl needs at least 10 samples, got \(data.n)") }
        let regression = data.kind == .regression
        if regression, data.y.contains(where: { !$0.isFinite }) { throw ModelError.badArgument("automl: regression targets must be finite") }
        let (train, val) = try data.split(testFraction: options.validation, seed: options.seed)

        var search = SearchOptions(method: .halving, seed: options.seed, workers: options.workers)
        var stop = shouldStop
        switch options.budget {
        case .trials(let n):
            guard n >= 1 else { throw TrialError.badArgument("automl budget must be at least 1 trial, got \(n)") }
            search.trials = n
        case .seconds(let s):
            guard s > 0 else { throw TrialError.badArgument("automl budget must be positive seconds, got \(s)") }
            search.trials = 81
            // Past 10^9 s (31 years) there is no deadline to keep: Int(s * 1000) would trap
            // beyond 2^63 ms (seconds: 1e300, or inf from a caller of the core).
            if s < 1e9 {
                let deadline = ContinuousClock.now + .milliseconds(Int(s * 1000))
                stop = { shouldStop() || ContinuousClock.now >= deadline }
            }
        }
        search.maxBudget = options.maxEpochs

        // Models of the deepest round reached, kept to return the winner without retraining.
        let kept = Locked<[Int: (Model, Double)]>([:])
        let batch = options.batch
        let result = try Trials.search(space: space, options: search, shouldStop: stop) { input in
            var rng = input.random
            let m = try model(input.params, d: data.d, k: data.k, regression: regression, seed: rng.next())
            let lr = input.params["lr"]?.double ?? 0.01
            let epochs = input.budget ?? options.maxEpochs
            let r = try Training.train(
                m, on: train,
                options: TrainOptions(lr: lr, epochs: epochs, batch: batch, optimizer: .adam, validation: 0, seed: rng.next()),
                shouldStop: { false })
            let loss = try r.model.loss(on: val)
            let acc = regression ? Double.nan : try r.model.accuracy(on: val)
            kept.withLock { $0[input.index] = (r.model, acc) }
            return loss.isFinite ? loss : .infinity
        }

        // Each candidate once, at its deepest round; deeper rounds rank first.
        var latest = [String: TrialRecord]()
        for t in result.trials {
            let key = space.names.map { "\(t.params[$0]!)" }.joined(separator: ",")
            if let old = latest[key], old.round > t.round { continue }
            latest[key] = t
        }
        let models = kept.withLock { $0 }
        let ordered = latest.values.sorted { a, b in
            if a.round != b.round { return a.round > b.round }
            return Trials.ranked([a, b]).first!.index == a.index
        }
        let board = ordered.map { t in
            let (m, acc) = models[t.index]!
            return LeaderboardEntry(model: label(m), params: t.params, weights: m.parameterCount, epochs: t.budget ?? options.maxEpochs,
                                    valLoss: t.loss, valAccuracy: acc, seconds: t.seconds)
        }
        guard let winner = ordered.first, let best = models[winner.index]?.0 else { throw TrialError.noTrials }
        var note = result.note
        if case .seconds = options.budget, result.interrupted, !shouldStop() {
            note = "time budget used up after \(result.trials.count) trials"
        }
        return AutoMLResult(model: best, leaderboard: board, trials: result.trials.count, note: note)
    }
}

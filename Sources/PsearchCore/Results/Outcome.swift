/// Why a run ended: the one vocabulary every result kind reports.
public enum StopReason: String, Sendable, CaseIterable {
    /// The method's own test passed: gradient norm below tol, interval below tol, element found.
    case converged
    /// The step, epoch or trial limit was reached first.
    case limit
    /// The loss or the point stopped being finite, or grew past the divergence bound.
    case diverged
    /// No step lowered the loss (a line search along −g found no lower point; early stopping).
    case stalled
    /// Ctrl-C.
    case interrupted
    /// The search ran to its end without a convergence test (a grid, every trial, a binary
    /// search that did not find the target).
    case finished
}

/// What every result shares, as scipy's `OptimizeResult` does: where the run ended, how it
/// got there and why it stopped. Kind-specific parts (a descent's path, an interval trace, a
/// binary search's kept halves, a training history, the trials of a search) stay on the
/// result types themselves.
public struct Outcome: Sendable, Equatable {
    /// The point reached; nil for searches that have no point (a binary search finds an index).
    public var x: [Double]?
    /// The objective at `x`; nil where there is none.
    public var loss: Double?
    /// Updates, halvings, epochs or trials made.
    public var steps: Int
    /// Calls of the objective.
    public var evaluations: Int
    public var stop: StopReason
    /// One line on how the run ended, as the language prints it (empty if the kind has none).
    public var message: String
    /// The loss after each step, for a convergence curve (empty where the kind keeps none).
    public var trace: [Double]

    public var converged: Bool { stop == .converged }

    public init(x: [Double]?, loss: Double?, steps: Int, evaluations: Int, stop: StopReason, message: String = "", trace: [Double] = []) {
        self.x = x
        self.loss = loss
        self.steps = steps
        self.evaluations = evaluations
        self.stop = stop
        self.message = message
        self.trace = trace
    }
}

/// A typed result of one of the core's searches; summaries, plots and the language read
/// the shared part through `outcome` and switch on the concrete type for the rest.
public protocol OptimizationResult: Sendable {
    var outcome: Outcome { get }
}

extension DescentResult: OptimizationResult {
    public var outcome: Outcome {
        let stop: StopReason = termination?.stop ?? (converged ? .converged : diverged ? .diverged : interrupted ? .interrupted : stalled ? .stalled : .limit)
        return Outcome(x: x, loss: loss, steps: steps, evaluations: evaluations, stop: stop, message: message, trace: losses)
    }
}

extension MultiStartResult: OptimizationResult {
    /// The best run's outcome, with the evaluations of every run; `finished` when every run diverged.
    public var outcome: Outcome {
        let evaluations = runs.reduce(0) { $0 + $1.evaluations }
        let steps = runs.reduce(0) { $0 + $1.steps }
        guard let best else {
            let interrupted = runs.count < starts.count || runs.contains { $0.interrupted }
            return Outcome(x: nil, loss: nil, steps: steps, evaluations: evaluations, stop: interrupted ? .interrupted : .diverged,
                           message: "every run diverged")
        }
        var o = runs[best].outcome
        o.steps = steps
        o.evaluations = evaluations
        return o
    }
}

extension IntervalResult: OptimizationResult {
    /// Golden section and bisection converge (the bracket is below tol, or a root was hit); a grid scans to its end.
    public var outcome: Outcome {
        Outcome(x: [x], loss: loss, steps: steps, evaluations: evaluations, stop: converged ? .converged : .finished)
    }
}

extension BinarySearchResult: OptimizationResult {
    public var outcome: Outcome {
        Outcome(x: nil, loss: nil, steps: steps, evaluations: steps, stop: found ? .converged : .finished)
    }
}

extension TrainResult: OptimizationResult {
    /// The point is the flat weights the model holds; the trace is the training loss per epoch.
    public var outcome: Outcome {
        let stop: StopReason = interrupted ? .interrupted : stoppedEarly ? .stalled
            : history.trainLoss.last.map { !$0.isFinite } == true ? .diverged : .limit
        let monitored = history.valLoss.isEmpty ? history.trainLoss : history.valLoss
        let loss = bestEpoch >= 1 && bestEpoch <= monitored.count ? monitored[bestEpoch - 1] : monitored.last
        return Outcome(x: path.indices.contains(bestEpoch) ? path[bestEpoch] : nil, loss: loss, steps: epochsRun,
                       evaluations: epochsRun, stop: stop, message: note ?? "", trace: history.trainLoss)
    }
}

extension SearchResult: OptimizationResult {
    /// The best trial; x is nil (parameters are named, not a point: read `best`), the trace is
    /// the best loss so far after each trial.
    public var outcome: Outcome {
        var bestSoFar = [Double]()
        bestSoFar.reserveCapacity(trials.count)
        var low = Double.infinity
        for t in trials {
            if t.loss < low { low = t.loss }
            bestSoFar.append(low)
        }
        return Outcome(x: nil, loss: bestLoss, steps: trials.count, evaluations: trials.count,
                       stop: interrupted ? .interrupted : .finished, message: note ?? "", trace: bestSoFar)
    }
}

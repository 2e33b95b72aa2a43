import Foundation

/// Settings of one descent; the defaults are `descend`'s.
public struct DescentOptions: Sendable {
    /// The method's hyper-parameters, the learning rate among them.
    public var settings = Optimizer.Settings(lr: 0.01)
    public var lr: Double {
        get { settings.lr }
        set { settings.lr = newValue }
    }
    public var steps = 1000
    /// Converged when the gradient norm falls below this.
    public var tol = 1e-8
    public var method = Optimizer.Method.gd
    /// Each step: golden-section search along −g instead of a fixed lr.
    public var line = false
    /// Diverged when |loss| exceeds this times max(|start loss|, 1).
    public var divergenceFactor = 1e12
    /// Keep the path and losses (off for multi-start inner runs that only need end points).
    public var record = true
    /// On divergence, look for a learning rate that does not diverge (off inside that search).
    public var suggestLR = true

    public init(lr: Double = 0.01, steps: Int = 1000, tol: Double = 1e-8, method: Optimizer.Method = .gd, line: Bool = false) {
        self.lr = lr
        self.steps = steps
        self.tol = tol
        self.method = method
        self.line = line
    }
}

/// The outcome of a descent (scipy's OptimizeResult shape).
public struct DescentResult: Sendable {
    /// The end point.
    public var x: [Double]
    public var loss: Double
    /// Updates made.
    public var steps: Int
    /// Calls of the objective.
    public var evaluations: Int
    /// The gradient norm fell below tol.
    public var converged: Bool
    public var diverged: Bool
    /// Stopped by Ctrl-C.
    public var interrupted: Bool
    /// A line search along −g found no lower point.
    public var stalled = false
    /// One line on how the run ended.
    public var message: String
    /// Gradient norm at the end point.
    public var gradientNorm: Double
    /// Length of a point.
    public let dimension: Int
    /// Visited points, row-major, one row per step, the start included (empty if not recorded).
    public var pathData: [Double]
    /// Loss at each point of the path.
    public var losses: [Double]
    /// The path was asked for but not kept: the caller said it can reproduce it on demand
    /// (`Descent.reproducePath`), so a long run does not fill memory with rows nobody reads.
    public var pathDeferred = false
    /// Set by `SecondOrder.minimize` (nil for the per-step rules, whose printed results stay as
    /// they were): the method's name, why it stopped, and its gradient and Hessian calls.
    public var method: String? = nil
    public var termination: SecondOrder.Termination? = nil
    public var gradientEvaluations = 0
    public var hessianEvaluations = 0

    /// Number of rows of the path.
    public var pathCount: Int { dimension == 0 ? 0 : pathData.count / dimension }

    /// Row i of the path.
    public func pathRow(_ i: Int) -> [Double] { Array(pathData[(i * dimension)..<((i + 1) * dimension)]) }

    /// The path as a matrix (rows × dimension).
    public var path: Tensor { Tensor(shape: [pathCount, dimension], data: pathData) }
}

extension DescentResult {
    /// A search on a line (golden section, bisection) as a converged run in one dimension:
    /// its best point so far after each call as the path.
    public init(line x: Double, loss: Double, steps: Int, evaluations: Int, message: String, path: [Double], losses: [Double]) {
        self.init(x: [x], loss: loss, steps: steps, evaluations: evaluations, converged: true, diverged: false, interrupted: false,
                  message: message, gradientNorm: .nan, dimension: 1, pathData: path, losses: losses)
    }
}

/// A local minimum found by multi-start: the best end point of the runs merged into it.
public struct FoundMinimum: Sendable {
    public var x: [Double]
    public var loss: Double
    /// How many runs ended here.
    public var count: Int
    /// Which runs (indices into `runs`).
    public var runs: [Int]
}

public struct MultiStartResult: Sendable {
    public var starts: [[Double]]
    public var runs: [DescentResult]
    /// Distinct end points, lowest loss first (diverged runs excluded).
    public var minima: [FoundMinimum]
    /// Index into `runs` of the lowest final loss, nil if every run diverged.
    public var best: Int?
}

public enum DescentError: Error, Equatable, Sendable {
    case emptyStart
    case badOption(name: String, value: Double)
    case badBox(String)
    case gradientSize(expected: Int, got: Int)
    /// A re-run for the path ended somewhere else: the objective was not a pure function.
    case notReproduced(step: Int)
}

extension DescentError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .emptyStart: return "descend needs a start point with at least one number"
        case .badOption(let name, let v): return "bad value for '\(name)': \(v)"
        case .badBox(let why): return "bad box: \(why)"
        case .gradientSize(let e, let g): return "gradient has \(g) elements for a point of \(e)"
        case .notReproduced(let step):
            return "the path could not be reproduced: running the descent again ended elsewhere after \(step) steps"
        }
    }
}

/// Gradient descent and its family over an objective giving loss and gradient.
public enum Descent {
    /// Writes the gradient at x into g (same length) and returns the loss. It may call back into
    /// an interpreter; its errors pass through `descend` unchanged.
    public typealias Objective = (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) throws -> Double

    /// Convenience: wraps a closure returning (loss, gradient) as an `Objective`.
    public static func objective(_ f: @escaping ([Double]) throws -> (Double, [Double])) -> Objective {
        { x, g in
            let (v, grad) = try f(Array(x))
            guard grad.count == g.count else { throw DescentError.gradientSize(expected: g.count, got: grad.count) }
            for i in 0..<grad.count { g[i] = grad[i] }
            return v
        }
    }

    static func validate(_ start: [Double], _ o: DescentOptions) throws(DescentError) {
        guard !start.isEmpty else { throw .emptyStart }
        guard o.lr > 0 && o.lr.isFinite else { throw .badOption(name: "lr", value: o.lr) }
        guard o.steps >= 0 else { throw .badOption(name: "steps", value: Double(o.steps)) }
        guard o.tol >= 0 else { throw .badOption(name: "tol", value: o.tol) }
        if let (name, v) = o.settings.invalid { throw .badOption(name: name, value: v) }
    }

    /// Runs `options.steps` updates from `start`, stopping early on convergence, divergence or
    /// Ctrl-C (`Interrupt.isRequested` is polled every step, every 4,096 in fused steps, and
    /// left set for the caller).
    ///
    /// `deferPath` is asked once, after the first evaluation, when the path is to be recorded:
    /// true means the objective is now known to be pure (each value depends on the point alone),
    /// so the caller will rebuild the path with `reproducePath` if it is ever read, and none is
    /// kept (`pathDeferred`). Recording costs more than the steps on long runs: 2,000,000 steps
    /// of a 2-d point write 48 MB, and the kernel zeroing those fresh pages took more time than
    /// the descent itself.
    ///
    /// `fused` offers plain gradient descent fused with a compiled objective (`FusedDescent`, made
    /// by an `ObjectiveCompiler` such as PsearchFast's machine code). It is asked once, and only
    /// for method "gd" when no path is kept; it then runs whole stretches of steps, the same
    /// steps the loop below would make, bit for bit.
    ///
    /// The loop: evaluate at the start; then, each step, stop on convergence, at the step limit
    /// or on Ctrl-C, else update the point, evaluate, record, and stop if the run diverged.
    public static func descend(_ f: Objective, start: [Double], options o: DescentOptions = DescentOptions(),
                               deferPath: (() -> Bool)? = nil, fused: (() -> (any FusedDescent)?)? = nil) throws -> DescentResult {
        try validate(start, o)
        let n = start.count
        var x = start
        var g = [Double](repeating: 0, count: n)
        var state = Optimizer(o.method, o.settings, dimension: n)
        var recorder: PathRecorder?
        var deferred = false
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { scratch.deallocate() }
        let plain = o.method == .gd && !o.line
        let lr = o.lr
        var evaluations = 0
        var loss = 0.0, loss0 = 0.0
        var steps = 0
        var converged = false, diverged = false, interrupted = false, stalled = false
        var message = ""
        // The squared gradient norm; its square root is taken only where it is needed (a
        // square root per step sat on the critical path of a small descent).
        var gnorm2 = 0.0
        var gnorm: Double { gnorm2.squareRoot() }
        // `gnorm < tol` is tested as `gnorm2 < tolBound && gnorm < tol`: the bound admits every
        // gnorm2 whose rounded root is below tol, with room for the roundings.
        let tolBound = o.tol < 1e-150 ? 1e-299 : o.tol * o.tol * (1 + 1e-6)
        try x.withUnsafeMutableBufferPointer { xp in
            try g.withUnsafeMutableBufferPointer { gp in
                let xr = UnsafeBufferPointer(xp)
                // The start point.
                loss = try f(xr, gp)
                evaluations += 1
                loss0 = loss
                if o.record {
                    deferred = deferPath?() ?? false
                    // Reserving does not touch the pages; a run that stops early never pays for the rest.
                    if !deferred { recorder = PathRecorder(dimension: n, expectedRows: Swift.min(o.steps, 1 << 22) + 1) }
                }
                if let row = recorder?.row(loss: loss) { row.update(from: xp.baseAddress!, count: n) }
                let limit = o.divergenceFactor * Swift.max(Swift.abs(loss0), 1)
                gnorm2 = squaredNorm(gp)
                if !loss.isFinite || !gnorm2.isFinite {
                    diverged = true
                    message = "the loss or gradient is not finite at the start point (loss \(loss))"
                    return
                }
                let fast = plain && recorder == nil ? fused?().flatMap { $0.dimension == n ? $0 : nil } : nil
                // Tested per step instead of `fast` itself: unwrapping an existential each step costs.
                let fusing = fast != nil
                while true {
                    // The fast path: up to 4,096 of the steps below at once (Ctrl-C is polled between).
                    if fusing, let stop = runFused(fast!, xp, gp, lr, tolBound, limit, Swift.min(o.steps, steps + 4096),
                                                     &steps, &loss, &gnorm2, &evaluations), stop == .diverged {
                        diverged = true
                        message = try divergenceMessage(f, step: steps, loss: loss, loss0: loss0, start: start, options: o, evaluations: &evaluations)
                        return
                    }
                    if gnorm2 < tolBound && gnorm < o.tol {
                        converged = true
                        message = "converged after \(steps) steps: gradient norm \(fmt(gnorm)) < tol \(fmt(o.tol))"
                        return
                    }
                    if steps >= o.steps {
                        message = "stopped after \(steps) steps (the step limit) with gradient norm \(fmt(gnorm))"
                        return
                    }
                    if Interrupt.isRequested {
                        interrupted = true
                        message = "interrupted at step \(steps)"
                        return
                    }
                    // Update the point.
                    if plain {
                        forEachIndex(n) { i in xp[i] = xp[i] - lr * gp[i] }
                    } else {
                        if o.line {
                            guard try lineStep(f, xp, UnsafeBufferPointer(gp), loss, o.lr, &evaluations) != nil else {
                                stalled = true
                                message = "stopped after \(steps) steps: the line search along the negative gradient found no lower point"
                                return
                            }
                        } else {
                            state.update(xp, UnsafeBufferPointer(gp))
                        }
                    }
                    // Evaluate there.
                    loss = try f(xr, gp)
                    evaluations += 1
                    steps += 1
                    // Record: one pass for the gradient norm, the point's finiteness and its path
                    // row (a scratch row when the path is not kept).
                    let row = recorder?.row(loss: loss) ?? scratch
                    var s = 0.0
                    var finite = true
                    forEachIndex(n) { i in
                        let gi = gp[i], xi = xp[i]
                        s += gi * gi
                        finite = finite && xi.isFinite
                        row[i] = xi
                    }
                    gnorm2 = s
                    // Diverged?
                    if !(Swift.abs(loss) <= limit) || !s.isFinite || !finite {
                        diverged = true
                        message = try divergenceMessage(f, step: steps, loss: loss, loss0: loss0, start: start, options: o, evaluations: &evaluations)
                        return
                    }
                }
            }
        }
        let (path, losses) = recorder?.finish() ?? ([], [])
        return DescentResult(
            x: x, loss: loss, steps: steps, evaluations: evaluations, converged: converged, diverged: diverged,
            interrupted: interrupted, stalled: stalled, message: message, gradientNorm: gnorm, dimension: n, pathData: path, losses: losses,
            pathDeferred: deferred)
    }

    /// One stretch of fused steps up to `stopAt`, counting their evaluations; nil when the fused
    /// descent cannot run yet (the loop makes the step itself).
    static func runFused(_ fast: any FusedDescent, _ x: UnsafeMutableBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>,
                         _ lr: Double, _ tolBound: Double, _ limit: Double, _ stopAt: Int, _ steps: inout Int, _ loss: inout Double,
                         _ gnorm2: inout Double, _ evaluations: inout Int) -> FusedDescentStop? {
        let before = steps
        let stop = fast.run(x: x.baseAddress!, g: g.baseAddress!, lr: lr, tolBound: tolBound, limit: limit, stopAt: stopAt,
                            steps: &steps, loss: &loss, gnorm2: &gnorm2)
        evaluations += steps - before
        // Offered only for tapes without guards, so the objective's code cannot fail one.
        precondition(stop != .guardFailed, "a pure objective's guard failed")
        return stop
    }

    /// The path and losses of `run`, a descent from `start` with `options` whose path was
    /// deferred: the same steps again, recorded. `f` must be the pure objective of that run; the
    /// re-run must end on the same point bit for bit, else `notReproduced`. A re-run stopped by
    /// Ctrl-C comes back `interrupted` with the rows it reached.
    public static func reproducePath(_ f: Objective, start: [Double], options: DescentOptions, of run: DescentResult) throws -> DescentResult {
        var o = options
        o.record = true
        o.suggestLR = false
        // Every way the run ended recurs at the same step, but an interrupt: cap the re-run there.
        o.steps = run.steps
        let again = try descend(f, start: start, options: o)
        if again.interrupted { return again }
        guard again.steps == run.steps, zip(again.x, run.x).allSatisfy({ $0.bitPattern == $1.bitPattern }) else {
            throw DescentError.notReproduced(step: again.steps)
        }
        return again
    }

    /// `body(0) ... body(n - 1)`, unrolled for the few numbers of a typical point, where a
    /// loop's vectorised set-up costs more than its body.
    @inline(__always)
    static func forEachIndex(_ n: Int, _ body: (Int) -> Void) {
        switch n {
        case 1: body(0)
        case 2: body(0); body(1)
        case 3: body(0); body(1); body(2)
        case 4: body(0); body(1); body(2); body(3)
        default: for i in 0..<n { body(i) }
        }
    }

    @inline(__always)
    static func squaredNorm(_ g: UnsafeMutableBufferPointer<Double>) -> Double {
        var s = 0.0
        for v in g { s += v * v }
        return s
    }

    /// `v` in printf's `format`, but nan as psearch prints it: printf writes a negative nan as
    /// "-nan", which psearch never shows.
    public static func fmt(_ v: Double, _ format: String = "%.6g") -> String { v.isNaN ? "nan" : String(format: format, v) }

    /// One line-search step: golden-section on φ(t) = f(x − t·g) over a bracket found by doubling
    /// (or halving) t from lr. Moves x and returns t, or nil when no t lowers the loss.
    static func lineStep(_ f: Objective, _ x: UnsafeMutableBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>, _ loss: Double, _ lr: Double, _ evaluations: inout Int) throws -> Double? {
        let n = x.count
        var trial = [Double](repeating: 0, count: n)
        var scratch = [Double](repeating: 0, count: n)
        let base = Array(x)
        func phi(_ t: Double) throws -> Double {
            for i in 0..<n { trial[i] = base[i] - t * g[i] }
            evaluations += 1
            let v = try trial.withUnsafeBufferPointer { xp in try scratch.withUnsafeMutableBufferPointer { try f(xp, $0) } }
            return v.isNaN ? .infinity : v
        }
        var t = lr
        var ft = try phi(t)
        var hi: Double
        if ft < loss {
            // Expand while the loss keeps falling: the minimum lies beyond t.
            var grow = 0
            while grow < 60 {
                let f2 = try phi(2 * t)
                if !(f2 < ft) { break }
                t *= 2
                ft = f2
                grow += 1
            }
            hi = 2 * t
        } else {
            var shrink = 0
            while !(ft < loss) && shrink < 60 {
                t /= 2
                ft = try phi(t)
                shrink += 1
            }
            if !(ft < loss) { return nil }
            hi = 2 * t
        }
        hi = Swift.max(hi, t)
        let r = try IntervalSearch.golden(phi, lo: 0, hi: hi, tol: hi * 1e-6)
        let best = r.loss < ft ? r.x : t
        for i in 0..<n { x[i] = base[i] - best * g[i] }
        return best
    }

    /// Says at which step the run diverged and which smaller learning rate does not.
    ///
    /// The suggestion is found by trying: lr/2, lr/4, … from the same start for the same number
    /// of steps (at most `probeSteps`), until one does not diverge. A curvature estimate cannot
    /// do this reliably: where a run starts the surface may even curve downwards (Himmelblau at
    /// [1, 1]), and by the last good point a diverging run is far out where it is much steeper.
    static func divergenceMessage(_ f: Objective, step: Int, loss: Double, loss0: Double, start: [Double], options o: DescentOptions, evaluations: inout Int) throws -> String {
        let what = loss.isNaN ? "the loss became nan" : (loss.isInfinite ? "the loss became infinite" : "the loss grew from \(fmt(loss0)) to \(fmt(loss))")
        var text = "diverged at step \(step): \(what); try a smaller lr than \(fmt(o.lr))"
        guard o.suggestLR, !o.line else { return text }
        var probe = o
        probe.record = false
        probe.suggestLR = false
        probe.steps = Swift.min(o.steps, probeSteps)
        for halvings in 1...30 {
            probe.lr = o.lr / Double(1 << halvings)
            let r = try descend(f, start: start, options: probe)
            evaluations += r.evaluations
            if !r.diverged {
                text += " (lr \(fmt(probe.lr)) runs \(probe.steps) steps from the same start without diverging)"
                return text
            }
        }
        return text
    }

    /// Steps each trial run of the learning-rate suggestion takes at most.
    static let probeSteps = 2000

    /// Runs `descend` from `starts` random points in `box` (one seeded stream per start) and
    /// merges end points closer than `mergeTolerance` into one minimum.
    ///
    /// The default tolerance is 1e-3 times the box diagonal (at least 1e-3).
    public static func multiStart(
        _ f: Objective, box: [(lo: Double, hi: Double)], starts: Int, random: Random = Random(),
        options: DescentOptions = DescentOptions(), mergeTolerance: Double? = nil
    ) throws -> MultiStartResult {
        guard !box.isEmpty else { throw DescentError.badBox("it has no dimensions") }
        for (i, b) in box.enumerated() where !(b.lo.isFinite && b.hi.isFinite && b.lo <= b.hi) {
            throw DescentError.badBox("dimension \(i) is [\(b.lo), \(b.hi)]")
        }
        guard starts >= 1 else { throw DescentError.badOption(name: "starts", value: Double(starts)) }
        var diagonal = 0.0
        for b in box { diagonal += (b.hi - b.lo) * (b.hi - b.lo) }
        let tol = mergeTolerance ?? Swift.max(1e-3, 1e-3 * diagonal.squareRoot())
        var points = [[Double]](), runs = [DescentResult]()
        for s in 0..<starts {
            if Interrupt.isRequested { break }
            var r = random.stream(s)
            let start = box.map { r.uniform($0.lo, $0.hi) }
            points.append(start)
            runs.append(try descend(f, start: start, options: options))
        }
        var minima = [FoundMinimum]()
        for (i, run) in runs.enumerated() where !run.diverged && run.loss.isFinite {
            if let m = minima.firstIndex(where: { distance($0.x, run.x) <= tol }) {
                minima[m].count += 1
                minima[m].runs.append(i)
                if run.loss < minima[m].loss {
                    minima[m].x = run.x
                    minima[m].loss = run.loss
                }
            } else {
                minima.append(FoundMinimum(x: run.x, loss: run.loss, count: 1, runs: [i]))
            }
        }
        minima.sort { $0.loss < $1.loss }
        var best: Int?
        for (i, run) in runs.enumerated() where !run.diverged && run.loss.isFinite {
            if best == nil || run.loss < runs[best!].loss { best = i }
        }
        return MultiStartResult(starts: points, runs: runs, minima: minima, best: best)
    }

    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in 0..<a.count { s += (a[i] - b[i]) * (a[i] - b[i]) }
        return s.squareRoot()
    }
}

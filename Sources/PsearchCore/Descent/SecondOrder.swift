import Foundation

/// Methods that are not a per-step rule: each keeps its own state across a line search (or a
/// simplex) and decides its own step, so they sit beside `Optimizer` rather than in it. They
/// return a `DescentResult` like `Descent.descend`, with `method`, `termination` and the
/// gradient and Hessian counts set.
///
/// The constants are scipy.optimize's (1.x): BFGS and CG as `_minimize_bfgs`/`_minimize_cg`
/// (gtol 1e-5 on the largest gradient element, maxiter 200·n), L-BFGS as L-BFGS-B (memory 10,
/// pgtol 1e-5, factr 1e7, maxiter 15000), Nelder–Mead as `_minimize_neldermead`.
public enum SecondOrder {
    public enum Method: String, CaseIterable, Sendable {
        /// Limited-memory BFGS: the two-loop recursion over the last `memory` pairs.
        case lbfgs
        /// BFGS with the dense inverse-Hessian update.
        case bfgs
        /// Nonlinear conjugate gradient, Polak–Ribière+ (β = max(0, PR)).
        case cg
        /// Newton's method on the exact Hessian, Cholesky with an added multiple of identity.
        case newton
        /// The downhill simplex; calls f only.
        case nelderMead = "nelder-mead"

        public var usesGradient: Bool { self != .nelderMead }
    }

    /// Why a run ended, finer than `StopReason` (which each maps onto).
    public enum Termination: String, Sendable, CaseIterable {
        /// The largest (projected) gradient element fell to gtol.
        case gradientTolerance = "gradient tolerance"
        /// L-BFGS-B's relative reduction test, or Nelder–Mead's xatol and fatol.
        case stepTolerance = "step tolerance"
        /// The iteration limit.
        case iterations = "iteration limit"
        /// The evaluation budget (maxfev).
        case budget = "evaluation budget"
        /// The line search found no point meeting the Wolfe conditions.
        case lineSearch = "line search failed"
        /// The direction did not point downhill (uphill curvature pair, loss of precision).
        case nonDescent = "non-descent direction"
        /// The loss, gradient or Hessian stopped being finite.
        case nonFinite = "not finite"
        case interrupted

        public var stop: StopReason {
            switch self {
            case .gradientTolerance, .stepTolerance: return .converged
            case .iterations, .budget: return .limit
            case .lineSearch, .nonDescent: return .stalled
            case .nonFinite: return .diverged
            case .interrupted: return .interrupted
            }
        }
    }

    public struct Options: Sendable {
        /// Converged when the largest (projected) gradient element is at most this.
        public var gtol = 1e-5
        /// nil: the method's scipy default (15000 for lbfgs, 200·n otherwise).
        public var maxiter: Int?
        /// nil: no budget beyond maxiter (Nelder–Mead's default is 200·n, as scipy's maxfun).
        public var maxfev: Int?
        /// L-BFGS pairs kept (L-BFGS-B's m).
        public var memory = 10
        /// L-BFGS-B's factr·ε: stop when (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ ftol.
        public var ftol = 1e7 * 2.220446049250313e-16
        /// Nelder–Mead's tolerances on the simplex spread and its losses.
        public var xatol = 1e-4
        public var fatol = 1e-4
        /// Bounds for lbfgs (projected); nil for none.
        public var box: [(lo: Double, hi: Double)]?
        public var record = true

        public init() {}
    }

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case emptyStart
        case notFinite(index: Int, value: Double)
        case badBox(String)
        case needsHessian
        case hessianSize(expected: Int, got: Int)

        public var description: String {
            switch self {
            case .emptyStart: return "the start point needs at least one number"
            case .notFinite(let i, let v): return "element \(i) of the start point is \(v); it must be finite"
            case .badBox(let why): return "bad box: \(why)"
            case .needsHessian: return "method newton needs the Hessian of the function"
            case .hessianSize(let e, let g): return "the Hessian has \(g) elements for a point of \(e) (\(e * e) expected)"
            }
        }
    }

    /// f's value only, for Nelder–Mead.
    public typealias Value = ([Double]) throws -> Double
    /// The n×n Hessian at x, row-major.
    public typealias Hessian = ([Double]) throws -> [Double]

    /// Minimises from `start` with `method`. `f` gives value and gradient (its calls are counted
    /// as both); `value` is used by Nelder–Mead when given (else `f`, its gradient ignored);
    /// `hessian` is required by newton.
    public static func minimize(_ f: @escaping Descent.Objective, value: Value? = nil, hessian: Hessian? = nil,
                                start: [Double], method: Method, options o: Options = Options()) throws -> DescentResult {
        guard !start.isEmpty else { throw Failure.emptyStart }
        for (i, v) in start.enumerated() where !v.isFinite { throw Failure.notFinite(index: i, value: v) }
        if let box = o.box {
            guard box.count == start.count else { throw Failure.badBox("\(box.count) rows for a point of \(start.count)") }
            for (i, b) in box.enumerated() where !(b.lo <= b.hi) || b.lo.isNaN || b.hi.isNaN {
                throw Failure.badBox("row \(i) has lo \(b.lo) > hi \(b.hi)")
            }
        }
        var run = Run(f: f, n: start.count, record: o.record, maxfev: o.maxfev)
        switch method {
        case .lbfgs: try run.lbfgs(start, o)
        case .bfgs: try run.bfgs(start, o)
        case .cg: try run.cg(start, o)
        case .newton:
            guard let hessian else { throw Failure.needsHessian }
            try run.newton(start, o, hessian)
        case .nelderMead:
            let v = value ?? { x in
                var g = [Double](repeating: 0, count: x.count)
                return try x.withUnsafeBufferPointer { xp in try g.withUnsafeMutableBufferPointer { try f(xp, $0) } }
            }
            try run.nelderMead(start, o, v)
        }
        return run.result(method)
    }

    /// The state of one run: the counts, the path, the end point.
    struct Run {
        let f: Descent.Objective
        let n: Int
        let record: Bool
        let maxfev: Int?
        var nfev = 0, njev = 0, nhev = 0
        var iterations = 0
        var x: [Double] = []
        var loss = Double.nan
        var g: [Double] = []
        var path: [Double] = []
        var losses: [Double] = []
        var why = Termination.iterations
        var detail = ""

        init(f: @escaping Descent.Objective, n: Int, record: Bool, maxfev: Int?) {
            self.f = f
            self.n = n
            self.record = record
            self.maxfev = maxfev
        }

        /// Value and gradient at x.
        mutating func eval(_ x: [Double]) throws -> (Double, [Double]) {
            var g = [Double](repeating: 0, count: n)
            let v = try x.withUnsafeBufferPointer { xp in try g.withUnsafeMutableBufferPointer { try f(xp, $0) } }
            nfev += 1
            njev += 1
            return (v, g)
        }

        var overBudget: Bool { maxfev.map { nfev >= $0 } ?? false }

        mutating func keep(_ x: [Double], _ v: Double) {
            guard record else { return }
            path += x
            losses.append(v)
        }

        /// Starts a gradient method: evaluates at x0; false (with `why` set) if it is not finite.
        mutating func begin(_ x0: [Double]) throws -> Bool {
            x = x0
            (loss, g) = try eval(x)
            keep(x, loss)
            if !loss.isFinite || g.contains(where: { !$0.isFinite }) {
                why = .nonFinite
                detail = "the loss or gradient is not finite at the start point (loss \(loss))"
                return false
            }
            return true
        }

        /// After a step: the stop tests every gradient method shares, in scipy's order.
        mutating func shouldStop(_ gtol: Double, _ maxiter: Int, projected: Double? = nil) -> Bool {
            let gn = projected ?? infNorm(g)
            if !loss.isFinite || !gn.isFinite {
                why = .nonFinite
                return true
            }
            if gn <= gtol {
                why = .gradientTolerance
                return true
            }
            if iterations >= maxiter {
                why = .iterations
                return true
            }
            if overBudget {
                why = .budget
                return true
            }
            if Interrupt.isRequested {
                why = .interrupted
                return true
            }
            return false
        }

        /// A line search along d from (x, loss, g); on success moves there and returns the step.
        mutating func wolfeStep(_ d: [Double], initial: Double, c1: Double, c2: Double) throws -> Double? {
            let x0 = x
            let dphi0 = dot(g, d)
            guard dphi0 < 0 else { return nil }
            var best: (Double, [Double], Double, [Double])?
            var me = self
            let found = try LineSearch.wolfe(phi0: loss, dphi0: dphi0, initial: initial, c1: c1, c2: c2) { a in
                let xa = (0..<me.n).map { x0[$0] + a * d[$0] }
                let (v, ga) = try me.eval(xa)
                best = (a, xa, v, ga)
                return (v, dot(ga, d))
            }
            nfev = me.nfev
            njev = me.njev
            guard let a = found, let b = best, b.0 == a else { return nil }
            x = b.1
            loss = b.2
            g = b.3
            return a
        }

        // MARK: BFGS

        mutating func bfgs(_ x0: [Double], _ o: Options) throws {
            guard try begin(x0) else { return }
            let maxiter = o.maxiter ?? 200 * n
            var h = identity(n)
            var oldOld = loss + norm(g) / 2
            if shouldStop(o.gtol, maxiter) { return }
            while true {
                let d = (0..<n).map { i in -(0..<n).reduce(0.0) { $0 + h[i * n + $1] * g[$1] } }
                let x1 = x, g1 = g, f1 = loss
                guard try wolfeStep(d, initial: initialStep(f1, oldOld, dot(g1, d)), c1: 1e-4, c2: 0.9) != nil else {
                    why = .lineSearch
                    return
                }
                oldOld = f1
                iterations += 1
                keep(x, loss)
                if shouldStop(o.gtol, maxiter) { return }
                let s = (0..<n).map { x[$0] - x1[$0] }, y = (0..<n).map { g[$0] - g1[$0] }
                let sy = dot(s, y)
                let rho = sy == 0 ? 1000.0 : 1 / sy  // scipy's guard against a zero curvature pair
                // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, expanded so it costs O(n²).
                var hy = [Double](repeating: 0, count: n)
                for i in 0..<n { for j in 0..<n { hy[i] += h[i * n + j] * y[j] } }
                let yhy = dot(y, hy)
                for i in 0..<n {
                    for j in 0..<n {
                        h[i * n + j] += -rho * (s[i] * hy[j] + hy[i] * s[j]) + (rho * rho * yhy + rho) * s[i] * s[j]
                    }
                }
            }
        }

        /// scipy's first trial step: the one that would reach the last decrease again along d.
        func initialStep(_ f: Double, _ old: Double, _ dphi: Double) -> Double {
            let a = Swift.min(1.0, 1.01 * 2 * (f - old) / dphi)
            return a.isFinite && a > 0 ? a : 1
        }

        // MARK: CG

        mutating func cg(_ x0: [Double], _ o: Options) throws {
            guard try begin(x0) else { return }
            let maxiter = o.maxiter ?? 200 * n
            var d = g.map { -$0 }
            var oldOld = loss + norm(g) / 2
            if shouldStop(o.gtol, maxiter) { return }
            while true {
                let g1 = g, f1 = loss
                guard try wolfeStep(d, initial: initialStep(f1, oldOld, dot(g1, d)), c1: 1e-4, c2: 0.4) != nil else {
                    why = .lineSearch
                    return
                }
                oldOld = f1
                iterations += 1
                keep(x, loss)
                if shouldStop(o.gtol, maxiter) { return }
                let y = (0..<n).map { g[$0] - g1[$0] }
                let beta = Swift.max(0, dot(y, g) / dot(g1, g1))
                d = (0..<n).map { -g[$0] + beta * d[$0] }
                // scipy's sufficient-descent test (σ₃ = 0.01); a direction failing it restarts along −g.
                if !(dot(d, g) <= -0.01 * dot(g, g)) { d = g.map { -$0 } }
            }
        }

        // MARK: L-BFGS

        mutating func lbfgs(_ x0: [Double], _ o: Options) throws {
            let box = o.box
            let start = box.map { b in (0..<n).map { Swift.min(Swift.max(x0[$0], b[$0].lo), b[$0].hi) } } ?? x0
            guard try begin(start) else { return }
            let maxiter = o.maxiter ?? 15000
            var ss: [[Double]] = [], ys: [[Double]] = []
            func projected(_ x: [Double], _ g: [Double]) -> Double {
                guard let box else { return infNorm(g) }
                var m = 0.0
                for i in 0..<n { m = Swift.max(m, Swift.abs(Swift.min(Swift.max(x[i] - g[i], box[i].lo), box[i].hi) - x[i])) }
                return m
            }
            if shouldStop(o.gtol, maxiter, projected: projected(x, g)) { return }
            while true {
                // Variables held at a bound the gradient pushes against are fixed this iteration.
                let free: [Bool] = (0..<n).map { i in
                    guard let b = box?[i] else { return true }
                    return !((x[i] <= b.lo && g[i] > 0) || (x[i] >= b.hi && g[i] < 0))
                }
                var q = (0..<n).map { free[$0] ? g[$0] : 0 }
                var alphas = [Double](repeating: 0, count: ss.count)
                for k in stride(from: ss.count - 1, through: 0, by: -1) {
                    alphas[k] = dot(ss[k], q) / dot(ys[k], ss[k])
                    for i in 0..<n { q[i] -= alphas[k] * ys[k][i] }
                }
                let gamma = ss.last.map { dot($0, ys.last!) / dot(ys.last!, ys.last!) } ?? 1
                for i in 0..<n { q[i] *= gamma }
                for k in 0..<ss.count {
                    let b = dot(ys[k], q) / dot(ys[k], ss[k])
                    for i in 0..<n { q[i] += ss[k][i] * (alphas[k] - b) }
                }
                var d = (0..<n).map { free[$0] ? -q[$0] : 0 }
                if !(dot(d, g) < 0) {
                    // A lost curvature history: start it again along the free negative gradient.
                    ss.removeAll()
                    ys.removeAll()
                    d = (0..<n).map { free[$0] ? -g[$0] : 0 }
                }
                let x1 = x, g1 = g, f1 = loss
                // L-BFGS-B's first trial step is 1/‖d‖, then 1.
                let initial = iterations == 0 ? Swift.min(1 / norm(d), 1e10) : 1
                if let box {
                    guard try projectedStep(d, initial: initial, box) else {
                        why = .lineSearch
                        return
                    }
                } else {
                    guard try wolfeStep(d, initial: initial, c1: 1e-3, c2: 0.9) != nil else {
                        why = .lineSearch
                        return
                    }
                }
                iterations += 1
                keep(x, loss)
                if shouldStop(o.gtol, maxiter, projected: projected(x, g)) { return }
                if (f1 - loss) / Swift.max(Swift.abs(f1), Swift.abs(loss), 1) <= o.ftol {
                    why = .stepTolerance
                    return
                }
                let s = (0..<n).map { x[$0] - x1[$0] }, y = (0..<n).map { g[$0] - g1[$0] }
                // L-BFGS-B skips a pair whose curvature is not safely positive.
                if dot(s, y) > 2.220446049250313e-16 * dot(y, y) {
                    ss.append(s)
                    ys.append(y)
                    if ss.count > o.memory {
                        ss.removeFirst()
                        ys.removeFirst()
                    }
                }
            }
        }

        /// Armijo backtracking along the projected path P(x + a·d) (halving, c1 = 1e-4).
        mutating func projectedStep(_ d: [Double], initial: Double, _ box: [(lo: Double, hi: Double)]) throws -> Bool {
            var a = initial
            for _ in 0..<60 {
                let xa = (0..<n).map { Swift.min(Swift.max(x[$0] + a * d[$0], box[$0].lo), box[$0].hi) }
                let (v, ga) = try eval(xa)
                let decrease = (0..<n).reduce(0.0) { $0 + g[$1] * (xa[$1] - x[$1]) }
                if v.isFinite && v <= loss + 1e-4 * decrease && xa != x {
                    x = xa
                    loss = v
                    g = ga
                    return true
                }
                a /= 2
            }
            return false
        }

        // MARK: Newton

        mutating func newton(_ x0: [Double], _ o: Options, _ hessian: Hessian) throws {
            guard try begin(x0) else { return }
            let maxiter = o.maxiter ?? 200 * n
            if shouldStop(o.gtol, maxiter) { return }
            while true {
                let h = try hessian(x)
                nhev += 1
                guard h.count == n * n else { throw Failure.hessianSize(expected: n, got: h.count) }
                guard !h.contains(where: { !$0.isFinite }) else {
                    why = .nonFinite
                    detail = "the Hessian is not finite at step \(iterations)"
                    return
                }
                let (d, shifted) = SecondOrder.newtonDirection(h, g)
                if shifted > 0 && detail.isEmpty {
                    detail = "the Hessian was not positive definite; identity multiples were added (first \(shifted))"
                }
                guard try wolfeStep(d, initial: 1, c1: 1e-4, c2: 0.9) != nil else {
                    why = .lineSearch
                    return
                }
                iterations += 1
                keep(x, loss)
                if shouldStop(o.gtol, maxiter) { return }
            }
        }

        // MARK: Nelder–Mead

        mutating func nelderMead(_ x0: [Double], _ o: Options, _ fv: Value) throws {
            let maxiter = o.maxiter ?? 200 * n
            let maxfun = o.maxfev ?? 200 * n
            var sim = [x0]
            for k in 0..<n {
                var y = x0
                y[k] = y[k] != 0 ? 1.05 * y[k] : 0.00025
                sim.append(y)
            }
            struct OutOfCalls: Error {}
            // As scipy's wrapper: a call past the budget is refused and ends the iteration.
            func call(_ p: [Double]) throws -> Double {
                guard nfev < maxfun else { throw OutOfCalls() }
                nfev += 1
                let v = try fv(p)
                return v.isNaN ? .infinity : v
            }
            var fsim = [Double](repeating: .infinity, count: n + 1)
            do {
                for k in 0...n { fsim[k] = try call(sim[k]) }
            } catch is OutOfCalls {}
            func sort() {
                let ind = fsim.indices.sorted { fsim[$0] < fsim[$1] || (fsim[$0] == fsim[$1] && $0 < $1) }
                sim = ind.map { sim[$0] }
                fsim = ind.map { fsim[$0] }
            }
            sort()
            keep(sim[0], fsim[0])
            var its = 1
            why = .iterations
            while true {
                if nfev >= maxfun {
                    why = .budget
                    break
                }
                if its >= maxiter {
                    why = .iterations
                    break
                }
                if Interrupt.isRequested {
                    why = .interrupted
                    break
                }
                var xs = 0.0, fs = 0.0
                for j in 1...n {
                    fs = Swift.max(fs, Swift.abs(fsim[0] - fsim[j]))
                    for i in 0..<n { xs = Swift.max(xs, Swift.abs(sim[j][i] - sim[0][i])) }
                }
                if xs <= o.xatol && fs <= o.fatol {
                    why = .stepTolerance
                    break
                }
                do {
                    try nelderMeadStep(&sim, &fsim, call)
                    its += 1
                } catch is OutOfCalls {}
                sort()
                keep(sim[0], fsim[0])
            }
            iterations = its
            x = sim[0]
            loss = fsim[0]
            njev = 0
            if !loss.isFinite {
                why = .nonFinite
                detail = "every simplex point has a non-finite loss"
            }
        }

        /// One reflection, expansion, contraction or shrink (ρ 1, χ 2, ψ 0.5, σ 0.5).
        func nelderMeadStep(_ sim: inout [[Double]], _ fsim: inout [Double], _ call: ([Double]) throws -> Double) throws {
                var xbar = [Double](repeating: 0, count: n)
                for j in 0..<n { for i in 0..<n { xbar[i] += sim[j][i] } }
                for i in 0..<n { xbar[i] /= Double(n) }
                let worst = sim[n]
                let xr = (0..<n).map { 2 * xbar[$0] - worst[$0] }
                let fxr = try call(xr)
                var shrink = false
                if fxr < fsim[0] {
                    let xe = (0..<n).map { 3 * xbar[$0] - 2 * worst[$0] }
                    let fxe = try call(xe)
                    if fxe < fxr { (sim[n], fsim[n]) = (xe, fxe) } else { (sim[n], fsim[n]) = (xr, fxr) }
                } else if fxr < fsim[n - 1] {
                    (sim[n], fsim[n]) = (xr, fxr)
                } else if fxr < fsim[n] {
                    let xc = (0..<n).map { 1.5 * xbar[$0] - 0.5 * worst[$0] }
                    let fxc = try call(xc)
                    if fxc <= fxr { (sim[n], fsim[n]) = (xc, fxc) } else { shrink = true }
                } else {
                    let xcc = (0..<n).map { 0.5 * xbar[$0] + 0.5 * worst[$0] }
                    let fxcc = try call(xcc)
                    if fxcc < fsim[n] { (sim[n], fsim[n]) = (xcc, fxcc) } else { shrink = true }
                }
                if shrink {
                    for j in 1...n {
                        sim[j] = (0..<n).map { sim[0][$0] + 0.5 * (sim[j][$0] - sim[0][$0]) }
                        fsim[j] = try call(sim[j])
                    }
                }
        }

        func result(_ method: Method) -> DescentResult {
            var message = "\(method.rawValue): stopped after \(iterations) iterations (\(why.rawValue))"
            if method.usesGradient && !g.isEmpty { message += ", largest gradient element \(Descent.fmt(infNorm(g)))" }
            if !detail.isEmpty { message += "; " + detail }
            var r = DescentResult(x: x, loss: loss, steps: iterations, evaluations: nfev, converged: why.stop == .converged,
                                  diverged: why == .nonFinite, interrupted: why == .interrupted, message: message,
                                  gradientNorm: g.isEmpty ? .nan : norm(g), dimension: n, pathData: path, losses: losses)
            r.stalled = why.stop == .stalled
            r.method = method.rawValue
            r.termination = why
            r.gradientEvaluations = njev
            r.hessianEvaluations = nhev
            return r
        }
    }

    /// Newton's direction −H⁻¹g through Cholesky; when H is not positive definite, τ·I is added
    /// with τ = max(2τ, β) from τ₀ = max(0, β − min Hᵢᵢ), β = 1e-3·‖H‖_F (Nocedal–Wright
    /// Algorithm 3.3). Returns the direction and the first τ tried above 0 (0 if none was).
    public static func newtonDirection(_ h: [Double], _ g: [Double]) -> ([Double], Double) {
        let n = g.count
        let beta = Swift.max(1e-3 * h.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        let minDiag = (0..<n).map { h[$0 * n + $0] }.min()!
        var tau = minDiag > 0 ? 0 : beta - minDiag
        let first = tau
        for _ in 0..<200 {
            if let l = cholesky(h, n, shift: tau) {
                // L y = −g, Lᵀ d = y.
                var y = [Double](repeating: 0, count: n)
                for i in 0..<n {
                    var s = -g[i]
                    for k in 0..<i { s -= l[i * n + k] * y[k] }
                    y[i] = s / l[i * n + i]
                }
                var d = [Double](repeating: 0, count: n)
                for i in stride(from: n - 1, through: 0, by: -1) {
                    var s = y[i]
                    for k in (i + 1)..<n { s -= l[k * n + i] * d[k] }
                    d[i] = s / l[i * n + i]
                }
                return (d, first)
            }
            tau = Swift.max(2 * tau, beta)
        }
        return (g.map { -$0 }, first)
    }

    static func cholesky(_ a: [Double], _ n: Int, shift: Double) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var s = a[j * n + j] + shift
            for k in 0..<j { s -= l[j * n + k] * l[j * n + k] }
            guard s > 0, s.isFinite else { return nil }
            let d = s.squareRoot()
            l[j * n + j] = d
            for i in (j + 1)..<n {
                var t = a[i * n + j]
                for k in 0..<j { t -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = t / d
            }
        }
        return l
    }
}

/// Line searches along a direction, on φ(a) = f(x + a·d).
public enum LineSearch {
    /// A step meeting the strong Wolfe conditions, φ(a) ≤ φ(0) + c1·a·φ'(0) and
    /// |φ'(a)| ≤ c2·|φ'(0)|: Nocedal–Wright Algorithm 3.5 (doubling) with 3.6 (zoom by cubic,
    /// then quadratic, then bisection), as scipy's `scalar_search_wolfe2` writes it (10 trials
    /// of each loop). `phi` gives φ and φ' together; the step returned is always the last one `phi`
    /// was asked for. nil when none was found.
    public static func wolfe(phi0: Double, dphi0: Double, initial: Double, c1: Double, c2: Double,
                             phi: (Double) throws -> (Double, Double)) throws -> Double? {
        var a0 = 0.0, a1 = initial
        var phiA0 = phi0, dphiA0 = dphi0
        for i in 0..<10 {
            guard a1 > 0, a1 < 1e100 else { return nil }
            let (phiA1, dphiA1) = try phi(a1)
            if !phiA1.isFinite || phiA1 > phi0 + c1 * a1 * dphi0 || (phiA1 >= phiA0 && i > 0) {
                return try zoom(a0, a1, phiA0, phiA1, dphiA0, phi0, dphi0, c1, c2, phi)
            }
            if Swift.abs(dphiA1) <= -c2 * dphi0 { return a1 }
            if dphiA1 >= 0 { return try zoom(a1, a0, phiA1, phiA0, dphiA1, phi0, dphi0, c1, c2, phi) }
            (a0, a1, phiA0, dphiA0) = (a1, 2 * a1, phiA1, dphiA1)
        }
        return nil
    }

    static func zoom(_ lo: Double, _ hi: Double, _ phiLo: Double, _ phiHi: Double, _ dphiLo: Double,
                     _ phi0: Double, _ dphi0: Double, _ c1: Double, _ c2: Double,
                     _ phi: (Double) throws -> (Double, Double)) throws -> Double? {
        var (aLo, aHi, fLo, fHi, dLo) = (lo, hi, phiLo, phiHi, dphiLo)
        var aRec = 0.0, fRec = phi0
        for i in 0...10 {
            let da = aHi - aLo
            let a = Swift.min(aLo, aHi), b = Swift.max(aLo, aHi)
            var aj: Double?
            if i > 0 { aj = cubicMin(aLo, fLo, dLo, aHi, fHi, aRec, fRec) }
            if i == 0 || aj == nil || aj! > b - 0.2 * Swift.abs(da) || aj! < a + 0.2 * Swift.abs(da) {
                aj = quadMin(aLo, fLo, dLo, aHi, fHi)
                if aj == nil || aj! > b - 0.1 * Swift.abs(da) || aj! < a + 0.1 * Swift.abs(da) { aj = aLo + 0.5 * da }
            }
            let t = aj!
            let (ft, dt) = try phi(t)
            if !ft.isFinite || ft > phi0 + c1 * t * dphi0 || ft >= fLo {
                (aRec, fRec, aHi, fHi) = (aHi, fHi, t, ft)
            } else {
                if Swift.abs(dt) <= -c2 * dphi0 { return t }
                if dt * (aHi - aLo) >= 0 {
                    (aRec, fRec, aHi, fHi) = (aHi, fHi, aLo, fLo)
                } else {
                    (aRec, fRec) = (aLo, fLo)
                }
                (aLo, fLo, dLo) = (t, ft, dt)
            }
        }
        return nil
    }

    /// The minimiser of the cubic through (a, fa) with slope fpa, (b, fb) and (c, fc).
    static func cubicMin(_ a: Double, _ fa: Double, _ fpa: Double, _ b: Double, _ fb: Double, _ c: Double, _ fc: Double) -> Double? {
        let db = b - a, dc = c - a
        let denom = (db * dc) * (db * dc) * (db - dc)
        let u = fb - fa - fpa * db, v = fc - fa - fpa * dc
        let A = (dc * dc * u - db * db * v) / denom
        let B = (-dc * dc * dc * u + db * db * db * v) / denom
        let radical = B * B - 3 * A * fpa
        let x = a + (-B + radical.squareRoot()) / (3 * A)
        return x.isFinite ? x : nil
    }

    /// The minimiser of the parabola through (a, fa) with slope fpa and (b, fb).
    static func quadMin(_ a: Double, _ fa: Double, _ fpa: Double, _ b: Double, _ fb: Double) -> Double? {
        let db = b - a
        let B = (fb - fa - fpa * db) / (db * db)
        let x = a - fpa / (2 * B)
        return x.isFinite ? x : nil
    }
}

func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += a[i] * b[i] }
    return s
}

func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

func infNorm(_ a: [Double]) -> Double { a.reduce(0) { Swift.max($0, Swift.abs($1)) } }

func identity(_ n: Int) -> [Double] {
    var h = [Double](repeating: 0, count: n * n)
    for i in 0..<n { h[i * n + i] = 1 }
    return h
}

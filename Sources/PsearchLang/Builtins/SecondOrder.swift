import Foundation
import PsearchCore

extension Builtins {
    /// `minimize` and `hessian`: the methods that are not a per-step rule (`SecondOrder`).
    static let secondOrder: [Builtin] = [
        Builtin(BuiltinSpec("minimize",
                            "minimise f from start with scipy.optimize's methods and default tolerances: nelder-mead (f only; xatol = fatol = 1e-4, 200 n calls), lbfgs (memory 10, pgtol 1e-5; box: projects), bfgs and cg (gtol 1e-5), newton (the exact Hessian); the result counts calls of f, its gradient and its Hessian, and says why it stopped",
                            example: "minimize(fn(p) = (p[0] - 3)^2 + (p[1] + 1)^2, [0, 0]).x", [
                                Param("f", .function), Param("start", .any),
                                Param("method", minimizeChoice, default: .string(SecondOrder.Method.nelderMead.rawValue)),
                                Param("gtol", .number, default: .number(SecondOrder.Options().gtol), range: .nonNegative),
                                Param("maxiter", .int, default: .hint("200 n; 15000 for lbfgs")),
                                Param("maxfev", .int, default: .hint("none; 200 n for nelder-mead")),
                                Param("box", .any, default: .hint("[[lo, hi], ...]")),
                            ])) { c in
            try minimize(&c, try c.function("f"), SecondOrder.Method(rawValue: try c.choice("method"))!)
        },
        Builtin(BuiltinSpec("hessian",
                            "the exact Hessian of f at x (second-order forward mode over f's recording, the primitives grad knows): an n×n matrix for f of a vector of n",
                            example: "hessian(fn(p) = p[0]^2 * p[1] + p[1]^3, [1, 2])", [Param("f", .function), Param("x", .any)])) { c in
            try hessian(&c)
        },
        compareSpec,
    ]

    static let compareSpec = Builtin(BuiltinSpec("compare",
        "run several methods, gradient descent's (gd, momentum, adam, ...: lr: is theirs) and minimize's, from the same start with the same budget of calls of f; prints a table (method, evaluations, gradient and Hessian calls, final loss, distance to the best end point, stop reason; .seconds holds each run's wall time) and plot draws every path on one contour and the loss curves; on a line (a number as start) golden section and bisection on the slope's sign run too, on bracket: or one found by walking downhill from the start, and show the bracket they guarantee",
        example: "compare(booth, [0, 0], methods: [\"gd\", \"lbfgs\", \"nelder-mead\"], budget: 200).best", [
            Param("f", .function), Param("start", .any),
            Param("methods", .any, default: .hint("[\"gd\", \"momentum\", \"adam\", \"lbfgs\", \"newton\", \"nelder-mead\"]")),
            Param("budget", .int, default: .number(1000)),
            Param("lr", .number, default: .number(DescentOptions().lr), range: .positive),
            Param("bracket", .any, default: .hint("[lo, hi]")),
        ])) { c in
        try compare(&c)
    }

    static func compare(_ c: inout Call) throws -> Value {
        let f = try c.function("f")
        // A method is a gradient-descent rule (descend's per-step methods) or one of minimize's.
        enum Entry { case step(Optimizer.Method), solver(SecondOrder.Method) }
        var names = ["gd", "momentum", "adam", "lbfgs", "newton", "nelder-mead"].map { Value.string($0) }
        if c.given("methods") {
            guard case .list(let l) = try c.required("methods"), !l.isEmpty else { throw c.bad("methods", "a list of method names expected") }
            names = l
        }
        let known = Optimizer.Method.allCases.map(\.rawValue) + SecondOrder.Method.allCases.map(\.rawValue)
        let methods: [Entry] = try names.map { v in
            if case .string(let s) = v, let m = SecondOrder.Method(rawValue: s) { return .solver(m) }
            if case .string(let s) = v, let m = Optimizer.Method(name: s) { return .step(m) }
            throw c.bad("methods", "each method is one of \(known.map { "\"\($0)\"" }.joined(separator: ", ")), got \(v.repr)")
        }
        let lr = try c.number("lr")
        let budget = try c.int("budget")
        guard budget >= 1 else { throw c.bad("budget", "the budget must be at least 1 call") }
        let (start, scalar) = try startPoint(c, "start")
        let layout: InputLayout = scalar ? .numbers(1) : .tensor([start.count])
        var runs: [DescentResult] = []
        var seconds: [Double] = []
        for entry in methods {
            let started = ContinuousClock.now
            defer { seconds.append(started.duration(to: .now).seconds) }
            guard case .solver(let m) = entry else {
                guard case .step(let rule) = entry else { continue }
                // The budget in calls of f: the start's evaluation, then one a step.
                var o = DescentOptions(lr: lr, steps: max(0, budget - 1), method: rule)
                o.record = true
                o.suggestLR = false  // a diverging run ends there: no calls past the budget
                let objective = try objective(c, f, layout: layout)
                var r = try run { () throws in try Descent.descend(objective.call, start: start, options: o) }
                if r.interrupted { throw Interrupted() }
                r.method = rule.rawValue
                r.gradientEvaluations = r.evaluations
                runs.append(r)
                continue
            }
            var o = SecondOrder.Options()
            o.maxfev = budget
            let r = try solve(c, f, m, start: start, layout: layout, options: o)
            runs.append(r)
        }
        var comparison = MethodComparison(runs: runs, seconds: seconds, f: f)
        if scalar {
            try guaranteed(c, f, from: start[0], budget: budget, into: &comparison)
        } else if c.given("bracket") {
            throw c.bad("bracket", "a bracket is for a function of one number (a number as start)")
        }
        return .object(ResultObject(.comparison(comparison)))
    }

    /// On a line, the methods with a guarantee: golden section keeps a bracket holding a minimum
    /// (of a function with one valley in it), and bisection halves one on the sign of the slope,
    /// binary search on the derivative. Both start from `bracket:` or from the bracket found by
    /// walking downhill from the start (whose calls they are charged), and narrow it as far as
    /// the budget allows, to 1e-8 at most. Each run's path and losses are its best point so far
    /// after each call.
    static func guaranteed(_ c: Call, _ f: Value, from x0: Double, budget: Int, into comparison: inout MethodComparison) throws {
        let objective = try objective(c, f, layout: .numbers(1))
        var calls: [(x: Double, loss: Double)] = []
        // A point asked for twice (bisection reads the ends it was given) is one call.
        var seen: [Double: (loss: Double, slope: Double)] = [:]
        func call(_ x: Double) throws -> (loss: Double, slope: Double) {
            if let known = seen[x] { return known }
            var g = [0.0]
            let loss = try [x].withUnsafeBufferPointer { xp in try g.withUnsafeMutableBufferPointer { gp in try objective.call(xp, gp) } }
            if Interrupt.isRequested { throw Interrupted() }
            calls.append((x, loss))
            seen[x] = (loss, g[0])
            return (loss, g[0])
        }
        var lo: Double, hi: Double, walked = 0
        var mid: Double?
        if c.given("bracket") {
            let b = try c.interp.asTensor(try c.required("bracket")).map { $0.rank == 1 ? $0.data : [] } ?? []
            guard b.count == 2, b[0].isFinite, b[1].isFinite, b[0] < b[1] else {
                throw c.bad("bracket", "[lo, hi] with finite lo < hi expected")
            }
            (lo, hi) = (b[0], b[1])
        } else {
            do {
                let found = try IntervalSearch.bracket({ try call($0).loss }, from: x0, maxEvaluations: min(50, budget))
                (lo, mid, hi, walked) = (found.lo, found.mid, found.hi, found.evaluations)
            } catch let e as SearchError {
                throw c.bad("start", "\(e); give bracket: [lo, hi]")
            }
        }
        comparison.start = (lo, hi)
        let walk = calls, seenInWalk = seen
        // Golden section keeps 0.618 of the bracket a call (two to start, one at the end).
        let left = max(4, budget - walked)
        let tol = max(1e-8, (hi - lo) * pow(IntervalSearch.invPhi, Double(left - 3)))
        for method in ["golden", "bisect"] {
            let started = ContinuousClock.now
            defer { comparison.seconds.append(started.duration(to: .now).seconds) }
            (calls, seen) = (walk, seenInWalk)
            var kept: (lo: Double, hi: Double)
            do {
                if method == "golden" {
                    let r = try IntervalSearch.golden({ try call($0).loss }, lo: lo, hi: hi, tol: tol)
                    kept = r.trace.last ?? r.start
                } else {
                    // Bisection needs the slope to change sign: at the bracket's ends, or else
                    // between an end and the walk's lowest point.
                    var (a, b) = (lo, hi)
                    let falls = try call(lo).slope < 0
                    if let mid, falls == (try call(hi).slope < 0) {
                        (a, b) = falls != (try call(mid).slope < 0) ? (lo, mid) : (mid, hi)
                    }
                    let r = try IntervalSearch.bisect({ try call($0).slope }, lo: a, hi: b, tol: max(1e-8, (b - a) * pow(0.5, Double(left - 4))))
                    kept = r.trace.last ?? r.start
                }
            } catch SearchError.sameSign {
                // The slope has one sign at every point tried: bisection has nothing to halve.
                kept = (lo, hi)
                comparison.stops[comparison.runs.count] = "no sign change of the slope"
            } catch let e as SearchError {
                throw c.bad("f", "\(method): \(e)")
            }
            var best = (x: Double.nan, loss: Double.infinity)
            var path: [Double] = [], losses: [Double] = []
            for p in calls where !(p.loss >= best.loss) {
                best = p
                path.append(p.x)
                losses.append(p.loss)
            }
            var r = DescentResult(line: best.x, loss: best.loss, steps: calls.count - walk.count, evaluations: calls.count,
                                  message: "bracket [\(formatNumber(kept.lo)), \(formatNumber(kept.hi))]", path: path, losses: losses)
            r.method = method
            r.gradientEvaluations = method == "bisect" ? calls.count - walk.count : 0
            comparison.brackets[comparison.runs.count] = kept
            comparison.runs.append(r)
        }
    }

    static let minimizeChoice = Param.Kind.choice(SecondOrder.Method.allCases.map(\.rawValue))

    /// The start point as a vector (a number for a function of one number), finite.
    static func startPoint(_ c: Call, _ name: String) throws -> (x: [Double], scalar: Bool) {
        let v = try c.required(name)
        var x: [Double]
        var scalar = false
        if case .number(let n) = v {
            x = [n]
            scalar = true
        } else {
            guard let t = try c.interp.asTensor(v), t.rank == 1 else {
                throw c.bad(name, "vector expected (or a number for a function of one number), got \(v.typeName)")
            }
            x = t.data
        }
        guard !x.isEmpty else { throw c.bad(name, "the start point needs at least one number") }
        for (i, e) in x.enumerated() where !e.isFinite {
            throw c.bad(name, "element \(i) is \(formatNumber(e)); the start point must be finite")
        }
        return (x, scalar)
    }

    /// `minimize(f, start, ...)` and `descend(f, start, method: "lbfgs", ...)`: one run of a
    /// `SecondOrder` method, returned as a descent result with its counts and stop reason.
    static func minimize(_ c: inout Call, _ f: Value, _ method: SecondOrder.Method) throws -> Value {
        let (start, scalar) = try startPoint(c, "start")
        let n = start.count
        var o = SecondOrder.Options()
        let isDescend = c.spec.name == "descend"
        if isDescend {
            for name in ["starts", "seed", "line", "lr"] where c.given(name) {
                throw c.bad(name, "\(name): does not apply to method: \"\(method.rawValue)\"; use minimize's options (gtol:, maxiter:)")
            }
            if c.given("tol") { o.gtol = try c.number("tol") }
            if c.given("steps") { o.maxiter = try c.int("steps") }
        } else {
            o.gtol = try c.number("gtol")
            if c.given("maxiter") { o.maxiter = try c.int("maxiter") }
            if c.given("maxfev") { o.maxfev = try c.int("maxfev") }
        }
        if c.given("box") {
            guard method == .lbfgs else { throw c.bad("box", "box: bounds only method: \"lbfgs\" (projected)") }
            o.box = try boxRows(c, n)
        }
        let layout: InputLayout = scalar ? .numbers(1) : .tensor([n])
        try c.charge(Double(o.maxiter ?? 200 * n) * Double(n) / 10)
        let result = try solve(c, f, method, start: start, layout: layout, options: o)
        return .object(ResultObject(.descent(result, scalarStart: scalar, note: nil, f: f)))
    }

    /// One of minimize's methods on f: Nelder-Mead on values alone, the others on the tape's
    /// gradient (and Newton on the exact Hessian too). Ctrl-C is an interrupt, as in descend.
    static func solve(_ c: Call, _ f: Value, _ method: SecondOrder.Method, start: [Double], layout: InputLayout,
                      options o: SecondOrder.Options) throws -> DescentResult {
        let result: DescentResult
        if method == .nelderMead {
            let value = try valueFunction(c, f, layout: layout)
            result = try run { () throws in try SecondOrder.minimize({ _, _ in 0 }, value: value, start: start, method: method, options: o) }
        } else {
            let objective = try objective(c, f, layout: layout)
            var hess: SecondOrder.Hessian?
            if method == .newton {
                let h = try hessianObjective(c, f, layout: layout)
                hess = { x in
                    var g = [Double](repeating: 0, count: x.count)
                    return try x.withUnsafeBufferPointer { xp in try g.withUnsafeMutableBufferPointer { try h.hessian(xp, $0).1 } }
                }
            }
            result = try run { () throws in try SecondOrder.minimize(objective.call, hessian: hess, start: start, method: method, options: o) }
        }
        if result.termination == .interrupted { throw Interrupted() }
        return result
    }

    /// The rows of `box:` for a point of n, each finite with lo <= hi.
    static func boxRows(_ c: Call, _ n: Int) throws -> [(lo: Double, hi: Double)] {
        let v = try c.required("box")
        guard let box = try c.interp.asTensor(v), box.rank == 2, box.shape[1] == 2, box.shape[0] == n else {
            throw c.bad("box", "a matrix with one [lo, hi] row per dimension (\(n)) expected, got \(v.typeName)")
        }
        return try (0..<n).map { i in
            let lo = box.data[2 * i], hi = box.data[2 * i + 1]
            guard lo.isFinite, hi.isFinite, lo <= hi else {
                throw c.bad("box", "row \(i) is [\(formatNumber(lo)), \(formatNumber(hi))]; need finite lo <= hi")
            }
            return (lo, hi)
        }
    }

    /// f's value at a point, calling the interpreter (no recording: Nelder–Mead needs no gradient).
    static func valueFunction(_ c: Call, _ f: Value, layout: InputLayout) throws -> SecondOrder.Value {
        if let tf = testFunction(f) {
            guard tf.accepts(dimension: layout.count), case .tensor = layout else {
                throw c.bad("start", TestFunctionBuiltins.dimensionMessage(tf, [layout.count]))
            }
            return { tf.value($0) }
        }
        let interp = c.interp, range = c.args.callRange
        return { x in
            let arg: Value = layout == .numbers(1) ? .number(x[0]) : .tensor(Tensor(x))
            let out = try interp.call(f, Arguments([arg]), callRange: range)
            guard case .number(let v) = out else {
                throw RuntimeError("\(functionName(f)) must return a number to be minimised, got \(article(out.typeName))")
            }
            return v
        }
    }

    /// A recording of f on a tape without a compiler, so the tape holds each point's values
    /// for `Tape.hessian`.
    static func hessianObjective(_ c: Call, _ f: Value, layout: InputLayout) throws -> TapeObjective {
        if let tf = testFunction(f) {
            guard tf.accepts(dimension: layout.count), case .tensor = layout else {
                throw c.bad("start", TestFunctionBuiltins.dimensionMessage(tf, [layout.count]))
            }
            return TapeObjective { tape, x in try tf.trace(tape, tape.input(x)) }
        }
        return CompiledFunction(f, layout: layout, interp: c.interp, callRange: c.args.callRange, compiler: false).objective
    }

    static func hessian(_ c: inout Call) throws -> Value {
        let f = try c.function("f")
        let (x, scalar) = try startPoint(c, "x")
        let layout: InputLayout = scalar ? .numbers(1) : .tensor([x.count])
        let h = try hessianObjective(c, f, layout: layout)
        var g = [Double](repeating: 0, count: x.count)
        let (v, m) = try run { () throws in
            try x.withUnsafeBufferPointer { xp in try g.withUnsafeMutableBufferPointer { try h.hessian(xp, $0) } }
        }
        guard v.isFinite, !m.contains(where: { !$0.isFinite }) else {
            throw RuntimeError("the Hessian of \(functionName(f)) is not finite at \(Value.tensor(Tensor(x)).repr) (value \(formatNumber(v)))")
        }
        return scalar ? .number(m[0]) : .tensor(Tensor(shape: [x.count, x.count], data: m))
    }
}

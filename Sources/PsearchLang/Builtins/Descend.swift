import Foundation
import PsearchCore

extension Builtins {
    /// Gradient descent and its family (torch.optim's rules), single or multi-start.
    static let descent: [Builtin] = [
        Builtin(BuiltinSpec("descend",
                            "minimise f by gradient descent from start, or from N random starts in a box; stops early when the gradient norm falls below tol; method: gd (or sgd), momentum, nesterov, adagrad, rmsprop or adam, torch.optim's rules and defaults, the same names and rules as train's optimizer:; or lbfgs, bfgs, cg, newton, nelder-mead, scipy's methods and tolerances (see minimize: lr, steps, tol and line do not apply to them)",
                            example: "descend(fn(p) = (p[0] - 3)^2 + p[1]^2, [0, 1], lr: 0.1).x", forms: [
                                Form([Param("f", .function), Param("start", .any)] + descentOptions),
                                Form([Param("f", .function), Param("starts", .int, default: 10, range: 1...100_000),
                                      Param("box", .any, default: .hint("[[lo, hi], ...]")), .seed], alsoTaking: descentOptions),
                            ])) { c in
            try descend(&c)
        },
    ]

    /// The options both forms of `descend` take; the defaults are the core's.
    static let descentOptions: [Param] = {
        let o = DescentOptions()
        return [
            Param("lr", .number, default: .number(o.lr), range: .positive),
            Param("steps", .int, default: .number(o.steps)),
            Param("method", descendChoice, default: .string(o.method.rawValue)),
            Param("tol", .number, default: .number(o.tol), range: .nonNegative),
            Param("line", .bool, default: .bool(o.line)),
            Param("live", .bool, default: .bool(false)),
        ]
    }()

    static func descend(_ c: inout Call) throws -> Value {
        let f = try c.function("f")
        var o = DescentOptions()
        o.lr = try c.number("lr")
        o.steps = try c.int("steps")
        let methodName = try c.choice("method")
        if let second = SecondOrder.Method(rawValue: methodName) {
            return try minimize(&c, f, second)
        }
        o.method = Optimizer.Method(name: methodName)!
        o.tol = try c.number("tol")
        o.line = try c.bool("line")
        if o.line && o.method != .gd {
            throw c.bad("line", "a line search steps along the negative gradient, so it does not combine with method: \"\(o.method.rawValue)\"; use method: \"gd\" or leave out line:")
        }

        if c.given("starts") || c.given("box") {
            return try multiStart(&c, f, o)
        }
        guard !c.given("seed") else { throw c.bad("seed", "seed is for multi-start: give starts: N and box:") }
        let startValue = try c.required("start")
        var start: [Double]
        let scalarStart: Bool
        if case .number(let x) = startValue {
            start = [x]
            scalarStart = true
        } else {
            guard let t = try c.interp.asTensor(startValue), t.rank == 1 else {
                throw c.bad("start", "vector expected (or a number for a function of one number), got \(startValue.typeName)")
            }
            guard t.count > 0 else { throw c.bad("start", "the start point needs at least one number") }
            start = t.data
            scalarStart = false
        }
        for (i, v) in start.enumerated() where !v.isFinite {
            throw c.bad("start", "element \(i) is \(formatNumber(v)); the start point must be finite")
        }
        // A replayed step costs about a tenth of an interpreted loop iteration per number.
        try c.charge(Double(o.steps) * Double(start.count) / 10)
        let objective = try objective(c, f, layout: scalarStart ? .numbers(1) : .tensor([start.count]))
        let (rec, note) = keepPath(c, o, dimension: start.count)
        o.record = rec
        let r = try run { () throws in try Descent.descend(objective.call, start: start, options: o, deferPath: objective.isPure, fused: objective.fused) }
        var rerun: (() throws -> DescentResult)?
        if r.pathDeferred, let pure = objective.replayOnly {
            rerun = { () throws in try run { () throws in try Descent.reproducePath(pure(), start: start, options: o, of: r) } }
        }
        let result = Value.object(ResultObject(.descent(r, scalarStart: scalarStart, note: note, f: f), method: label(o), rerun: rerun))
        if try c.bool("live") { try LiveDescent.show(c, result: result) }
        return result
    }

    /// The method as a summary names it: "gd, lr 0.01", "gd with a line search".
    static func label(_ o: DescentOptions) -> String {
        o.line ? "gd with a line search" : "\(o.method.rawValue), lr \(formatNumber(o.lr))"
    }

    /// descend's `method:` and train's `optimizer:`: the shared optimiser names, "sgd" for "gd".
    static let optimizerChoice = Param.Kind.choice(Optimizer.Method.allCases.map(\.rawValue), aliases: Optimizer.Method.aliases.keys.sorted())

    /// descend's `method:`: the per-step rules and the second-order methods (`SecondOrder`).
    static let descendChoice = Param.Kind.choice(Optimizer.Method.allCases.map(\.rawValue) + SecondOrder.Method.allCases.map(\.rawValue),
                                                 aliases: Optimizer.Method.aliases.keys.sorted())

    static func optimizerMethod(_ c: Call, _ name: String) throws(RuntimeError) -> Optimizer.Method {
        Optimizer.Method(name: try c.choice(name))!
    }

    /// Whether the path fits under the tensor size limit, and what to say when it does not.
    static func keepPath(_ c: Call, _ o: DescentOptions, dimension n: Int, runs: Int = 1) -> (Bool, String?) {
        let rows = Double(o.steps + 1) * Double(runs)
        if rows * Double(n) > Double(c.interp.limits.maxElements) {
            return (false, "path and losses not kept: \(formatNumber(rows)) rows are over the tensor size limit")
        }
        return (true, nil)
    }

    /// What `descend` minimises: the objective, whether it is known to be pure, and a way to
    /// call it again later that never calls back into the interpreter.
    struct DescendObjective {
        let call: Descent.Objective
        /// Asked after the first evaluation (see `Descent.descend`'s `deferPath`).
        let isPure: () -> Bool
        /// Makes an objective for re-running the descent; nil when there is none.
        let replayOnly: (() -> Descent.Objective)?
        /// Plain descent fused with the compiled objective, when it has one (see `Descent.descend`).
        var fused: (() -> (any FusedDescent)?)? = nil
    }

    /// The objective for f: a test function's own gradient, or f's recording on a tape (traced
    /// once, replayed natively, retraced only when a branch goes the other way).
    static func objective(_ c: Call, _ f: Value, layout: InputLayout) throws -> DescendObjective {
        if let tf = testFunction(f) {
            guard tf.accepts(dimension: layout.count), case .tensor = layout else {
                throw c.bad("start", TestFunctionBuiltins.dimensionMessage(tf, [layout.count]))
            }
            return DescendObjective(call: tf.objective, isPure: { true }, replayOnly: { tf.objective })
        }
        // A fresh recording per call: descend never replays a recording made before it started.
        let tape = CompiledFunction(f, layout: layout, interp: c.interp, callRange: c.args.callRange).objective
        return DescendObjective(call: tape.objective, isPure: { tape.replaysWithoutTracing }, replayOnly: { tape.replayOnly },
                                fused: { tape.fusedDescent })
    }

    /// Runs a core optimiser, turning its errors into runtime errors.
    static func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as DescentError {
            throw RuntimeError(e.description)
        } catch let e as AutoDiffError {
            throw RuntimeError(e.description)
        }
    }

    static func multiStart(_ c: inout Call, _ f: Value, _ o: DescentOptions) throws -> Value {
        var o = o
        guard !c.given("start") else {
            throw c.bad("start", "give either a start point or starts: N with a box, not both")
        }
        guard c.given("box") else { throw c.bad("starts", "multi-start needs box: [[lo, hi], ...], one row per dimension") }
        let starts = try c.int("starts")
        let boxValue = try c.required("box")
        guard let box = try c.interp.asTensor(boxValue), box.rank == 2, box.shape[1] == 2, box.shape[0] >= 1 else {
            var got = boxValue.typeName
            if case .tensor(let t) = boxValue { got = "shape \(Tensor.describe(shape: t.shape))" }
            throw c.bad("box", "a matrix with one [lo, hi] row per dimension expected, got \(got)")
        }
        var bounds: [(lo: Double, hi: Double)] = []
        for i in 0..<box.shape[0] {
            let lo = box.data[2 * i], hi = box.data[2 * i + 1]
            guard lo.isFinite, hi.isFinite, lo <= hi else {
                throw c.bad("box", "row \(i) is [\(formatNumber(lo)), \(formatNumber(hi))]; need finite lo <= hi")
            }
            bounds.append((lo, hi))
        }
        let random: Random
        if c.given("seed") {
            random = Random(seed: UInt64(try c.int("seed")))
        } else {
            // Each call draws its own seed from the session generator, so calls differ but a
            // script run is reproducible.
            random = Random(seed: c.interp.random.next())
        }
        try c.charge(Double(starts) * Double(o.steps) * Double(bounds.count) / 10)
        let objective = try objective(c, f, layout: .tensor([bounds.count]))
        let (rec, note) = keepPath(c, o, dimension: bounds.count, runs: starts)
        o.record = rec
        let m = try run { () throws in try Descent.multiStart(objective.call, box: bounds, starts: starts, random: random, options: o) }
        let result = Value.object(ResultObject(.multiStart(m, note: note, f: f), method: label(o)))
        if try c.bool("live") { try LiveDescent.show(c, result: result) }
        return result
    }
}

import Foundation
import PsearchCore

extension Builtins {
    /// `search`: binary search on a sorted vector, 1-D search of a function on an interval, and
    /// (dispatched to `hyperSearch`) hyper-parameter search.
    static let search: [Builtin] = [
        Builtin(BuiltinSpec("search",
                            "binary search of a sorted vector (found, index, steps, bound, trace); minimise f on [lo, hi] by golden section, find a root by bisection or scan a grid; or search hyper-parameters",
                            example: "search([1, 2, 4, 5, 7, 8, 10, 13], 7).index", forms: [
                                Form([Param("xs", .vector), Param("target", .number)]),
                                intervalForm,
                                hyperSearchForm,
                            ])) { c in
            try searchDispatch(&c)
        },
    ]

    /// `search(f, lo, hi, ...)`: 1-D search of a function on an interval. The core's
    /// `IntervalSearch.run` takes plain arguments, so these defaults are the ones it is passed.
    static let intervalForm = Form([
        Param("f", .function), Param("lo", .number), Param("hi", .number),
        Param("method", .choice(IntervalSearch.Method.allCases.map(\.rawValue)), default: "golden"),
        Param("tol", .number, default: 1e-8), Param("n", .int, default: 101, range: .elements(from: 2)),
    ])

    /// The argument at a position, or named by any of `names`.
    static func argument(_ c: Call, _ i: Int, _ names: [String]) -> Value? {
        if let v = c.value(i) { return v }
        for n in names { if let v = c.args.named.first(where: { $0.0 == n })?.1 { return v } }
        return nil
    }

    static func searchDispatch(_ c: inout Call) throws -> Value {
        guard let first = argument(c, 0, ["xs", "f", "objective"]) else {
            throw RuntimeError("missing argument 'xs' to 'search'", notes: [Diagnostic.Note("usage: \(c.spec.signature)")])
        }
        // The hot form first: a sorted vector and a number.
        if case .tensor(let t) = first, t.rank == 1, case .number(let target)? = c.value(1), c.count == 2, c.args.named.isEmpty {
            return try binarySearch(c, t.data, target)
        }
        switch first {
        case .function, .object:
            // A record space, or no third bound: the hyper-parameter form (which explains a
            // bad space); f, lo, hi: the interval form.
            if case .record? = argument(c, 1, ["space"]) { return try hyperSearch(&c) }
            if argument(c, 2, ["hi"]) == nil { return try hyperSearch(&c) }
            c.form = 1
            return try intervalSearch(c, first)
        default:
            guard let t = try c.interp.asTensor(first), t.rank == 1 else {
                throw c.bad(0, "sorted vector or function expected, got \(first.typeName)")
            }
            for (name, _) in c.args.named where name != "xs" && name != "target" {
                throw c.bad(name, "binary search takes only xs and target")
            }
            guard c.count <= 2 else { throw c.bad(2, "binary search takes 2 arguments (xs, target), got \(c.count)") }
            let tv = try c.required("target")
            guard case .number(let target) = tv else { throw c.bad("target", "number expected, got \(tv.typeName)") }
            return try binarySearch(c, t.data, target)
        }
    }

    static func binarySearch(_ c: Call, _ xs: [Double], _ target: Double) throws -> Value {
        do {
            return .object(ResultObject(.binarySearch(try c.interp.optimizer.sorted.search(xs, target), xs: xs)))
        } catch {
            if case .nanTarget = error { throw c.bad(1, error.description) }
            throw c.bad(0, error.description)
        }
    }

    static func intervalSearch(_ c: Call, _ f: Value) throws -> Value {
        guard c.count <= 3 else { throw c.bad(3, "search(f, lo, hi) takes 3 arguments, got \(c.count)") }
        for (name, _) in c.args.named where !["f", "lo", "hi", "method", "tol", "n"].contains(name) {
            throw c.bad(name, "search(f, lo, hi) has no parameter '\(name)'")
        }
        func bound(_ i: Int, _ name: String) throws -> Double {
            guard let v = argument(c, i, [name]) else {
                throw RuntimeError("missing argument '\(name)' to 'search'", notes: [Diagnostic.Note("usage: \(intervalForm.signature("search"))")])
            }
            guard case .number(let x) = v else {
                let e = c.value(i) != nil ? c.bad(i, "number expected, got \(v.typeName)") : c.bad(name, "number expected, got \(v.typeName)")
                throw e
            }
            return x
        }
        let lo = try bound(1, "lo"), hi = try bound(2, "hi")
        let method = IntervalSearch.Method(rawValue: try c.choice("method"))!
        let tol = try c.number("tol")
        let n = try c.int("n")
        if method != .grid, !(tol > 0 && tol.isFinite) { throw c.bad("tol", "must be a positive number, got \(formatNumber(tol))") }
        guard lo.isFinite, hi.isFinite, lo < hi else {
            throw c.bad(1, "interval [\(formatNumber(lo)), \(formatNumber(hi))] is empty or not finite (need lo < hi)")
        }
        guard (hi - lo).isFinite else {
            throw c.bad(1, "interval [\(formatNumber(lo)), \(formatNumber(hi))] is too wide: hi - lo overflows to inf")
        }
        let interp = c.interp, range = c.args.callRange
        let evaluate: (Double) throws -> Double = { x in
            let v = try interp.call(f, Arguments([.number(x)]), callRange: range)
            guard case .number(let y) = v else {
                throw RuntimeError("\(functionName(f)) must return a number, got \(article(v.typeName)) at x = \(formatNumber(x))")
            }
            return y
        }
        let r: IntervalResult
        do {
            r = try IntervalSearch.run(method, evaluate, lo: lo, hi: hi, tol: tol, n: n)
        } catch let e as SearchError {
            if case .sameSign(let a, let b, let fa, let fb) = e {
                throw RuntimeError("bisection needs a sign change: f(\(formatNumber(a))) = \(formatNumber(fa)) and f(\(formatNumber(b))) = \(formatNumber(fb)) have the same sign")
            }
            throw RuntimeError(e.description)
        }
        return .object(ResultObject(.interval(r)))
    }
}
